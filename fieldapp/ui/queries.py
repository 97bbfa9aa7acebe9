"""The reads the window's jobs run on a worker thread, each returning plain data.

Each function opens its own read session and copies what the window needs into tuples and
dataclasses before the session closes, so no ORM object (bound to a session, lazy-loading on
access) ever crosses to the UI thread (Picard copies data the same way before handing it over).
No Qt here: these can be tested and reused without a window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from fieldapp.views import units as unit_view
from fieldapp.views.units import Page, UnitFilter, UnitRow

if TYPE_CHECKING:
    from fieldapp.domain.holdbacks import Reason
    from fieldapp.services.progress import Progress
    from fieldapp.services.worklists import HoldBack
    from fieldapp.storage.models import Unit
    from fieldapp.store import Store

__all__ = ["Page", "UnitRow"]


class EventRow(NamedTuple):
    occurred_on: date
    kind: str  # "state" or "sticker"
    from_state: str | None
    to_state: str | None
    actor: str
    reason: str
    photo: str | None = None  # thumbnail file of the sticker photo (标识张贴), if one was taken
    summary: str = ""  # the core's one-line account of the change (unit_changes.event_summary)
    county_confirmed: bool = False  # 县局确认
    source: str = ""  # the file and row, sync or window that made it
    exit_reason: str | None = None  # 移出: the coded reason (domain ExitReason)


@dataclass(frozen=True)
class UnitDetail:
    id: int
    credit_code: str
    name: str
    shop_name: str
    station: str
    unit_type: str
    industry: str | None
    address: str
    town: str
    contact_person: str
    contact_phone: str
    online_shop_name: str
    online_platform: str
    state: str | None
    state_since: date | None
    entered_on: date | None
    sticker_posted_on: date | None
    events: list[EventRow] = field(default_factory=list)
    prudent: bool = False  # 审慎培育


def _row(unit: Unit) -> UnitRow:
    return UnitRow(
        unit.id,
        unit.credit_code,
        unit.name,
        unit.station.name,
        unit.unit_type,
        unit.state,
        unit.address,
    )


def fetch_units(store: Store, query: UnitFilter, after_id: int, limit: int) -> list[UnitRow]:
    """The next ``limit`` units matching ``query`` after id ``after_id``, in id order.

    A filter on text, station, type and state is answered by the read model on ``sqlite3``; the
    two that need the evaluation rules go through the ORM (:mod:`fieldapp.services.units`)."""
    if query.plain:
        with store.raw_read() as connection:
            return unit_view.rows(connection, query, limit=limit, after_id=after_id)
    from fieldapp.services import units as unit_service

    with store.read() as session:
        found = unit_service.search(session, query, limit=limit, after_id=after_id)
        return [_row(u) for u in found]


def first_page(store: Store, query: UnitFilter, limit: int) -> Page:
    """Count and first rows in one read, so both describe the same moment."""
    if query.plain:
        with store.raw_read() as connection:
            return unit_view.first_page(connection, query, limit)
    from fieldapp.services import units as unit_service

    with store.read() as session:
        total = unit_service.count(session, query)
        found = unit_service.search(session, query, limit=limit, offset=0)
        return Page(query, total, [_row(u) for u in found])


def station_names(store: Store) -> list[str]:
    with store.raw_read() as connection:
        return unit_view.station_names(connection)


def unit_detail_by_code(store: Store, credit_code: str) -> UnitDetail | None:
    """The unit's record and history by credit code, or None if there is no such unit."""
    from sqlalchemy import select

    from fieldapp.storage.models import Unit

    with store.read() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.credit_code == credit_code))
    return None if unit_id is None else unit_detail(store, unit_id)


def unit_detail(store: Store, unit_id: int) -> UnitDetail | None:
    """The unit's record and history, or None if it has been deleted since it was listed."""
    from fieldapp.services import unit_changes
    from fieldapp.storage.models import Unit

    with store.read() as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            return None
        events = [
            EventRow(
                e.occurred_on,
                e.kind,
                e.from_state,
                e.to_state,
                e.actor,
                e.reason,
                str(store.photos.thumb_path(e.photo_sha256)) if e.photo_sha256 else None,
                unit_changes.event_summary(e),
                bool(e.county_confirmed),
                e.source,
                e.exit_reason,
            )
            for e in unit.events
        ]
        return UnitDetail(
            id=unit.id,
            credit_code=unit.credit_code,
            name=unit.name,
            shop_name=unit.shop_name,
            station=unit.station.name,
            unit_type=unit.unit_type,
            industry=unit.industry,
            address=unit.address,
            town=unit.town,
            contact_person=unit.contact_person,
            contact_phone=unit.contact_phone,
            online_shop_name=unit.online_shop_name,
            online_platform=unit.online_platform,
            state=unit.state,
            state_since=unit.state_since,
            entered_on=unit.entered_on,
            sticker_posted_on=unit.sticker_posted_on,
            events=events,
            prudent=bool(unit.prudent),
        )


def hold_back_counts(store: Store, year: int) -> dict[str, dict[Reason, int]]:
    from fieldapp.services import worklists

    with store.read() as session:
        return worklists.hold_back_counts(session, year, date.today())


def hold_backs(
    store: Store, year: int, station: str, reason: Reason, limit: int
) -> tuple[int, list[HoldBack]]:
    """How many units ``reason`` holds back at ``station``, and the first ``limit`` of them."""
    from fieldapp.services import worklists

    with store.read() as session:
        (found,) = worklists.hold_backs(session, year, date.today(), station=station)
    units = [h for h in found.items if h.reason is reason]
    return len(units), units[:limit]


def progress(store: Store, year: int) -> Progress:
    """Progress is already plain dataclasses (no ORM objects), so it can cross as it is."""
    from fieldapp.services import progress as progress_service

    with store.read() as session:
        return progress_service.compute(session, year)
