"""A unit's dated history as it travels: merged by uuid, its state chain checked by the domain.

Used on both sides: the county server checks what a laptop sends against the unit it holds, and
a laptop checks what it pulls against its own copy (:mod:`fieldapp.services.unit_sync`). Each
state event of a chain is one move the domain must allow (:func:`lifecycle.check_transition`),
in date order; the first event of a record opens it (a county list may list a unit already in
any state, even 移出 or 注销), every later one is a move. Pure functions over wire models.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date

from fieldapp.domain import lifecycle
from fieldapp.domain.events import EventKind
from fieldapp.domain.lifecycle import State
from fieldapp.sync.wire import WireUnitEvent

SYNC_SOURCE = "同步"


def _label(state: State | None) -> str:
    return state.label if state is not None else "（无状态）"


def _content(event: WireUnitEvent) -> tuple[object, ...]:
    """What an event says, without who wrote it down: the same change recorded on two machines
    (one county list imported twice) has two uuids but this same content."""
    return (event.kind, event.to_state, event.occurred_on, event.field, event.new_value)


def new_events(
    known: Sequence[WireUnitEvent], incoming: Sequence[WireUnitEvent]
) -> list[WireUnitEvent]:
    """The events of ``incoming`` not already in ``known``, in incoming order.

    Known by uuid; an event under another uuid that records the very same change as a known
    event with no incoming twin is known too (each known event stands for one incoming event).
    """
    uuids = {e.uuid for e in known}
    incoming_uuids = {e.uuid for e in incoming}
    spare = Counter(_content(e) for e in known if e.uuid not in incoming_uuids)
    found: list[WireUnitEvent] = []
    seen: set[str] = set()
    for event in incoming:
        if event.uuid in uuids or event.uuid in seen:
            continue
        seen.add(event.uuid)
        key = _content(event)
        if spare[key]:
            spare[key] -= 1
            continue
        found.append(event)
    return found


def state_events(events: Sequence[WireUnitEvent]) -> list[WireUnitEvent]:
    return [e for e in events if e.kind is EventKind.STATE and e.to_state is not None]


def chain_refusal(
    events: Sequence[WireUnitEvent],
    *,
    start: State | None,
    start_on: date | None,
    end: State | None,
) -> str | None:
    """Why the state moves in ``events`` (in their order) from ``start`` cannot lead to ``end``,
    or None. From no state the first move opens the record; every other move is checked by
    the domain, with the event's reason and coded exit reason, and must not go back in time."""
    current, last = start, start_on
    for event in state_events(events):
        target = event.to_state
        assert target is not None
        where = f"{event.occurred_on}「{_label(current)}」→「{target.label}」"
        if current is not None:
            refusal = lifecycle.check_transition(current, target, event.reason, event.exit_reason)
            if refusal:
                return f"{where}：{refusal}"
        if last is not None and event.occurred_on < last:
            return f"{where}：日期早于上一次状态变更（{last}），历史记录必须按时间先后"
        current, last = target, event.occurred_on
    if current != end:
        return f"历史记录止于「{_label(current)}」，而单位的状态为「{_label(end)}」"
    return None


def synthesized_move(
    before: State | None,
    after: State,
    on: date,
    *,
    actor: str,
    reason: str,
    source: str,
) -> WireUnitEvent:
    """A state event for a change that arrived without its history (an older client or
    server): dated by the unit's state date, marked by its source."""
    return WireUnitEvent(
        uuid=str(uuid.uuid4()),
        kind=EventKind.STATE,
        from_state=before,
        to_state=after,
        occurred_on=on,
        actor=(actor.strip() or SYNC_SOURCE)[:64],
        reason=reason,
        source=source[:300],
    )


def synced_source(source: str) -> str:
    """The source of an event copied from the server: "同步", or "同步：<where it came from>"."""
    if not source:
        return SYNC_SOURCE
    if source.startswith(SYNC_SOURCE):
        return source[:300]
    return f"{SYNC_SOURCE}：{source}"[:300]
