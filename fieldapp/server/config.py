"""Where the county server keeps its data and which database it uses.

The data folder comes from ``--data-dir``, then ``FIELDAPP_SERVER_DATA_DIR``, then the platform's
user data folder; the database from ``--database-url``, then ``FIELDAPP_SERVER_DATABASE_URL``,
then a SQLite file in the data folder. Photo blobs always live on disk in the data folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from fieldapp.server.uploads import DEFAULT_MAX_PENDING_BYTES
from fieldapp.sync import wire

DATA_DIR_ENV = "FIELDAPP_SERVER_DATA_DIR"
DATABASE_URL_ENV = "FIELDAPP_SERVER_DATABASE_URL"
MAX_PENDING_ENV = "FIELDAPP_SERVER_MAX_PENDING_MB"
DATABASE_FILE = "server.sqlite3"


@dataclass(frozen=True)
class ServerConfig:
    data_dir: Path
    database_url: str
    max_json_bytes: int = wire.MAX_JSON_BYTES
    max_blob_bytes: int = wire.MAX_BLOB_BYTES
    max_pending_bytes: int = DEFAULT_MAX_PENDING_BYTES  # per account: uploads no batch references

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @classmethod
    def resolve(
        cls,
        data_dir: str | os.PathLike[str] | None = None,
        database_url: str | None = None,
        max_pending_mb: int | None = None,
    ) -> ServerConfig:
        if data_dir:
            folder = Path(data_dir)
        elif os.environ.get(DATA_DIR_ENV):
            folder = Path(os.environ[DATA_DIR_ENV])
        else:
            folder = Path(platformdirs.user_data_dir("fieldapp-server", appauthor=False))
        folder = folder.expanduser().resolve()
        folder.mkdir(parents=True, exist_ok=True)
        url = database_url or os.environ.get(DATABASE_URL_ENV) or ""
        if not url:
            url = f"sqlite:///{folder / DATABASE_FILE}"
        if max_pending_mb is None and os.environ.get(MAX_PENDING_ENV, "").isdigit():
            max_pending_mb = int(os.environ[MAX_PENDING_ENV])
        pending = DEFAULT_MAX_PENDING_BYTES if max_pending_mb is None else max_pending_mb << 20
        return cls(data_dir=folder, database_url=url, max_pending_bytes=pending)
