"""Content-addressed photo files: ``root/ab/abcdef….jpg`` and ``root/thumbs/ab/abcdef….jpg``.

A photo's name is the SHA-256 of its stored JPEG bytes, so the same photo attached twice is one
file, a record can refer to it by hash alone, and :meth:`PhotoStore.verify` can prove a file
was not damaged or edited since. Every write goes to a temporary file in the target folder,
is flushed and fsynced, then renamed over the final name (atomic on Windows and POSIX), so a
power cut leaves either the whole photo or a ``*.tmp`` that :meth:`PhotoStore.sweep` removes.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path

from fieldapp.atomicfile import TMP_SUFFIX, write_bytes
from fieldapp.photos.ingest import PreparedPhoto

_SHA256 = re.compile(r"[0-9a-f]{64}")
THUMBS_DIR = "thumbs"
SUFFIX = ".jpg"


SWEEP_MIN_AGE = 24 * 3600.0
"""Seconds a file must have existed before a sweep may delete it (a day: the store's rule)."""


class PhotoStore:
    """The folder of stored photos; nothing is created until the first :meth:`put`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        """Where the photo with this hash is (or would be) stored."""
        sha = _check(sha)
        return self.root / sha[:2] / f"{sha}{SUFFIX}"

    def thumb_path(self, sha: str) -> Path:
        """Where its thumbnail is (or would be) stored."""
        sha = _check(sha)
        return self.root / THUMBS_DIR / sha[:2] / f"{sha}{SUFFIX}"

    def exists(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def put(self, prepared: PreparedPhoto) -> str:
        """Store the photo and its thumbnail; return the hash. Storing it again is a no-op.

        The thumbnail is written first, so whenever the photo exists its thumbnail does too.
        A stored copy that no longer matches its hash (damaged disk) is rewritten.
        """
        sha = hashlib.sha256(prepared.jpeg).hexdigest()
        if sha != prepared.sha256:
            raise ValueError("PreparedPhoto.sha256 does not match its JPEG bytes")
        if not self.thumb_path(sha).is_file():
            write_bytes(self.thumb_path(sha), prepared.thumbnail)
        if not self.verify(sha):
            write_bytes(self.path(sha), prepared.jpeg)
        else:
            # Stored again: it is young again, so a sweep in another process (which spares files
            # younger than a day) cannot remove it before the record that uses it is committed.
            os.utime(self.path(sha))
            os.utime(self.thumb_path(sha))
        return sha

    def verify(self, sha: str) -> bool:
        """True if the stored photo exists and its bytes still hash to ``sha``."""
        path = self.path(sha)
        digest = hashlib.sha256()
        try:
            with path.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
        except FileNotFoundError:
            return False
        return digest.hexdigest() == sha

    def remove(self, sha: str) -> None:
        """Delete the photo and its thumbnail (missing files are fine)."""
        self.path(sha).unlink(missing_ok=True)
        self.thumb_path(sha).unlink(missing_ok=True)

    def sweep(self, keep: set[str], older_than: float = SWEEP_MIN_AGE) -> list[str]:
        """Delete photos not in ``keep``, orphan thumbnails and leftover ``*.tmp`` files.

        Run at start-up: a ``*.tmp`` is from an interrupted write, and a photo no record refers
        to is from an attach that was cancelled or a record that was deleted. Only files older
        than ``older_than`` seconds go: another process (the window while the command line
        starts) may be between writing a photo and committing its record. Returns the hashes
        removed, sorted.
        """
        return _sweep(self.root, (self.root, self.root / THUMBS_DIR), SUFFIX, keep, older_than)


class SignatureStore:
    """Signature PNGs named by the SHA-256 of their bytes: ``root/ab/abcdef….png``.

    Written like photos (temporary file, fsync, rename), kept apart from them because they are
    stored as drawn, not re-encoded as JPEG.
    """

    SUFFIX = ".png"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        sha = _check(sha)
        return self.root / sha[:2] / f"{sha}{self.SUFFIX}"

    def put(self, png: bytes) -> str:
        """Store the PNG bytes; return their hash. Storing them again is a no-op."""
        sha = hashlib.sha256(png).hexdigest()
        path = self.path(sha)
        if not (path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha):
            write_bytes(path, png)
        return sha

    def sweep(self, keep: set[str], older_than: float = SWEEP_MIN_AGE) -> list[str]:
        """Delete signatures not in ``keep`` and leftover ``*.tmp`` files (see PhotoStore.sweep)."""
        return _sweep(self.root, (self.root,), self.SUFFIX, keep, older_than)


def _sweep(
    root: Path, folders: tuple[Path, ...], suffix: str, keep: set[str], older_than: float
) -> list[str]:
    if not root.is_dir():
        return []
    cutoff = time.time() - older_than
    wanted = {sha.lower() for sha in keep}
    removed: set[str] = set()

    def old(file: Path) -> bool:
        try:
            return file.stat().st_mtime <= cutoff
        except FileNotFoundError:
            return False

    for folder in folders:
        for file in folder.glob(f"??/*{suffix}"):
            sha = file.name[: -len(suffix)]
            valid = _SHA256.fullmatch(sha) and file.parent.name == sha[:2]
            if valid and sha not in wanted and old(file):
                file.unlink(missing_ok=True)
                removed.add(sha)
    for leftover in root.rglob(f"*{TMP_SUFFIX}"):
        if leftover.is_file() and old(leftover):
            leftover.unlink(missing_ok=True)
    return sorted(removed)


def _check(sha: str) -> str:
    """Accept only a SHA-256 hex digest, so a hash can never point outside the store."""
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha.lower()):
        raise ValueError(f"not a SHA-256 hex digest: {sha!r}")
    return sha.lower()
