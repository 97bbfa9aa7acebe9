"""Alembic environment: runs migrations on the engine fieldapp hands over in the config."""

from alembic import context

from fieldapp.storage.models import Base

SEARCH_INDEXES = ("unit_search", "unit_grams")

config = context.config
engine = config.attributes["engine"]


def include_object(_obj, name, type_, _reflected, _compare_to):  # type: ignore[no-untyped-def]
    # The FTS5 search indexes and their shadow tables are managed by raw SQL (migrations 0002,
    # 0010), not by the models.
    return not (type_ == "table" and name and name.startswith(SEARCH_INDEXES))


with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        include_object=include_object,
    )
    context.run_migrations()
