"""The county's figures on the server, counted by the desktop's own fold.

:func:`facts` reads the server's tables (each unit as its WireUnit with the dated history, each
task-table figure as its WireTarget) into :class:`fieldapp.services.progress.ProgressFacts`, and
:func:`progress` counts them with :func:`fieldapp.services.progress.fold`, the function behind
``fieldapp progress``: the server holds no rule of its own.

What the server does not hold, it takes as the desktop does when the county set nothing: the
year's deadlines are the defaults (``plan.default_deadlines``: the server keeps no plan years).
Stations are listed in the order of the county's task tables as published (the desktop lists
them in the order its store first met them, which the server does not know), then by name.
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
from fieldapp.services import plan
from fieldapp.services import progress as progress_service
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


def facts(session: Session, year: int, today: date | None = None) -> ProgressFacts:
    """The server's facts for ``year``'s progress: every unit (a unit's station at a date is
    what its history says, so no unit is left out for a station's figures)."""
    units = [
        _unit(wire.WireUnit.model_validate_json(data))
        for data in session.scalars(select(m.Unit.data_json).order_by(m.Unit.uuid))
    ]
    cells: list[plan.StationCell] = []
    for data in session.scalars(
        select(m.Target.data_json).where(m.Target.year == year).order_by(m.Target.id)
    ):
        cell = _station_cell(wire.WireTarget.model_validate_json(data))
        if cell is not None:
            cells.append(cell)
    # The stations of the task tables (every year's, as published), then the others by name
    tables = session.scalars(
        select(m.Target.station).where(m.Target.station.is_not(None)).order_by(m.Target.id)
    )
    in_table = [s for s in dict.fromkeys(tables) if s is not None]
    others = sorted({u.station for u in units} - set(in_table))
    return ProgressFacts(
        year=year,
        today=today or date.today(),
        units=units,
        cells=cells,
        deadlines=plan.default_deadlines(year),
        stations=in_table + others,
    )


def progress(session: Session, caller: Caller, year: int, station: str | None = None) -> Progress:
    """``year``'s progress in the caller's scope: the county sees every station (or the one
    asked for), a station's account its own; another station's is refused, never filtered."""
    if station:
        caller.check_station(station, "所（分局）的任务进度")
    elif caller.role != Role.COUNTY:
        station = caller.station
    report = progress_service.fold(facts(session, year))
    return progress_service.restricted(report, station) if station else report
