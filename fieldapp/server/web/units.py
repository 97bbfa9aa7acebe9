"""One unit as the county holds it: its record, its dated history, its evaluations received
and its assignment; the click-through from every hold-back list. The scope is the API's: another
station's unit is refused, never shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from fieldapp.domain.cases import CaseType, yuan
from fieldapp.domain.events import EventKind
from fieldapp.domain.lifecycle import State
from fieldapp.domain.records import EvaluationKind
from fieldapp.domain.review import ReviewStatus
from fieldapp.domain.verdict import Outcome
from fieldapp.domain.vocab import label_or
from fieldapp.server import assignments
from fieldapp.server import models as m
from fieldapp.server.records import unit_block
from fieldapp.server.web.pages import Signed, database, render
from fieldapp.sync import wire

router = APIRouter()


@dataclass(frozen=True)
class Event:
    on: date
    what: str
    detail: str
    actor: str


@dataclass(frozen=True)
class Visit:
    uuid: str
    kind: str
    verdict: str
    outcome: str
    inspector: str
    finalized_at: datetime
    status: ReviewStatus


def _event(e: wire.WireUnitEvent) -> Event:
    if e.kind == EventKind.STATE:
        detail = f"{label_or(State, e.from_state, '—')} → {label_or(State, e.to_state, '—')}"
    elif e.old_value is not None or e.new_value is not None:
        detail = f"{e.old_value or '—'} → {e.new_value or '—'}"
    else:
        detail = ""
    if e.reason:
        detail = f"{detail}（{e.reason}）" if detail else e.reason
    return Event(e.occurred_on, label_or(EventKind, e.kind, "—"), detail, e.actor)


@router.get("/units/{credit_code}", response_class=HTMLResponse)
def unit_page(request: Request, current: Signed, credit_code: str) -> HTMLResponse:
    with database(request).session() as session:
        row = assignments.unit_by_code(session, credit_code[:18])
        current.caller.check_station(row.station, f"单位「{row.name}」")
        unit = wire.WireUnit.model_validate_json(row.data_json)
        visits = []
        for e in session.scalars(
            select(m.Evaluation)
            .where(m.Evaluation.unit_uuid == row.uuid)
            .order_by(m.Evaluation.finalized_at.desc())
        ):
            content = wire.WireEvaluation.model_validate_json(e.content_json)
            visits.append(
                Visit(
                    e.uuid,
                    label_or(EvaluationKind, content.kind),
                    label_or(Outcome, content.verdict),
                    content.verdict,
                    e.inspector,
                    m.as_utc(e.finalized_at),
                    ReviewStatus(e.review_status),
                )
            )
        cases = [
            wire.WireCase.model_validate_json(text)
            for text in session.scalars(
                select(m.Case.content_json)
                .where(m.Case.unit_uuid == row.uuid)
                .order_by(m.Case.consulted_at.desc())
            )
        ]
        assigned = session.execute(
            select(m.Assignment.year, m.Assignment.inspector)
            .where(m.Assignment.unit_uuid == row.uuid)
            .order_by(m.Assignment.year.desc())
        ).all()
    return render(
        request,
        "unit.html",
        current,
        title=unit.name,
        unit=unit,
        block=unit_block(unit),
        state=label_or(State, unit.state, "—"),
        events=[_event(e) for e in reversed(unit.events)],
        visits=visits,
        assigned=assigned,
        cases=cases,
        case_years=_case_years(cases),
        case_type=lambda value: label_or(CaseType, value, "—"),
        yuan=yuan,
    )


def _case_years(cases: list[wire.WireCase]) -> list[tuple[int, int, str]]:
    """Per year of 咨询时间 (newest first): the cases and the 挽回经济损失 they record."""
    years: dict[int, list[wire.WireCase]] = {}
    for case in cases:
        years.setdefault(case.consulted_at.astimezone().year, []).append(case)
    return [
        (year, len(found), yuan(sum(c.recovered_fen for c in found)))
        for year, found in sorted(years.items(), reverse=True)
    ]
