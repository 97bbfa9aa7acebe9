"""How a unit counts toward a year's task, folded from its dated history. Pure rules, no I/O.

Seed 002: "任务数包括去年建成的现存数量、今年新培育的数量". In these terms, at a reference date D of
year Y (31 December, or today for the current year):

- **现存 (stock)**: the unit was 建成 — named 放心消费单位 or raised to 星级库 — in a year before Y,
  and at D it is still in the pool (培育库 … 放心消费单位, 星级库, 预警库).
- **新培育 (new)**: not stock, in the pool at D, and either its 入库 (the move into 培育库 or any
  pool state from outside the pool) happened in Y, or it entered earlier and was named in Y
  (its cultivation was completed this year).
- **往年入库未建成 (carried)**: in the pool at D, entered before Y and never named: shown, not
  counted (a unit that has sat in 培育库 since 2022 is not this year's achievement).

A unit's station and type at D are those its history gives for D: a 所属所变更 or 单位类型变更 made
later does not move it in an earlier year's figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from fieldapp.domain.events import EventKind
from fieldapp.domain.lifecycle import (
    ACTIVE_STATES,
    COMMITTED_OR_LATER,
    NAMED_STATES,
    State,
    enters_pool,
)


class Count(StrEnum):
    STOCK = "stock"
    NEW = "new"
    CARRIED = "carried"

    @property
    def label(self) -> str:
        return {"stock": "去年建成现存", "new": "今年新培育", "carried": "往年入库未建成"}[
            self.value
        ]


@dataclass(frozen=True)
class HistoryEvent:
    """One event as the fold needs it (kind, date, order, states or old/new text)."""

    order: int
    kind: EventKind
    occurred_on: date
    to_state: State | None = None
    old_value: str | None = None
    new_value: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """A unit as its history gives it at a date."""

    station: str
    unit_type: str
    state: State | None
    entered_on: date | None
    named_on: date | None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def committed(self) -> bool:
        """Reached 承诺公示 (or a later pool state): the June milestone."""
        return self.state in COMMITTED_OR_LATER


def _field_at(changes: Sequence[HistoryEvent], when: date, now: str) -> str:
    """The value a field had at ``when`` (``changes``: its changes in order): the newest change
    on or before it, else the value before the first later change, else the value it has now."""
    value = None
    for event in changes:
        if event.occurred_on > when:
            break
        value = event
    if value is not None:
        return value.new_value or ""
    if changes:
        return changes[0].old_value or ""
    return now


class Timeline:
    """A unit's history put in order once (date order, then record order), to be read at as
    many dates as a figure needs (:meth:`at`); ``station``, ``unit_type`` and ``entered_on`` are
    the unit's current values."""

    __slots__ = ("_ordered", "_states", "_station", "_stations", "_types", "_unit_type")

    def __init__(
        self,
        events: Sequence[HistoryEvent],
        *,
        station: str,
        unit_type: str,
        entered_on: date | None,
    ) -> None:
        ordered = sorted(events, key=_in_order)
        states = [e for e in ordered if e.kind is EventKind.STATE and e.to_state is not None]
        if (
            entered_on is not None
            and states
            and entered_on < states[0].occurred_on
            and states[0].to_state in ACTIVE_STATES
        ):
            # A unit listed (imported) in a pool state later than its 入库日期 was in the pool
            # from that date: its first entry is the 入库日期, not the day the list was imported.
            entry_event = HistoryEvent(-1, EventKind.STATE, entered_on, State.CULTIVATING)
            states = [entry_event, *states]
        self._states = states
        self._stations = [e for e in ordered if e.kind is EventKind.STATION]
        self._types = [e for e in ordered if e.kind is EventKind.UNIT_TYPE]
        self._station = station
        self._unit_type = unit_type
        self._ordered = ordered

    def at(self, when: date) -> Snapshot:
        """The unit as its history gives it at ``when``."""
        state: State | None = None
        entry: date | None = None
        named: date | None = None
        for event in self._states:
            if event.occurred_on > when:
                break
            if enters_pool(state, event.to_state):
                entry, named = event.occurred_on, None
            state = event.to_state
            if state in NAMED_STATES and named is None:
                named = (
                    event.occurred_on
                )  # 建成: the first 命名 since it entered (re-named later too)
        return Snapshot(
            station=_field_at(self._stations, when, self._station),
            unit_type=_field_at(self._types, when, self._unit_type),
            state=state,
            entered_on=entry,
            named_on=named,
        )

    def next_change(self, when: date) -> date | None:
        """The first date after ``when`` on which the history says something (None: none):
        what it gives at any date from ``when`` until then is what it gives at ``when``."""
        later = [e.occurred_on for e in (*self._ordered, *self._states) if e.occurred_on > when]
        return min(later, default=None)


def _in_order(event: HistoryEvent) -> tuple[date, int]:
    return (event.occurred_on, event.order)


def snapshot(
    events: Sequence[HistoryEvent],
    when: date,
    *,
    station: str,
    unit_type: str,
    entered_on: date | None,
) -> Snapshot:
    """Fold ``events`` (in date order, then record order) up to ``when``; ``station``,
    ``unit_type`` and ``entered_on`` are the unit's current values."""
    return Timeline(events, station=station, unit_type=unit_type, entered_on=entered_on).at(when)


def reference_date(year: int, today: date) -> date:
    """The date a year's figures are counted at: 31 December, or today while the year runs."""
    return min(today, date(year, 12, 31))


def classify(unit: Snapshot, year: int) -> Count | None:
    """How ``unit`` (a snapshot at a date of ``year``) counts toward that year's task."""
    if not unit.active or unit.entered_on is None:
        return None
    if unit.named_on is not None and unit.named_on.year < year:
        return Count.STOCK
    if unit.entered_on.year == year or (unit.named_on is not None and unit.named_on.year == year):
        return Count.NEW
    return Count.CARRIED


# Fields a unit's record must have for 系统录入 to count as complete (June milestone, seed 002:
# "系统录入率达100%"). Areas and village stations have no industry.
RECORD_FIELDS = ("name", "address", "station", "unit_type", "contact_person", "contact_phone")


def record_complete(values: Mapping[str, object], *, needs_industry: bool) -> bool:
    fields = (*RECORD_FIELDS, "industry") if needs_industry else RECORD_FIELDS
    return all(values.get(name) not in (None, "") for name in fields)
