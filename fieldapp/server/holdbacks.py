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

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain.events import EventKind, Role
from fieldapp.domain.holdbacks import Reason
from fieldapp.domain.lifecycle import State
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

_STATES = {state.value: state for state in State}


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


def stations(session: Session) -> list[str]:
    """Every station the server knows, in the order the lists give them (:func:`_stations`)."""
    ordered = station_order(session)
    known = set(ordered)
    names = session.scalars(select(m.Unit.station).distinct())
    return ordered + sorted(set(names) - known)


def _stations(session: Session, units: list[StoredUnit]) -> list[str]:
    """Every station the server knows: the task tables' in their order, then the units' by name."""
    ordered = station_order(session)
    known = set(ordered)
    return ordered + sorted({u.station for u in units} - known)


@dataclass(frozen=True)
class StoredUnit:
    """What the lists and the bulletin read of a stored WireUnit."""

    uuid: str
    credit_code: str
    name: str
    station: str
    state: State | None
    state_since: date | None
    stickers: tuple[Sticker, ...]  # every 标识张贴 of its history
    event_days: tuple[date, ...]  # the day of every event of its history


@dataclass(frozen=True)
class StoredEvaluation:
    """What the lists and the bulletin read of a stored WireEvaluation, times in local time."""

    uuid: str
    unit_uuid: str  # the unit the server filed it under
    kind: str
    verdict: str
    started_at: datetime
    finalized_at: datetime
    replaces: str | None
    follows: str | None
    answers: tuple[Answered, ...]
    photos: tuple[dict[str, Any], ...]  # WirePhoto fields


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _unit(data: dict[str, Any]) -> StoredUnit:
    events = data.get("events") or []
    return StoredUnit(
        uuid=data["uuid"],
        credit_code=data["credit_code"],
        name=data["name"],
        station=data["station"],
        state=_STATES[data["state"]] if data.get("state") else None,
        state_since=_day(data.get("state_since")),
        stickers=tuple(
            Sticker(date.fromisoformat(e["occurred_on"]), e.get("photo_sha256") is not None)
            for e in events
            if e["kind"] == EventKind.STICKER
        ),
        event_days=tuple(date.fromisoformat(e["occurred_on"]) for e in events),
    )


def _evaluation(unit_uuid: str, data: dict[str, Any]) -> StoredEvaluation:
    finalized = local(datetime.fromisoformat(data["finalized_at"]))
    pins = {p["checklist_id"]: p["version"] for p in data.get("checklists") or []}
    return StoredEvaluation(
        uuid=data["uuid"],
        unit_uuid=unit_uuid,
        kind=data["kind"],
        verdict=data.get("verdict") or "",
        started_at=local(datetime.fromisoformat(data["started_at"])),
        finalized_at=finalized,
        replaces=data.get("replaces_uuid"),
        follows=data.get("follows_uuid"),
        answers=tuple(
            Answered(
                data["uuid"],
                finalized,
                a["checklist_id"],
                a["item_code"],
                a["result"] == Answer.FAIL,
                _day(a.get("due")),
                a.get("rectify"),
                pins.get(a["checklist_id"], 0),
            )
            for a in data.get("answers") or []
        ),
        photos=tuple(data.get("photos") or ()),
    )


@dataclass(frozen=True)
class Records:
    """Every unit (by credit code) and every finalised evaluation received: read once for the
    lists and the bulletin. The stored JSON was checked against the wire models when it
    arrived, so it is read as plain JSON here (validating 50,000 units again costs seconds)."""

    units: list[StoredUnit]
    evaluations: list[StoredEvaluation]


def records(session: Session) -> Records:
    units = [
        _unit(json.loads(data))
        for data in session.scalars(select(m.Unit.data_json).order_by(m.Unit.credit_code))
    ]
    rows = session.execute(
        select(m.Evaluation.unit_uuid, m.Evaluation.content_json).order_by(m.Evaluation.uuid)
    )
    evaluations = [_evaluation(row.unit_uuid, json.loads(row.content_json)) for row in rows]
    return Records(units, evaluations)


def _photo(number: int, evaluation: str, photo: dict[str, Any]) -> PhotoRow:
    taken = photo.get("taken_at")
    return PhotoRow(
        id=number,
        evaluation_id=evaluation,
        sha256=photo["sha256"],
        checklist_id=photo.get("checklist_id"),
        item_code=photo.get("item_code"),
        taken_at=_camera(datetime.fromisoformat(taken)) if taken else None,
        gps_lat=photo.get("gps_lat"),
        gps_lon=photo.get("gps_lon"),
    )


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
    by_uuid = {u.uuid: u for u in units}
    first_visit: dict[str, date] = {}
    answered: dict[str, list[Answered]] = defaultdict(list)
    rows: dict[EvaluationKey, EvaluationRow] = {}
    photos: list[PhotoRow] = []
    for evaluation in read.evaluations:
        unit = by_uuid.get(evaluation.unit_uuid)
        if unit is None:
            continue
        started = evaluation.started_at
        if started.year == year:
            day = started.date()
            first_visit[unit.uuid] = min(day, first_visit.get(unit.uuid, day))
        answered[unit.uuid].extend(evaluation.answers)
        rows[evaluation.uuid] = EvaluationRow(
            id=evaluation.uuid,
            unit_id=unit.uuid,
            credit_code=unit.credit_code,
            unit_name=unit.name,
            started_at=started,
            status=EvaluationStatus.FINALIZED,
            replaces_id=evaluation.replaces,
            follows_id=evaluation.follows,
            failed=frozenset(a.item for a in evaluation.answers if a.failed),
            finalized_at=evaluation.finalized_at,
        )
        photos.extend(
            _photo(len(photos) + n, evaluation.uuid, photo)
            for n, photo in enumerate(evaluation.photos)
        )
    listed = [u for u in units if station is None or u.station == station]
    start, end = date(year, 1, 1), date(year, 12, 31)
    in_scope = {u.uuid for u in listed}
    return HoldBackFacts(
        year=year,
        today=today,
        stations=[station] if station is not None else _stations(session, units),
        units=[
            UnitFacts(
                key=u.uuid,
                credit_code=u.credit_code,
                name=u.name,
                station=u.station,
                state=u.state,
                state_since=u.state_since,
                first_visit=first_visit.get(u.uuid),
                stickers=tuple(s for s in u.stickers if start <= s.on <= end),
                answers=rectification_answers(answered[u.uuid]) if u.uuid in answered else (),
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
