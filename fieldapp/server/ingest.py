"""Receiving a batch: check the manifest, say which blobs are missing, commit, give a receipt.

The online push and the offline bundle import both come through here, so they have exactly the
same idempotency: a committed batch id returns its stored receipt; an evaluation UUID already held
with the same content hash is confirmed again; the same UUID with other content is a conflict,
reported and kept, never written over. A commit is one database transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldapp.server import models as m
from fieldapp.server.accounts import Caller, Clash, Forbidden, Invalid
from fieldapp.server.blobs import BlobStore
from fieldapp.server.db import Database, next_seq
from fieldapp.server.review import _device_info
from fieldapp.sync import wire


def manifest_hash(manifest: wire.Manifest) -> str:
    """Hash of what the batch carries (the device report, which changes per try, left out)."""
    data = manifest.model_dump(mode="json", exclude={"device"})
    return hashlib.sha256(wire.canonical_json(data).encode("utf-8")).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _stored_receipt(
    session: Session, caller: Caller, manifest: wire.Manifest
) -> wire.Receipt | None:
    batch = session.get(m.Batch, manifest.batch_id)
    if batch is None:
        return None
    if batch.manifest_sha256 != manifest_hash(manifest):
        raise Clash(
            f"批次 {manifest.batch_id} 已经以不同的内容提交过；同一批次号不能再用于别的内容。"
            "请重新同步（客户端会换新的批次号）"
        )
    if batch.account_id != caller.id and caller.role != "county":
        raise Forbidden(f"批次 {manifest.batch_id} 是其他账号提交的，无权查看其回执")
    return wire.Receipt.model_validate_json(batch.receipt_json)


def find_unit(session: Session, unit_uuid: str, credit_code: str) -> m.Unit | None:
    """A unit by its id, or by its credit code (a store that imported the same county list)."""
    unit = session.get(m.Unit, unit_uuid)
    if unit is None:
        unit = session.scalar(select(m.Unit).where(m.Unit.credit_code == credit_code))
    return unit


def validate(session: Session, caller: Caller, manifest: wire.Manifest) -> None:
    """Refuse the whole manifest (nothing written) if any part is wrong or out of scope."""
    seen: set[str] = set()
    new_units = {c.unit.uuid: c for c in manifest.unit_changes if c.kind == "new"}
    for change in manifest.unit_changes:
        caller.check_station(
            change.unit.station, f"单位变更 {change.change_id}（{change.unit.name}）"
        )
        if change.kind == "update":
            unit = session.get(m.Unit, change.unit.uuid)
            if unit is not None:
                caller.check_station(unit.station, f"单位「{unit.name}」")
    for evaluation in manifest.evaluations:
        where = f"评价 {evaluation.uuid}"
        if evaluation.uuid in seen:
            raise Invalid(f"{where} 在同一批次中出现了两次")
        seen.add(evaluation.uuid)
        actual = wire.evaluation_hash(evaluation)
        if actual != evaluation.content_sha256:
            raise Invalid(
                f"{where}（{evaluation.unit_credit_code}）的内容哈希不符：声明 "
                f"{evaluation.content_sha256}，按内容计算为 {actual}。内容在传输中被改动，未保存"
            )
        unit = find_unit(session, evaluation.unit_uuid, evaluation.unit_credit_code)
        if unit is not None:
            caller.check_station(unit.station, f"{where}所评单位「{unit.name}」")
        elif evaluation.unit_uuid in new_units:
            caller.check_station(new_units[evaluation.unit_uuid].unit.station, where)
        else:
            raise Invalid(
                f"{where}：服务器上没有单位 {evaluation.unit_credit_code}"
                f"（{evaluation.unit_uuid}），同一批次也没有带上该单位。请先拉取单位再同步"
            )


def check(
    db: Database, blobs: BlobStore, caller: Caller, manifest: wire.Manifest
) -> wire.ManifestAnswer:
    """Step 1: which of the manifest's blobs the server lacks (or the stored receipt)."""
    with db.session() as session:
        receipt = _stored_receipt(session, caller, manifest)
        if receipt is None:
            validate(session, caller, manifest)
        _report_device(session, caller, manifest.device, synced=False)
    if receipt is not None:
        return wire.ManifestAnswer(
            batch_id=manifest.batch_id, missing_blobs=[], committed=True, receipt=receipt
        )
    return wire.ManifestAnswer(
        batch_id=manifest.batch_id,
        missing_blobs=blobs.missing(manifest.blob_hashes()),
        committed=False,
    )


def report_device(session: Session, caller: Caller, report: wire.DeviceReport) -> wire.DeviceInfo:
    """Record what a device says about its unsynced work (sent at the end of every sync)."""
    device = _report_device(session, caller, report, synced=False)
    return _device_info(device, caller.name, caller.station)


def _report_device(
    session: Session, caller: Caller, report: wire.DeviceReport, synced: bool
) -> m.Device:
    device = session.get(m.Device, report.device_id)
    if device is None:
        device = m.Device(device_id=report.device_id, account_id=caller.id)
        session.add(device)
    elif device.account_id != caller.id:
        device.account_id = caller.id  # a laptop handed to another inspector
    stamp = m.now()
    device.label = report.label
    device.unsynced = report.unsynced
    device.last_seen_at = stamp
    device.clock_offset_seconds = (_aware(report.client_time) - stamp).total_seconds()
    if synced:
        device.last_sync_at = stamp
    elif report.last_sync_at is not None:
        device.last_sync_at = device.last_sync_at or _aware(report.last_sync_at)
    session.flush()
    return device


def commit(
    db: Database,
    blobs: BlobStore,
    caller: Caller,
    manifest: wire.Manifest,
    source: str = "online",
) -> wire.Receipt:
    """Step 3: store the batch in one transaction and return its receipt (stored for re-sends)."""
    for attempt in range(3):
        try:
            with db.session() as session:
                receipt = _stored_receipt(session, caller, manifest)
                if receipt is not None:
                    _report_device(session, caller, manifest.device, synced=True)
                    return receipt
                return _commit(session, blobs, caller, manifest, source)
        except IntegrityError:
            # Another request committed the same batch, evaluation or unit at the same moment:
            # start over; this time its rows are seen and confirmed.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _commit(
    session: Session, blobs: BlobStore, caller: Caller, manifest: wire.Manifest, source: str
) -> wire.Receipt:
    validate(session, caller, manifest)
    all_blobs = manifest.blob_hashes()
    missing = blobs.missing(all_blobs)
    if missing:
        raise Clash(
            f"批次 {manifest.batch_id} 还缺 {len(missing)} 个照片或签名文件（如 {missing[0]}），"
            "请先上传再提交"
        )
    stamp = m.now()
    seq = next_seq(session)
    outcomes = [
        _apply_unit_change(session, caller, c, manifest.batch_id, seq)
        for c in manifest.unit_changes
    ]
    accepted: list[wire.ReceiptEntry] = []
    names = {c.change_id: f"{c.unit.name}（{c.unit.credit_code}）" for c in manifest.unit_changes}
    conflicts: list[wire.Conflict] = [
        wire.Conflict(
            kind="unit_change",
            subject=o.change_id,
            message=(
                f"单位「{names[o.change_id]}」在服务器上已是第 {o.version} 版，比你修改时看到的新；"
                "你的变更已交所（分局）核对，未覆盖"
            ),
            server_version=o.version,
        )
        for o in outcomes
        if o.status == "conflict"
    ]
    for evaluation in manifest.evaluations:
        existing = session.get(m.Evaluation, evaluation.uuid)
        if existing is not None:
            if existing.content_sha256 == evaluation.content_sha256:
                accepted.append(_entry(evaluation))
                continue
            message = (
                f"评价 {evaluation.uuid} 在服务器上已有不同的内容（哈希 {existing.content_sha256}），"
                "未覆盖；如需更正请新建修订"
            )
            conflicts.append(
                wire.Conflict(kind="evaluation", subject=evaluation.uuid, message=message)
            )
            session.add(
                m.Conflict(
                    kind="evaluation",
                    subject=evaluation.uuid,
                    station=existing.station,
                    message=message,
                    detail_json=wire.canonical_json(evaluation.model_dump(mode="json")),
                    batch_id=manifest.batch_id,
                )
            )
            continue
        unit = find_unit(session, evaluation.unit_uuid, evaluation.unit_credit_code)
        assert unit is not None  # validate() made sure
        session.add(
            m.Evaluation(
                uuid=evaluation.uuid,
                content_sha256=evaluation.content_sha256,
                content_json=wire.canonical_json(evaluation.model_dump(mode="json")),
                station=unit.station,
                unit_uuid=unit.uuid,
                inspector=evaluation.inspector,
                finalized_at=_aware(evaluation.finalized_at),
                replaces_uuid=evaluation.replaces_uuid,
                clock_skewed=evaluation.clock_skewed,
                account_id=caller.id,
                device_id=manifest.device.device_id,
                batch_id=manifest.batch_id,
                received_at=stamp,
                seq=seq,
            )
        )
        for sha in evaluation.blob_hashes():
            session.add(m.EvaluationBlob(evaluation_uuid=evaluation.uuid, sha256=sha))
        accepted.append(_entry(evaluation))
    known = set(session.scalars(select(m.Blob.sha256).where(m.Blob.sha256.in_(all_blobs))))
    for sha in all_blobs:
        if sha not in known:
            session.add(m.Blob(sha256=sha, size=blobs.size(sha), stored_at=stamp))
    receipt = wire.Receipt(
        batch_id=manifest.batch_id,
        accepted=accepted,
        blobs=sorted({h for e in accepted for h in e.blobs}),
        conflicts=conflicts,
        unit_changes=outcomes,
        committed_at=stamp,
    )
    session.add(
        m.Batch(
            batch_id=manifest.batch_id,
            account_id=caller.id,
            device_id=manifest.device.device_id,
            manifest_sha256=manifest_hash(manifest),
            receipt_json=receipt.model_dump_json(),
            source=source,
            committed_at=stamp,
        )
    )
    _report_device(session, caller, manifest.device, synced=True)
    session.flush()
    return receipt


def _entry(evaluation: wire.WireEvaluation) -> wire.ReceiptEntry:
    return wire.ReceiptEntry(
        uuid=evaluation.uuid,
        content_sha256=evaluation.content_sha256,
        blobs=evaluation.blob_hashes(),
    )


def unit_row_data(unit: wire.WireUnit) -> str:
    return wire.canonical_json(unit.model_dump(mode="json"))


def new_unit_row(unit: wire.WireUnit, seq: int) -> m.Unit:
    """A unit the server has not held before, as its first version."""
    data = unit.model_copy(update={"version": 1})
    return m.Unit(
        uuid=data.uuid,
        credit_code=data.credit_code,
        station=data.station,
        name=data.name,
        data_json=unit_row_data(data),
        version=1,
        seq=seq,
    )


def _apply_unit_change(
    session: Session, caller: Caller, change: wire.UnitChange, batch_id: str, seq: int
) -> wire.UnitChangeOutcome:
    done = session.get(m.UnitChange, change.change_id)
    if done is not None:
        return wire.UnitChangeOutcome(
            change_id=change.change_id,
            status=done.status,
            version=done.result_version,
        )
    unit = session.get(m.Unit, change.unit.uuid)
    status = "applied"
    if change.kind == "new":
        by_code = session.scalar(
            select(m.Unit).where(m.Unit.credit_code == change.unit.credit_code)
        )
        if unit is not None:
            version = unit.version  # sent before, in a batch that was not confirmed
        elif by_code is not None:
            version, unit = by_code.version, by_code  # the county already has this business
        else:
            unit = new_unit_row(change.unit, seq)
            session.add(unit)
            version = 1
    elif unit is None:
        status, version = "conflict", 0
    elif unit.version != change.base_version:
        status, version = "conflict", unit.version
    else:
        version = unit.version + 1
        data = change.unit.model_copy(update={"version": version})
        unit.credit_code = data.credit_code
        unit.station = data.station
        unit.name = data.name
        unit.data_json = unit_row_data(data)
        unit.version = version
        unit.seq = seq
    station = unit.station if unit is not None else change.unit.station
    session.add(
        m.UnitChange(
            change_id=change.change_id,
            unit_uuid=change.unit.uuid,
            station=station,
            base_version=change.base_version,
            payload_json=wire.canonical_json(change.model_dump(mode="json")),
            status=status,
            result_version=version,
            account_id=caller.id,
        )
    )
    if status == "conflict":
        session.add(
            m.Conflict(
                kind="unit_change",
                subject=change.change_id,
                station=station,
                message=(
                    f"单位「{change.unit.name}」（{change.unit.credit_code}）：{change.recorded_by or '检查人员'}"
                    f"按第 {change.base_version} 版所做的变更，服务器上已是第 {version} 版，请所（分局）核对"
                ),
                detail_json=json.dumps(change.model_dump(mode="json"), ensure_ascii=False),
                batch_id=batch_id,
            )
        )
    return wire.UnitChangeOutcome(change_id=change.change_id, status=status, version=version)
