"""What lets a province's server answer fast stays exact: the units' facts column follows every
write, the figures cache answers only for the data it was counted from, and the review queue's
page query filters, counts and pages as the full list would (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from fieldapp.domain.events import Role
from fieldapp.domain.records import EvaluationKind, Published
from fieldapp.domain.review import ReviewStatus
from fieldapp.domain.verdict import Outcome
from fieldapp.server import figures
from fieldapp.server import models as sm
from fieldapp.server.accounts import Caller, Forbidden, Invalid
from fieldapp.server.db import Database, make_engine, next_seq, upgrade
from fieldapp.server.reference import upsert_target, upsert_unit
from fieldapp.server.review import ReviewFilters, received, review_page
from fieldapp.services.progress import as_json
from fieldapp.sync import wire
from tests.integration import test_sync_support as support

database_url = support.database_url

COUNTY = Caller(1, "县局", "县局", Role.COUNTY)
YEAR = date.today().year


def _event_id(n: int, i: int) -> str:
    return f"22222222-2222-4333-8444-{n:08d}{i:04d}"


def _unit(
    n: int, station: str = "五云所", named: bool = False, moved_from: str | None = None
) -> wire.WireUnit:
    entered = date(YEAR, 1, 10)
    events: list[dict[str, Any]] = [
        {"uuid": _event_id(n, 0), "kind": "state", "to_state": "cultivating",
         "occurred_on": entered.isoformat(), "actor": "县局"},
        {"uuid": _event_id(n, 1), "kind": "address", "occurred_on": entered.isoformat(),
         "actor": "县局", "field": "address", "old_value": "", "new_value": "解放街1号"},
    ]  # fmt: skip
    if named:
        events.append(
            {"uuid": _event_id(n, 2), "kind": "state", "from_state": "cultivating",
             "to_state": "confirmed", "occurred_on": date(YEAR, 1, 20).isoformat(),
             "actor": "县局", "county_confirmed": True, "reason": "县局确认"}
        )  # fmt: skip
    if moved_from is not None:
        events.append(
            {"uuid": _event_id(n, 3), "kind": "station", "field": "station",
             "old_value": moved_from, "new_value": station,
             "occurred_on": date(YEAR, 1, 15).isoformat(), "actor": "县局"}
        )  # fmt: skip
    return wire.WireUnit.model_validate(
        {
            "uuid": f"11111111-2222-4333-8444-{n:012d}",
            "credit_code": f"9233112200000{n:05d}",
            "name": f"单位{n}",
            "address": "解放街1号",
            "station": station,
            "unit_type": "general",
            "industry": "零售",
            "contact_person": "张三",
            "contact_phone": "13900000000",
            "state": "confirmed" if named else "cultivating",
            "state_since": date(YEAR, 1, 20 if named else 10).isoformat(),
            "entered_on": entered.isoformat(),
            "events": events,
        }
    )


def test_0005_fills_the_facts_and_the_review_columns(database_url: str) -> None:
    engine = make_engine(database_url)
    unit = _unit(1, named=True)
    data = unit.model_dump(mode="json")
    content = {"kind": "post_evaluation", "verdict": "rectify", "uuid": "e1"}
    try:
        upgrade(engine, "0004")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO units (uuid, credit_code, station, name, data_json, version, seq)"
                    " VALUES (:uuid, :code, '五云所', :name, :data, 1, 1)"
                ),
                {"uuid": unit.uuid, "code": unit.credit_code, "name": unit.name,
                 "data": wire.canonical_json(data)},
            )  # fmt: skip
            connection.execute(
                text(
                    "INSERT INTO accounts (name, station, role, token_sha256, created_at)"
                    " VALUES ('县局', '县局', 'county', :sha, :now)"
                ),
                {"sha": "0" * 64, "now": datetime.now(UTC)},
            )
            connection.execute(
                text(
                    "INSERT INTO evaluations (uuid, content_sha256, content_json, station,"
                    " unit_uuid, inspector, finalized_at, clock_skewed, account_id, device_id,"
                    " batch_id, received_at, review_status, review_comment, reviewed_by, seq)"
                    " VALUES ('e1', :sha, :content, '五云所', :unit, '张三', :now, false, 1,"
                    " 'd', 'b', :now, 'pending', '', '', 2)"
                ),
                {"sha": "0" * 64, "content": json.dumps(content), "unit": unit.uuid,
                 "now": datetime.now(UTC)},
            )  # fmt: skip
        upgrade(engine)
        with engine.connect() as connection:
            facts = connection.execute(text("SELECT facts_json FROM units")).scalar_one()
            kind, verdict = connection.execute(text("SELECT kind, verdict FROM evaluations")).one()
    finally:
        engine.dispose()
    assert facts == sm.unit_facts(data)
    assert (kind, verdict) == ("post_evaluation", "rectify")


def _fresh(db: Database) -> dict[str, Any]:
    with db.session() as session:
        report, plan_report = figures.fold(session, YEAR, date.today())
    return as_json(report) | {"plan": plan_report.as_dict()}


def _served(db: Database, caller: Caller = COUNTY, station: str | None = None) -> Any:
    with db.session() as session:
        report, plan_report = figures.figures(session, caller, YEAR, station)
    return as_json(report) | {"plan": plan_report.as_dict()}


def test_the_figures_cache_answers_only_for_the_data_it_counted(database_url: str) -> None:
    db = Database(database_url)
    try:
        with db.session() as session:
            seq = next_seq(session)
            for n in range(6):
                upsert_unit(session, _unit(n, "五云所" if n % 2 else "壶镇分局", n < 2), seq)
            cell = wire.WireTarget(year=YEAR, station="五云所", unit_type="general", count=9)
            upsert_target(session, cell, seq)
        first = _served(db)
        assert first == _fresh(db)
        assert _served(db) == first  # from the cache
        with db.session() as session:
            assert session.scalar(select(sm.FigureCache.year)) == YEAR
        with db.session() as session:  # a unit moves: the next answer counts it at its station
            moved = upsert_unit(
                session, _unit(3, "壶镇分局", moved_from="五云所"), next_seq(session)
            )
            assert moved is Published.UPDATED
        second = _served(db)
        assert second != first and second == _fresh(db)
        with db.session() as session:  # a new task row
            upsert_target(
                session,
                wire.WireTarget(year=YEAR, station="壶镇分局", unit_type="general", count=4),
                next_seq(session),
            )
        third = _served(db)
        assert third != second and third == _fresh(db)
        head = Caller(2, "所长", "五云所", Role.STATION)
        mine = _served(db, head)
        assert mine["cells"] == [c for c in third["cells"] if c["station"] == "五云所"]
        assert _served(db, COUNTY, "五云所") == mine
        with pytest.raises(Forbidden):
            _served(db, head, "壶镇分局")
    finally:
        db.dispose()


def _evaluations(db: Database) -> None:
    start = datetime(YEAR, 3, 1, 4, tzinfo=UTC)
    kinds, verdicts = list(EvaluationKind), [Outcome.PASS, Outcome.RECTIFY, Outcome.FAIL]
    statuses = list(ReviewStatus)
    with db.session() as session:
        seq = next_seq(session)
        upsert_unit(session, _unit(1, "五云所"), seq)
        upsert_unit(session, _unit(2, "壶镇分局"), seq)
        account = sm.Account(name="县局", station="县局", role=Role.COUNTY, token_sha256="0" * 64)
        session.add(account)
        session.flush()
        for n in range(60):
            station, unit = ("五云所", 1) if n % 3 else ("壶镇分局", 2)
            session.add(
                sm.Evaluation(
                    uuid=f"00000000-0000-4000-8000-{n:012d}",
                    content_sha256="0" * 64,
                    content_json="{}",
                    station=station,
                    unit_uuid=_unit(unit).uuid,
                    inspector=["张三", "李四", "王_五"][n % 3],
                    kind=kinds[n % len(kinds)],
                    verdict=verdicts[n % 3],
                    finalized_at=start + timedelta(days=n),
                    account_id=account.id,
                    device_id="d",
                    batch_id="b",
                    received_at=start + timedelta(days=n, hours=n % 5),
                    review_status=statuses[n % len(statuses)],
                    seq=seq,
                )
            )


def test_a_review_page_is_a_slice_of_the_filtered_queue(database_url: str) -> None:
    db = Database(database_url)
    try:
        _evaluations(db)
        with db.session() as session:
            everything = list(reversed(received(session, COUNTY)))  # newest first
            day = lambda r: r.finalized_at.astimezone().date()  # noqa: E731
            cases = [
                (ReviewFilters(), lambda r: True),
                (ReviewFilters(station="五云所"), lambda r: r.station == "五云所"),
                (ReviewFilters(kind=EvaluationKind.FOLLOW_UP), lambda r: r.kind == "follow_up"),
                (ReviewFilters(verdict=Outcome.FAIL), lambda r: r.verdict == "fail"),
                (ReviewFilters(inspector="_"), lambda r: "_" in r.inspector),
                (
                    ReviewFilters(status=ReviewStatus.PENDING, station="壶镇分局"),
                    lambda r: r.review.status is ReviewStatus.PENDING and r.station == "壶镇分局",
                ),
                (
                    ReviewFilters(since=date(YEAR, 3, 10), until=date(YEAR, 3, 20)),
                    lambda r: date(YEAR, 3, 10) <= day(r) <= date(YEAR, 3, 20),
                ),
            ]
            for filters, keeps in cases:
                expected = [r for r in everything if keeps(r)]
                assert expected, filters
                pages = []
                for page in range(1, 5):
                    rows, total = review_page(session, COUNTY, filters, page, 7)
                    assert total == len(expected), filters
                    pages += rows
                assert pages == expected[:28], filters
            head = Caller(3, "所长", "五云所", Role.STATION)
            rows, total = review_page(session, head, ReviewFilters(), 1, 100)
            assert total == 40 and {r.station for r in rows} == {"五云所"}
            with pytest.raises(Forbidden):
                review_page(session, head, ReviewFilters(station="壶镇分局"), 1, 10)
            with pytest.raises(Invalid):
                review_page(session, COUNTY, ReviewFilters(), 0, 10)
            assert review_page(session, COUNTY, ReviewFilters(), 99, 10) == ([], 60)
    finally:
        db.dispose()
