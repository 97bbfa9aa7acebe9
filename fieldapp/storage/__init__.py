"""Local store: SQLite engine and pragmas, typed models, Alembic migrations."""
