"""The county's hold-back lists (暂缓清单) on the server, decided by the desktop's own fold.

:func:`facts` reads the server's tables (each unit as its WireUnit with the dated history, each
finalised evaluation as its WireEvaluation with answers and photos) into
:class:`fieldapp.services.holdback_fold.HoldBackFacts`, and :func:`hold_backs` folds them with
:func:`fieldapp.services.holdback_fold.fold`, the function behind the desktop's 进度 dashboard:
the server holds no rule of its own.

Times travel in UTC; the rules count days as the laptops do, in local time, so a visit is dated
by the server's local time zone (run it in the county's, as the laptops are). The server holds
only finalised evaluations: a photo also on a laptop's draft is seen there, not here. Evaluations
are named by their uuid where the desktop names its row id, and units are listed by credit code
within each reason (the desktop lists them in the order they were added to its store).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain.events import EventKind, Role
from fieldapp.domain.holdbacks import Reason
from fieldapp.domain.records import EvaluationStatus
from fieldapp.domain.verdict import Answer
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller, Missing
from fieldapp.services import holdback_fold
from fieldapp.services.evidence import EvaluationKey, EvaluationRow, PhotoRow, YearEvidence
from fieldapp.services.holdback_fold import (
    Answered,
    HoldBackFacts,
    StationHoldBacks,
    Sticker,
    UnitFacts,
    rectification_answers,
)
from fieldapp.sync import wire


def local(value: datetime) -> datetime:
    """A time from the wire as the desktop store keeps it: local wall time, naive. A naive value
    on the wire is UTC (``sync.mapping.local``)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone().replace(tzinfo=None)


def _camera(value: datetime | None) -> datetime | None:
    """A photo's capture time as the desktop keeps it (the camera's wall time, naive)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone().replace(tzinfo=None)


def station_order(session: Session) -> list[str]:
    """The stations in the order the task tables list them (by year, then as published), as
    ``plan.station_order`` lists them on the desktop."""
    names = session.scalars(
        select(m.Target.station)
        .where(m.Target.station.is_not(None))
        .order_by(m.Target.year, m.Target.id)
    )
    return list(dict.fromkeys(name for name in names if name is not None))


def _stations(session: Session, units: list[wire.WireUnit]) -> list[str]:
    """Every station the server knows: the task tables' in their order, then the units' by name."""
    ordered = station_order(session)
    known = set(ordered)
    return ordered + sorted({u.station for u in units} - known)


@dataclass(frozen=True)
class Records:
    """Every unit (by credit code) and every finalised evaluation received, with the uuid of
    the unit the server filed it under: read once for the lists and the bulletin."""

    units: list[wire.WireUnit]
    evaluations: list[tuple[str, wire.WireEvaluation]]


def records(session: Session) -> Records:
    units = [
        wire.WireUnit.model_validate_json(data)
        for data in session.scalars(select(m.Unit.data_json).order_by(m.Unit.credit_code))
    ]
    rows = session.execute(
        select(m.Evaluation.unit_uuid, m.Evaluation.content_json).order_by(m.Evaluation.uuid)
    )
    evaluations = [
        (row.unit_uuid, wire.WireEvaluation.model_validate_json(row.content_json)) for row in rows
    ]
    return Records(units, evaluations)


def facts(
    session: Session,
    year: int,
    today: date,
    station: str | None = None,
    read: Records | None = None,
) -> HoldBackFacts:
    """The server's facts for ``year``'s hold-back lists as of ``today``: ``station``'s units, or
    every unit; the evidence rows hold every evaluation (a photo may be on another station's)."""
    read = read or records(session)
    units = read.units
    stations = _stations(session, units)
    by_uuid = {u.uuid: u for u in units}
    first_visit: dict[str, date] = {}
    answered: dict[str, list[Answered]] = defaultdict(list)
    rows: dict[EvaluationKey, EvaluationRow] = {}
    photos: list[PhotoRow] = []
    for unit_uuid, evaluation in read.evaluations:
        unit = by_uuid.get(unit_uuid)
        if unit is None:
            continue
        started, finalized = local(evaluation.started_at), local(evaluation.finalized_at)
        if started.year == year:
            day = started.date()
            first_visit[unit_uuid] = min(day, first_visit.get(unit_uuid, day))
        failed = frozenset(
            (a.checklist_id, a.item_code) for a in evaluation.answers if a.result == Answer.FAIL
        )
        pins = {p.checklist_id: p.version for p in evaluation.checklists}
        answered[unit_uuid].extend(
            Answered(
                evaluation.uuid,
                finalized,
                a.checklist_id,
                a.item_code,
                a.result == Answer.FAIL,
                a.due,
                a.rectify,
                pins.get(a.checklist_id, 0),
            )
            for a in evaluation.answers
        )
        rows[evaluation.uuid] = EvaluationRow(
            id=evaluation.uuid,
            unit_id=unit_uuid,
            credit_code=unit.credit_code,
            unit_name=unit.name,
            started_at=started,
            status=EvaluationStatus.FINALIZED,
            replaces_id=evaluation.replaces_uuid,
            follows_id=evaluation.follows_uuid,
            failed=failed,
            finalized_at=finalized,
        )
        photos.extend(
            PhotoRow(
                id=len(photos) + n,
                evaluation_id=evaluation.uuid,
                sha256=p.sha256,
                checklist_id=p.checklist_id,
                item_code=p.item_code,
                taken_at=_camera(p.taken_at),
                gps_lat=p.gps_lat,
                gps_lon=p.gps_lon,
            )
            for n, p in enumerate(evaluation.photos)
        )
    listed = [u for u in units if station is None or u.station == station]
    start, end = date(year, 1, 1), date(year, 12, 31)
    in_scope = {u.uuid for u in listed}
    return HoldBackFacts(
        year=year,
        today=today,
        stations=[station] if station is not None else stations,
        units=[
            UnitFacts(
                key=u.uuid,
                credit_code=u.credit_code,
                name=u.name,
                station=u.station,
                state=u.state,
                state_since=u.state_since,
                first_visit=first_visit.get(u.uuid),
                stickers=tuple(
                    Sticker(e.occurred_on, e.photo_sha256 is not None)
                    for e in u.events
                    if e.kind is EventKind.STICKER and start <= e.occurred_on <= end
                ),
                answers=rectification_answers(answered.get(u.uuid, ())),
            )
            for u in listed
        ],
        evidence=YearEvidence(
            candidates=frozenset(k for k, row in rows.items() if row.unit_id in in_scope),
            evaluations=rows,
            photos=photos,
        ),
    )


def scope(session: Session, caller: Caller, station: str | None, what: str) -> str | None:
    """The station a request covers: the one asked for (another station's is refused with 403,
    one the server does not know with 404), else all for the county, else the caller's."""
    if station:
        caller.check_station(station, what)
        known = station_order(session)
        if (
            station not in known
            and session.scalar(select(m.Unit.uuid).where(m.Unit.station == station).limit(1))
            is None
        ):
            names = "、".join(known) or "（无，请先发布单位和任务表）"
            raise Missing(f"服务器上没有名为「{station}」的所（分局）的单位或任务。已有：{names}")
        return station
    return None if caller.role == Role.COUNTY else caller.station


def hold_backs(
    session: Session, caller: Caller, year: int, today: date, station: str | None = None
) -> list[StationHoldBacks]:
    """Per station in the caller's scope, the units holding it back and why: the county sees
    every station (or the one asked for), a station's account its own; another station's is
    refused (403), never filtered."""
    chosen = scope(session, caller, station, "所（分局）的暂缓清单")
    return holdback_fold.fold(facts(session, year, today, chosen))


def as_json(
    lists: list[StationHoldBacks], year: int, today: date, reason: Reason | None = None
) -> dict[str, object]:
    """The lists as ``GET /api/v1/holdbacks`` returns them (``holdback_fold.as_json``)."""
    return holdback_fold.as_json(year, today, lists, reason)
