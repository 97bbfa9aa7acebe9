"""A unit pulled from the county server, adopted through the domain: part of the one write path.

The server sends a unit with its whole dated history (:class:`fieldapp.sync.wire.WireUnit`).
:func:`adopt` creates or updates the local unit so that it counts here exactly as where it was
changed: events already here are skipped (by uuid, or the same change recorded under another
uuid), new ones are written with their own dates, actors and reasons, their source marked
"同步"; the state history is checked move by move with :func:`lifecycle.check_transition`
(:func:`fieldapp.sync.history.chain_refusal`). A history the domain refuses, or one that does
not continue this laptop's, is not applied: the refusal is kept on the unit's sync record
(``SyncUnit.conflict``) and reported, nothing is dropped silently and nothing raises.

A record field that differs without an event of its own (a county copy changed before histories
travelled) is changed through :func:`unit_changes.update_fields`, source "同步"; a unit from an
older server, which sends no history, gets one state event dated by its state date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain import lifecycle
from fieldapp.domain.events import EventKind
from fieldapp.services.stations import station_ids
from fieldapp.services.unit_changes import Change, current_value, recode, update_fields
from fieldapp.storage.models import Station, SyncUnit, Unit, UnitEvent, local_now
from fieldapp.sync import history
from fieldapp.sync.mapping import wire_event
from fieldapp.sync.wire import RECORD_FIELDS, WireUnit, WireUnitEvent

SERVER_ACTOR = "县局服务器"
NO_HISTORY_REASON = "服务器未带历史记录，按其状态和状态日期记下"


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    KEPT_LOCAL = "kept_local"  # changed here since; our change goes up and the server decides
    CONFLICT = "conflict"  # refused: kept on SyncUnit.conflict, nothing applied


@dataclass(frozen=True)
class Adopted:
    """What :func:`adopt` did with one incoming unit."""

    outcome: Outcome
    unit_id: int | None
    events_added: int = 0
    message: str = ""


def sync_change(today: date | None = None) -> Change:
    """The change a pull makes on its own account (fields that differ without an event)."""
    return Change(actor=SERVER_ACTOR, source=history.SYNC_SOURCE, today=today or date.today())


def _find(session: Session, incoming: WireUnit) -> Unit | None:
    unit = session.scalar(select(Unit).where(Unit.uuid == incoming.uuid))
    if unit is None:  # the same business from a county list this laptop imported itself
        unit = session.scalar(select(Unit).where(Unit.credit_code == incoming.credit_code))
    return unit


def _station(session: Session, name: str) -> Station:
    ids, _created = station_ids(session, [name])
    station = session.get(Station, ids[name])
    assert station is not None
    return station


def _record(session: Session, unit: Unit) -> SyncUnit:
    record = session.get(SyncUnit, unit.id)
    if record is None:
        record = SyncUnit(unit_id=unit.id, server_version=0, local_version=0)
        session.add(record)
    return record


def _new_unit(session: Session, incoming: WireUnit) -> Unit:
    """The record fields of a unit this laptop has not had; its states come from its events."""
    unit = Unit(
        uuid=incoming.uuid,
        credit_code=incoming.credit_code,
        name=incoming.name,
        shop_name=incoming.shop_name,
        address=incoming.address,
        town=incoming.town,
        station=_station(session, incoming.station),
        unit_type=incoming.unit_type,
        industry=incoming.industry,
        category=incoming.category,
        contact_person=incoming.contact_person,
        contact_phone=incoming.contact_phone,
        prudent=incoming.prudent,
        state=None,
        version=0,
    )
    session.add(unit)
    session.flush()
    return unit


def _entered_on(events: list[WireUnitEvent]) -> date | None:
    """入库: the date of the last move into the pool from outside it (as unit_changes keeps it)."""
    ordered = sorted(
        enumerate(history.state_events(events)), key=lambda pair: (pair[1].occurred_on, pair[0])
    )
    state, entered = None, None
    for _order, event in ordered:
        if lifecycle.enters_pool(state, event.to_state):
            entered = event.occurred_on
        state = event.to_state
    return entered


def _event_row(unit: Unit, event: WireUnitEvent) -> UnitEvent:
    return UnitEvent(
        unit=unit,
        uuid=event.uuid,
        kind=event.kind,
        from_state=event.from_state,
        to_state=event.to_state,
        occurred_on=event.occurred_on,
        actor=event.actor,
        reason=event.reason,
        field=event.field,
        old_value=event.old_value,
        new_value=event.new_value,
        exit_reason=event.exit_reason,
        county_confirmed=event.county_confirmed,
        source=history.synced_source(event.source),
        photo_sha256=event.photo_sha256,
    )


def _set_field(session: Session, unit: Unit, name: str, value: Any) -> None:
    """A field whose change arrived as an event of its own: set as the event says."""
    if name == "station":
        unit.station = _station(session, str(value))
    else:
        setattr(unit, name, value)


def _conflict(session: Session, unit: Unit | None, incoming: WireUnit, refusal: str) -> Adopted:
    message = (
        f"单位「{incoming.name}」（{incoming.credit_code}）：服务器上的变更未应用——{refusal}。"
        "本机记录未改动；请所（分局）在服务器上核对该单位的历史后再同步"
    )
    if unit is None:
        # Kept as a record without a state, so the refusal stays visible on its sync record;
        # it counts nowhere until a history the domain accepts arrives.
        unit = _new_unit(session, incoming)
    record = _record(session, unit)
    record.server_version = incoming.version
    record.local_version = unit.version
    record.conflict = message
    session.flush()
    return Adopted(Outcome.CONFLICT, unit.id, 0, message)


def adopt(session: Session, incoming: WireUnit, change: Change) -> Adopted:
    """Create or update the local copy of ``incoming`` through the domain (see the module)."""
    unit = _find(session, incoming)
    record = session.get(SyncUnit, unit.id) if unit is not None else None
    if unit is not None and record is not None and unit.version > record.local_version:
        return Adopted(Outcome.KEPT_LOCAL, unit.id)
    local = [wire_event(e) for e in unit.events] if unit is not None else []
    # A unit copied here before histories travelled has a state but no events: its history
    # starts again from the server's.
    start = unit.state if unit is not None and local else None
    start_on = unit.state_since if unit is not None and local else None

    incoming_events = list(incoming.events)
    if incoming_events:
        refusal = history.chain_refusal(
            incoming_events, start=None, start_on=None, end=incoming.state
        )
        if refusal:
            return _conflict(session, unit, incoming, refusal)
    elif incoming.state is not None and (not local or incoming.state != start):
        # An older server sends no history: its state becomes one event, dated by its date
        # (so a unit copied here before histories travelled counts from now on too).
        incoming_events = [
            history.synthesized_move(
                start,
                incoming.state,
                incoming.state_since or change.today,
                actor=change.actor,
                reason=NO_HISTORY_REASON,
                source=history.SYNC_SOURCE,
            )
        ]

    added = history.new_events(local, incoming_events)
    moves = history.state_events(added)
    if moves or start != incoming.state:
        refusal = history.chain_refusal(moves, start=start, start_on=start_on, end=incoming.state)
        if refusal:
            return _conflict(session, unit, incoming, f"与本机记录接不上：{refusal}")
    taken = set(
        session.scalars(select(UnitEvent.uuid).where(UnitEvent.uuid.in_([e.uuid for e in added])))
    )
    if taken:
        return _conflict(session, unit, incoming, f"事件 {sorted(taken)[0]} 在本机已属于另一个单位")
    clash = session.scalar(
        select(Unit).where(Unit.credit_code == incoming.credit_code, Unit.uuid != incoming.uuid)
    )
    if unit is not None and clash is not None and clash.id != unit.id:
        return _conflict(
            session,
            unit,
            incoming,
            f"信用代码 {incoming.credit_code} 在本机属于另一个单位「{clash.name}」",
        )

    created = unit is None
    if unit is None:
        unit = _new_unit(session, incoming)
    unit.uuid = incoming.uuid  # the county's id for the business from now on
    for event in added:
        session.add(_event_row(unit, event))
    changed = bool(added)

    # Fields: those an incoming event changed are set as it says; any other difference is a
    # change made by 同步, through update_fields (one event each).
    sent = incoming.model_fields_set
    covered = {e.field for e in added if e.kind is not EventKind.STATE and e.field}
    differing: dict[str, Any] = {}
    if not created:
        if unit.credit_code != incoming.credit_code:
            recode(session, unit, incoming.credit_code, change)
            changed = True
        for name in RECORD_FIELDS:
            if name == "prudent" and "prudent" not in sent:
                continue  # an older server does not know the flag
            value = getattr(incoming, name)
            if current_value(unit, name) == value:
                continue
            if name in covered:
                _set_field(session, unit, name, value)
                changed = True
            else:
                differing[name] = value
    if moves:
        unit.state = incoming.state
        unit.state_since = incoming.state_since or moves[-1].occurred_on
    if "entered_on" in sent:
        if unit.entered_on != incoming.entered_on:
            unit.entered_on = incoming.entered_on
            changed = True
    elif moves:
        unit.entered_on = _entered_on([*local, *added])
    if "sticker_posted_on" in sent:
        if unit.sticker_posted_on != incoming.sticker_posted_on:
            unit.sticker_posted_on = incoming.sticker_posted_on
            changed = True
    else:
        stickers = [e.occurred_on for e in added if e.kind is EventKind.STICKER]
        if stickers:
            unit.sticker_posted_on = max(stickers)
    if changed or created:
        unit.version = (unit.version or 0) + 1
        unit.updated_at = local_now()
    session.flush()
    if differing:
        if "station" in differing:
            _station(session, str(differing["station"]))  # reference data: made on first mention
        update_fields(session, unit, differing, change)
        changed = True

    record = _record(session, unit)
    record.server_version = incoming.version
    record.local_version = unit.version
    record.conflict = None
    session.flush()
    outcome = Outcome.CREATED if created else Outcome.UPDATED if changed else Outcome.UNCHANGED
    return Adopted(outcome, unit.id, len(added))
