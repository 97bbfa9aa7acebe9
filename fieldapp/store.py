"""The store: one data folder, its SQLite database and the checklist library.

Like Anki's Collection, this is what the window, the command line and the tests open; everything
else takes a session from it. Opening migrates the database to the newest schema and records a
snapshot of every checklist version, so evaluations pinned to a version can always be read back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from fieldapp import paths
from fieldapp.checklists import Library
from fieldapp.photos.store import PhotoStore, SignatureStore
from fieldapp.services import checklists as checklist_service
from fieldapp.services.evaluations import sweep_orphans
from fieldapp.storage import db
from fieldapp.storage.writelock import FairLock


class Store:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.database = paths.database_path(folder)
        self.engine = db.make_engine(self.database)
        db.upgrade(self.engine)
        self._sessions = db.session_factory(self.engine)
        self._write_turns = FairLock()
        self.library = self._load_library()
        with self.session() as session:  # files left by a crash or a removed photo
            sweep_orphans(session, self)

    def _load_library(self) -> Library:
        library = Library.load(
            paths.county_checklists_dir(self.folder),
            server_dir=paths.server_checklists_dir(self.folder),
        )
        with self.session() as session:
            problems = checklist_service.record_snapshots(session, library)
        library.problems.extend(problems)
        return library

    def reload_checklists(self) -> Library:
        """Load the checklist files again (after a sync brought new ones); returns the library.

        The library is replaced as a whole, so a reader on another thread sees the old one or the
        new one, never half of each.
        """
        self.library = self._load_library()
        return self.library

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str] | None = None) -> Store:
        return cls(paths.data_dir(data_dir))

    @property
    def photos(self) -> PhotoStore:
        """Photo evidence of every evaluation, stored by hash."""
        return PhotoStore(self.folder / "photos")

    @property
    def signatures(self) -> SignatureStore:
        """Signature images of every evaluation, stored by hash."""
        return SignatureStore(self.folder / "signatures")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work commits together at the end, or not at all.

        Write sessions of this process take turns in arrival order (:class:`FairLock`), so a
        long job writing in short transactions never starves an inspector's answer.
        """
        with self._write_turns.held():
            session = self._sessions()
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
        session = self._sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
