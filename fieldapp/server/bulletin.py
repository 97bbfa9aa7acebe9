"""The monthly bulletin's numbers (每月一通报) on the server, counted by the desktop's own fold.

:func:`facts` reads the server's records into :class:`fieldapp.services.worklists.MonthFacts`
(progress from :func:`fieldapp.server.figures.fold`, the hold-back facts from
:mod:`fieldapp.server.holdbacks`, the month's evaluations from what was synced, item texts from
the published checklist versions) and :func:`month_summary` counts them with
:func:`fieldapp.services.worklists.fold_month`, the function behind ``fieldapp report
bulletin``; :mod:`fieldapp.reports.bulletin` lays the result out as PDF or Excel.

The server does not know the county's name (the desktop keeps it on its stations): the
bulletin's heading names the station, or 全部所（分局）, alone. Days are counted in the server's
local time zone, as on the laptops (:func:`fieldapp.server.holdbacks.local`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.checklists.schema import Checklist
from fieldapp.errors import InvalidInput
from fieldapp.server import figures, holdbacks
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller, Invalid
from fieldapp.services import worklists
from fieldapp.services.worklists import MonthCase, MonthEvaluation, MonthFacts, MonthSummary


class ServerTexts:
    """Checklist titles and item texts of the versions the county published (``checklists``),
    each version read once; the desktop's ``ItemTexts`` reads its own snapshots the same way."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[str, int], Checklist | None] = {}

    def checklist(self, checklist_id: str, version: int) -> Checklist | None:
        key = (checklist_id, version)
        if key not in self._cache:
            row = self.session.get(m.Checklist, key)
            self._cache[key] = (
                Checklist.model_validate_json(row.content_json) if row is not None else None
            )
        return self._cache[key]

    def title(self, checklist_id: str, version: int) -> str:
        checklist = self.checklist(checklist_id, version)
        return checklist.title if checklist is not None else checklist_id

    def text(self, checklist_id: str, version: int, code: str) -> str:
        checklist = self.checklist(checklist_id, version)
        items = checklist.items if checklist is not None else []
        return next((item.text for item in items if item.code == code), "")


def facts(
    session: Session, month: str, station: str | None = None, today: date | None = None
) -> MonthFacts:
    """The server's facts for the bulletin of ``month`` ("2026-11") in ``station``'s scope (None:
    the county): every evaluation visited in the month, with its 不符合 items and when each of
    its revisions was finalised."""
    first, last, as_of = worklists.month_dates(month, today or date.today())
    read = holdbacks.records(session)
    stations = {u.uuid: u.station for u in read.units}
    revised: dict[str, list[datetime]] = defaultdict(list)
    for evaluation in read.evaluations:
        if evaluation.replaces is not None:
            revised[evaluation.replaces].append(evaluation.finalized_at)
    evaluations = [
        MonthEvaluation(
            key=evaluation.uuid,
            station=stations[evaluation.unit_uuid],
            kind=evaluation.kind,
            verdict=evaluation.verdict or None,
            started_at=evaluation.started_at,
            finalized_at=evaluation.finalized_at,
            revised=tuple(revised.get(evaluation.uuid, ())),
            failed=tuple(
                (a.checklist_id, a.version, a.item_code) for a in evaluation.answers if a.failed
            ),
        )
        for evaluation in read.evaluations
        if evaluation.unit_uuid in stations and first <= evaluation.started_at.date() <= last
    ]
    targets = select(func.count()).select_from(m.Target).where(m.Target.year == first.year)
    return MonthFacts(
        first=first,
        last=last,
        as_of=as_of,
        county="",
        station=station,
        progress=figures.fold(session, first.year, as_of)[0],
        holdbacks=holdbacks.facts(session, first.year, as_of, station, read),
        evaluations=evaluations,
        texts=ServerTexts(session),
        has_targets=bool(session.scalar(targets)),
        has_events=any(first <= day <= last for u in read.units for day in u.event_days),
        cases=_cases(session, first.year, stations),
    )


def _cases(session: Session, year: int, stations: dict[str, str]) -> list[MonthCase]:
    """The 联络站 cases (台账) received, of ``year`` by 咨询时间 in the server's local time, each
    in its 联络站's station now (as the desktop joins a case to its unit's station)."""
    rows = session.execute(
        select(m.Case.unit_uuid, m.Case.station, m.Case.consulted_at, m.Case.recovered_fen)
    ).mappings()
    out = []
    for row in rows:
        consulted = holdbacks.local(row["consulted_at"])
        if consulted.year == year:
            station = stations.get(row["unit_uuid"], row["station"])
            out.append(MonthCase(station, consulted, row["recovered_fen"]))
    return out


def month_summary(
    session: Session,
    caller: Caller,
    month: str,
    station: str | None = None,
    today: date | None = None,
) -> MonthSummary:
    """The bulletin of ``month`` in the caller's scope: the county's (or the station asked for),
    a station account's own; another station's is refused (403), never filtered. A month
    misspelt or not yet begun is refused (422) saying how to write it."""
    chosen = holdbacks.scope(session, caller, station, "所（分局）的每月通报")
    try:
        return worklists.fold_month(facts(session, month, chosen, today))
    except InvalidInput as refused:  # a month misspelt or not yet begun: said as a 422
        raise Invalid(str(refused)) from None
