"""Review of received evaluations, the devices' stranded work, conflicts and counts.

Used by both the API and ``fieldapp-server review|devices|stats``; every list is limited to what
the caller may see, and a station asked for outside that is refused.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.domain import text
from fieldapp.domain.events import Role
from fieldapp.domain.review import DECISIONS, ReviewStatus
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller, Invalid, Missing, checked
from fieldapp.server.db import next_seq
from fieldapp.sync import wire


def wire_review(row: m.Evaluation) -> wire.WireReview:
    """An evaluation's review as it travels (to the reviewer and, on pull, to the device)."""
    return wire.WireReview(
        evaluation_uuid=row.uuid,
        status=row.review_status,
        comment=row.review_comment,
        reviewed_by=row.reviewed_by,
        reviewed_at=m.as_utc(row.reviewed_at) if row.reviewed_at is not None else None,
    )


def _device_info(device: m.Device, account: str, station: str) -> wire.DeviceInfo:
    return wire.DeviceInfo(
        device_id=device.device_id,
        account=account,
        station=station,
        label=device.label,
        unsynced=device.unsynced,
        last_sync_at=m.as_utc(device.last_sync_at) if device.last_sync_at is not None else None,
        last_seen_at=m.as_utc(device.last_seen_at),
        clock_offset_seconds=device.clock_offset_seconds,
    )


def _station_filter(caller: Caller, station: str | None) -> str | None:
    if station:
        caller.check_station(station, "所（分局）数据")
        return station
    return None if caller.role == Role.COUNTY else caller.station


def _status(value: str, allowed: tuple[ReviewStatus, ...], what: str) -> ReviewStatus:
    for status in allowed:
        if value == status.value:
            return status
    choices = "、".join(f"{s.value}（{s.label}）" for s in allowed)
    raise Invalid(f"{what}「{value}」无效，可用：{choices}")


def received(
    session: Session, caller: Caller, status: str | None = None, station: str | None = None
) -> list[wire.ReceivedEvaluation]:
    wanted = _status(status, tuple(ReviewStatus), "审核状态") if status is not None else None
    scope = _station_filter(caller, station)
    statement = select(m.Evaluation, m.Unit).join(m.Unit, m.Unit.uuid == m.Evaluation.unit_uuid)
    if scope is not None:
        statement = statement.where(m.Evaluation.station == scope)
    if wanted is not None:
        statement = statement.where(m.Evaluation.review_status == wanted)
    found = []
    for row, unit in session.execute(
        statement.order_by(m.Evaluation.received_at, m.Evaluation.uuid)
    ):
        content = wire.WireEvaluation.model_validate_json(row.content_json)
        found.append(
            wire.ReceivedEvaluation(
                uuid=row.uuid,
                unit_credit_code=unit.credit_code,
                unit_name=unit.name,
                station=row.station,
                inspector=row.inspector,
                kind=content.kind,
                verdict=content.verdict,
                finalized_at=m.as_utc(row.finalized_at),
                received_at=m.as_utc(row.received_at),
                replaces_uuid=row.replaces_uuid,
                clock_skewed=row.clock_skewed,
                review=wire_review(row),
            )
        )
    return found


def review(
    session: Session, caller: Caller, uuid: str, status: str, comment: str
) -> wire.WireReview:
    """Accept or return an evaluation; a returned one goes back to its inspector on next pull."""
    caller.check_reviewer()
    checked(uuid, text.NAME, "评价编号")
    comment = checked(comment.strip(), text.COMMENT, "审核意见")
    row = session.get(m.Evaluation, uuid)
    if row is None:
        raise Missing(f"服务器上没有评价 {uuid}，请用 fieldapp-server review list 查看")
    caller.check_station(row.station, f"评价 {uuid}")
    decision = _status(status, DECISIONS, "审核结果")
    if decision is ReviewStatus.RETURNED and not comment:
        raise Invalid(f"退回评价 {uuid} 须写明退回原因（--comment），检查人员会在应用中看到")
    row.review_status = decision
    row.review_comment = comment
    row.reviewed_by = caller.name
    row.reviewed_at = m.utc_now()
    row.seq = next_seq(session)
    return wire_review(row)


def devices(session: Session, caller: Caller, station: str | None = None) -> list[wire.DeviceInfo]:
    scope = _station_filter(caller, station)
    statement = select(m.Device, m.Account).join(m.Account, m.Account.id == m.Device.account_id)
    if scope is not None:
        statement = statement.where(m.Account.station == scope)
    return [
        _device_info(d, a.name, a.station)
        for d, a in session.execute(statement.order_by(m.Account.station, m.Device.device_id))
    ]


def conflicts(session: Session, caller: Caller, station: str | None = None) -> list[m.Conflict]:
    scope = _station_filter(caller, station)
    statement = select(m.Conflict).where(m.Conflict.resolved.is_(False))
    if scope is not None:
        statement = statement.where(m.Conflict.station == scope)
    return list(session.scalars(statement.order_by(m.Conflict.id)))


def stats(session: Session) -> wire.Stats:
    def count(model: type[m.Base]) -> int:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)

    return wire.Stats(
        units=count(m.Unit),
        evaluations=count(m.Evaluation),
        blobs=count(m.Blob),
        blob_bytes=int(session.scalar(select(func.coalesce(func.sum(m.Blob.size), 0))) or 0),
        conflicts=int(
            session.scalar(
                select(func.count()).select_from(m.Conflict).where(m.Conflict.resolved.is_(False))
            )
            or 0
        ),
        devices=count(m.Device),
        accounts=count(m.Account),
    )
