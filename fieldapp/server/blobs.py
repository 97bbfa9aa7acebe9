"""Photo and signature blobs on the server's disk, addressed by SHA-256.

A blob is written to a temporary file while its hash is computed, checked against the hash it was
sent under, fsynced and only then renamed into place: a partial or wrong upload never becomes a
blob, and a blob that exists is always whole.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

from fieldapp.sync.wire import is_sha256


class BlobRefused(Exception):
    """The upload was refused (wrong hash, too large); ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


class BlobStore:
    def __init__(self, root: Path, tmp: Path) -> None:
        self.root = root
        self.tmp = tmp
        root.mkdir(parents=True, exist_ok=True)
        tmp.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise BlobRefused(f"「{sha256[:80]}」不是 SHA-256（64 位小写十六进制）")
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def missing(self, hashes: Iterable[str]) -> list[str]:
        return sorted({h for h in hashes if not self.has(h)})

    def _open_temp(self) -> tuple[int, str]:
        return tempfile.mkstemp(dir=self.tmp, prefix="upload-", suffix=".part")

    def _finish(self, tmp: str, sha256: str, digest: str, size: int) -> tuple[int, bool]:
        if digest != sha256:
            raise BlobRefused(
                f"照片（或签名）{sha256} 的内容与其哈希不符（收到的内容哈希为 {digest}，"
                f"{size} 字节）：上传不完整或文件已损坏，未保存。请重新同步"
            )
        target = self.path(sha256)
        target.parent.mkdir(exist_ok=True)
        created = not target.exists()
        os.replace(tmp, target)
        return size, created

    async def put_stream(
        self, sha256: str, chunks: AsyncIterator[bytes], limit: int
    ) -> tuple[int, bool]:
        """Store what ``chunks`` yield under ``sha256`` if it hashes to it; (size, created)."""
        self.path(sha256)  # refuses a path-like name before anything is written
        fd, tmp = self._open_temp()
        try:
            hasher = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as handle:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise BlobRefused(
                            f"照片（或签名）{sha256} 超过 {limit // (1024 * 1024)} MB 上限，未保存",
                            status=413,
                        )
                    hasher.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            return self._finish(tmp, sha256, hasher.hexdigest(), size)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def put_bytes(self, sha256: str, data: bytes) -> tuple[int, bool]:
        """The same check for bytes at hand (bundle import)."""
        self.path(sha256)
        fd, tmp = self._open_temp()
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            return self._finish(tmp, sha256, hashlib.sha256(data).hexdigest(), len(data))
        finally:
            Path(tmp).unlink(missing_ok=True)

    def size(self, sha256: str) -> int:
        return self.path(sha256).stat().st_size
