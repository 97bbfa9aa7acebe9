"""Receiving a batch: check the manifest, say which blobs are missing, commit, give a receipt.

The online push and the offline bundle import both come through here, so they have exactly the
same idempotency: a committed batch id returns its stored receipt; an evaluation UUID already held
with the same content hash is confirmed again; the same UUID with other content is a conflict,
reported and kept, never written over. A commit is one database transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldapp.domain.events import Role
from fieldapp.domain.records import ChangeOutcome, ConflictKind, UnitChangeKind
from fieldapp.server import case_ingest, maintenance, uploads
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller, Clash, Forbidden, Invalid
from fieldapp.server.blobs import BlobStore
from fieldapp.server.db import Database, next_seq
from fieldapp.server.review import _device_info
from fieldapp.sync import history, wire


def manifest_hash(manifest: wire.Manifest) -> str:
    """Hash of what the batch carries (the device report, which changes per try, left out)."""
    data = manifest.model_dump(mode="json", exclude={"device"})
    return hashlib.sha256(wire.canonical_json(data).encode("utf-8")).hexdigest()


def stored_receipt(
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
    if batch.account_id != caller.id and caller.role != Role.COUNTY:
        raise Forbidden(f"批次 {manifest.batch_id} 是其他账号提交的，无权查看其回执")
    return wire.Receipt.model_validate_json(batch.receipt_json)


def find_unit(session: Session, unit_uuid: str, credit_code: str) -> m.Unit | None:
    """A unit by its id, or by its credit code (a store that imported the same county list)."""
    unit = session.get(m.Unit, unit_uuid)
    if unit is None:
        unit = session.scalar(select(m.Unit).where(m.Unit.credit_code == credit_code))
    return unit


def _named(where: str, **fields: str) -> None:
    """A unit or an evaluation must name its code, name, station and inspector (the schema
    says ``minLength: 1``); an empty one is refused naming the field."""
    empty = [name for name, value in fields.items() if not value.strip()]
    if empty:
        named = "；".join(f"字段 {where}.{name}：不能为空" for name in empty)
        raise Invalid(f"请求被拒绝，未保存：{named}。请检查客户端版本是否与服务器一致")


def validate(session: Session, caller: Caller, manifest: wire.Manifest) -> None:
    """Refuse the whole manifest (nothing written) if it is malformed: a record without a name,
    an evaluation twice, a content hash that does not match, an evaluation of a unit the server
    does not know. What is merely outside the caller's scope is refused record by record at
    commit (:func:`out_of_scope`), never holding the rest back."""
    seen: set[str] = set()
    new_units = {c.unit.uuid for c in manifest.unit_changes if c.kind == UnitChangeKind.NEW}
    for number, change in enumerate(manifest.unit_changes):
        _named(
            f"unit_changes.{number}.unit",
            credit_code=change.unit.credit_code,
            name=change.unit.name,
            station=change.unit.station,
        )
    for number, evaluation in enumerate(manifest.evaluations):
        _named(f"evaluations.{number}", station=evaluation.station, inspector=evaluation.inspector)
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
        if unit is None and evaluation.unit_uuid not in new_units:
            raise Invalid(
                f"{where}：服务器上没有单位 {evaluation.unit_credit_code}"
                f"（{evaluation.unit_uuid}），同一批次也没有带上该单位。请先拉取单位再同步"
            )
    case_ingest.validate(session, manifest)


def _scope_message(caller: Caller, station: str, what: str) -> str | None:
    try:
        caller.check_station(station, what)
    except Forbidden as exc:
        return f"{exc}。这一条未上传，其他记录照常上传；可在同步记录中导出交县局处理"
    return None


def out_of_scope(session: Session, caller: Caller, manifest: wire.Manifest) -> dict[str, str]:
    """The records of ``manifest`` the caller may not write (another station's unit, or an
    evaluation of one), by change id or evaluation uuid, each with why and what to do."""
    refused: dict[str, str] = {}
    new_units: dict[str, tuple[str, str]] = {}
    for change in manifest.unit_changes:
        what = f"单位变更（{change.unit.name}）"
        message = _scope_message(caller, change.unit.station, what)
        if message is None and change.kind == UnitChangeKind.UPDATE:
            unit = session.get(m.Unit, change.unit.uuid)
            if unit is not None:
                message = _scope_message(caller, unit.station, f"单位「{unit.name}」")
        if message is not None:
            refused[change.change_id] = message
        if change.kind == UnitChangeKind.NEW:
            new_units[change.unit.uuid] = (change.unit.station, change.unit.name)
    for evaluation in manifest.evaluations:
        unit = find_unit(session, evaluation.unit_uuid, evaluation.unit_credit_code)
        station, name = (
            (unit.station, unit.name)
            if unit is not None
            else new_units.get(evaluation.unit_uuid, ("", evaluation.unit_credit_code))
        )
        message = _scope_message(caller, station, f"评价（所评单位「{name}」）")
        if message is not None:
            refused[evaluation.uuid] = message
    refused.update(case_ingest.refused(session, caller, manifest))
    return refused


def accepted_blobs(manifest: wire.Manifest, refused: dict[str, str]) -> list[str]:
    """The blobs the evaluations the server will take need (a refused one's are not asked for)."""
    hashes: set[str] = set()
    for evaluation in manifest.evaluations:
        if evaluation.uuid not in refused:
            hashes.update(evaluation.blob_hashes())
    return sorted(hashes)


def check(
    db: Database, blobs: BlobStore, caller: Caller, manifest: wire.Manifest
) -> wire.ManifestAnswer:
    """Step 1: which of the manifest's blobs the server lacks (or the stored receipt)."""
    with db.session() as session:
        receipt = stored_receipt(session, caller, manifest)
        refused: dict[str, str] = {}
        if receipt is None:
            validate(session, caller, manifest)
            refused = out_of_scope(session, caller, manifest)
        _report_device(session, caller, manifest.device, synced=False)
    if receipt is not None:
        return wire.ManifestAnswer(
            batch_id=manifest.batch_id, missing_blobs=[], committed=True, receipt=receipt
        )
    return wire.ManifestAnswer(
        batch_id=manifest.batch_id,
        missing_blobs=blobs.missing(accepted_blobs(manifest, refused)),
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
        _take_over(session, caller, device, report)
    stamp = m.utc_now()
    device.label = report.label
    device.unsynced = report.unsynced
    device.last_seen_at = stamp
    device.clock_offset_seconds = (m.as_utc(report.client_time) - stamp).total_seconds()
    if synced:
        device.last_sync_at = stamp
    elif report.last_sync_at is not None:
        device.last_sync_at = device.last_sync_at or m.as_utc(report.last_sync_at)
    session.flush()
    return device


def _take_over(
    session: Session, caller: Caller, device: m.Device, report: wire.DeviceReport
) -> None:
    """Another account reports a known device. A device belongs to its station: the county
    hands laptops out (its devices go to whoever syncs them), an inspector of the same station
    takes a laptop over, and a revoked account's laptop goes to its next user; county staff
    syncing a station's laptop leave it with its station. Another station's account is refused:
    it would move the laptop out of its station head's sight and clear its unsynced count."""
    owner = session.get(m.Account, device.account_id)
    if caller.role is Role.COUNTY and owner is not None and owner.revoked_at is None:
        return  # county staff helping on a station's laptop: it stays the station's
    if (
        owner is None
        or owner.revoked_at is not None
        or owner.role is Role.COUNTY
        or owner.station == caller.station
    ):
        device.account_id = caller.id
        return
    raise Forbidden(
        f"这台电脑（{report.label or '未命名设备'}）登记在「{owner.station}」{owner.name} 的账号下，"
        f"{caller.station}的账号不能用它同步。如电脑已调到{caller.station}，请县局先注销 "
        f"{owner.name} 的账号（fieldapp-server users revoke），再同步"
    )


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
                receipt = stored_receipt(session, caller, manifest)
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


def commit_all(
    db: Database,
    blobs: BlobStore,
    caller: Caller,
    manifests: list[wire.Manifest],
    source: str = "online",
) -> list[wire.Receipt]:
    """Several batches (an offline bundle's) committed in one transaction: all or none."""
    for attempt in range(3):
        try:
            with db.session() as session:
                receipts = []
                for manifest in manifests:
                    receipt = stored_receipt(session, caller, manifest)
                    if receipt is None:
                        receipt = _commit(session, blobs, caller, manifest, source)
                    else:
                        _report_device(session, caller, manifest.device, synced=True)
                    receipts.append(receipt)
                return receipts
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _commit(
    session: Session, blobs: BlobStore, caller: Caller, manifest: wire.Manifest, source: str
) -> wire.Receipt:
    validate(session, caller, manifest)
    refused = out_of_scope(session, caller, manifest)
    all_blobs = accepted_blobs(manifest, refused)
    maintenance.touch([blobs.path(h) for h in all_blobs])  # no sweep removes them now
    missing = blobs.missing(all_blobs)
    if missing:
        raise Clash(
            f"批次 {manifest.batch_id} 还缺 {len(missing)} 个照片或签名文件（如 {missing[0]}），"
            "请先上传再提交"
        )
    stamp = m.utc_now()
    seq = next_seq(session)
    applied = [
        _apply_unit_change(session, caller, c, manifest.batch_id, seq)
        if c.change_id not in refused
        else (_refused_change(session, c), refused[c.change_id])
        for c in manifest.unit_changes
    ]
    outcomes = [outcome for outcome, _message in applied]
    accepted: list[wire.ReceiptEntry] = []
    conflicts: list[wire.Conflict] = [
        wire.Conflict(
            kind=ConflictKind.UNIT_CHANGE,
            subject=outcome.change_id,
            message=message,
            server_version=outcome.version,
        )
        for outcome, message in applied
        if outcome.status == ChangeOutcome.CONFLICT and message
    ]
    for evaluation in manifest.evaluations:
        if evaluation.uuid in refused:
            conflicts.append(
                wire.Conflict(
                    kind=ConflictKind.EVALUATION,
                    subject=evaluation.uuid,
                    message=refused[evaluation.uuid],
                )
            )
            continue
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
                wire.Conflict(
                    kind=ConflictKind.EVALUATION, subject=evaluation.uuid, message=message
                )
            )
            session.add(
                m.Conflict(
                    kind=ConflictKind.EVALUATION,
                    subject=evaluation.uuid,
                    station=existing.station,
                    message=message,
                    detail_json=wire.canonical_json(evaluation.model_dump(mode="json")),
                    batch_id=manifest.batch_id,
                )
            )
            continue
        unit = find_unit(session, evaluation.unit_uuid, evaluation.unit_credit_code)
        if unit is None:  # its unit came in this batch and the domain refused it
            conflicts.append(
                wire.Conflict(
                    kind=ConflictKind.EVALUATION,
                    subject=evaluation.uuid,
                    message=(
                        f"评价 {evaluation.uuid} 所评单位 {evaluation.unit_credit_code} 未被服务器"
                        "接收（见该单位的冲突），评价暂未保存；单位的冲突解决后再同步即可"
                    ),
                )
            )
            continue
        session.add(
            m.Evaluation(
                uuid=evaluation.uuid,
                content_sha256=evaluation.content_sha256,
                content_json=wire.canonical_json(evaluation.model_dump(mode="json")),
                station=unit.station,
                unit_uuid=unit.uuid,
                inspector=evaluation.inspector,
                kind=evaluation.kind,
                verdict=evaluation.verdict,
                finalized_at=m.as_utc(evaluation.finalized_at),
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
    cases, refused_cases = case_ingest.store(session, caller, manifest, refused, seq)
    conflicts += refused_cases
    known = set(session.scalars(select(m.Blob.sha256).where(m.Blob.sha256.in_(all_blobs))))
    for sha in all_blobs:
        if sha not in known:
            session.add(m.Blob(sha256=sha, size=blobs.size(sha), stored_at=stamp))
    uploads.settle(session, all_blobs)
    receipt = wire.Receipt(
        batch_id=manifest.batch_id,
        accepted=accepted,
        blobs=sorted({h for e in accepted for h in e.blobs}),
        conflicts=conflicts,
        unit_changes=outcomes,
        committed_at=stamp,
        cases=cases,
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


OLDER_CLIENT = "同步（旧版客户端，未带历史记录）"


def _checked_new(change: wire.UnitChange, who: str) -> tuple[wire.WireUnit, str | None]:
    """A unit found on site with its history; the domain checks its state chain."""
    unit = change.unit
    events = list(unit.events)
    if not events and unit.state is not None:  # an older client sends the state alone
        on = unit.state_since or change.recorded_at.date()
        events = [
            history.synthesized_move(
                None, unit.state, on, actor=who, reason=change.reason, source=OLDER_CLIENT
            )
        ]
    refusal = history.chain_refusal(events, start=None, start_on=None, end=unit.state)
    return unit.model_copy(update={"events": events, "version": 1}), refusal


def merged_update(
    stored: wire.WireUnit, incoming: wire.WireUnit, *, who: str, reason: str, on: date
) -> tuple[wire.WireUnit, str | None]:
    """``incoming`` as the next version of ``stored``: its events merged into the stored history
    by uuid, the new state moves checked by the domain from the stored state. Returns the unit
    to keep and why it is refused (None: accepted)."""
    if incoming.events:
        added = history.new_events(stored.events, incoming.events)
        # A copy kept before histories travelled has none: the incoming history replaces it.
        start = stored.state if stored.events else None
        start_on = stored.state_since if stored.events else None
    else:  # an older client: its state change becomes one event
        start, start_on = stored.state, stored.state_since
        added = []
        if incoming.state is not None and incoming.state != stored.state:
            moved_on = incoming.state_since or on
            added = [
                history.synthesized_move(
                    stored.state, incoming.state, moved_on, actor=who, reason=reason,
                    source=OLDER_CLIENT,
                )
            ]  # fmt: skip
    moves = history.state_events(added)
    refusal = None
    if moves or start != incoming.state:
        refusal = history.chain_refusal(moves, start=start, start_on=start_on, end=incoming.state)
    events = [*stored.events, *added]
    if refusal is None and len(events) > wire.MAX_UNIT_EVENTS:
        refusal = f"历史记录将超过 {wire.MAX_UNIT_EVENTS} 条，请县局整理后再同步"
    return incoming.model_copy(update={"events": events}), refusal


def _refused_change(session: Session, change: wire.UnitChange) -> wire.UnitChangeOutcome:
    """The outcome of a change outside the caller's scope: not applied, nothing held."""
    unit = session.get(m.Unit, change.unit.uuid)
    return wire.UnitChangeOutcome(
        change_id=change.change_id,
        status=ChangeOutcome.CONFLICT,
        version=unit.version if unit is not None else 0,
    )


def _apply_unit_change(
    session: Session, caller: Caller, change: wire.UnitChange, batch_id: str, seq: int
) -> tuple[wire.UnitChangeOutcome, str | None]:
    """Apply one unit change; returns its outcome and, for a conflict, the message for the
    inspector (the same is held for the station)."""
    done = session.get(m.UnitChange, change.change_id)
    if done is not None:
        held = session.scalar(
            select(m.Conflict.message).where(m.Conflict.subject == change.change_id).limit(1)
        )
        outcome = wire.UnitChangeOutcome(
            change_id=change.change_id, status=done.status, version=done.result_version
        )
        return outcome, held
    unit = session.get(m.Unit, change.unit.uuid)
    who = change.recorded_by or caller.name
    name = f"{change.unit.name}（{change.unit.credit_code}）"
    status = ChangeOutcome.APPLIED
    refusal: str | None = None
    if change.kind == UnitChangeKind.NEW:
        by_code = session.scalar(
            select(m.Unit).where(m.Unit.credit_code == change.unit.credit_code)
        )
        if unit is not None:
            version = unit.version  # sent before, in a batch that was not confirmed
        elif by_code is not None:
            version, unit = by_code.version, by_code  # the county already has this business
        else:
            data, refusal = _checked_new(change, who)
            if refusal is None:
                unit = new_unit_row(data, seq)
                session.add(unit)
                version = 1
            else:
                status, version = ChangeOutcome.CONFLICT, 0
    elif unit is None:
        status, version = ChangeOutcome.CONFLICT, 0
    elif unit.version != change.base_version:
        status, version = ChangeOutcome.CONFLICT, unit.version
    else:
        stored = wire.WireUnit.model_validate_json(unit.data_json)
        data, refusal = merged_update(
            stored, change.unit, who=who, reason=change.reason, on=change.recorded_at.date()
        )
        if refusal is None:
            version = unit.version + 1
            data = data.model_copy(update={"version": version})
            unit.credit_code = data.credit_code
            unit.station = data.station
            unit.name = data.name
            unit.data_json = unit_row_data(data)
            unit.version = version
            unit.seq = seq
        else:
            status, version = ChangeOutcome.CONFLICT, unit.version
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
    outcome = wire.UnitChangeOutcome(change_id=change.change_id, status=status, version=version)
    if status == ChangeOutcome.APPLIED:
        return outcome, None
    if refusal is not None:
        message = (
            f"单位「{name}」：{who}的变更未应用——{refusal}。"
            "本机的变更已交所（分局）核对；请按单位的实际情况重新变更"
        )
    else:
        message = (
            f"单位「{name}」：{who}按第 {change.base_version} 版所做的变更，服务器上已是第 "
            f"{version} 版，比修改时看到的新；变更未覆盖，已交所（分局）核对"
        )
    session.add(
        m.Conflict(
            kind=ConflictKind.UNIT_CHANGE,
            subject=change.change_id,
            station=station,
            message=message,
            detail_json=json.dumps(change.model_dump(mode="json"), ensure_ascii=False),
            batch_id=batch_id,
        )
    )
    return outcome, message
