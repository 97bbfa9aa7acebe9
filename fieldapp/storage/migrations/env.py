"""Alembic environment: runs migrations on the engine fieldapp hands over in the config."""

from alembic import context

from fieldapp.storage.models import Base

config = context.config
engine = config.attributes["engine"]


def include_object(_obj, name, type_, _reflected, _compare_to):  # type: ignore[no-untyped-def]
    # The FTS5 search index and its shadow tables are managed by raw SQL in migration 0002.
    return not (type_ == "table" and name and name.startswith("unit_search"))


with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        include_object=include_object,
    )
    context.run_migrations()
