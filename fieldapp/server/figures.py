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

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain.counting import HistoryEvent
from fieldapp.domain.events import Role
from fieldapp.domain.targets import TargetKind
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller
from fieldapp.services import plan, plan_progress
from fieldapp.services import progress as progress_service
from fieldapp.services.plan_progress import (
    PlanFacts,
    PlanProgress,
    PlanRatio,
    PlanSpan,
    PlanTarget,
    UnitTraits,
)
from fieldapp.services.progress import HISTORY_KINDS, Progress, ProgressFacts, UnitFacts
from fieldapp.sync import wire


def _unit(unit: wire.WireUnit) -> UnitFacts:
    history = tuple(
        HistoryEvent(order, e.kind, e.occurred_on, e.to_state, e.old_value, e.new_value)
        for order, e in enumerate(unit.events)  # oldest first, as the desktop recorded them
        if e.kind in HISTORY_KINDS
    )
    record: dict[str, object] = {
        "name": unit.name,
        "address": unit.address,
        "industry": unit.industry,
        "contact_person": unit.contact_person,
        "contact_phone": unit.contact_phone,
    }
    return UnitFacts(unit.uuid, unit.station, str(unit.unit_type), unit.entered_on, record, history)


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


def _wire_units(session: Session) -> list[wire.WireUnit]:
    return [
        wire.WireUnit.model_validate_json(data)
        for data in session.scalars(select(m.Unit.data_json).order_by(m.Unit.uuid))
    ]


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
    session: Session,
    year: int,
    today: date | None = None,
    *,
    units: list[wire.WireUnit] | None = None,
    targets: list[wire.WireTarget] | None = None,
) -> ProgressFacts:
    """The server's facts for ``year``'s progress: every unit (a unit's station at a date is
    what its history says, so no unit is left out for a station's figures)."""
    units = _wire_units(session) if units is None else units
    targets = _targets(session) if targets is None else targets
    cells = [
        cell
        for target in targets
        if target.year == year and (cell := _station_cell(target)) is not None
    ]
    return ProgressFacts(
        year=year,
        today=today or date.today(),
        units=[_unit(u) for u in units],
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
    today: date | None = None,
    *,
    units: list[wire.WireUnit] | None = None,
    targets: list[wire.WireTarget] | None = None,
) -> PlanFacts:
    """The server's facts for ``year``'s plan: the task-table rows that are not plain station
    cells (as ``plan.is_station_cell`` says on the desktop) and the year's ratio targets."""
    targets = _targets(session) if targets is None else targets
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
    needed = bool(rows or ratios)
    units = (_wire_units(session) if units is None else units) if needed else []
    return PlanFacts(
        year=year,
        today=today or date.today(),
        deadlines=deadlines(session, year),
        targets=rows,
        ratios=[PlanRatio(r.station, r.kind, r.threshold, r.denominator) for r in ratios],
        units={u.uuid: UnitTraits(u.industry, u.category, u.name, u.town) for u in units},
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
    filtered."""
    station = _scope(caller, station)
    units, targets = _wire_units(session), _targets(session)
    report = progress_service.fold(facts(session, year, units=units, targets=targets))
    plan_report = plan_progress.fold(
        plan_facts(session, year, units=units, targets=targets), report.snapshots
    )
    if station:
        return (
            progress_service.restricted(report, station),
            plan_progress.restricted(plan_report, station),
        )
    return report, plan_report
