"""Progress against the station task tables, counted as seed 002 says.

"任务数包括去年建成的现存数量、今年新培育的数量": a unit counts toward year Y's task when, at the
reference date (31 December of Y, or today for the current year), it is in an active state
(培育库 through 放心消费单位, 星级库 or 预警库) and entered the pool in Y (new) or earlier (stock).
Candidates, removed and closed units do not count. The state at the reference date comes from the
unit's event history, so a past year's figure does not move when a unit changes today.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.domain import lifecycle
from fieldapp.domain.vocab import UnitType
from fieldapp.storage.models import Station, Target, Unit, UnitEvent

_ACTIVE = {s.value for s in lifecycle.ACTIVE_STATES}
_CONFIRMED = {s.value for s in lifecycle.CONFIRMED_STATES}


@dataclass
class Cell:
    station: str
    unit_type: UnitType
    target: int = 0
    new: int = 0
    stock: int = 0
    confirmed: int = 0  # passed 后评价 (放心消费单位/星级库) during the year
    stickers: int = 0  # 标识张贴 recorded during the year

    @property
    def achieved(self) -> int:
        return self.new + self.stock

    @property
    def ratio(self) -> float | None:
        return self.achieved / self.target if self.target else None

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out.update(
            unit_type=self.unit_type.value,
            unit_type_label=self.unit_type.label,
            achieved=self.achieved,
            ratio=self.ratio,
        )
        return out


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

    def total(self, group: str) -> Cell:
        """Sum over a group of unit types: "units" (一般+无理由+工厂), "areas", "village_stations"."""
        out = Cell("合计", next(t for t in UnitType if t.group == group))
        for cell in self.cells:
            if cell.unit_type.group == group:
                out.target += cell.target
                out.new += cell.new
                out.stock += cell.stock
                out.confirmed += cell.confirmed
                out.stickers += cell.stickers
        return out

    def by_type(self) -> dict[UnitType, Cell]:
        out: dict[UnitType, Cell] = {}
        for cell in self.cells:
            agg = out.setdefault(cell.unit_type, Cell("合计", cell.unit_type))
            agg.target += cell.target
            agg.new += cell.new
            agg.stock += cell.stock
            agg.confirmed += cell.confirmed
            agg.stickers += cell.stickers
        return out


def deadlines(year: int, today: date) -> list[Deadline]:
    """Seed 002: end of June (培育、承诺公示、系统录入率100%), end of November (后评价、标识张贴)."""
    marks = [
        ("6月底：培育、承诺公示、系统录入率100%", date(year, 6, 30)),
        ("11月底：后评价、标识张贴", date(year, 11, 30)),
    ]
    return [Deadline(name, due, (due - today).days) for name, due in marks]


def compute(session: Session, year: int, today: date | None = None) -> Progress:
    today = today or date.today()
    as_of = min(today, date(year, 12, 31))
    progress = Progress(year, as_of, deadlines=deadlines(year, today))
    cells: dict[tuple[int, str], Cell] = {}
    names = dict(session.execute(select(Station.id, Station.name)).all())

    def cell(station_id: int, unit_type: str) -> Cell:
        key = (station_id, unit_type)
        if key not in cells:
            cells[key] = Cell(names[station_id], UnitType(unit_type))
        return cells[key]

    for target in session.scalars(select(Target).where(Target.year == year)):
        cell(target.station_id, target.unit_type).target += target.count

    # State of each unit at the reference date: its latest state event on or before it.
    latest = (
        select(UnitEvent.unit_id, func.max(UnitEvent.id).label("event_id"))
        .where(UnitEvent.kind == "state", UnitEvent.occurred_on <= as_of)
        .group_by(UnitEvent.unit_id)
        .subquery()
    )
    rows = session.execute(
        select(Unit.station_id, Unit.unit_type, Unit.entered_on, UnitEvent.to_state)
        .join(latest, latest.c.unit_id == Unit.id)
        .join(UnitEvent, UnitEvent.id == latest.c.event_id)
    )
    for station_id, unit_type, entered_on, state in rows:
        if state not in _ACTIVE or entered_on is None or entered_on > as_of:
            continue
        target_cell = cell(station_id, unit_type)
        if entered_on.year == year:
            target_cell.new += 1
        else:
            target_cell.stock += 1

    start, end = date(year, 1, 1), as_of
    confirmed = session.execute(
        select(Unit.station_id, Unit.unit_type, func.count(func.distinct(Unit.id)))
        .join(UnitEvent, UnitEvent.unit_id == Unit.id)
        .where(
            UnitEvent.kind == "state",
            UnitEvent.to_state.in_(_CONFIRMED),
            UnitEvent.occurred_on.between(start, end),
        )
        .group_by(Unit.station_id, Unit.unit_type)
    )
    for station_id, unit_type, count in confirmed:
        cell(station_id, unit_type).confirmed = count
    stickers = session.execute(
        select(Unit.station_id, Unit.unit_type, func.count(func.distinct(Unit.id)))
        .join(UnitEvent, UnitEvent.unit_id == Unit.id)
        .where(UnitEvent.kind == "sticker", UnitEvent.occurred_on.between(start, end))
        .group_by(Unit.station_id, Unit.unit_type)
    )
    for station_id, unit_type, count in stickers:
        cell(station_id, unit_type).stickers = count

    progress.cells = [cells[key] for key in sorted(cells, key=_cell_order)]
    return progress


_TYPE_ORDER = {t.value: i for i, t in enumerate(UnitType)}


def _cell_order(key: tuple[int, str]) -> tuple[int, int]:
    station_id, unit_type = key
    return (station_id, _TYPE_ORDER[unit_type])
