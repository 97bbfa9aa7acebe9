"""``fieldapp-server import BUNDLE.zip``: an offline station's sync, with online idempotency.

Each blob is checked against its hash before it is stored; each manifest then goes through
:func:`fieldapp.server.ingest.commit`, exactly as an online push, so re-importing the bundle (or
the device syncing online later) stores nothing twice. Only names of the form ``blobs/<sha256>``
and ``manifest.json`` are read; anything else in the archive is refused.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select

from fieldapp.domain.records import BatchSource
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller, Invalid, Missing, caller_of
from fieldapp.server.blobs import BlobStore
from fieldapp.server.db import Database
from fieldapp.server.ingest import commit
from fieldapp.sync import wire


def _caller(db: Database, account: dict[str, str], account_id: int | None) -> Caller:
    with db.session() as session:
        if account_id is not None:
            row = session.get(m.Account, account_id)
        else:
            row = session.scalar(
                select(m.Account)
                .where(
                    m.Account.name == account.get("name", ""),
                    m.Account.station == account.get("station", ""),
                    m.Account.revoked_at.is_(None),
                )
                .order_by(m.Account.id)
                .limit(1)
            )
        if row is None or row.revoked_at is not None:
            who = f"{account.get('name', '')}（{account.get('station', '')}）"
            raise Missing(
                f"没有与数据包中检查人员 {who} 对应的有效账号；请先用 users add 建立，"
                "或用 --account 编号指定"
            )
        return caller_of(row)


def import_bundle(
    db: Database,
    blobs: BlobStore,
    path: Path,
    account_id: int | None = None,
    max_blob: int = wire.MAX_BLOB_BYTES,
) -> list[wire.Receipt]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise Invalid(f"{path}：不是有效的同步数据包（ZIP）：{exc}") from None
    with archive:
        names = archive.namelist()
        for name in names:
            if name == wire.BUNDLE_MANIFEST:
                continue
            folder, _, sha = name.partition("/")
            if folder != "blobs" or not wire.is_sha256(sha):
                raise Invalid(f"{path}：数据包中有不认识的文件「{name[:100]}」，未导入任何内容")
        try:
            header = json.loads(archive.read(wire.BUNDLE_MANIFEST))
        except KeyError:
            raise Invalid(f"{path}：数据包中没有 manifest.json，不是 fieldapp 同步数据包") from None
        except ValueError as exc:
            raise Invalid(f"{path}：manifest.json 不是有效的 JSON（{exc}）") from None
        if not isinstance(header, dict) or header.get("format") != wire.BUNDLE_FORMAT:
            raise Invalid(f"{path}：不是 fieldapp 同步数据包（format 不对）")
        try:
            manifests = [wire.Manifest.model_validate(m_) for m_ in header.get("manifests", [])]
        except ValidationError as exc:
            raise Invalid(f"{path}：manifest.json 内容有误：{exc.errors()[0].get('msg')}") from None
        caller = _caller(db, header.get("account") or {}, account_id)
        needed = {h for manifest in manifests for h in manifest.blob_hashes()}
        present = {n.partition("/")[2] for n in names if n.startswith("blobs/")}
        for sha in sorted(needed & present):
            if blobs.has(sha):
                continue
            info = archive.getinfo(f"blobs/{sha}")
            if info.file_size > max_blob:
                raise Invalid(f"{path}：文件 blobs/{sha} 超过大小上限，未导入")
            blobs.put_bytes(sha, archive.read(info))
    return [
        commit(db, blobs, caller, manifest, source=BatchSource.BUNDLE) for manifest in manifests
    ]
