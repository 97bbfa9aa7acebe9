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
from sqlalchemy.pool import NullPool, QueuePool

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
        # No URL parsing; no SQL parameters (names, phone numbers) in errors that reach the log.
        engine = create_engine(URL.create("sqlite", database=str(path)), hide_parameters=True)
        event.listen(engine, "connect", _pragmas(PRAGMAS))
        return engine
    uri = readonly_uri(path)

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool, hide_parameters=True)
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
    """Bring the database to ``revision`` (normally the newest schema), all or nothing.

    Every migration step and the new ``alembic_version`` commit in one transaction: pysqlite on
    its own runs DDL outside any transaction (each ``CREATE`` or ``ALTER`` commits by itself), so
    a process killed halfway left tables of the new schema under the old revision, and the store
    never opened again ("table stations already exists"). Here the driver's own transaction
    handling is off and ``BEGIN IMMEDIATE`` opens one transaction for the whole upgrade (SQLite's
    DDL is transactional); a failed or killed upgrade leaves the previous schema, and the next
    open runs it again.
    """
    from alembic import command

    migrating = _migration_engine(engine)
    try:
        command.upgrade(alembic_config(migrating), revision)
    finally:
        if migrating is not engine:
            migrating.dispose()


def _migration_engine(engine: Engine) -> Engine:
    """An engine on the same database whose transactions SQLAlchemy, not pysqlite, begins."""
    if engine.url.get_backend_name() != "sqlite" or not engine.url.database:
        return engine
    migrating = create_engine(engine.url, poolclass=NullPool, hide_parameters=True)
    event.listen(migrating, "connect", _pragmas(PRAGMAS))

    @event.listens_for(migrating, "connect")
    def _driver_autocommit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # no implicit BEGIN, no implicit COMMIT

    @event.listens_for(migrating, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return migrating


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
