"""Review of received evaluations, the devices' stranded work, conflicts and counts.

Used by both the API and ``fieldapp-server review|devices|stats``; every list is limited to what
the caller may see, and a station asked for outside that is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from fieldapp.domain import text
from fieldapp.domain.events import Role
from fieldapp.domain.records import EvaluationKind
from fieldapp.domain.review import DECISIONS, ReviewStatus
from fieldapp.domain.verdict import Outcome
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller, Invalid, Missing, checked
from fieldapp.server.db import next_seq
from fieldapp.sync import wire

# The review queue for the web console: one filtered page at a time (review_page)
__all__ = ["ReviewFilters", "review_page"]


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


def _received(row: m.Evaluation, credit_code: str, name: str) -> wire.ReceivedEvaluation:
    return wire.ReceivedEvaluation(
        uuid=row.uuid,
        unit_credit_code=credit_code,
        unit_name=name,
        station=row.station,
        inspector=row.inspector,
        kind=row.kind,
        verdict=row.verdict,
        finalized_at=m.as_utc(row.finalized_at),
        received_at=m.as_utc(row.received_at),
        replaces_uuid=row.replaces_uuid,
        clock_skewed=row.clock_skewed,
        review=wire_review(row),
    )


def received(
    session: Session, caller: Caller, status: str | None = None, station: str | None = None
) -> list[wire.ReceivedEvaluation]:
    wanted = _status(status, tuple(ReviewStatus), "审核状态") if status is not None else None
    scope = _station_filter(caller, station)
    statement = select(
        m.Evaluation, m.Unit.credit_code.label("code"), m.Unit.name.label("unit_name")
    ).join(m.Unit, m.Unit.uuid == m.Evaluation.unit_uuid)
    if scope is not None:
        statement = statement.where(m.Evaluation.station == scope)
    if wanted is not None:
        statement = statement.where(m.Evaluation.review_status == wanted)
    rows = session.execute(statement.order_by(m.Evaluation.received_at, m.Evaluation.uuid))
    return [_received(r.Evaluation, r.code, r.unit_name) for r in rows]


MAX_PER_PAGE = 500


@dataclass(frozen=True)
class ReviewFilters:
    """What the review queue is narrowed to; None (or "") leaves a filter out. ``inspector``
    matches part of the name; ``since`` and ``until`` are days of ``finalized_at`` in the
    server's local time, both included."""

    station: str | None = None
    kind: EvaluationKind | None = None
    inspector: str | None = None
    since: date | None = None
    until: date | None = None
    verdict: Outcome | None = None
    status: ReviewStatus | None = None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time()).astimezone()


def _conditions(caller: Caller, filters: ReviewFilters) -> list[ColumnElement[bool]]:
    e = m.Evaluation
    scope = _station_filter(caller, filters.station)
    conditions: list[ColumnElement[bool]] = []
    if scope is not None:
        conditions.append(e.station == scope)
    if filters.kind is not None:
        conditions.append(e.kind == filters.kind.value)
    if filters.verdict is not None:
        conditions.append(e.verdict == filters.verdict.value)
    if filters.status is not None:
        conditions.append(e.review_status == filters.status)
    if filters.inspector:
        part = filters.inspector.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(e.inspector.like(f"%{part}%", escape="\\"))
    if filters.since is not None:
        conditions.append(e.finalized_at >= _local_midnight(filters.since))
    if filters.until is not None:
        conditions.append(e.finalized_at < _local_midnight(filters.until + timedelta(days=1)))
    return conditions


def review_page(
    session: Session,
    caller: Caller,
    filters: ReviewFilters,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[wire.ReceivedEvaluation], int]:
    """One page of the review queue in the caller's scope, newest received first, and how many
    evaluations the filters keep in all. ``page`` counts from 1; a page past the end is empty.
    Another station asked for is refused, never filtered."""
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid(
            f"页码从 1 开始，每页 1 至 {MAX_PER_PAGE} 份（收到第 {page} 页、每页 {per_page} 份）"
        )
    conditions = _conditions(caller, filters)
    total = int(
        session.scalar(select(func.count()).select_from(m.Evaluation).where(*conditions)) or 0
    )
    statement = (
        select(m.Evaluation, m.Unit.credit_code.label("code"), m.Unit.name.label("unit_name"))
        .join(m.Unit, m.Unit.uuid == m.Evaluation.unit_uuid)
        .where(*conditions)
        .order_by(m.Evaluation.received_at.desc(), m.Evaluation.uuid.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [_received(r.Evaluation, r.code, r.unit_name) for r in session.execute(statement)]
    return rows, total


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
