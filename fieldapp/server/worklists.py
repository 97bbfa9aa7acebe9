"""The daily and weekly worklists (每天网上巡, 每周回头看) on the server, made by the desktop's
own functions from every synced record.

:func:`daily` feeds :func:`fieldapp.services.worklists.fold_day` with the steps of the units'
histories dated the day and the evaluations begun or finalised that day;
:func:`weekly` folds the hold-back facts (:func:`fieldapp.server.holdbacks.facts`) with
:func:`fieldapp.services.worklists.open_items` and keeps what is due by Sunday, as the
desktop's :func:`~fieldapp.services.worklists.followups_due` does. The server holds finalised
evaluations only (a draft is seen on its laptop) and a step as dated by its laptop (the desktop
also lists a step recorded today with an earlier date); days are counted in the server's local
time zone, as on the laptops.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.server import holdbacks
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller
from fieldapp.server.bulletin import ServerTexts
from fieldapp.services import worklists
from fieldapp.services.worklists import ChangedUnit, DayChange, Rectification


def _day_start(day: date) -> datetime:
    """The start of the local day as a UTC time (the server keeps times in UTC)."""
    return datetime.combine(day, time.min).astimezone(UTC)


def _changes_of(data: dict[str, Any], day: date) -> list[DayChange]:
    dated = day.isoformat()
    return [
        DayChange(
            data["uuid"],
            data["credit_code"],
            data["name"],
            data["station"],
            worklists.event_change(e["kind"], e.get("from_state"), e.get("to_state")),
        )
        for e in data.get("events") or []
        if e["occurred_on"] == dated
    ]


def daily(
    session: Session, caller: Caller, day: date, station: str | None = None
) -> list[ChangedUnit]:
    """Units with a step of their history dated ``day`` or an evaluation begun or finalised on
    it, in the caller's scope (another station's is refused, as for the other lists)."""
    chosen = holdbacks.scope(session, caller, station, "所（分局）的每天网上巡清单")
    units = select(m.Unit.data_json).order_by(m.Unit.credit_code)
    if chosen is not None:
        units = units.where(m.Unit.station == chosen)
    found: list[DayChange] = []
    for data_json in session.scalars(units):
        found += _changes_of(json.loads(data_json), day)
    start = _day_start(day)
    visits = (
        select(
            m.Evaluation.unit_uuid,
            m.Evaluation.content_json,
            m.Unit.credit_code,
            m.Unit.name,
            m.Unit.station,
        )
        .join(m.Unit, m.Unit.uuid == m.Evaluation.unit_uuid)
        .where(m.Evaluation.finalized_at >= start)  # begun on the day: finalised since
        .order_by(m.Evaluation.finalized_at)
    )
    if chosen is not None:
        visits = visits.where(m.Unit.station == chosen)
    for row in session.execute(visits):
        data = json.loads(row.content_json)
        begun = holdbacks.local(datetime.fromisoformat(data["started_at"])).date()
        ended = holdbacks.local(datetime.fromisoformat(data["finalized_at"])).date()
        if day in (begun, ended):
            text = worklists.evaluation_change(data["kind"], True, data.get("verdict"))
            found.append(DayChange(row.unit_uuid, row.credit_code, row.name, row.station, text))
    return worklists.fold_day(found, holdbacks.stations(session))


def weekly(
    session: Session,
    caller: Caller,
    today: date,
    station: str | None = None,
    *,
    later: bool = False,
) -> list[Rectification]:
    """Open 整改 due by this Sunday, overdue ones included (``later``: every open one),
    earliest deadline first."""
    chosen = holdbacks.scope(session, caller, station, "所（分局）的每周回头看清单")
    facts = holdbacks.facts(session, today.year, today, chosen)
    items = worklists.open_items(facts, ServerTexts(session))
    return worklists.due_this_week(items, today, later=later)


def as_json(day: date, changed: list[ChangedUnit], due: list[Rectification]) -> dict[str, object]:
    """Both lists as ``GET /api/v1/worklists`` returns them."""
    return {
        "day": day.isoformat(),
        "week": [d.isoformat() for d in worklists.week_of(day)],
        "changed": [
            {
                "unit": str(c.unit_id),
                "credit_code": c.credit_code,
                "name": c.name,
                "station": c.station,
                "changes": list(c.changes),
            }
            for c in changed
        ],
        "followups": [
            {
                "unit": str(r.unit_id),
                "credit_code": r.credit_code,
                "name": r.name,
                "station": r.station,
                "evaluation": str(r.evaluation_id),
                "checklist_id": r.checklist_id,
                "item_code": r.code,
                "text": r.text,
                "rectify": r.rectify,
                "due": r.due.isoformat() if r.due else None,
                "overdue": r.overdue,
            }
            for r in due
        ],
    }
