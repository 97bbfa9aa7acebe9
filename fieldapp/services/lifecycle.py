"""Move a unit along its lifecycle, keeping every dated step with who and why."""

from __future__ import annotations

import os
from datetime import date

from sqlalchemy.orm import Session

from fieldapp.domain import lifecycle
from fieldapp.domain.lifecycle import State
from fieldapp.errors import IllegalTransition
from fieldapp.photos import PhotoStore, prepare
from fieldapp.photos.ingest import DEFAULT_MAX_SIDE
from fieldapp.storage.models import Unit, UnitEvent, utcnow


def change_state(
    session: Session,
    unit: Unit,
    target: State,
    *,
    actor: str,
    reason: str = "",
    on: date | None = None,
    today: date | None = None,
) -> UnitEvent:
    """Apply one transition; raise IllegalTransition naming the allowed moves if it is refused."""
    today = today or date.today()
    on = on or today
    current = State(unit.state) if unit.state else None
    refusal = lifecycle.check_transition(current, target, reason)
    if refusal:
        raise IllegalTransition(f"{unit.name}（{unit.credit_code}）：{refusal}")
    if on > today:
        raise IllegalTransition(f"{unit.name}：变更日期 {on} 晚于今天")
    if unit.state_since and on < unit.state_since:
        raise IllegalTransition(
            f"{unit.name}：变更日期 {on} 早于上次变更（{unit.state_since}），历史记录必须按时间先后"
        )
    event = UnitEvent(
        unit=unit,
        kind="state",
        from_state=unit.state,
        to_state=target.value,
        occurred_on=on,
        actor=actor,
        reason=reason.strip(),
    )
    session.add(event)
    unit.state = target.value
    unit.state_since = on
    if target == State.CULTIVATING:
        unit.entered_on = on
    unit.version += 1
    unit.updated_at = utcnow()
    session.flush()
    return event


def post_sticker(
    session: Session,
    unit: Unit,
    *,
    actor: str,
    note: str = "",
    on: date | None = None,
    today: date | None = None,
    photo_sha256: str | None = None,
) -> UnitEvent:
    """Record the year's 放心消费 sticker (标识张贴) on a confirmed unit.

    ``photo_sha256`` names the photo of the posted sticker, already in the photo store
    (:func:`store_sticker_photo`); the dashboard lists stickers without one.
    """
    today = today or date.today()
    on = on or today
    if unit.state not in {s.value for s in lifecycle.CONFIRMED_STATES}:
        here = State(unit.state).label if unit.state else "（无状态）"
        raise IllegalTransition(
            f"{unit.name}：只有「放心消费单位」或「星级库」的单位才能张贴标识，当前为「{here}」。"
            "请先完成后评价"
        )
    if on > today:
        raise IllegalTransition(f"{unit.name}：张贴日期 {on} 晚于今天")
    if unit.state_since and on < unit.state_since:
        raise IllegalTransition(f"{unit.name}：张贴日期 {on} 早于命名日期 {unit.state_since}")
    event = UnitEvent(
        unit=unit,
        kind="sticker",
        from_state=unit.state,
        to_state=unit.state,
        occurred_on=on,
        actor=actor,
        reason=note.strip(),
        photo_sha256=photo_sha256,
    )
    session.add(event)
    unit.sticker_posted_on = on
    unit.version += 1
    unit.updated_at = utcnow()
    session.flush()
    return event


def store_sticker_photo(
    photos: PhotoStore, path: str | os.PathLike[str], max_side: int = DEFAULT_MAX_SIDE
) -> str:
    """Ingest the photo of a posted sticker like any evidence photo; return its SHA-256.

    Refuses what is not a whole image (``InvalidInput`` naming the file) before anything is stored.
    An unreferenced file left by a failure later is swept at start-up like other orphan photos.
    """
    return photos.put(prepare(path, max_side))
