"""The county's figures on the server, counted by the desktop's own fold.

:func:`facts` reads the server's tables (each unit as its WireUnit with the dated history, each
task-table figure as its WireTarget) into :class:`fieldapp.services.progress.ProgressFacts`, and
:func:`progress` counts them with :func:`fieldapp.services.progress.fold`, the function behind
``fieldapp progress``: the server holds no rule of its own.

The plan's other targets (county rows, 其中 subsets, categories, 待分解, multi-year plans) and
the ratio targets are counted the same way: :func:`plan_facts` reads them into
:class:`fieldapp.services.plan_progress.PlanFacts` for :func:`fieldapp.services.plan_progress.fold`.
Each year's deadlines are the ones the county published (``plan_years``), else the defaults.
Stations are listed as the desktop lists them: in the order of the task tables (by year, then
as the rows were stored, which publishing keeps), then by name.
"""

from __future__ import annotations

import gc
import hashlib
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache

from sqlalchemy import (
    BigInteger,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldapp.domain import counting, lifecycle, vocab
from fieldapp.domain import events as event_rules
from fieldapp.domain import targets as targets_rules
from fieldapp.domain.counting import HistoryEvent
from fieldapp.domain.events import EventKind, Role
from fieldapp.domain.lifecycle import State
from fieldapp.domain.targets import RatioKind, TargetKind
from fieldapp.domain.vocab import UnitType
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller
from fieldapp.server.db import change_stamp, put_row
from fieldapp.services import plan, plan_progress
from fieldapp.services import progress as progress_service
from fieldapp.services.plan_progress import (
    PlanFacts,
    PlanProgress,
    PlanRatio,
    PlanRow,
    PlanShare,
    PlanSpan,
    PlanTarget,
    RatioRow,
    UnitTraits,
)
from fieldapp.services.progress import (
    Add,
    Cell,
    Deadline,
    Progress,
    ProgressFacts,
    Tally,
    UnitFacts,
    UnitKey,
)
from fieldapp.sync import wire


@dataclass(frozen=True)
class _Read:
    """Every unit's facts for the fold and its traits for the plan, read once."""

    units: list[UnitFacts]
    traits: dict[UnitKey, UnitTraits]


_KINDS = {kind.value: kind for kind in EventKind}
_STATES = {state.value: state for state in State}


def _unit(key: str, text: str) -> tuple[UnitFacts, UnitTraits]:
    """A unit's facts for the fold and its traits for the plan, from its ``facts_json``."""
    day = date.fromisoformat
    kinds, states = _KINDS, _STATES
    (
        station,
        unit_type,
        entered,
        name,
        address,
        industry,
        person,
        phone,
        category,
        town,
        events,
    ) = json.loads(text)
    history = tuple(
        HistoryEvent(order, kinds[kind], day(on), states[to] if to else None, old, new)
        for order, kind, on, to, old, new in events
    )
    record = {
        "name": name,
        "address": address,
        "industry": industry,
        "contact_person": person,
        "contact_phone": phone,
    }
    facts = UnitFacts(key, station, unit_type, day(entered) if entered else None, record, history)
    return facts, UnitTraits(industry, category, name, town)


def _read_units(session: Session) -> _Read:
    units: list[UnitFacts] = []
    traits: dict[UnitKey, UnitTraits] = {}
    rows = session.execute(select(m.Unit.uuid, m.Unit.facts_json).order_by(m.Unit.uuid))
    for key, text in rows:
        facts, trait = _unit(key, text)
        units.append(facts)
        traits[key] = trait
    return _Read(units, traits)


@contextmanager
def _without_gc() -> Iterator[None]:
    """No cyclic garbage collection while a province's units are read and counted: they make
    millions of small objects and no cycles, and each full collection would walk them all
    again (the fold took twice as long with it)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _station_cell(target: wire.WireTarget) -> plan.StationCell | None:
    """A plain cell of a station task table, as ``plan.is_station_cell`` says on the desktop."""
    if (
        target.kind is not TargetKind.UNIT_TYPE
        or target.station is None
        or target.unit_type is None
        or target.count is None
        or target.parent is not None
        or target.plan is not None
    ):
        return None
    return plan.StationCell(target.year, target.station, target.unit_type, target.count)


def _targets(session: Session) -> list[wire.WireTarget]:
    """Every year's task-table rows, in the order they were published."""
    return [
        wire.WireTarget.model_validate_json(data)
        for data in session.scalars(select(m.Target.data_json).order_by(m.Target.id))
    ]


def station_order(targets: list[wire.WireTarget]) -> list[str]:
    """``plan.station_order`` on the server's copy of the task tables."""
    ordered = sorted(enumerate(targets), key=lambda item: (item[1].year, item[0]))
    return list(dict.fromkeys(t.station for _, t in ordered if t.station is not None))


def deadlines(session: Session, year: int) -> tuple[date, date]:
    """The year's deadlines as the county published them, else 6/30 and 11/30."""
    row = session.get(m.PlanYear, year)
    return (row.first_due, row.final_due) if row is not None else plan.default_deadlines(year)


def facts(
    session: Session, year: int, today: date, units: list[UnitFacts], targets: list[wire.WireTarget]
) -> ProgressFacts:
    """The server's facts for ``year``'s progress: every unit (a unit's station at a date is
    what its history says, so no unit is left out for a station's figures)."""
    cells = [
        cell
        for target in targets
        if target.year == year and (cell := _station_cell(target)) is not None
    ]
    return ProgressFacts(
        year=year,
        today=today,
        units=units,
        cells=cells,
        deadlines=deadlines(session, year),
        stations=station_order(targets),
    )


def _plan_target(order: int, target: wire.WireTarget, orders: dict[str, int]) -> PlanTarget:
    span = target.plan
    return PlanTarget(
        order=order,
        year=target.year,
        station=target.station,
        kind=target.kind,
        unit_type=target.unit_type,
        count=target.count,
        industry=target.industry,
        sector=target.sector,
        responsible_dept=target.responsible_dept,
        note=target.note,
        parent=orders.get(target.parent) if target.parent is not None else None,
        plan=(
            PlanSpan(span.start_year, span.end_year, span.first_share_num, span.first_share_den)
            if span is not None
            else None
        ),
    )


def plan_facts(
    session: Session,
    year: int,
    today: date,
    traits: Callable[[], Mapping[UnitKey, UnitTraits]],
    targets: list[wire.WireTarget],
) -> PlanFacts:
    """The server's facts for ``year``'s plan: the task-table rows that are not plain station
    cells (as ``plan.is_station_cell`` says on the desktop) and the year's ratio targets; the
    units' traits only when a row or a ratio needs them."""
    orders = {t.key(): n for n, t in enumerate(targets)}
    rows = [
        _plan_target(n, t, orders)
        for n, t in enumerate(targets)
        if _station_cell(t) is None and (t.year == year or _runs(t, year))
    ]
    ratios = [
        wire.WireRatioTarget.model_validate_json(data)
        for data in session.scalars(
            select(m.RatioTarget.data_json)
            .where(m.RatioTarget.year == year)
            .order_by(m.RatioTarget.id)
        )
    ]
    return PlanFacts(
        year=year,
        today=today,
        deadlines=deadlines(session, year),
        targets=rows,
        ratios=[PlanRatio(r.station, r.kind, r.threshold, r.denominator) for r in ratios],
        units=traits() if rows or ratios else {},
        stations=station_order(targets),
    )


def _runs(target: wire.WireTarget, year: int) -> bool:
    span = target.plan
    return span is not None and span.start_year <= year <= span.end_year


def _scope(caller: Caller, station: str | None) -> str | None:
    if station:
        caller.check_station(station, "所（分局）的任务进度")
        return station
    return None if caller.role == Role.COUNTY else caller.station


def figures(
    session: Session, caller: Caller, year: int, station: str | None = None
) -> tuple[Progress, PlanProgress]:
    """``year``'s progress and plan in the caller's scope: the county sees every station (or
    the one asked for), a station's account its own; another station's is refused, never
    filtered. Counted once per day and state of the data for every worker (``figure_cache``)."""
    station = _scope(caller, station)
    report, plan_report = county_figures(session, year, date.today())
    if station:
        return (
            progress_service.restricted(report, station),
            plan_progress.restricted(plan_report, station),
        )
    return report, plan_report


def fold(session: Session, year: int, today: date) -> tuple[Progress, PlanProgress]:
    """The county's figures folded afresh from every unit, with the desktop's own fold."""
    with _without_gc():
        read = _read_units(session)
        targets = _targets(session)
        report = progress_service.fold(facts(session, year, today, read.units, targets))
        plan_report = plan_progress.fold(
            plan_facts(session, year, today, lambda: read.traits, targets), report.snapshots
        )
        report.snapshots = {}  # only the plan needed them; the cache and the answers do not
    return report, plan_report


# --- each unit's share, kept in the database ------------------------------------------------------

# The code that decides what a unit adds: a share stored by other code is counted again.
_RULES = (counting, event_rules, lifecycle, targets_rules, vocab, progress_service, plan_progress)


@cache
def _rules_digest() -> str:
    return progress_service.code_digest(*_RULES, sys.modules[__name__])


def _context(year: int, first_deadline: date, plan_facts: PlanFacts) -> str:
    """What every unit's share depends on besides the unit and the reference date."""
    parts = (
        _rules_digest(),
        year,
        first_deadline,
        [asdict(t) for t in plan_facts.targets],
        [(r.station, r.kind) for r in plan_facts.ratios],
    )
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _dumped(adds: tuple[Add, ...], planned: PlanShare | None) -> str:
    return json.dumps([adds, planned], ensure_ascii=False, separators=(",", ":"))


def _loaded_share(text: str) -> tuple[list[Add], PlanShare | None]:
    adds, planned = json.loads(text)
    cells = [(station, unit_type, Tally(what)) for station, unit_type, what in adds]
    if planned is None:
        return cells, None
    rows, ratios = planned
    return cells, (tuple(rows), tuple((n, value) for n, value in ratios))


def shared(session: Session, year: int, today: date) -> tuple[Progress, PlanProgress]:
    """The county's figures from each unit's share, kept in the database: the units whose
    share may have moved (changed since the year's shares were last brought up to date, or
    past their next dated event) are counted again with the desktop's own per-unit code
    (``progress.share``, ``plan_progress.Plan.share``), the totals per share follow, and the
    figures sum those totals. Equal to :func:`fold`; everything is counted afresh when the
    counting code, the year's first deadline or the plan's targets and ratios changed, or a
    unit is gone."""
    targets = _targets(session)
    progress_facts = facts(session, year, today, [], targets)
    planning = plan_facts(session, year, today, dict, targets)
    as_of, first_due = progress_service.reference(year, today, progress_facts.deadlines)
    planner = plan_progress.Plan(planning) if planning.targets or planning.ratios else None
    context = _context(year, progress_facts.deadlines[0], planning)

    def counted(key: str, facts_text: str) -> tuple[str, date | None]:
        unit_facts, trait = _unit(key, facts_text)
        part = progress_service.share(unit_facts, year, as_of, first_due)
        mine = planner.share(part.snapshot, trait) if planner is not None else None
        return _dumped(part.adds, mine), part.timeline.next_change(as_of)

    with _without_gc():
        kept = _year_row(session, year)
        if kept.context != context or not _refreshed(session, kept, as_of, counted):
            _recount(session, kept, context, as_of, counted)
        totals = session.execute(
            select(m.ShareTotal.share, m.ShareTotal.units).where(
                m.ShareTotal.year == year, m.ShareTotal.units > 0
            )
        ).all()
        cells: list[tuple[Sequence[Add], int]] = []
        planned: list[tuple[PlanShare, int]] = []
        for text, weight in totals:
            adds, mine = _loaded_share(text)
            cells.append((adds, weight))
            if mine is not None:
                planned.append((mine, weight))
        return progress_service.tallied(progress_facts, cells), plan_progress.summed(
            planning, planned
        )


ShareOf = Callable[[str, str], tuple[str, date | None]]  # (uuid, facts_json) -> (share, until)


def _year_row(session: Session, year: int) -> m.ShareYear:
    """The year's row, locked until commit (made, empty, when there is none yet)."""
    for _ in range(2):
        row = session.scalars(
            select(m.ShareYear).where(m.ShareYear.year == year).with_for_update()
        ).one_or_none()
        if row is not None:
            return row
        try:
            with session.begin_nested():
                session.add(m.ShareYear(year=year, context="", seq=0, units=0))
        except IntegrityError:
            continue  # made by another worker in the meantime: lock theirs
    raise RuntimeError("share_years row missing")


def _refreshed(session: Session, kept: m.ShareYear, as_of: date, counted: ShareOf) -> bool:
    """Count again the units changed since ``kept.seq`` and those past their next dated event,
    moving the totals; False when a unit is gone (everything must be counted afresh)."""
    year, unit, share = kept.year, m.Unit, m.UnitShare
    # one statement, so the units changed and the number of units are seen at one moment
    rows: list[tuple[str | None, int, str, int]] = session.execute(  # type: ignore[assignment]
        union_all(
            select(null(), cast(null(), BigInteger), null(), func.count()).select_from(unit),
            select(unit.uuid, unit.seq, unit.facts_json, literal(0)).where(unit.seq > kept.seq),
        )
    ).all()
    total = next(n for key, _, _, n in rows if key is None)
    changed = {key: (seq, text) for key, seq, text, _ in rows if key is not None}
    expired = session.scalars(  # each half read through its index
        union_all(
            select(share.uuid).where(share.year == year, share.until <= as_of),
            select(share.uuid).where(share.year == year, share.since > as_of),
        )
    ).all()
    missing = [key for key in expired if key not in changed]
    for start in range(0, len(missing), SHARE_CHUNK):
        chunk = missing[start : start + SHARE_CHUNK]
        for row in session.execute(
            select(unit.uuid, unit.seq, unit.facts_json).where(unit.uuid.in_(chunk))
        ):
            changed[row.uuid] = (row.seq, row.facts_json)
    old: dict[str, str] = {}
    keys = list(changed)
    for start in range(0, len(keys), SHARE_CHUNK):
        chunk = keys[start : start + SHARE_CHUNK]
        old.update(
            (key, text)
            for key, text in session.execute(
                select(share.uuid, share.share).where(share.year == year, share.uuid.in_(chunk))
            )
        )
    if kept.units + sum(1 for key in changed if key not in old) != total:
        return False  # a unit was removed
    moves: dict[str, int] = defaultdict(int)
    fresh = []
    for key, (seq, text) in changed.items():
        value, until = counted(key, text)
        fresh.append(_share_row(year, key, seq, as_of, until, value))
        moves[value] += 1
        if key in old:
            moves[old[key]] -= 1
    _store_shares(session, year, fresh, replace=True)
    _move_totals(session, year, moves)
    kept.seq = max([kept.seq, *(seq for seq, _ in changed.values())])
    kept.units = total
    return True


def _recount(
    session: Session, kept: m.ShareYear, context: str, as_of: date, counted: ShareOf
) -> None:
    """Count every unit's share afresh, and the totals."""
    year = kept.year
    session.execute(delete(m.UnitShare).where(m.UnitShare.year == year))
    session.execute(delete(m.ShareTotal).where(m.ShareTotal.year == year))
    newest, units = 0, 0
    moves: dict[str, int] = defaultdict(int)
    fresh = []
    for row in session.execute(select(m.Unit.uuid, m.Unit.seq, m.Unit.facts_json)):
        value, until = counted(row.uuid, row.facts_json)
        fresh.append(_share_row(year, row.uuid, row.seq, as_of, until, value))
        moves[value] += 1
        newest, units = max(newest, row.seq), units + 1
    _store_shares(session, year, fresh, replace=False)
    _move_totals(session, year, moves)
    kept.context, kept.seq, kept.units = context, newest, units


def _share_row(
    year: int, key: str, seq: int, as_of: date, until: date | None, share: str
) -> dict[str, object]:
    return {"year": year, "uuid": key, "seq": seq, "since": as_of, "until": until, "share": share}


def _store_shares(
    session: Session, year: int, rows: list[dict[str, object]], *, replace: bool
) -> None:
    for start in range(0, len(rows), SHARE_CHUNK):
        chunk = rows[start : start + SHARE_CHUNK]
        if replace:
            keys = [row["uuid"] for row in chunk]
            session.execute(
                delete(m.UnitShare).where(m.UnitShare.year == year, m.UnitShare.uuid.in_(keys))
            )
        session.execute(insert(m.UnitShare), chunk)


def _move_totals(session: Session, year: int, moves: Mapping[str, int]) -> None:
    """Add ``moves`` (share: units more or fewer) to the year's totals."""
    moved = {hashlib.sha256(text.encode()).hexdigest(): (text, n) for text, n in moves.items() if n}
    total = m.ShareTotal
    keys = list(moved)
    known: dict[str, int] = {}
    for start in range(0, len(keys), SHARE_CHUNK):
        chunk = keys[start : start + SHARE_CHUNK]
        known.update(
            (key, units)
            for key, units in session.execute(
                select(total.key, total.units).where(total.year == year, total.key.in_(chunk))
            )
        )
    added = [
        {"year": year, "key": key, "share": text, "units": n}
        for key, (text, n) in moved.items()
        if key not in known
    ]
    for start in range(0, len(added), SHARE_CHUNK):
        session.execute(insert(total), added[start : start + SHARE_CHUNK])
    for key, units in known.items():
        session.execute(
            update(total)
            .where(total.year == year, total.key == key)
            .values(units=units + moved[key][1])
        )


SHARE_CHUNK = 5000


# --- the figures cache ----------------------------------------------------------------------------


def stamp(session: Session) -> str:
    """The state of what the figures count (:func:`fieldapp.server.db.change_stamp`)."""
    return change_stamp(session, m.Unit, m.Target, m.PlanYear, m.RatioTarget)


def county_figures(session: Session, year: int, today: date) -> tuple[Progress, PlanProgress]:
    """The county's figures for ``year`` counted on ``today``: from the cache when nothing they
    count has changed since, else folded and stored for every worker."""
    current = stamp(session)
    row = session.get(m.FigureCache, (year, today))
    if row is not None and row.stamp == current:
        return _loaded(row.body)
    report, plan_report = shared(session, year, today)
    body = json.dumps(
        {"progress": asdict(report), "plan": asdict(plan_report)},
        ensure_ascii=False,
        default=str,
        separators=(",", ":"),
    )
    _store(session, year, today, current, body)
    return report, plan_report


def _store(session: Session, year: int, today: date, current: str, body: str) -> None:
    """Keep ``body`` for (``year``, ``today``), and no other day's."""
    session.execute(delete(m.FigureCache).where(m.FigureCache.today != today))
    put_row(
        session, m.FigureCache, {"year": year, "today": today}, {"stamp": current, "body": body}
    )


def _loaded(body: str) -> tuple[Progress, PlanProgress]:
    data = json.loads(body)
    p = data["progress"]
    report = Progress(
        p["year"],
        date.fromisoformat(p["as_of"]),
        cells=[Cell(**(c | {"unit_type": UnitType(c["unit_type"])})) for c in p["cells"]],
        deadlines=[
            Deadline(d["name"], date.fromisoformat(d["due"]), d["days_left"])
            for d in p["deadlines"]
        ],
    )
    q = data["plan"]
    plan_report = PlanProgress(
        q["year"],
        date.fromisoformat(q["as_of"]),
        date.fromisoformat(q["first_due"]),
        date.fromisoformat(q["final_due"]),
        rows=[
            PlanRow(
                **(
                    r
                    | {
                        "kind": TargetKind(r["kind"]),
                        "unit_type": UnitType(r["unit_type"]) if r["unit_type"] else None,
                    }
                )
            )
            for r in q["rows"]
        ],
        ratios=[RatioRow(**(r | {"kind": RatioKind(r["kind"])})) for r in q["ratios"]],
    )
    return report, plan_report
