"""The SQLAlchemy engine over the database file, with the pragmas of
:mod:`fieldapp.storage.sqlitefile`, and schema migration (Alembic).

A read-only engine (``make_engine(path, readonly=True)``) opens the file with SQLite's
``mode=ro`` and ``query_only``, so nothing it runs can change the database: inspection commands
and the server's ``publish --from-store`` use it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from fieldapp.storage.sqlitefile import HEAD_REVISION, PRAGMAS, READONLY_PRAGMAS, readonly_uri

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _pragmas(pragmas: tuple[str, ...]) -> Any:
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    return set_pragmas


def make_engine(path: Path, *, readonly: bool = False) -> Engine:
    """The engine of the database file ``path``; ``readonly`` opens it so it cannot be changed.

    A read-only engine never sets the journal mode (that is a write): it reads a WAL database
    the app wrote, and refuses every statement that would change it.
    """
    if not readonly:
        engine = create_engine(URL.create("sqlite", database=str(path)))  # no URL parsing
        event.listen(engine, "connect", _pragmas(PRAGMAS))
        return engine
    uri = readonly_uri(path)

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool)
    event.listen(engine, "connect", _pragmas(READONLY_PRAGMAS))
    return engine


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    return HEAD_REVISION


def known_revisions() -> set[str]:
    """Every schema revision this version of fieldapp can upgrade from (or is at)."""
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (Alembic's ``alembic_version`` row), None if it has none."""
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError:  # no such table: a database Alembic never touched
            return None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (normally the newest schema)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
