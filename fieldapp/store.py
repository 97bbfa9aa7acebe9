"""The store: one data folder, its SQLite database and the checklist library.

Like Anki's Collection, this is what the window, the command line and the tests open; everything
else takes a session from it.

Opening has no side effect beyond what was asked for (:meth:`Store.open`):

* a missing folder or database is an error (:class:`StoreMissing`, naming the folder) unless the
  caller passes ``create=True``: the window at its first start, and commands that set up new data
  (``fieldapp demo``, ``units import``, ``targets import``, or any command on the platform's
  default folder when no folder was named);
* a writable open migrates the database to the newest schema and records a snapshot of each
  checklist version seen for the first time (by content hash; an unchanged file writes nothing),
  so evaluations pinned to a version can always be read back;
* a read-only open (``readonly=True``: inspection commands, the server's ``publish
  --from-store``) writes nothing at all: SQLite opens the file read-only, an older schema is
  refused with the advice to open the folder with the app first (:class:`SchemaMismatch`), and
  no snapshot is recorded.

Deleting photo and signature files no record refers to is not part of opening: it is the
maintenance step :meth:`Store.sweep_orphans` (the window runs it in the background after start,
``fieldapp maintenance sweep`` from the command line).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fieldapp import __version__, paths
from fieldapp.errors import FieldappError
from fieldapp.storage import sqlitefile
from fieldapp.storage.writelock import FairLock

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from fieldapp.checklists import Library
    from fieldapp.photos.store import PhotoStore, SignatureStore


class StoreUnavailable(FieldappError):
    """The data folder cannot be opened as asked; the message names it and says what to do."""

    def __init__(self, message: str, folder: Path) -> None:
        super().__init__(message)
        self.folder = folder


class StoreMissing(StoreUnavailable):
    """No data folder, or no database in it, and the caller did not ask to create one."""


class SchemaMismatch(StoreUnavailable):
    """The database's schema is older (for a read-only open) or newer than this program's."""


class ReadOnlyStore(RuntimeError):
    """A write was attempted on a store opened read-only (a programming error)."""


class Store:
    """One data folder. Opening checks the schema (and migrates a writable one); the ORM engine
    and the checklist library are made when first used, so a command or a window that only reads
    a page of units through :meth:`raw_read` never loads SQLAlchemy or the checklist files."""

    def __init__(self, folder: Path, *, readonly: bool = False) -> None:
        self.folder = folder
        self.readonly = readonly
        self.created = False
        """True when :meth:`open` created the database (the folder was new or empty)."""
        self.database = paths.database_path(folder)
        self._write_turns = FairLock()
        # One thread makes the engine, one loads the library (which needs the engine: always in
        # that order). No thread waits for either while it holds a write turn (see session()).
        self._making_engine = threading.Lock()
        self._loading = threading.RLock()
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._library: Library | None = None
        self._loader: int | None = None  # the thread loading the library, while it does
        try:
            _bring_to_head(self, readonly)
        except BaseException:
            self.close()
            raise

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, made (with the ORM imported) at its first use."""
        engine = self._engine
        if engine is None:
            with self._making_engine:
                if self._engine is None:
                    from fieldapp.storage import db

                    made = db.make_engine(self.database, readonly=self.readonly)
                    self._sessions = db.session_factory(made)
                    self._engine = made
                engine = self._engine
        return engine

    @property
    def library(self) -> Library:
        """The checklist library, loaded (and its new versions snapshotted) at its first use."""
        library = self._library
        if library is None:
            with self._loading:
                if self._library is None:
                    self._loader = threading.get_ident()
                    try:
                        self._library = self._load_library()
                    finally:
                        self._loader = None
                library = self._library
        return library

    def _load_library(self) -> Library:
        from fieldapp.checklists import Library
        from fieldapp.services import checklists as checklist_service

        library = Library.load(
            paths.county_checklists_dir(self.folder),
            server_dir=paths.server_checklists_dir(self.folder),
        )
        if self.readonly:
            with self.read() as session:
                problems = checklist_service.record_snapshots(session, library, write=False)
        else:
            with self.session() as session:
                problems = checklist_service.record_snapshots(session, library)
        library.problems.extend(problems)
        return library

    def reload_checklists(self) -> Library:
        """Load the checklist files again (after a sync brought new ones); returns the library.

        The library is replaced as a whole, so a reader on another thread sees the old one or the
        new one, never half of each.
        """
        library = self._load_library()
        with self._loading:
            self._library = library
        return library

    @classmethod
    def open(
        cls,
        folder: str | os.PathLike[str] | None = None,
        *,
        create: bool = False,
        readonly: bool = False,
    ) -> Store:
        """Open the store in ``folder`` (None: ``FIELDAPP_DATA_DIR`` or the platform's folder).

        Without ``create`` a missing folder or database raises :class:`StoreMissing` and nothing
        is created. ``readonly`` opens it so that nothing can change: no migration (an older
        schema raises :class:`SchemaMismatch`), no snapshot rows, no write session.
        """
        if create and readonly:
            raise ValueError("a store opened read-only cannot be created")
        path = paths.resolve_data_dir(folder)
        if path.exists() and not path.is_dir():
            raise StoreMissing(
                f"{path} 是一个文件，不是数据目录。请指定 fieldapp 的数据文件夹", path
            )
        new = not paths.database_path(path).is_file()
        if new:
            if not create:
                raise _missing(path)
            path.mkdir(mode=0o700, parents=True, exist_ok=True)  # the owner's only
        store = cls(path, readonly=readonly)
        store.created = new
        if new:
            _private(store.database)
        return store

    def sweep_orphans(self) -> int:
        """Delete photo and signature files no record refers to, older than a day; returns how
        many. A maintenance step (see :func:`~fieldapp.services.evaluations.sweep_orphans`)."""
        if self.readonly:
            raise ReadOnlyStore(f"{self.folder}: opened read-only, files are not swept")
        from fieldapp.services import evaluations  # with Pillow and the wire models: not at open

        with self.read() as session:
            return evaluations.sweep_orphans(session, self)

    @property
    def photos(self) -> PhotoStore:
        """Photo evidence of every evaluation, stored by hash."""
        from fieldapp.photos.store import PhotoStore

        return PhotoStore(self.folder / "photos")

    @property
    def signatures(self) -> SignatureStore:
        """Signature images of every evaluation, stored by hash."""
        from fieldapp.photos.store import SignatureStore

        return SignatureStore(self.folder / "signatures")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work commits together at the end, or not at all.

        Write sessions of this process take turns in arrival order (:class:`FairLock`), so a
        long job writing in short transactions never starves an inspector's answer.
        """
        if self.readonly:
            raise ReadOnlyStore(f"{self.folder}: opened read-only, a write session was asked for")
        sessions = self._session_factory()  # before the turn: loading the library writes too
        with self._write_turns.held():
            session = sessions()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only."""
        session = self._session_factory()()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def _session_factory(self) -> sessionmaker[Session]:
        """Sessions of the engine. The first one loads the checklist library before it opens
        (recording a new version's snapshot is a write, which must not wait behind a session the
        caller already holds); other threads wait here for that load, before they open anything;
        the loading thread's own sessions skip this step."""
        if self._library is None and self._loader != threading.get_ident():
            self.library  # noqa: B018 - loaded at first use
        self.engine  # noqa: B018 - made with its session factory at first use
        assert self._sessions is not None
        return self._sessions

    @contextmanager
    def raw_read(self) -> Iterator[sqlite3.Connection]:
        """A plain ``sqlite3`` connection that cannot write, rows readable by name: the read
        models of :mod:`fieldapp.views` take one. Each call opens its own (on the caller's
        thread) and closes it after."""
        connection = sqlitefile.connect_readonly(self.database)
        try:
            yield connection
        finally:
            connection.close()

    def close(self) -> None:
        with self._making_engine:
            if self._engine is not None:
                self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _private(database: Path) -> None:
    """The database (and its WAL files, which SQLite creates with the database's mode) readable
    by its owner only: it holds every unit's contacts. Windows: the user's profile folder
    already restricts it, and chmod there only sets read-only."""
    if os.name != "posix":
        return
    for file in (database, *(database.with_name(database.name + s) for s in ("-wal", "-shm"))):
        if file.exists():
            os.chmod(file, 0o600)


def _missing(folder: Path) -> StoreMissing:
    if not folder.exists():
        return StoreMissing(f"数据目录 {folder} 不存在。请检查路径是否写错", folder)
    return StoreMissing(
        f"数据目录 {folder} 中没有 fieldapp 数据库（{paths.DATABASE_FILE}）。"
        "请检查是否选错了文件夹",
        folder,
    )


def _bring_to_head(store: Store, readonly: bool) -> None:
    """Migrate a writable database to the newest schema; check that a read-only one is at it.

    The revision is read with ``sqlite3``; Alembic (and SQLAlchemy) load only to migrate."""
    folder = store.folder
    current = sqlitefile.stored_revision(store.database) if store.database.is_file() else None
    head = sqlitefile.HEAD_REVISION
    if current == head:
        return
    from fieldapp.storage import db

    if current is not None and current not in db.known_revisions():
        raise SchemaMismatch(
            f"数据目录 {folder} 的数据库（架构 {current}）由更新版本的 fieldapp 写入，"
            f"本程序（{__version__}）不能打开。请升级 fieldapp 后再试",
            folder,
        )
    if not readonly:
        if current is not None:  # a store with data: keep a copy of it as it was
            copied = sqlitefile.copy_before_upgrade(store.database, current, head)
            log.info("copied the database before upgrading it to %s: %s", head, copied)
        db.upgrade(store.engine)
        return
    if current is None:
        raise SchemaMismatch(
            f"{paths.database_path(folder)} 不是 fieldapp 数据库（没有架构版本）。"
            "请检查数据目录是否选对",
            folder,
        )
    raise SchemaMismatch(
        f"数据目录 {folder} 的数据库是旧版本（架构 {current}，本程序为 {head}），"
        "只读打开不会升级它。请先用 fieldapp 窗口打开这个数据目录一次"
        f"（或运行 fieldapp --data-dir {folder} maintenance upgrade），升级后再试",
        folder,
    )
