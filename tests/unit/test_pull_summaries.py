"""Evaluation summaries on the pull (issue 11): bounded like the rest of the wire, sent only to a
client that asks (an older client refuses a field it does not know), read from an older server
that has none, and kept once on the laptop (a laptop's own evaluation is never kept again)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from fieldapp.domain.records import EvaluationKind
from fieldapp.domain.verdict import Answer, Outcome
from fieldapp.storage.models import Evaluation, PulledAnswer, PulledEvaluation
from fieldapp.store import Store
from fieldapp.sync import wire
from fieldapp.sync.client import apply_pull
from tests.unit.test_worklists import build_county


def _summary(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uuid": str(uuid.uuid4()),
        "unit_uuid": str(uuid.uuid4()),
        "station": "五云所",
        "kind": "post_evaluation",
        "inspector": "李四",
        "started_at": "2026-11-02T01:30:00Z",
        "finalized_at": "2026-11-02T03:00:00Z",
        "verdict": "rectify",
        "checklists": [{"checklist_id": "bayou-bawu", "version": 1}],
        "answers": [
            {"checklist_id": "bayou-bawu", "item_code": "B1a", "result": "pass"},
            {
                "checklist_id": "bayou-bawu",
                "item_code": "B6b",
                "result": "fail",
                "rectify": "补齐台账",
                "due": "2026-11-20",
            },
        ],
    }
    return data | changes


def _page(*summaries: dict[str, Any], with_key: bool = True) -> dict[str, Any]:
    page: dict[str, Any] = {
        "cursor": 7,
        "units": [],
        "checklists": [],
        "targets": [],
        "assignments": [],
        "reviews": [],
        "more": False,
    }
    if with_key:
        page["summaries"] = list(summaries)
    return page


def test_an_older_servers_pull_reads_and_a_pull_not_asked_has_no_summaries() -> None:
    older = wire.Pull.model_validate(_page(with_key=False))
    assert older.summaries is None
    # what a server sends a client that did not ask: no "summaries" at all, so an older client
    # (extra="forbid") still reads it
    assert "summaries" not in json.loads(older.model_dump_json())
    asked = wire.Pull.model_validate(_page(_summary()))
    assert asked.summaries is not None and len(asked.summaries) == 1
    assert "summaries" in json.loads(asked.model_dump_json())
    with pytest.raises(ValidationError):  # how an older client takes a field it does not know
        wire.Pull.model_validate(_page() | {"surprise": []})


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"kind": "inspection"}, "kind"),
        ({"verdict": "great"}, "verdict"),
        ({"inspector": "长" * 65}, "inspector"),
        ({"station": "五云\x00所"}, "station"),
        ({"uuid": "not-a-uuid"}, "uuid"),
        ({"replaces_uuid": "X" * 36}, "replaces_uuid"),
        ({"answers": [{"checklist_id": "c", "item_code": "B1", "result": "maybe"}]}, "result"),
        (
            {"answers": [{"checklist_id": "c", "item_code": "B" * 21, "result": "pass"}]},
            "item_code",
        ),
        ({"checklists": [{"checklist_id": "c", "version": 0}]}, "version"),
        (
            {
                "answers": [
                    {"checklist_id": "c", "item_code": f"{n}", "result": "na"} for n in range(2001)
                ]
            },
            "answers",
        ),
    ],
)
def test_every_field_of_a_summary_is_bounded(change: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as refused:
        wire.WireEvaluationSummary.model_validate(_summary(**change))
    assert where in str(refused.value)


def test_a_page_holds_a_bounded_number_of_summaries() -> None:
    one = _summary()
    with pytest.raises(ValidationError, match="summaries"):
        wire.Pull.model_validate(_page(*[one] * (wire.MAX_SUMMARIES_PER_PULL + 1)))


def test_summaries_are_kept_once_and_the_laptops_own_evaluation_wins(store: Store) -> None:
    build_county(store)
    with store.read() as session:
        own = session.scalars(select(Evaluation.uuid).limit(1)).one()
    other = _summary()
    page = wire.Pull.model_validate(_page(other, _summary(uuid=own)))
    for _ in range(2):  # a page applied again (a crash before the cursor moved) changes nothing
        with store.session() as session:
            pulled = apply_pull(session, page)
        assert pulled.summaries == 1
    with store.read() as session:
        rows = list(session.scalars(select(PulledEvaluation)))
        assert [r.uuid for r in rows] == [other["uuid"]]
        row = rows[0]
        assert (row.kind, row.verdict) == (EvaluationKind.POST_EVALUATION, Outcome.RECTIFY)
        when = datetime(2026, 11, 2, 1, 30, tzinfo=UTC).astimezone().replace(tzinfo=None)
        assert row.started_at.replace(tzinfo=None) == when  # kept as local time
        answers = [(a.item_code, a.result, a.version, a.due) for a in row.answers]
        assert answers == [
            ("B1a", Answer.PASS, 1, None),
            ("B6b", Answer.FAIL, 1, date(2026, 11, 20)),
        ]
        assert session.scalar(select(func.count()).select_from(PulledAnswer)) == 2
        names = ("unit_uuid", "station", "kind", "inspector", "started_at", "finalized_at")
        kept = {name: getattr(row, name) for name in (*names, "verdict")}

    # A summary kept before of what turns out to be this laptop's own evaluation goes.
    with store.session() as session:
        session.add(PulledEvaluation(uuid=own, **kept))
    with store.session() as session:
        apply_pull(session, wire.Pull.model_validate(_page(_summary(uuid=own))))
    with store.read() as session:
        assert set(session.scalars(select(PulledEvaluation.uuid))) == {other["uuid"]}
