"""Many unit changes at once (the county's unit list): part of the one write path of a unit.

:mod:`fieldapp.services.unit_changes` changes one ORM unit at a time and flushes each; an import
of 50,000 rows cannot afford that. Here every row is *planned* first, under the same rules: a
lifecycle move is checked by :func:`lifecycle.check_transition`, a 命名 in the current year by
:func:`unit_changes.naming_evidence` and :func:`lifecycle.naming_refusal` (the functions
:func:`unit_changes.move` calls), a field change becomes one event of its kind
(:data:`FIELD_KINDS`) with the old and the new value. A refused move says what is missing, and
the caller drops that row's plan whole (its field changes too). Only then does :func:`write` put units and events in the store with a few Core
executemany statements. Every change carries its ``Change.source`` (a file and row).

A new unit, and a 命名 dated in an earlier year, come from the county's own list: that is history
the store has no evaluation for, and the event says so (:data:`HISTORY_NOTE`, no evaluation).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from fieldapp.domain import lifecycle
from fieldapp.domain.events import FIELD_KINDS, EventKind
from fieldapp.domain.lifecycle import ExitReason, State
from fieldapp.services.stations import station_ids
from fieldapp.services.unit_changes import (
    EDITABLE,
    Change,
    date_refusal,
    event_text,
    naming_evidence,
    unchanged,
)
from fieldapp.storage.models import Station, Unit, UnitEvent, local_now

UNITS = cast(Table, Unit.__table__)
EVENTS = cast(Table, UnitEvent.__table__)

# Said on a state event the store has no evaluation for: the county's list is the evidence.
HISTORY_NOTE = "县局名单所载，系历史记录（本机无对应后评价）"

# Record fields as a plan holds them: ``station`` by name (written as station_id).
_COLUMNS = tuple(sorted(EDITABLE - {"station"}))
_READ = ("id", "credit_code", "version", "station_id", "state", "state_since", *_COLUMNS)
_WRITTEN = (*_COLUMNS, "station_id", "state", "state_since")
_NEW_UNIT: dict[str, Any] = dict.fromkeys((*_COLUMNS, "station", "credit_code"))


@dataclass(slots=True)
class UnitPlan:
    """What one row does to one unit, not yet written.

    ``stored`` is the unit as the store has it (None: a new unit, whose every field is in
    ``values``); for a stored unit ``values`` holds only what changes. ``events`` are the rows of
    unit_events to write, in order (``unit_id`` and ``recorded_at`` are filled in by :func:`write`).
    """

    credit_code: str
    stored: Mapping[str, Any] | None
    values: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    given: set[str] = field(default_factory=set)  # fields the row set (changed or not)

    @property
    def state(self) -> State | None:
        if "state" in self.values:
            return cast(State, self.values["state"])
        return None if self.stored is None else cast(State | None, self.stored["state"])

    @property
    def changed(self) -> bool:
        return bool(self.values or self.events)


@dataclass
class Written:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    events: Counter[EventKind] = field(default_factory=Counter)
    state_changes: int = 0
    new_stations: list[str] = field(default_factory=list)


def stored_units(session: Session, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The stored record of the units named by ``codes`` (station by name), by credit code."""
    wanted = set(codes)
    statement = select(*(UNITS.c[name] for name in _READ))
    if len(wanted) < 500:
        statement = statement.where(UNITS.c.credit_code.in_(wanted))
    names = {id_: name for id_, name in session.execute(select(Station.id, Station.name))}
    found: dict[str, dict[str, Any]] = {}
    for row in session.execute(statement).mappings():
        if row["credit_code"] in wanted:
            record = dict(row)
            record["station"] = names.get(record["station_id"])
            found[record["credit_code"]] = record
    return found


def _event(
    change: Change,
    kind: EventKind,
    state: State | None,
    *,
    on: date,
    reason: str,
    to_state: State | None = None,
    name: str | None = None,
    old: str | None = None,
    new: str | None = None,
    exit_reason: ExitReason | None = None,
    evaluation_id: int | None = None,
) -> dict[str, Any]:
    """One unit_events row; columns left out are NULL (:func:`write` evens out the keys)."""
    event: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "unit_id": None,  # filled in by write()
        "kind": kind,
        "from_state": state,
        "to_state": state if to_state is None else to_state,
        "occurred_on": on,
        "actor": change.actor,
        "reason": reason,
        "county_confirmed": False,
        "source": change.source,
    }
    if name is not None:
        event.update(field=name, old_value=old, new_value=new)
    if exit_reason is not None:
        event["exit_reason"] = exit_reason
    if evaluation_id is not None:
        event["evaluation_id"] = evaluation_id
    return event


def plan_create(
    values: Mapping[str, Any],
    change: Change,
    *,
    state: State,
    on: date,
    reason: str,
    exit_reason: ExitReason | None = None,
) -> UnitPlan:
    """A new unit from the county's list, with its first state event as the list gives it.

    The list is history: a unit already named, or already gone, is recorded as the county has
    it (no evaluation; :data:`HISTORY_NOTE` said on a 命名). ``values`` holds every record field.
    """
    fields = {**_NEW_UNIT, **values}
    if len(fields) != len(_NEW_UNIT):
        raise ValueError(f"not fields of a unit: {sorted(fields.keys() - _NEW_UNIT.keys())}")
    entered = fields["entered_on"]
    if entered is None and state in lifecycle.ACTIVE_STATES:
        entered = on
    fields.update(state=state, state_since=on, entered_on=entered)
    if state in lifecycle.NAMED_STATES:
        reason = f"{reason}；{HISTORY_NOTE}" if reason else HISTORY_NOTE
    event = _event(
        change,
        EventKind.STATE,
        None,
        to_state=state,
        on=on,
        reason=reason,
        exit_reason=exit_reason if state is State.REMOVED else None,
    )
    return UnitPlan(str(values["credit_code"]), None, fields, [event])


def plan_fields(
    plan: UnitPlan, values: Mapping[str, Any], change: Change, *, reason: str = ""
) -> None:
    """Set record fields of a stored unit: one event per field that really changes (its kind
    from :data:`FIELD_KINDS`, else DETAILS with ``field``), as :func:`unit_changes.update_fields`."""
    stored = plan.stored
    if stored is None:
        raise ValueError("plan_fields is for a stored unit; a new one is planned whole")
    unknown = sorted(set(values) - EDITABLE)
    if unknown:
        raise ValueError(f"fields not editable: {unknown}")
    plan.given.update(name for name, new in values.items() if new is not None)
    for name, new in values.items():
        old = plan.values.get(name, stored[name])
        if unchanged(old, new):
            continue
        plan.values[name] = new
        plan.events.append(
            _event(
                change,
                FIELD_KINDS.get(name, EventKind.DETAILS),
                plan.state,
                on=change.today,
                reason=reason,
                name=name,
                old=event_text(old),
                new=event_text(new),
            )
        )


def plan_move(
    session: Session,
    plan: UnitPlan,
    target: State,
    change: Change,
    *,
    on: date,
    reason: str = "",
    exit_reason: ExitReason | None = None,
    event_reason: str | None = None,
) -> tuple[str, str] | None:
    """Move a stored unit to ``target`` under the rules of :func:`unit_changes.move`.

    Returns None when planned, else ``(what, why)``: ``what`` is "state" (the move itself is
    refused: lifecycle, 命名 evidence) or "date" (the date is out of order). A 命名 in the
    current year needs a finalised, passing 后评价 of that year (and none of 审慎培育, the flag
    as this plan leaves it); one in an earlier year is history from the county's list.
    ``event_reason`` is written on the event instead of ``reason`` (the one the rules check).
    """
    stored = plan.stored
    if stored is None:
        raise ValueError("plan_move is for a stored unit; a new one starts with plan_create")
    current = plan.state
    refusal = lifecycle.check_transition(current, target, reason, exit_reason)
    if refusal:
        return "state", refusal
    since = plan.values.get("state_since", stored["state_since"])
    refusal = date_refusal(on, since, change.today)
    if refusal:
        return "date", refusal
    written = reason if event_reason is None else event_reason
    evaluation_id: int | None = None
    if target in lifecycle.NAMED_STATES:
        if on.year >= change.today.year:
            prudent = plan.values.get("prudent", stored["prudent"])
            # A transient unit (never added to the session): naming_evidence reads its id and
            # its 审慎培育 flag as this row leaves it.
            probe = Unit(id=stored["id"], prudent=bool(prudent))
            evidence = naming_evidence(session, probe, on.year)
            refusal = lifecycle.naming_refusal(evidence, county_override=False)
            if refusal:
                return "state", refusal
            evaluation_id = evidence.passing_evaluation
        else:
            written = f"{written}；{HISTORY_NOTE}" if written else HISTORY_NOTE
    plan.events.append(
        _event(
            change,
            EventKind.STATE,
            current,
            to_state=target,
            on=on,
            reason=written,
            exit_reason=exit_reason,
            evaluation_id=evaluation_id,
        )
    )
    plan.values.update(state=target, state_since=on)
    if lifecycle.enters_pool(current, target) and "entered_on" not in plan.given:
        plan.values["entered_on"] = on  # 入库: the unit (re-)enters the pool
    return None


def write(session: Session, plans: Iterable[UnitPlan]) -> Written:
    """Write the planned units and events in the caller's transaction (Core executemany).

    Stations named by the plans that do not exist yet are created (``Written.new_stations``).
    """
    plans = list(plans)
    result = Written()
    now = local_now()
    names = [p.values["station"] for p in plans if "station" in p.values]
    stations, result.new_stations = station_ids(session, list(dict.fromkeys(names)))
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for plan in plans:
        values = dict(plan.values)
        if "station" in values:
            values["station_id"] = stations[values.pop("station")]
        if plan.stored is None:
            values.update(
                uuid=str(uuid.uuid4()),
                sticker_posted_on=None,
                version=1,
                created_at=now,
                updated_at=now,
            )
            new_rows.append(values)
            continue
        if not plan.changed:
            result.unchanged += 1
            continue
        row = {name: plan.stored[name] for name in _WRITTEN}
        row.update(values)
        row.update(b_id=plan.stored["id"], version=plan.stored["version"] + 1, updated_at=now)
        updates.append(row)
    connection = session.connection()
    ids: dict[str, int] = {}
    if new_rows:
        # Core executemany, not the ORM bulk path: with RETURNING, the ORM splits rows whose
        # None columns differ into tiny batches and splices results quadratically.
        connection.execute(insert(UNITS), new_rows)
        ids = _ids_by_code(session, [row["credit_code"] for row in new_rows])
    for plan in plans:
        unit_id = ids[plan.credit_code] if plan.stored is None else plan.stored["id"]
        for event in plan.events:
            event["unit_id"] = unit_id
    if updates:
        columns: dict[str, Any] = {name: bindparam(name) for name in updates[0] if name != "b_id"}
        statement = update(UNITS).where(UNITS.c.id == bindparam("b_id")).values(columns)
        connection.execute(statement, updates)
    events = [event for plan in plans for event in plan.events]
    keys: set[str] = set().union(*events, ["recorded_at"])
    for event in events:
        event["recorded_at"] = now
        if len(event) != len(keys):
            event.update(dict.fromkeys(keys - event.keys()))
    result.events.update(event["kind"] for event in events)
    result.state_changes = sum(
        1 for event in events if event["kind"] is EventKind.STATE and event["from_state"]
    )
    if events:
        connection.execute(insert(EVENTS), events)
    session.expire_all()
    result.created = len(new_rows)
    result.updated = len(updates)
    return result


def _ids_by_code(session: Session, codes: list[str]) -> dict[str, int]:
    statement = select(UNITS.c.credit_code, UNITS.c.id)
    if len(codes) < 500:
        statement = statement.where(UNITS.c.credit_code.in_(codes))
    return {code: unit_id for code, unit_id in session.execute(statement)}
