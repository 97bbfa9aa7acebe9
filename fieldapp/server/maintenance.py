"""``fieldapp-server maintenance sweep``: photo and signature files nothing references.

A blob is uploaded before the batch that needs it is committed; a device that stops halfway (or
any account uploading files no batch ever names) leaves files no evaluation uses. A file whose
hash has no ``blobs`` row (rows are written only when a batch commits) and that has not been
touched for :data:`GRACE` is removed, and so are upload leftovers in the temporary folder. A
commit touches every file it references before it checks them, so a batch committing at the
moment of a sweep keeps its files.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select, tuple_

from fieldapp.server import models as m
from fieldapp.server.blobs import BlobStore
from fieldapp.server.db import Database
from fieldapp.sync.wire import is_sha256

GRACE = timedelta(days=1)


@dataclass(frozen=True)
class Swept:
    files: int
    bytes: int
    leftovers: int  # unfinished uploads removed from the temporary folder


def _old(path: Path, cutoff: float) -> bool:
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def sweep(db: Database, blobs: BlobStore, now: datetime, grace: timedelta = GRACE) -> Swept:
    cutoff = (now - grace).timestamp()
    candidates = [
        p for p in blobs.root.glob("??/*") if p.is_file() and is_sha256(p.name) and _old(p, cutoff)
    ]
    with db.session() as session:
        referenced: set[str] = set()
        names = [p.name for p in candidates]
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            referenced |= set(
                session.scalars(select(m.Blob.sha256).where(m.Blob.sha256.in_(chunk)))
            )
    files = size = 0
    for path in candidates:
        if path.name in referenced or not _old(path, cutoff):  # touched by a commit meanwhile
            continue
        try:
            length = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            continue
        files += 1
        size += length
    _forget_pending(db, blobs, now - grace)
    leftovers = 0
    for part in blobs.tmp.glob("upload-*.part"):
        if _old(part, cutoff):
            part.unlink(missing_ok=True)
            leftovers += 1
    return Swept(files, size, leftovers)


def _forget_pending(db: Database, blobs: BlobStore, cutoff: datetime) -> None:
    """Pending-upload rows whose file is gone no longer count against their account."""
    with db.session() as session:
        rows = session.execute(
            select(m.PendingUpload.sha256, m.PendingUpload.account_id).where(
                m.PendingUpload.uploaded_at < cutoff
            )
        ).all()
        gone = [(r.sha256, r.account_id) for r in rows if not blobs.has(r.sha256)]
        for start in range(0, len(gone), 500):
            chunk = gone[start : start + 500]
            session.execute(
                delete(m.PendingUpload).where(
                    tuple_(m.PendingUpload.sha256, m.PendingUpload.account_id).in_(chunk)
                )
            )


def touch(paths: list[Path]) -> None:
    """Mark files as just used (a commit about to reference them), so no sweep removes them."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.utime(path)
