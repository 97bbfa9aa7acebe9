"""Write a small file whole or not at all: a temporary file beside it, fsync, rename, fsync the folder.

Used for photos and signatures, settings and the window's tab list. Documents that are written as
they are built (PDF, XLSX) use :func:`fieldapp.reports.output.atomic_output` instead.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

TMP_SUFFIX = ".tmp"


def write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` whole or not at all (temp file, fsync, rename).

    A crash leaves at most a ``.<name>-….tmp`` file beside ``target``, never a half-written one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.stem[:16]}-", suffix=TMP_SUFFIX
    )
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename itself durable on POSIX; Windows cannot open folders and needs none."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
