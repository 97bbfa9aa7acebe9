"""The server's engine (SQLite with safe pragmas, or PostgreSQL) and its migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from fieldapp.server.models import Counter

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SEQ = "seq"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA synchronous=FULL",
            "PRAGMA busy_timeout=30000",
        ):
            cursor.execute(pragma)
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True)  # no phone numbers in the log
        event.listen(engine, "connect", _sqlite_pragmas)

        # pysqlite's own transaction handling would start transactions late; take the write
        # lock at BEGIN so two writers queue instead of failing halfway.
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True
    )


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


class Database:
    """The engine and a session factory; ``session()`` is one transaction."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def next_seq(session: Session) -> int:
    """The next change number. The row stays locked until commit, so numbers follow commits."""
    value = session.execute(
        update(Counter)
        .where(Counter.name == SEQ)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar_one_or_none()
    if value is None:
        raise RuntimeError("counter row missing; the database was not migrated")
    return int(value)


def current_seq(session: Session) -> int:
    return int(session.scalar(select(Counter.value).where(Counter.name == SEQ)) or 0)


def put_row(session: Session, model: Any, key: dict[str, Any], values: dict[str, Any]) -> None:
    """The row of ``model`` at ``key`` holds ``values``: updated if it exists, else inserted. A
    row inserted by another worker or request at the same moment is no error (theirs stays:
    it was written from the same state)."""
    where = [getattr(model, name) == value for name, value in key.items()]
    if getattr(session.execute(update(model).where(*where).values(**values)), "rowcount", 0):
        return
    try:
        with session.begin_nested():
            session.add(model(**key, **values))
    except IntegrityError:
        pass


def change_stamp(session: Session, *models: Any) -> str:
    """The state of ``models``' tables: each one's newest change number (every write takes a
    new one, in commit order) and its row count. Read before the data it stamps, so what is
    kept under it is never older than it."""
    parts = []
    for model in models:
        newest, rows = session.execute(
            select(func.coalesce(func.max(model.seq), 0), func.count()).select_from(model)
        ).one()
        parts.append(f"{newest}:{rows}")
    return " ".join(parts)
