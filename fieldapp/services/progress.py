"""Progress against the station task tables, counted as seed 002 says, as of any date.

Each unit's station, type, state, 入库 and 命名 at the reference date (31 December of the year, or
today for the current year) are folded from its dated events by :mod:`fieldapp.domain.counting`,
which also says what 现存 (stock), 新培育 (new) and 往年入库未建成 (carried, shown but not
counted) mean. A change made today never moves an earlier year's figure.

The June milestone (seed 002: 6月底前完成培育、承诺公示，系统录入率达100%) is measured too:
units that had reached 承诺公示 by the first deadline, and 系统录入率 = units whose record is
complete over units listed. Deadlines come from the task year's settings (``plan_years``),
6/30 and 11/30 when the county set none.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from types import ModuleType

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from fieldapp import __version__
from fieldapp.domain import counting
from fieldapp.domain.counting import Count, HistoryEvent, Snapshot
from fieldapp.domain.events import EventKind
from fieldapp.domain.lifecycle import NAMED_STATES
from fieldapp.domain.vocab import GROUP_LABELS, UnitType
from fieldapp.services import plan
from fieldapp.storage.models import Station, Unit, UnitEvent

_FOLDED = (EventKind.STATE, EventKind.STATION, EventKind.UNIT_TYPE)

UnitKey = int | str  # the desktop's unit id, the server's unit uuid
Among = Select[int] | None  # a statement selecting the desktop units to read (None: all)


@dataclass
class Cell:
    station: str
    unit_type: UnitType
    target: int = 0
    new: int = 0
    stock: int = 0
    carried: int = 0  # 往年入库未建成: in the pool, not counted
    confirmed: int = 0  # named 放心消费单位/星级库 during the year
    stickers: int = 0  # 标识张贴 recorded during the year
    committed_by_june: int = 0  # reached 承诺公示 by the first deadline
    listed: int = 0  # in the pool at the reference date (stock + new + carried)
    complete: int = 0  # of those, with a complete record (系统录入)

    @property
    def achieved(self) -> int:
        return self.new + self.stock

    @property
    def ratio(self) -> float | None:
        return self.achieved / self.target if self.target else None

    @property
    def entry_ratio(self) -> float | None:
        """系统录入率."""
        return self.complete / self.listed if self.listed else None

    def bump(self, what: str, count: int) -> None:
        """Add ``count`` to the figure named ``what`` (a summed field, e.g. "new")."""
        setattr(self, what, getattr(self, what) + count)

    def add(self, other: Cell) -> None:
        for name in _SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out.update(
            unit_type=self.unit_type.value,
            unit_type_label=self.unit_type.label,
            achieved=self.achieved,
            ratio=self.ratio,
            entry_ratio=self.entry_ratio,
        )
        return out


_SUMMED = (
    "target",
    "new",
    "stock",
    "carried",
    "confirmed",
    "stickers",
    "committed_by_june",
    "listed",
    "complete",
)


@dataclass
class Deadline:
    name: str
    due: date
    days_left: int


@dataclass
class Progress:
    year: int
    as_of: date
    cells: list[Cell] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    # Every unit as its history gives it at ``as_of`` (by id): folded once, also what the plan's
    # other target kinds count from (plan_progress.compute).
    snapshots: dict[UnitKey, Snapshot] = field(default_factory=dict, repr=False)

    def total(self, group: str) -> Cell:
        """Sum over a group of unit types: "units" (一般+无理由+工厂), "areas", "village_stations"."""
        out = Cell("合计", next(t for t in UnitType if t.group == group))
        for cell in self.cells:
            if cell.unit_type.group == group:
                out.add(cell)
        return out

    def by_type(self) -> dict[UnitType, Cell]:
        out: dict[UnitType, Cell] = {}
        for cell in self.cells:
            out.setdefault(cell.unit_type, Cell("合计", cell.unit_type)).add(cell)
        return out


FIRST_DEADLINE = "培育、承诺公示、系统录入率100%"
FINAL_DEADLINE = "后评价、标识张贴"


def deadlines(year: int, today: date, dates: tuple[date, date] | None = None) -> list[Deadline]:
    """The year's two deadlines (as the county set them: plan.deadlines_for) with days left."""
    first, final = dates or plan.default_deadlines(year)
    marks = [
        (f"{_when(first)}：{FIRST_DEADLINE}", first),
        (f"{_when(final)}：{FINAL_DEADLINE}", final),
    ]
    return [Deadline(name, due, (due - today).days) for name, due in marks]


def _when(due: date) -> str:
    """ "6月底" for the last day of a month (the seed's words), else "6月20日前"."""
    if (due + timedelta(days=1)).month != due.month:
        return f"{due.month}月底"
    return f"{due.month}月{due.day}日前"


# The events the fold reads: state moves, station and type changes, and 标识张贴.
HISTORY_KINDS = (*_FOLDED, EventKind.STICKER)


@dataclass(frozen=True)
class UnitFacts:
    """One unit as the fold needs it: its current values (the history says what they were at
    a date), the record fields 系统录入 checks, and its folded history (``HISTORY_KINDS``)."""

    key: UnitKey
    station: str
    unit_type: str
    entered_on: date | None
    record: Mapping[str, object]  # name, address, industry, contact_person, contact_phone
    history: tuple[HistoryEvent, ...] = ()

    def at(self, when: date) -> Snapshot:
        """The unit as its history gives it at ``when``."""
        return self.timeline().at(when)

    def timeline(self) -> counting.Timeline:
        """Its history in order, to read at several dates."""
        return counting.Timeline(
            self.history,
            station=self.station,
            unit_type=self.unit_type,
            entered_on=self.entered_on,
        )

    @property
    def complete(self) -> bool:
        """系统录入: the record has every field the June milestone asks for."""
        values = {**self.record, "station": self.station, "unit_type": self.unit_type}
        needs_industry = UnitType(self.unit_type).group == "units"
        return counting.record_complete(values, needs_industry=needs_industry)


@dataclass(frozen=True)
class ProgressFacts:
    """Everything a year's progress is counted from, as plain data: the desktop store
    (:func:`facts`) and the county server (``fieldapp/server/figures.py``) each build it from
    their own tables, and :func:`fold` counts it, the one place the counting happens."""

    year: int
    today: date
    units: list[UnitFacts]
    cells: list[plan.StationCell]  # the year's station × unit-type targets
    deadlines: tuple[date, date]  # (first, final) as the county set them, else the defaults
    stations: list[str]  # the task tables' stations in order (plan.station_order); others by name


class Tally(StrEnum):
    """A figure of a cell a unit adds one to (the :class:`Cell` field of that name)."""

    STOCK = "stock"
    NEW = "new"
    CARRIED = "carried"
    CONFIRMED = "confirmed"
    STICKERS = "stickers"
    COMMITTED_BY_JUNE = "committed_by_june"
    LISTED = "listed"
    COMPLETE = "complete"


Add = tuple[str, str, Tally]  # one more in the figure of (station, unit type)'s cell

_BY_COUNT = {Count.STOCK: Tally.STOCK, Count.NEW: Tally.NEW, Count.CARRIED: Tally.CARRIED}


@dataclass(frozen=True, slots=True)
class Share:
    """What one unit adds to a year's figures counted at a reference date: ``adds`` to the
    cells, and ``snapshot``, the unit at that date (the plan's other targets count from it).
    ``timeline.next_change(as_of)`` says until when the share stays the same."""

    adds: tuple[Add, ...]
    snapshot: Snapshot
    timeline: counting.Timeline


def reference(year: int, today: date, dates: tuple[date, date]) -> tuple[date, date]:
    """(the date ``year``'s figures are counted at, the date the June milestone is read at)."""
    as_of = counting.reference_date(year, today)
    return as_of, min(dates[0], as_of)


def share(unit: UnitFacts, year: int, as_of: date, first_due: date) -> Share:
    """What ``unit`` adds to ``year``'s figures counted at ``as_of`` (``reference``)."""
    timeline = unit.timeline()
    now = timeline.at(as_of)
    station, unit_type = now.station, now.unit_type
    adds: list[Add] = []
    if now.active:
        kind = counting.classify(now, year)
        if kind is not None:
            adds.append((station, unit_type, _BY_COUNT[kind]))
        adds.append((station, unit_type, Tally.LISTED))
        if unit.complete:
            adds.append((station, unit_type, Tally.COMPLETE))
    start = date(year, 1, 1)
    named_this_year = any(
        e.kind is EventKind.STATE and e.to_state in NAMED_STATES and start <= e.occurred_on <= as_of
        for e in unit.history
    )
    if named_this_year:
        adds.append((station, unit_type, Tally.CONFIRMED))
    june = timeline.at(first_due)
    if june.committed:
        adds.append((june.station, june.unit_type, Tally.COMMITTED_BY_JUNE))
    posted = [
        e.occurred_on
        for e in unit.history
        if e.kind is EventKind.STICKER and start <= e.occurred_on <= as_of
    ]
    if posted:  # the year's last 标识张贴, at the station the unit belonged to that day
        then = timeline.at(max(posted))
        adds.append((then.station, then.unit_type, Tally.STICKERS))
    return Share(tuple(adds), now, timeline)


def fold(facts: ProgressFacts) -> Progress:
    """The year's progress (and every unit's snapshot at the reference date) from ``facts``."""
    year = facts.year
    as_of, first_due = reference(year, facts.today, facts.deadlines)
    snapshots: dict[UnitKey, Snapshot] = {}

    def shares() -> Iterable[tuple[Iterable[Add], int]]:
        for unit in facts.units:
            part = share(unit, year, as_of, first_due)
            snapshots[unit.key] = part.snapshot
            yield part.adds, 1

    progress = tallied(facts, shares())
    progress.snapshots = snapshots
    return progress


def tallied(facts: ProgressFacts, shares: Iterable[tuple[Iterable[Add], int]]) -> Progress:
    """The year's progress from the units' shares (:func:`share`), each with how many units
    gave it; ``facts.units`` is not read."""
    year = facts.year
    as_of = counting.reference_date(year, facts.today)
    progress = Progress(year, as_of, deadlines=deadlines(year, facts.today, facts.deadlines))
    cells: dict[tuple[str, str], Cell] = {}

    def cell(station: str, unit_type: str) -> Cell:
        key = (station, unit_type)
        if key not in cells:
            cells[key] = Cell(station, UnitType(unit_type))
        return cells[key]

    for figure in facts.cells:
        if figure.year == year:
            cell(figure.station, figure.unit_type).target += figure.count

    counts: dict[Add, int] = defaultdict(int)
    for adds, weight in shares:
        for add in adds:
            counts[add] += weight
    for (station, unit_type, what), count in counts.items():
        cell(station, unit_type).bump(what, count)

    by_station = station_key(facts.stations)

    def cell_order(key: tuple[str, str]) -> tuple[int, str, int]:
        station, unit_type = key
        return (*by_station(station), _TYPE_ORDER[unit_type])

    progress.cells = [cells[key] for key in sorted(cells, key=cell_order)]
    return progress


def station_key(stations: list[str]) -> Callable[[str], tuple[int, str]]:
    """How figures order stations: as the task tables list them (``stations``), then by name."""
    order = {name: i for i, name in enumerate(stations)}
    return lambda station: (order.get(station, len(order)), station)


def restricted(progress: Progress, station: str) -> Progress:
    """``progress`` with only ``station``'s cells (totals follow from the cells)."""
    return Progress(
        progress.year,
        progress.as_of,
        cells=[c for c in progress.cells if c.station == station],
        deadlines=progress.deadlines,
    )


def as_json(progress: Progress) -> dict[str, object]:
    """The figures as ``fieldapp progress --json`` prints them and the county server's
    ``GET /api/v1/progress`` returns them (both add the plan's other targets, ``"plan"``)."""
    groups = {group: progress.total(group) for group in GROUP_LABELS}
    return {
        "year": progress.year,
        "as_of": progress.as_of,
        "cells": [c.as_dict() for c in progress.cells],
        "totals": {
            **{group: cell.as_dict() | {"unit_type": group} for group, cell in groups.items()},
            "by_type": {t.value: c.as_dict() for t, c in progress.by_type().items()},
        },
        "deadlines": [
            {"name": d.name, "due": d.due, "days_left": d.days_left} for d in progress.deadlines
        ],
    }


# --- the desktop store's facts ------------------------------------------------------------------


def _units(
    session: Session, histories: dict[int, list[HistoryEvent]], among: Among = None
) -> list[UnitFacts]:
    # Every unit, for every figure: unpacked in the order of the names given to columns(), as
    # cheap as by position (.mappings() costs 30 ms more for 50,000 units, row.name 140 ms)
    statement = select(
        Unit.id,
        Station.name.label("station"),
        Unit.unit_type,
        Unit.entered_on,
        Unit.name,
        Unit.address,
        Unit.industry,
        Unit.contact_person,
        Unit.contact_phone,
    ).join(Station, Station.id == Unit.station_id)
    if among is not None:
        statement = statement.where(Unit.id.in_(among))
    rows = session.execute(statement).columns(
        "id",
        "station",
        "unit_type",
        "entered_on",
        "name",
        "address",
        "industry",
        "contact_person",
        "contact_phone",
    )
    out = []
    for uid, station, unit_type, entered, name, address, industry, person, phone in rows:
        record = {
            "name": name,
            "address": address,
            "industry": industry,
            "contact_person": person,
            "contact_phone": phone,
        }
        history = tuple(histories.get(uid, ()))
        out.append(UnitFacts(uid, station, str(unit_type), entered, record, history))
    return out


def _histories(session: Session, among: Among = None) -> dict[int, list[HistoryEvent]]:
    histories: dict[int, list[HistoryEvent]] = defaultdict(list)
    statement = (
        select(
            UnitEvent.unit_id,
            UnitEvent.id,
            UnitEvent.kind,
            UnitEvent.occurred_on,
            UnitEvent.to_state,
            UnitEvent.old_value,
            UnitEvent.new_value,
        )
        .where(UnitEvent.kind.in_(HISTORY_KINDS))
        .order_by(UnitEvent.id)
    )
    if among is not None:
        statement = statement.where(UnitEvent.unit_id.in_(among))
    rows = session.execute(statement).columns(
        "unit_id", "id", "kind", "occurred_on", "to_state", "old_value", "new_value"
    )
    for unit_id, order, kind, on, to_state, old, new in rows:  # by name, as in _units
        histories[unit_id].append(HistoryEvent(order, kind, on, to_state, old, new))
    return histories


def unit_facts(session: Session, among: Among = None) -> list[UnitFacts]:
    """The desktop store's units as the fold reads them: every one, or those ``among`` selects
    (a statement selecting unit ids)."""
    return _units(session, _histories(session, among), among)


def snapshots(session: Session, when: date) -> dict[UnitKey, Snapshot]:
    """Every unit as its history gives it at ``when``, by unit id."""
    return {unit.key: unit.at(when) for unit in _units(session, _histories(session))}


def facts(
    session: Session, year: int, today: date | None = None, *, units: bool = True
) -> ProgressFacts:
    """The desktop store's facts for ``year``'s progress (without the units: ``units=False``)."""
    return ProgressFacts(
        year=year,
        today=today or date.today(),
        units=unit_facts(session) if units else [],
        cells=plan.station_cells(session, year),
        deadlines=plan.deadlines_for(session, year),
        stations=plan.station_order(session),
    )


def compute(session: Session, year: int, today: date | None = None) -> Progress:
    return fold(facts(session, year, today))


_TYPE_ORDER = {t.value: i for i, t in enumerate(UnitType)}


def code_digest(*modules: ModuleType) -> str:
    """A digest of the code of ``modules``, for figures kept by the code that counted them
    (``progress_kept``, the server's ``figures``): their source files; in the frozen build,
    whose modules are not files and whose code cannot change without a new build, the
    program's version and the executable's size and time."""
    digest = hashlib.sha256()
    if getattr(sys, "frozen", False):
        executable = Path(sys.executable).stat()
        digest.update(f"{__version__} {executable.st_size} {executable.st_mtime_ns}".encode())
        return digest.hexdigest()
    for module in modules:
        digest.update(Path(inspect.getfile(module)).read_bytes())
    return digest.hexdigest()
