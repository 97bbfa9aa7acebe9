"""Lifecycle steps for tests, through the one write path (services.unit_changes).

``name`` 命名 a unit with a county confirmation, for tests that need a named unit but are not
about the evidence a 后评价 gives (tests/unit/test_naming.py is).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from fieldapp.domain.events import Role
from fieldapp.domain.lifecycle import ExitReason, State
from fieldapp.services import unit_changes
from fieldapp.services.unit_changes import Change
from fieldapp.storage.models import Unit, UnitEvent


def move(
    session: Session,
    unit: Unit,
    target: State,
    *,
    actor: str = "测试",
    reason: str = "",
    on: date | None = None,
    today: date | None = None,
    exit_reason: ExitReason | None = None,
) -> UnitEvent:
    if target in (State.CONFIRMED, State.STARRED):
        return name(session, unit, target, actor=actor, on=on, today=today)
    change = Change(actor, today=today or date.today())
    return unit_changes.move(
        session, unit, target, change, reason=reason, on=on, exit_reason=exit_reason
    )


def name(
    session: Session,
    unit: Unit,
    target: State = State.CONFIRMED,
    *,
    actor: str = "县局",
    on: date | None = None,
    today: date | None = None,
) -> UnitEvent:
    change = Change(actor, Role.COUNTY, today=today or date.today())
    return unit_changes.move(
        session, unit, target, change, reason="测试：县局确认", on=on, county_confirm=True
    )


def sticker(
    session: Session,
    unit: Unit,
    *,
    actor: str = "测试",
    note: str = "",
    on: date | None = None,
    today: date | None = None,
    photo_sha256: str | None = None,
) -> UnitEvent:
    change = Change(actor, today=today or date.today())
    return unit_changes.post_sticker(
        session, unit, change, note=note, on=on, photo_sha256=photo_sha256
    )
