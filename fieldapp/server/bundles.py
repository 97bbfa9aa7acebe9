"""``fieldapp-server import BUNDLE.zip``: an offline station's sync, with online idempotency.

Everything is checked before anything is written: the archive's names (only ``manifest.json``
and ``blobs/<sha256>``), the manifest's declared and actual size, its shape, every batch's
scope and content hashes (:func:`fieldapp.server.ingest.validate`, as an online push), and every
blob's size and hash while it is read. A bundle refused at any step leaves no row and no blob
behind. Then the blobs are stored and every batch is committed in one transaction, exactly as an
online push commits it, so re-importing the bundle (or the device syncing online later) stores
nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select

from fieldapp.domain.records import BatchSource
from fieldapp.server import ingest
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller, Invalid, Missing, ServerError, caller_of
from fieldapp.server.blobs import BlobStore
from fieldapp.server.db import Database
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


MAX_BUNDLE_MANIFEST_BYTES = 4 * wire.MAX_JSON_BYTES  # a few batches' worth of manifests
MAX_BUNDLE_BATCHES = 200
_CHUNK = 1024 * 1024


def _chunks(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, path: Path
) -> Iterator[bytes]:
    """The entry's bytes in chunks, refused as soon as more than ``limit`` come out (the
    declared size can lie) or its CRC fails; nothing is read when the declared size is over."""
    if info.file_size > limit:
        raise Invalid(
            f"{path}：{info.filename} 声明 {info.file_size} 字节，超过 {limit} 字节上限，未导入任何内容"
        )
    size = 0
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise Invalid(f"{path}：{info.filename} 超过 {limit} 字节上限，未导入任何内容")
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise Invalid(
            f"{path}：{info.filename} 已损坏（{exc}），未导入任何内容；请重新导出数据包"
        ) from None


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, path: Path) -> bytes:
    return b"".join(_chunks(archive, info, limit, path))


def _hash_of(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, path: Path) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(archive, info, limit, path):
        digest.update(chunk)
    return digest.hexdigest()


def _manifests(header: object, path: Path) -> tuple[list[wire.Manifest], dict[str, str]]:
    if not isinstance(header, dict) or header.get("format") != wire.BUNDLE_FORMAT:
        raise Invalid(f"{path}：不是 fieldapp 同步数据包（format 不对）")
    listed = header.get("manifests", [])
    if not isinstance(listed, list) or len(listed) > MAX_BUNDLE_BATCHES:
        raise Invalid(
            f"{path}：manifest.json 的 manifests 应为最多 {MAX_BUNDLE_BATCHES} 个批次的列表，"
            "未导入任何内容；请重新导出数据包"
        )
    account = header.get("account") or {}
    if not isinstance(account, dict) or not all(isinstance(v, str) for v in account.values()):
        raise Invalid(
            f"{path}：manifest.json 的 account 应为检查人员的姓名和所属所，未导入任何内容；"
            "可用 --account 编号指定账号"
        )
    manifests = []
    for number, item in enumerate(listed, start=1):
        try:
            manifests.append(wire.Manifest.model_validate(item))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error.get("loc", ())) or "内容"
            message = str(error.get("msg", "无效")).removeprefix("Value error, ")
            raise Invalid(
                f"{path}：第 {number} 批的 {where} 有误（{message}），未导入任何内容"
            ) from None
    return manifests, account


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
            info = archive.getinfo(wire.BUNDLE_MANIFEST)
        except KeyError:
            raise Invalid(f"{path}：数据包中没有 manifest.json，不是 fieldapp 同步数据包") from None
        raw = _read_bounded(archive, info, MAX_BUNDLE_MANIFEST_BYTES, path)
        try:
            header = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise Invalid(f"{path}：manifest.json 不是有效的 JSON（{exc}）") from None
        manifests, account = _manifests(header, path)
        caller = _caller(db, account, account_id)
        # Every batch's scope and hashes, as an online push checks them: nothing written yet.
        with db.session() as session:
            for number, manifest in enumerate(manifests, start=1):
                try:
                    if ingest.stored_receipt(session, caller, manifest) is None:
                        ingest.validate(session, caller, manifest)
                except ServerError as exc:
                    raise type(exc)(f"{path}：第 {number} 批：{exc}（未导入任何内容）") from None
        needed = {h for manifest in manifests for h in manifest.blob_hashes()}
        present = {n.partition("/")[2] for n in names if n.startswith("blobs/")}
        lacking = sorted(h for h in needed - present if not blobs.has(h))
        if lacking:
            raise Invalid(
                f"{path}：数据包缺少 {len(lacking)} 个照片或签名文件（如 {lacking[0]}），"
                "未导入任何内容；请重新导出数据包"
            )
        to_store = sorted(h for h in needed & present if not blobs.has(h))
        for sha in to_store:  # every blob verified before the first is written
            entry = archive.getinfo(f"blobs/{sha}")
            if _hash_of(archive, entry, max_blob, path) != sha:
                raise Invalid(
                    f"{path}：文件 blobs/{sha} 的内容与其哈希不符（数据包被改动或已损坏），"
                    "未导入任何内容"
                )
        for sha in to_store:
            blobs.put_bytes(
                sha, _read_bounded(archive, archive.getinfo(f"blobs/{sha}"), max_blob, path)
            )
    return ingest.commit_all(db, blobs, caller, manifests, source=BatchSource.BUNDLE)
