"""What holds each station back, and the daily, weekly and monthly worklists.

Seed 002 asks for "每天网上巡、每周回头看、每月一通报" and warns against "失真失实失察": units with no
visit or photo, and units whose status has not moved for a long time, must show up on someone's
list. These functions are the lists: :func:`changed_today` (the daily sweep),
:func:`followups_due` (this week's 回头看), :func:`month_summary` (the monthly bulletin's numbers)
and :func:`hold_backs` (per station, which units keep it from its task and why).

Every list is built by a few set-based queries, never a query per unit, so a county of 50,000
units answers at once. The hold-back rules are :mod:`~fieldapp.services.holdback_fold`'s: this
module reads their facts from the desktop store (:func:`holdback_facts`), the county server from
its own tables. Results are plain frozen dataclasses, safe to hand to
another thread. Exited units (移出、关停、转让、注销) hold nobody back and are left out.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, Subquery, and_, func, or_, select, union
from sqlalchemy.orm import Session

from fieldapp.domain.events import EventKind
from fieldapp.domain.holdbacks import Reason
from fieldapp.domain.lifecycle import EXITS, State
from fieldapp.domain.verdict import Answer, Outcome
from fieldapp.domain.vocab import UnitType, label_or
from fieldapp.errors import InvalidInput
from fieldapp.services import evidence, holdback_fold, progress_kept
from fieldapp.services import progress as progress_service
from fieldapp.services.checklists import ItemTexts
from fieldapp.services.evaluations import FINALIZED, Kind
from fieldapp.services.evidence import EvaluationKey, UnitKey
from fieldapp.services.holdback_fold import (
    LISTED_STATES,
    Answered,
    HoldBackFacts,
    Sticker,
    UnitFacts,
    rectification_answers,
)
from fieldapp.services.holdback_fold import STALE_DAYS as STALE_DAYS
from fieldapp.services.holdback_fold import HoldBack as HoldBack
from fieldapp.services.holdback_fold import StationHoldBacks as StationHoldBacks
from fieldapp.services.stations import find_station
from fieldapp.storage.models import (
    AnswerRow,
    Case,
    Evaluation,
    EvaluationChecklist,
    PulledAnswer,
    PulledEvaluation,
    Station,
    Target,
    Unit,
    UnitEvent,
)

# Removed, shut, transferred or deregistered units are out of the task: on no worklist (the
# evidence list leaves out the same ones).
_GONE = tuple(s.value for s in EXITS)
_STATES = {s.value: s for s in State}


@dataclass(frozen=True)
class ChangedUnit:
    unit_id: UnitKey
    credit_code: str
    name: str
    station: str
    changes: tuple[str, ...]


@dataclass(frozen=True)
class DayChange:
    """One thing that happened to a unit on the day (每天网上巡): a dated step of its history or
    an evaluation begun or finalised, as the desktop's tables or the server's records hold it."""

    unit_id: UnitKey
    credit_code: str
    name: str
    station: str
    text: str


def event_change(kind: str, from_state: str | None, to_state: str | None) -> str:
    if kind == EventKind.STICKER:
        return "标识张贴"
    old = State(from_state).label if from_state else "（新建）"
    new = State(to_state).label if to_state else ""
    return f"{old} → {new}"


def evaluation_change(kind: str, finalized: bool, verdict: str | None) -> str:
    label = label_or(Kind, kind)
    if finalized:
        return f"{label}定稿（{Outcome(verdict).label if verdict else '—'}）"
    return f"{label}（草稿）"


def fold_day(changes: Iterable[DayChange], stations: Sequence[str]) -> list[ChangedUnit]:
    """The day's changes per unit, units in the stations' order (每天网上巡's list): the one
    place the list is made, fed by the desktop (:func:`changed_today`) and by the server."""
    texts: dict[UnitKey, list[str]] = defaultdict(list)
    units: dict[UnitKey, DayChange] = {}
    for change in changes:
        units[change.unit_id] = change
        texts[change.unit_id].append(change.text)
    order = {name: i for i, name in enumerate(stations)}
    out = [
        ChangedUnit(
            unit_id=key,
            credit_code=units[key].credit_code,
            name=units[key].name,
            station=units[key].station,
            changes=tuple(found),
        )
        for key, found in texts.items()
    ]
    out.sort(key=lambda c: (order.get(c.station, 0), str(c.credit_code), str(c.unit_id)))
    return out


@dataclass(frozen=True)
class Rectification:
    """A failed item whose 整改 is still open: no later finalized visit has re-checked it."""

    unit_id: UnitKey
    credit_code: str
    name: str
    station: str
    evaluation_id: EvaluationKey
    checklist_id: str
    code: str
    text: str
    rectify: str
    due: date | None
    as_of: date

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < self.as_of

    @property
    def days_overdue(self) -> int:
        return (self.as_of - self.due).days if self.due is not None else 0


# --- shared pieces ------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time())


def _station_id(session: Session, station: str | None) -> int | None:
    return find_station(session, station).id if station else None


def _units(*columns: Any) -> Select[Any]:
    """Units with their station name, leaving out removed and closed ones; rows are read by
    these names (``unit_id``, ``credit_code``, ``name``, ``station``, ``state``, ``state_since``)
    and the labels of ``columns``."""
    return (
        select(
            Unit.id.label("unit_id"),
            Unit.credit_code,
            Unit.name,
            Station.name.label("station"),
            Unit.state,
            Unit.state_since,
            *columns,
        )
        .join(Station, Station.id == Unit.station_id)
        .where(or_(Unit.state.is_(None), Unit.state.not_in(_GONE)))
    )


# --- hold-backs ---------------------------------------------------------------------------------


def _fails() -> tuple[Select[int, str, str], Select[int, str, str]]:
    """(``unit_id``, ``checklist_id``, ``item_code``) of every finalised 不符合 answer: in an
    evaluation of this store, and in one another laptop synced (as pulled)."""
    own = (
        select(Evaluation.unit_id.label("unit_id"), AnswerRow.checklist_id, AnswerRow.item_code)
        .join(AnswerRow, AnswerRow.evaluation_id == Evaluation.id)
        .where(Evaluation.status == FINALIZED, AnswerRow.result == Answer.FAIL)
    )
    pulled = (
        select(Unit.id, PulledAnswer.checklist_id, PulledAnswer.item_code)
        .join(PulledEvaluation, PulledEvaluation.unit_uuid == Unit.uuid)
        .join(PulledAnswer, PulledAnswer.evaluation_uuid == PulledEvaluation.uuid)
        .where(PulledAnswer.result == Answer.FAIL)
    )
    return own, pulled


def _failing_units() -> ColumnElement[bool]:
    """Whether the ``Unit`` of the enclosing query has a finalised 不符合 answer (:func:`_fails`).
    Two IN lists: the planner reads them through their indexes (one over the union of both was
    1.5 times slower)."""
    own, pulled = _fails()
    return or_(
        Unit.id.in_(own.with_only_columns(Evaluation.unit_id).scalar_subquery()),
        Unit.id.in_(pulled.with_only_columns(Unit.id).scalar_subquery()),
    )


def _failed_items(station_id: int | None) -> Subquery:
    """(``unit_id``, ``checklist_id``, ``item_code``) of every finalised 不符合 answer, this
    store's or pulled, each once: of the units of ``station_id``, or all."""
    own, pulled = _fails()
    if station_id is not None:
        own = own.join(Unit, Unit.id == Evaluation.unit_id).where(Unit.station_id == station_id)
        pulled = pulled.where(Unit.station_id == station_id)
    return union(own, pulled).subquery("failed")


def _answered(session: Session, station_id: int | None) -> dict[int, list[Answered]]:
    """The finalised answers of the units with a 不符合 answer (in ``station_id``, or all), by
    unit, to the items that failed at least once (narrowed in SQL as
    :func:`~fieldapp.services.holdback_fold.rectification_answers` narrows them): this store's
    evaluations, named by row id, and the pulled ones of other laptops, by uuid (a later visit
    on either closes or renews the other's 整改)."""
    items = _failed_items(station_id)
    own = (
        select(
            Evaluation.unit_id,
            Evaluation.id,
            Evaluation.finalized_at,
            AnswerRow.checklist_id,
            AnswerRow.item_code,
            AnswerRow.result,
            AnswerRow.due,
            AnswerRow.rectify,
            EvaluationChecklist.version,
        )
        .select_from(items)
        .join(Evaluation, Evaluation.unit_id == items.c.unit_id)
        .join(
            AnswerRow,
            and_(
                AnswerRow.evaluation_id == Evaluation.id,
                AnswerRow.checklist_id == items.c.checklist_id,
                AnswerRow.item_code == items.c.item_code,
            ),
        )
        .join(
            EvaluationChecklist,
            and_(
                EvaluationChecklist.evaluation_id == Evaluation.id,
                EvaluationChecklist.checklist_id == AnswerRow.checklist_id,
            ),
        )
        .where(Evaluation.status == FINALIZED)
        .order_by(items.c.unit_id, AnswerRow.id)
    )
    pulled = (
        select(
            items.c.unit_id,
            PulledEvaluation.uuid.label("id"),
            PulledEvaluation.finalized_at,
            PulledAnswer.checklist_id,
            PulledAnswer.item_code,
            PulledAnswer.result,
            PulledAnswer.due,
            PulledAnswer.rectify,
            PulledAnswer.version,
        )
        .select_from(items)
        .join(Unit, Unit.id == items.c.unit_id)
        .join(PulledEvaluation, PulledEvaluation.unit_uuid == Unit.uuid)
        .join(
            PulledAnswer,
            and_(
                PulledAnswer.evaluation_uuid == PulledEvaluation.uuid,
                PulledAnswer.checklist_id == items.c.checklist_id,
                PulledAnswer.item_code == items.c.item_code,
            ),
        )
        .order_by(items.c.unit_id, PulledAnswer.id)
    )
    connection = session.connection()  # Core rows: no ORM loading for 50,000 plain tuples
    answered: dict[int, list[Answered]] = defaultdict(list)
    names = ("unit_id", "id", "finalized_at", "checklist_id", "item_code", "result", "due")
    for statement in (own, pulled):
        # unpacked in the order of the names given to columns(), as cheap as by position (see
        # services/progress._units)
        rows = connection.execute(statement).columns(*names, "rectify", "version")
        for uid, eid, finalized, checklist, code, result, due, rectify, version in rows:
            if finalized is not None:  # always, for a finalised evaluation
                failed = result == Answer.FAIL
                answered[uid].append(
                    Answered(eid, finalized, checklist, code, failed, due, rectify, version)
                )
    return answered


def _visits_and_stickers(
    session: Session, year: int, station_id: int | None
) -> tuple[dict[int, date], dict[int, list[Sticker]]]:
    """Per unit (in ``station_id``, or all), its first finalised evaluation visited in ``year``
    (this store's or a pulled one) and the year's 标识张贴."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    in_station = select(Unit.id).where(Unit.station_id == station_id)
    in_year = (_day_start(start), _day_start(end + timedelta(days=1)))
    visits = (
        select(Evaluation.unit_id, func.min(Evaluation.started_at))
        .where(
            Evaluation.status == FINALIZED,
            Evaluation.started_at >= in_year[0],
            Evaluation.started_at < in_year[1],
        )
        .group_by(Evaluation.unit_id)
    )
    pulled_visits = (
        select(Unit.id, func.min(PulledEvaluation.started_at))
        .join(PulledEvaluation, PulledEvaluation.unit_uuid == Unit.uuid)
        .where(PulledEvaluation.started_at >= in_year[0], PulledEvaluation.started_at < in_year[1])
        .group_by(Unit.id)
    )
    stickers = select(
        UnitEvent.unit_id, UnitEvent.occurred_on, UnitEvent.photo_sha256.is_not(None).label("photo")
    ).where(UnitEvent.kind == EventKind.STICKER, UnitEvent.occurred_on.between(start, end))
    if station_id is not None:
        visits = visits.where(Evaluation.unit_id.in_(in_station.scalar_subquery()))
        pulled_visits = pulled_visits.where(Unit.station_id == station_id)
        stickers = stickers.where(UnitEvent.unit_id.in_(in_station.scalar_subquery()))
    connection = session.connection()  # Core rows: no ORM loading for 50,000 plain tuples
    first_visit: dict[int, date] = {}
    for statement in (visits, pulled_visits):
        for uid, started in connection.execute(statement):
            first_visit[uid] = min(started.date(), first_visit.get(uid, started.date()))
    posted: dict[int, list[Sticker]] = defaultdict(list)
    for uid, on, photo in connection.execute(stickers).columns("unit_id", "occurred_on", "photo"):
        posted[uid].append(Sticker(on, bool(photo)))
    return first_visit, posted


def holdback_facts(
    session: Session,
    year: int,
    today: date,
    station_id: int | None = None,
    *,
    open_only: bool = False,
) -> HoldBackFacts:
    """The desktop store's facts for the hold-back lists (:mod:`~fieldapp.services.holdback_fold`
    decides). Narrowed in SQL to what could hold a station back: active units in a listed state or
    with a 不符合 answer or a photo in doubt; the year's first visits and 标识张贴; the finalised
    answers of units with a 不符合 answer. The evaluations other laptops synced count as the
    store's own (as pulled, ``PulledEvaluation``); photos do not travel, so 证据存疑 judges this
    store's evaluations alone.

    ``open_only``: the facts of the open 整改 alone (:func:`open_items` lists the same ones), for a
    caller whose counts are kept (:mod:`~fieldapp.services.holdback_kept`): only the units with a
    不符合 answer, with their answers, and no visits, 标识张贴 or photos in doubt. Not for
    :func:`holdback_fold.counts` or :func:`holdback_fold.fold`."""
    if open_only:
        doubts = evidence.YearEvidence(frozenset(), {}, ())
        units = _units().where(_failing_units())
        first_visit: dict[int, date] = {}
        posted: dict[int, list[Sticker]] = {}
    else:
        doubts = evidence.year_facts(session, year, station_id, as_of=today)
        doubtful = {
            row.unit_id for row in doubts.evaluations.values() if row.id in doubts.candidates
        }
        units = _units().where(
            or_(
                Unit.state.in_(tuple(s.value for s in LISTED_STATES)),
                _failing_units(),
                Unit.id.in_(doubtful),
            )
        )
        first_visit, posted = _visits_and_stickers(session, year, station_id)
    if station_id is not None:
        units = units.where(Unit.station_id == station_id)
    answered = _answered(session, station_id)
    connection = session.connection()  # Core rows: no ORM loading for 50,000 plain tuples
    rows = connection.execute(units.order_by(Unit.id)).columns(
        "unit_id", "credit_code", "name", "station", "state", "state_since"
    )
    return HoldBackFacts(
        year=year,
        today=today,
        stations=list(session.scalars(_station_names(station_id))),
        units=[
            UnitFacts(
                key=uid,
                credit_code=credit_code,
                name=name,
                station=station,
                state=_STATES.get(state) if state else None,
                state_since=since,
                first_visit=first_visit.get(uid),
                stickers=tuple(posted.get(uid, ())),
                answers=rectification_answers(answered[uid]) if uid in answered else (),
            )
            for uid, credit_code, name, station, state, since in rows
        ],
        evidence=doubts,
    )


def hold_backs(
    session: Session, year: int, today: date, station: str | None = None
) -> list[StationHoldBacks]:
    """Per station (in station order, all of them), the units holding it back and why
    (:mod:`~fieldapp.services.holdback_fold` says for what reasons)."""
    return holdback_fold.fold(holdback_facts(session, year, today, _station_id(session, station)))


def hold_back_counts(
    session: Session, year: int, today: date, station: str | None = None
) -> dict[str, dict[Reason, int]]:
    """How many units each reason holds back per station."""
    facts = holdback_facts(session, year, today, _station_id(session, station))
    return holdback_fold.counts(facts)


# --- daily and weekly lists ---------------------------------------------------------------------


def changed_today(session: Session, today: date, station: str | None = None) -> list[ChangedUnit]:
    """Units with a lifecycle step or an evaluation dated or recorded today (每天网上巡).

    Unlike the other lists this one keeps removed and closed units: a removal today is news.
    """
    station_id = _station_id(session, station)
    start, end = _day_start(today), _day_start(today + timedelta(days=1))
    unit_columns = (
        Unit.id.label("unit_id"),
        Unit.credit_code,
        Unit.name,
        Station.name.label("station"),
    )
    events = (
        select(*unit_columns, UnitEvent.kind, UnitEvent.from_state, UnitEvent.to_state)
        .join(Station, Station.id == Unit.station_id)
        .join(UnitEvent, UnitEvent.unit_id == Unit.id)
        .where(
            or_(
                UnitEvent.occurred_on == today,
                and_(UnitEvent.recorded_at >= start, UnitEvent.recorded_at < end),
            )
        )
        .order_by(UnitEvent.id)
    )
    evaluations = (
        select(*unit_columns, Evaluation.kind, Evaluation.status, Evaluation.verdict)
        .join(Station, Station.id == Unit.station_id)
        .join(Evaluation, Evaluation.unit_id == Unit.id)
        .where(
            or_(
                and_(Evaluation.started_at >= start, Evaluation.started_at < end),
                and_(Evaluation.finalized_at >= start, Evaluation.finalized_at < end),
            )
        )
        .order_by(Evaluation.id)
    )
    if station_id is not None:
        events = events.where(Unit.station_id == station_id)
        evaluations = evaluations.where(Unit.station_id == station_id)

    def change(row: Any, text: str) -> DayChange:
        return DayChange(row["unit_id"], row["credit_code"], row["name"], row["station"], text)

    found = [
        change(row, event_change(row["kind"], row["from_state"], row["to_state"]))
        for row in session.execute(events).mappings()
    ]
    found += [
        change(row, evaluation_change(row["kind"], row["status"] == FINALIZED, row["verdict"]))
        for row in session.execute(evaluations).mappings()
    ]
    return fold_day(found, list(session.scalars(_station_names())))


def _station_names(station_id: int | None = None) -> Select[Any]:
    statement = select(Station.name).order_by(Station.id)
    if station_id is not None:
        statement = statement.where(Station.id == station_id)
    return statement


def week_of(today: date) -> tuple[date, date]:
    """Monday and Sunday of ``today``'s week."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def followups_due(
    session: Session, today: date, station: str | None = None, *, later: bool = False
) -> list[Rectification]:
    """Open 整改 due by this Sunday, overdue ones included, earliest deadline first (每周回头看):
    :func:`open_items` of this store's evaluations and those other laptops synced (as pulled).
    ``later``: every open 整改, those due after this week too, until a visit re-checks it."""
    station_id = _station_id(session, station)
    answered = _answered(session, station_id)
    units = _units().where(_failing_units())
    if station_id is not None:
        units = units.where(Unit.station_id == station_id)
    rows = session.connection().execute(units.order_by(Unit.id)).mappings()
    facts = HoldBackFacts(
        year=today.year,
        today=today,
        stations=[],
        units=[
            UnitFacts(
                key=row["unit_id"],
                credit_code=row["credit_code"],
                name=row["name"],
                station=row["station"],
                state=_STATES.get(row["state"]) if row["state"] else None,
                state_since=row["state_since"],
                answers=rectification_answers(answered[row["unit_id"]]),
            )
            for row in rows
            if row["unit_id"] in answered
        ],
    )
    return due_this_week(open_items(facts, ItemTexts(session)), today, later=later)


def due_this_week(
    items: Iterable[Rectification], today: date, *, later: bool = False
) -> list[Rectification]:
    """每周回头看's rule: what is due by ``today``'s Sunday, overdue included (``later``: every
    open 整改, whenever due), in the order given."""
    _, sunday = week_of(today)
    return [i for i in items if later or (i.due is not None and i.due <= sunday)]


# --- the month ----------------------------------------------------------------------------------

_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")


def parse_month(text: str) -> tuple[date, date]:
    """``2026-11`` (or 2026/11, 2026年11月) → its first and last day."""
    match = _MONTH.match(text or "")
    month = int(match.group(2)) if match else 0
    if not match or not 1 <= month <= 12:
        raise InvalidInput(f"月份「{text}」无效，请写成 2026-11 这样的“年-月”")
    year = int(match.group(1))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class StationMonth:
    """One station's line of the bulletin."""

    station: str
    target: int  # 单位合计 (一般 + 无理由 + 工厂), as seed 002 totals them
    achieved: int
    new: int
    stock: int
    confirmed: int
    stickers: int
    evaluations: int  # finalized in the month
    passed: int
    rectify: int
    failed: int
    rectifications_open: int
    rectifications_overdue: int
    hold_backs: dict[Reason, int] = field(default_factory=dict)
    # its 联络站' cases (台账) by 咨询时间: in the month, and in the year up to the bulletin's date;
    # 挽回经济损失 in whole 分
    cases: int = 0
    recovered_fen: int = 0
    cases_year: int = 0
    recovered_year_fen: int = 0

    @property
    def ratio(self) -> float | None:
        return self.achieved / self.target if self.target else None


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    by_verdict: dict[str, int]  # Outcome value → count

    @property
    def total(self) -> int:
        return sum(self.by_verdict.values())


@dataclass(frozen=True)
class FailedItem:
    checklist_id: str
    checklist_title: str
    code: str
    text: str
    count: int


@dataclass(frozen=True)
class MonthSummary:
    month: str  # "2026-11"
    first: date
    last: date
    as_of: date  # the month's last day, or today while the month runs
    county: str
    station: str | None
    stations: tuple[StationMonth, ...]
    by_type: tuple[progress_service.Cell, ...]
    kinds: tuple[KindCount, ...]
    failed_items: tuple[FailedItem, ...]
    overdue: tuple[Rectification, ...]
    deadlines: tuple[progress_service.Deadline, ...]
    has_data: bool

    @property
    def year(self) -> int:
        return self.first.year

    @property
    def title_month(self) -> str:
        return f"{self.first.year}年{self.first.month}月"

    def total(self) -> StationMonth:
        rows = self.stations
        reasons = {r: sum(s.hold_backs.get(r, 0) for s in rows) for r in Reason}
        sums: dict[str, Any] = {name: sum(getattr(s, name) for s in rows) for name in _SUMMED}
        return StationMonth("合计", hold_backs=reasons, **sums)


_SUMMED = (
    "target",
    "achieved",
    "new",
    "stock",
    "confirmed",
    "stickers",
    "evaluations",
    "passed",
    "rectify",
    "failed",
    "rectifications_open",
    "rectifications_overdue",
    "cases",
    "recovered_fen",
    "cases_year",
    "recovered_year_fen",
)
TOP_FAILED = 10
VERDICTS = (Outcome.PASS, Outcome.RECTIFY, Outcome.FAIL)  # the columns of KindCount.by_verdict


class ChecklistTexts(Protocol):
    """Checklist titles and item texts by pinned version (``ItemTexts`` on the desktop)."""

    def title(self, checklist_id: str, version: int) -> str: ...

    def text(self, checklist_id: str, version: int, code: str) -> str: ...


@dataclass(frozen=True)
class MonthEvaluation:
    """A finalised evaluation visited in the month, as the bulletin counts it."""

    key: EvaluationKey
    station: str  # its unit's station
    kind: str
    verdict: str | None
    started_at: datetime  # local wall time, naive
    finalized_at: datetime
    revised: tuple[datetime, ...] = ()  # when each finalised revision of it was finalised
    failed: tuple[tuple[str, int, str], ...] = ()  # (checklist, version, item) of its 不符合


@dataclass(frozen=True)
class MonthCase:
    """A 联络站's case (台账), as the bulletin counts it."""

    station: str  # its 联络站's station
    consulted_at: datetime  # local wall time, naive
    recovered_fen: int


@dataclass(frozen=True)
class MonthFacts:
    """Everything the monthly bulletin is counted from, as plain data: the desktop store
    (:func:`month_facts`) and the county server (``fieldapp/server/bulletin.py``) each read it
    from their own tables, and :func:`fold_month` counts it.

    ``hold_counts``: the hold-back counts of ``holdbacks``' year, day and scope, already counted
    (:mod:`~fieldapp.services.holdback_kept`); ``holdbacks`` then need hold only the units that
    can have an open 整改 (``holdback_facts(..., open_only=True)``). None: counted from
    ``holdbacks``."""

    first: date
    last: date
    as_of: date
    county: str
    station: str | None
    progress: progress_service.Progress  # the year's, as of ``as_of``
    holdbacks: HoldBackFacts  # the year's, as of ``as_of``, in the bulletin's scope
    evaluations: list[MonthEvaluation]  # at least every finalised one visited in the month
    texts: ChecklistTexts
    has_targets: bool  # the year has task-table rows
    has_events: bool  # some unit has an event dated in the month
    cases: list[MonthCase] = field(default_factory=list)  # at least every case of the year
    hold_counts: dict[str, dict[Reason, int]] | None = None


def _counted_in_month(evaluation: MonthEvaluation, first: date, last: date, as_of: date) -> bool:
    """Visited in the month, finalised by ``as_of``, not replaced by a revision finalised by
    then: a revision stands for the evaluation it replaces (services/revisions)."""
    return (
        first <= evaluation.started_at.date() <= last
        and evaluation.finalized_at.date() <= as_of
        and not any(t.date() <= as_of for t in evaluation.revised)
    )


def open_items(facts: HoldBackFacts, texts: ChecklistTexts) -> list[Rectification]:
    """Every open 整改 of the facts' units as of their day, earliest deadline first."""
    as_of = facts.today
    out = [
        Rectification(
            unit_id=unit.key,
            credit_code=unit.credit_code,
            name=unit.name,
            station=unit.station,
            evaluation_id=item.evaluation,
            checklist_id=item.checklist_id,
            code=item.item_code,
            text=texts.text(item.checklist_id, item.version, item.item_code),
            rectify=item.rectify or "",
            due=item.due,
            as_of=as_of,
        )
        for unit in facts.units
        if unit.answers and holdback_fold.active(unit.state)
        for item in holdback_fold.open_items(unit, as_of)
    ]
    out.sort(key=lambda r: (r.due or date.max, r.station, r.credit_code, r.checklist_id, r.code))
    return out


def fold_month(facts: MonthFacts) -> MonthSummary:
    """The bulletin's numbers from ``facts``: the one place they are counted."""
    first, last, as_of, texts = facts.first, facts.last, facts.as_of, facts.texts
    station_name = facts.station
    cells = [c for c in facts.progress.cells if station_name is None or c.station == station_name]
    evaluated = [
        e
        for e in facts.evaluations
        if (station_name is None or e.station == station_name)
        and _counted_in_month(e, first, last, as_of)
    ]
    failed_counts: Counter[tuple[str, str]] = Counter()
    versions: dict[tuple[str, str], int] = {}
    for evaluation in evaluated:
        for checklist_id, version, code in evaluation.failed:
            item_key = (checklist_id, code)
            failed_counts[item_key] += 1
            versions[item_key] = max(version, versions.get(item_key, 0))
    failed_items = tuple(
        FailedItem(
            checklist_id=cid,
            checklist_title=texts.title(cid, versions[(cid, code)]),
            code=code,
            text=texts.text(cid, versions[(cid, code)], code),
            count=count,
        )
        for (cid, code), count in sorted(failed_counts.items(), key=lambda kv: (-kv[1], kv[0]))[
            :TOP_FAILED
        ]
    )
    open_list = open_items(facts.holdbacks, texts)
    hold = facts.hold_counts
    if hold is None:
        hold = holdback_fold.counts(facts.holdbacks)

    # One line per station, in station order.
    per_station: dict[str, dict[str, int]] = {name: Counter() for name in hold}
    for cell in cells:
        if cell.unit_type.group != "units":
            continue
        line = per_station.setdefault(cell.station, Counter())
        for key in ("target", "new", "stock", "confirmed", "stickers"):
            line[key] += getattr(cell, key)
    kinds: dict[str, Counter[str]] = {}
    for evaluation in evaluated:
        verdict = evaluation.verdict
        line = per_station.setdefault(evaluation.station, Counter())
        line["evaluations"] += 1
        column = {"pass": "passed", "rectify": "rectify", "fail": "failed"}.get(verdict or "")
        if column:
            line[column] += 1
        kinds.setdefault(evaluation.kind, Counter())[verdict or ""] += 1
    for item in open_list:
        line = per_station.setdefault(item.station, Counter())
        line["rectifications_open"] += 1
        line["rectifications_overdue"] += item.overdue
    for case in facts.cases:
        day = case.consulted_at.date()
        if station_name is not None and case.station != station_name:
            continue
        if day.year != first.year or day > as_of:
            continue
        line = per_station.setdefault(case.station, Counter())
        line["cases_year"] += 1
        line["recovered_year_fen"] += case.recovered_fen
        if first <= day <= last:
            line["cases"] += 1
            line["recovered_fen"] += case.recovered_fen
    stations = tuple(
        StationMonth(
            name,
            target=line["target"],
            achieved=line["new"] + line["stock"],
            new=line["new"],
            stock=line["stock"],
            confirmed=line["confirmed"],
            stickers=line["stickers"],
            evaluations=line["evaluations"],
            passed=line["passed"],
            rectify=line["rectify"],
            failed=line["failed"],
            rectifications_open=line["rectifications_open"],
            rectifications_overdue=line["rectifications_overdue"],
            hold_backs=hold.get(name, dict.fromkeys(Reason, 0)),
            cases=line["cases"],
            recovered_fen=line["recovered_fen"],
            cases_year=line["cases_year"],
            recovered_year_fen=line["recovered_year_fen"],
        )
        for name, line in per_station.items()
    )
    kind_counts = tuple(
        KindCount(k.value, k.label, {v.value: kinds[k.value][v.value] for v in VERDICTS})
        for k in Kind
        if k.value in kinds
    )
    by_type = progress_service.Progress(first.year, as_of, cells=cells).by_type()
    has_data = (
        facts.has_targets or any(s.evaluations or s.cases for s in stations) or facts.has_events
    )
    return MonthSummary(
        month=f"{first.year:04d}-{first.month:02d}",
        first=first,
        last=last,
        as_of=as_of,
        county=facts.county,
        station=station_name,
        stations=stations,
        by_type=tuple(by_type[t] for t in UnitType if t in by_type),
        kinds=kind_counts,
        failed_items=failed_items,
        overdue=tuple(i for i in open_list if i.overdue),
        deadlines=tuple(facts.progress.deadlines),
        has_data=has_data,
    )


def month_dates(month: str, today: date) -> tuple[date, date, date]:
    """The month's first and last day and the bulletin's reference date (its last day, or today
    while it runs); a month not yet begun is refused."""
    first, last = parse_month(month)
    if first > today:
        raise InvalidInput(
            f"{first.year}年{first.month}月还没有开始，不能出通报；请选择本月或以前的月份"
        )
    return first, last, min(last, today)


def month_facts(
    session: Session,
    month: str,
    station: str | None = None,
    today: date | None = None,
    *,
    hold_counts: dict[str, dict[Reason, int]] | None = None,
) -> MonthFacts:
    """The desktop store's facts for the bulletin of ``month``: the finalised evaluations
    visited in the month (with their 不符合 items and when their revisions were finalised).
    ``hold_counts``: the hold-back counts of the bulletin's year, reference date and scope,
    kept (:func:`~fieldapp.services.holdback_kept.kept_counts`); the hold-back facts are then
    read only for the open 整改."""
    first, last, as_of = month_dates(month, today or date.today())
    station_row = find_station(session, station) if station else None
    station_id = station_row.id if station_row else None
    county = (
        station_row.county
        if station_row
        else session.scalar(select(Station.county).where(Station.county != "").limit(1))
    ) or ""
    in_month = (
        select(
            Evaluation.id,
            Evaluation.uuid,
            Station.name.label("station"),
            Evaluation.kind,
            Evaluation.verdict,
            Evaluation.started_at,
            Evaluation.finalized_at,
        )
        .join(Unit, Unit.id == Evaluation.unit_id)
        .join(Station, Station.id == Unit.station_id)
        .where(
            Evaluation.status == FINALIZED,
            Evaluation.started_at >= _day_start(first),
            Evaluation.started_at < _day_start(last + timedelta(days=1)),
        )
    )
    # the evaluations other laptops synced, as pulled, named by uuid
    pulled_in_month = (
        select(
            PulledEvaluation.uuid.label("id"),
            PulledEvaluation.uuid,
            Station.name.label("station"),
            PulledEvaluation.kind,
            PulledEvaluation.verdict,
            PulledEvaluation.started_at,
            PulledEvaluation.finalized_at,
        )
        .join(Unit, Unit.uuid == PulledEvaluation.unit_uuid)
        .join(Station, Station.id == Unit.station_id)
        .where(
            PulledEvaluation.started_at >= _day_start(first),
            PulledEvaluation.started_at < _day_start(last + timedelta(days=1)),
        )
    )
    if station_id is not None:
        in_month = in_month.where(Unit.station_id == station_id)
        pulled_in_month = pulled_in_month.where(Unit.station_id == station_id)
    rows = [
        *session.execute(in_month).mappings().all(),
        *session.execute(pulled_in_month).mappings().all(),
    ]
    ids = [row["id"] for row in rows if isinstance(row["id"], int)]
    by_uuid: dict[str, EvaluationKey] = {row["uuid"]: row["id"] for row in rows}
    revised: dict[EvaluationKey, list[datetime]] = defaultdict(list)
    for revision in session.execute(
        select(Evaluation.replaces_id, Evaluation.finalized_at).where(
            Evaluation.replaces_id.in_(ids),
            Evaluation.status == FINALIZED,
            Evaluation.finalized_at.is_not(None),
        )
    ).mappings():
        if revision["replaces_id"] is not None and revision["finalized_at"] is not None:
            revised[revision["replaces_id"]].append(revision["finalized_at"])
    for revision in session.execute(
        select(PulledEvaluation.replaces_uuid, PulledEvaluation.finalized_at).where(
            PulledEvaluation.replaces_uuid.in_(list(by_uuid))
        )
    ).mappings():  # a pulled revision stands for what it replaces, pulled or this store's
        if revision["replaces_uuid"] in by_uuid:
            revised[by_uuid[revision["replaces_uuid"]]].append(revision["finalized_at"])
    failed: dict[EvaluationKey, list[tuple[str, int, str]]] = defaultdict(list)
    for answer in session.execute(
        select(
            AnswerRow.evaluation_id,
            AnswerRow.checklist_id,
            EvaluationChecklist.version,
            AnswerRow.item_code,
        )
        .join(
            EvaluationChecklist,
            and_(
                EvaluationChecklist.evaluation_id == AnswerRow.evaluation_id,
                EvaluationChecklist.checklist_id == AnswerRow.checklist_id,
            ),
        )
        .where(AnswerRow.evaluation_id.in_(ids), AnswerRow.result == Answer.FAIL)
        .order_by(AnswerRow.id)
    ).mappings():
        failed[answer["evaluation_id"]].append(
            (answer["checklist_id"], answer["version"], answer["item_code"])
        )
    for answer in session.execute(
        select(
            PulledAnswer.evaluation_uuid,
            PulledAnswer.checklist_id,
            PulledAnswer.version,
            PulledAnswer.item_code,
        )
        .where(
            PulledAnswer.evaluation_uuid.in_(select(pulled_in_month.subquery().c.uuid)),
            PulledAnswer.result == Answer.FAIL,
        )
        .order_by(PulledAnswer.id)
    ).mappings():
        failed[answer["evaluation_uuid"]].append(
            (answer["checklist_id"], answer["version"], answer["item_code"])
        )
    has_targets = bool(session.scalar(select(func.count()).where(Target.year == first.year)))
    events = (
        select(func.count())
        .select_from(UnitEvent)
        .where(UnitEvent.occurred_on.between(first, last))
    )
    return MonthFacts(
        first=first,
        last=last,
        as_of=as_of,
        county=county,
        station=station_row.name if station_row else None,
        progress=progress_kept.compute(session, first.year, as_of),
        holdbacks=holdback_facts(
            session, first.year, as_of, station_id, open_only=hold_counts is not None
        ),
        evaluations=[
            MonthEvaluation(
                key=row["id"],
                station=row["station"],
                kind=row["kind"],
                verdict=row["verdict"],
                started_at=row["started_at"],
                finalized_at=row["finalized_at"],
                revised=tuple(revised.get(row["id"], ())),
                failed=tuple(failed.get(row["id"], ())),
            )
            for row in rows
            if row["finalized_at"] is not None
        ],
        texts=ItemTexts(session),
        has_targets=has_targets,
        has_events=bool(session.scalar(events)),
        cases=_month_cases(session, first.year, station_id),
        hold_counts=hold_counts,
    )


def _month_cases(session: Session, year: int, station_id: int | None) -> list[MonthCase]:
    """The 联络站 cases (台账) of ``year`` (by 咨询时间), of ``station_id``'s 联络站 (None: all)."""
    statement = (
        select(Station.name, Case.consulted_at, Case.recovered_fen)
        .join(Unit, Unit.uuid == Case.unit_uuid)
        .join(Station, Station.id == Unit.station_id)
        .where(
            Case.consulted_at >= datetime(year, 1, 1), Case.consulted_at < datetime(year + 1, 1, 1)
        )
    )
    if station_id is not None:
        statement = statement.where(Unit.station_id == station_id)
    return [
        MonthCase(
            station=row["name"],
            consulted_at=row["consulted_at"].replace(tzinfo=None),
            recovered_fen=row["recovered_fen"],
        )
        for row in session.execute(statement).mappings()
    ]


def month_summary(
    session: Session,
    month: str,
    station: str | None = None,
    today: date | None = None,
    *,
    hold_counts: dict[str, dict[Reason, int]] | None = None,
) -> MonthSummary:
    """The numbers of the monthly bulletin (每月一通报) for ``month`` ("2026-11").

    Progress is :func:`progress.compute` at the month's end (or today while the month runs);
    evaluations are the finalized ones visited in the month, each counted once (a finalized
    revision stands for the evaluation it replaces); open 整改 are counted as of the same date.
    ``has_data`` is False when the year has no targets and the month no evaluation or unit event.
    ``hold_counts``: the hold-back counts, kept (see :func:`month_facts`).
    """
    return fold_month(month_facts(session, month, station, today, hold_counts=hold_counts))
