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

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fieldapp.domain.counting import HistoryEvent
from fieldapp.domain.events import EventKind, Role
from fieldapp.domain.lifecycle import State
from fieldapp.domain.targets import RatioKind, TargetKind
from fieldapp.domain.vocab import UnitType
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller
from fieldapp.services import plan, plan_progress
from fieldapp.services import progress as progress_service
from fieldapp.services.plan_progress import (
    PlanFacts,
    PlanProgress,
    PlanRatio,
    PlanRow,
    PlanSpan,
    PlanTarget,
    RatioRow,
    UnitTraits,
)
from fieldapp.services.progress import (
    Cell,
    Deadline,
    Progress,
    ProgressFacts,
    UnitFacts,
    UnitKey,
)
from fieldapp.sync import wire


@dataclass(frozen=True)
class _Read:
    """Every unit's facts for the fold and its traits for the plan, read once."""

    units: list[UnitFacts]
    traits: dict[UnitKey, UnitTraits]


def _read_units(session: Session) -> _Read:
    kinds = {kind.value: kind for kind in EventKind}
    states = {state.value: state for state in State}
    day = date.fromisoformat
    units: list[UnitFacts] = []
    traits: dict[UnitKey, UnitTraits] = {}
    rows = session.execute(select(m.Unit.uuid, m.Unit.facts_json).order_by(m.Unit.uuid))
    for key, text in rows:
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
        units.append(
            UnitFacts(key, station, unit_type, day(entered) if entered else None, record, history)
        )
        traits[key] = UnitTraits(industry, category, name, town)
    return _Read(units, traits)


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
    read = _read_units(session)
    targets = _targets(session)
    report = progress_service.fold(facts(session, year, today, read.units, targets))
    plan_report = plan_progress.fold(
        plan_facts(session, year, today, lambda: read.traits, targets), report.snapshots
    )
    report.snapshots = {}  # only the plan needed them; the cache and the answers do not
    return report, plan_report


# --- the figures cache ----------------------------------------------------------------------------


def stamp(session: Session) -> str:
    """The state of what the figures count: each table's newest change number (every write
    takes a new one, in commit order) and its row count. Read before the data, so a cached
    answer is never older than its stamp."""
    parts = []
    for model in (m.Unit, m.Target, m.PlanYear, m.RatioTarget):
        newest, rows = session.execute(
            select(func.coalesce(func.max(model.seq), 0), func.count()).select_from(model)
        ).one()
        parts.append(f"{newest}:{rows}")
    return " ".join(parts)


def county_figures(session: Session, year: int, today: date) -> tuple[Progress, PlanProgress]:
    """The county's figures for ``year`` counted on ``today``: from the cache when nothing they
    count has changed since, else folded and stored for every worker."""
    current = stamp(session)
    row = session.get(m.FigureCache, (year, today))
    if row is not None and row.stamp == current:
        return _loaded(row.body)
    report, plan_report = fold(session, year, today)
    body = json.dumps(
        {"progress": asdict(report), "plan": asdict(plan_report)},
        ensure_ascii=False,
        default=str,
        separators=(",", ":"),
    )
    _store(session, year, today, current, body)
    return report, plan_report


def _store(session: Session, year: int, today: date, current: str, body: str) -> None:
    """Keep ``body`` for (``year``, ``today``); another worker storing the same at the same
    moment is no error (the first one stays)."""
    session.execute(delete(m.FigureCache).where(m.FigureCache.today != today))
    values = {"stamp": current, "body": body}
    updated = session.execute(
        update(m.FigureCache)
        .where(m.FigureCache.year == year, m.FigureCache.today == today)
        .values(**values)
    )
    if getattr(updated, "rowcount", 0):
        return
    try:
        with session.begin_nested():
            session.add(m.FigureCache(year=year, today=today, **values))
    except IntegrityError:
        pass  # stored by another worker in the meantime: theirs is as good


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
