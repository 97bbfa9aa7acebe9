"""The database file itself, through the standard library only: its pragmas, its schema
revision and a plain ``sqlite3`` connection.

Opening a store and the reads a command or the window's first page need go through here, so they
cost a ``sqlite3.connect`` rather than importing SQLAlchemy (about 0.3 s of CPU); the ORM
(:mod:`fieldapp.storage.db`) is loaded when a session is first asked for.

WAL lets the window read while a write commits; ``synchronous=FULL`` makes each commit survive a
laptop losing power; ``foreign_keys=ON`` makes SQLite enforce the relations the models declare. A
read-only connection opens the file with SQLite's ``mode=ro`` and ``query_only``, so nothing it
runs can change the database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

# The newest schema revision (migrations/versions). Opening a store at it reads one row and
# never loads Alembic; a test keeps it equal to the scripts' head.
HEAD_REVISION = "0013"

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=10000",
)
READONLY_PRAGMAS = (
    "PRAGMA query_only=ON",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


def readonly_uri(path: Path) -> str:
    """SQLite's URI opening ``path`` read-only: ``file:///C:/数据/x.sqlite3?mode=ro``.

    Built by hand rather than with ``Path.as_uri``, whose ``file://server/share`` form for a
    Windows network folder SQLite refuses (it wants ``file:////server/share``).
    """
    text = Path(path).resolve().as_posix()
    if not text.startswith("/"):
        text = "/" + text  # a drive letter: /C:/...
    return "file://" + quote(text, safe="/:") + "?mode=ro"


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A connection that cannot change ``path`` (the file must exist), rows readable by name.

    Usable from any one thread at a time (``check_same_thread=False``: the window's read jobs
    open it on a worker thread and close it there).
    """
    connection = sqlite3.connect(readonly_uri(path), uri=True, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    for pragma in READONLY_PRAGMAS:
        connection.execute(pragma)
    return connection


def snapshot(path: Path, target: Path) -> None:
    """Copy the database at ``path`` to ``target`` as one consistent snapshot, even while others
    write: SQLite's online backup API copies every page under one read transaction, so a commit
    that lands meanwhile is either wholly in the copy or not at all. The copy is one
    self-contained file (no WAL)."""
    source = sqlite3.connect(readonly_uri(path), uri=True, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        source.close()


def stored_revision(path: Path) -> str | None:
    """The schema revision of the database at ``path`` (Alembic's ``alembic_version`` row), None
    if it has none (a new, empty or foreign file)."""
    connection = connect_readonly(path)
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:  # no such table: a database Alembic never touched
        return None
    finally:
        connection.close()
    return None if row is None else str(row["version_num"])


BEFORE_UPGRADE_DIR = "backups"  # under the data folder
BEFORE_UPGRADE_KEEP = 3


def copy_before_upgrade(path: Path, current: str, head: str) -> Path:
    """A consistent copy of the database at ``path`` (SQLite's online backup) taken before it is
    migrated from ``current`` to ``head``: ``<data>/backups/before-upgrade-<from>-to-<to>-<time>``.
    The newest three are kept. The migration itself is all or nothing; this copy is for an
    update whose new schema turns out wrong, so a year of evidence can be opened as it was."""
    folder = path.parent / BEFORE_UPGRADE_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"before-upgrade-{current}-to-{head}-{stamp}.sqlite3"
    partial = target.with_suffix(".partial")
    snapshot(path, partial)
    with contextlib.suppress(OSError):  # Windows: the profile folder already restricts it
        os.chmod(partial, 0o600)
    os.replace(partial, target)
    copies = sorted(folder.glob("before-upgrade-*.sqlite3"), key=lambda p: p.stat().st_mtime_ns)
    for old in copies[:-BEFORE_UPGRADE_KEEP]:
        with contextlib.suppress(OSError):
            old.unlink()
    return target
