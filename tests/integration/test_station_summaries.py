"""A station head sees the whole station on the desktop (issue 11): two inspectors' laptops push
different evaluations of 五云所 to a live server, then a fresh station-head laptop pulls. Its
hold-back lists, monthly bulletins and this week's follow-ups count the other laptops'
evaluations (pulled as summaries) and equal the server's, and the county store that holds every
evaluation itself; its ``fieldapp progress --json`` for the station equals the server's
``GET /api/v1/progress?station=`` (SQLite, and PostgreSQL when FIELDAPP_TEST_DATABASE_URL is set).

Photos do not travel in a summary, so 证据存疑 is judged from a laptop's own evaluations alone:
it is the one reason set aside in these comparisons.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from fieldapp import paths
from fieldapp.cli import main as fieldapp_main
from fieldapp.domain.events import Role
from fieldapp.domain.holdbacks import Reason
from fieldapp.domain.lifecycle import State
from fieldapp.server import bulletin as server_bulletin
from fieldapp.server import holdbacks as server_holdbacks
from fieldapp.server import models as sm
from fieldapp.server import reference
from fieldapp.server.accounts import Caller
from fieldapp.server.config import ServerConfig
from fieldapp.server.reference import publish_store
from fieldapp.services import worklists
from fieldapp.services.holdback_fold import StationHoldBacks
from fieldapp.services.worklists import MonthSummary, Rectification
from fieldapp.storage import sqlitefile
from fieldapp.storage.models import Evaluation, PulledEvaluation, Station, Unit
from fieldapp.store import Store
from fieldapp.sync import state
from fieldapp.sync.client import SyncClient, SyncReport
from fieldapp.sync.transport import Transport
from tests import lifecycle_helpers as lifecycle
from tests.integration import test_sync_support as support
from tests.integration.test_server_holdbacks import _comparable, _county, china_time
from tests.integration.test_sync_support import LiveServer, add_account, transport
from tests.unit.test_worklists import TODAY, code, evaluate

database_url, server_config = support.database_url, support.server_config
china_time = china_time  # the fixture, used by name

STATION = "五云所"
COUNTY = Caller(0, "县局", "县局", Role.COUNTY)
MONTHS = (("2026-06", TODAY), ("2026-07", TODAY), ("2026-08", TODAY), ("2026-11", TODAY))
DAYS = (TODAY, date(2026, 7, 8), date(2026, 9, 30), date(2027, 2, 1))


@pytest.fixture
def live(server_config: ServerConfig) -> Iterator[LiveServer]:
    server = LiveServer(server_config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _county_with_a_recheck(store: Store) -> None:
    """test_server_holdbacks' county, and a 五云所 unit whose failed item the next visit (the
    other laptop's, once the evaluations are split) passed: that 整改 is closed."""
    _county(store)
    with store.session() as session:
        station_id = session.scalar(select(Station.id).where(Station.name == STATION))
        assert station_id is not None
        row = Unit(
            credit_code=code("UJ"),
            name="缙云县UJ测试商店",
            station_id=station_id,
            unit_type="general",
        )
        session.add(row)
        session.flush()
        for step, on in (
            (State.CULTIVATING, date(2025, 3, 1)),
            (State.COMMITTED, date(2025, 5, 1)),
        ):
            lifecycle.move(session, row, step, on=on, today=TODAY)
        evaluate(store, session, row, date(2026, 6, 12), {"B6b": date(2026, 6, 30)})
        evaluate(store, session, row, date(2026, 7, 2), kind="follow_up")


def _laptop(store: Store, folder: Path, keep: int) -> Store:
    """A copy of the county store keeping only the 五云所 evaluations whose row id has the
    parity ``keep``: an inspector's laptop with its share of the station's work."""
    shutil.copytree(store.folder, folder, ignore=shutil.ignore_patterns("fieldapp.sqlite3*"))
    sqlitefile.snapshot(paths.database_path(store.folder), paths.database_path(folder))
    laptop = Store.open(folder)
    with laptop.session() as session:
        rows = session.execute(
            select(Evaluation.id, Station.name.label("station"))
            .join(Unit, Unit.id == Evaluation.unit_id)
            .join(Station, Station.id == Unit.station_id)
        ).mappings()
        gone = [r["id"] for r in rows if r["station"] != STATION or r["id"] % 2 != keep]
        for evaluation in session.scalars(select(Evaluation)):
            # a visit following up one made on the other laptop cannot point at it here
            if evaluation.follows_id in gone:
                evaluation.follows_id = None
            if evaluation.replaces_id in gone:
                evaluation.replaces_id = None
        session.flush()
        for evaluation in session.scalars(select(Evaluation).where(Evaluation.id.in_(gone))):
            session.delete(evaluation)
    return laptop


def _sync(live: LiveServer, laptop: Store, token: str) -> SyncReport:
    report = SyncClient(laptop, transport(live, token)).run()
    assert not report.conflicts, report.conflicts
    return report


def _uuids(store: Store) -> tuple[dict[int, str], dict[int, str]]:
    with store.read() as session:
        units = {row.id: row.uuid for row in session.execute(select(Unit.id, Unit.uuid))}
        evaluations = {
            row.id: row.uuid for row in session.execute(select(Evaluation.id, Evaluation.uuid))
        }
    return units, evaluations


def _uuid(names: dict[int, str], key: int | str) -> str:
    return key if isinstance(key, str) else names[key]


def _lists(store: Store, year: int, today: date) -> dict[str, Any]:
    """The desktop's hold-back lists of 五云所, units named by uuid, 证据存疑 set aside."""
    units, _ = _uuids(store)
    with store.read() as session:
        lists = worklists.hold_backs(session, year, today, STATION)
    return _without_evidence(
        [
            StationHoldBacks(
                found.station,
                tuple(replace(i, unit_id=_uuid(units, i.unit_id)) for i in found.items),
            )
            for found in lists
        ]
    )


def _without_evidence(lists: list[StationHoldBacks]) -> dict[str, Any]:
    return _comparable(
        [
            StationHoldBacks(
                s.station, tuple(i for i in s.items if i.reason is not Reason.EVIDENCE)
            )
            for s in lists
        ]
    )


def _named(store: Store, items: tuple[Rectification, ...] | list[Rectification]) -> list[Any]:
    units, evaluations = _uuids(store)
    return [
        replace(
            item,
            unit_id=_uuid(units, item.unit_id),
            evaluation_id=_uuid(evaluations, item.evaluation_id),
        )
        for item in items
    ]


def _month(summary: MonthSummary, store: Store | None = None) -> MonthSummary:
    """A bulletin as compared: no county name, 证据存疑 counted as 0, ids as uuids."""
    stations = tuple(
        replace(s, hold_backs={**s.hold_backs, Reason.EVIDENCE: 0}) for s in summary.stations
    )
    overdue = tuple(_named(store, summary.overdue)) if store is not None else summary.overdue
    return replace(summary, county="", stations=stations, overdue=overdue)


def _desktop_month(store: Store, month: str, today: date) -> MonthSummary:
    with store.read() as session:
        return _month(worklists.month_summary(session, month, STATION, today), store)


def _followups(store: Store, today: date) -> list[Any]:
    with store.read() as session:
        return _named(store, worklists.followups_due(session, today, STATION))


def _progress_api(live: LiveServer, token: str, year: int) -> Any:
    answer = httpx.get(
        f"{live.url}/api/v1/progress",
        params={"year": year, "station": STATION},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_station_head_counts_the_whole_station(
    china_time: None,
    live: LiveServer,
    store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _county_with_a_recheck(store)
    with live.db().session() as session:
        published = publish_store(session, store.folder)
    assert not published["conflicts"]
    first = _laptop(store, tmp_path / "inspector-1", keep=0)
    second = _laptop(store, tmp_path / "inspector-2", keep=1)
    head_store = Store.open(tmp_path / "head", create=True)
    try:
        _sync(live, first, add_account(live.db(), "张三", STATION, "inspector"))
        _sync(live, second, add_account(live.db(), "李四", STATION, "inspector"))
        with live.db().session() as session:
            on_server = session.scalar(select(func.count()).select_from(sm.Evaluation))
        with store.read() as session:
            in_station = session.scalar(
                select(func.count())
                .select_from(Evaluation)
                .join(Unit, Unit.id == Evaluation.unit_id)
                .join(Station, Station.id == Unit.station_id)
                .where(Station.name == STATION)
            )
        assert on_server == in_station and on_server > 4

        with live.db().session() as session:  # in scope only, each once whatever the page
            other = Caller(9, "所长", "壶镇分局", Role.STATION)
            assert reference.pull(session, other, 0, summaries=True).summaries == []
            assert reference.pull(session, COUNTY, 0).summaries is None  # not asked
            mine = Caller(8, "所长", STATION, Role.STATION)
            cursor, seen = 0, []
            while True:
                page = reference.pull(session, mine, cursor, limit=2, summaries=True)
                assert page.summaries is not None  # a pushed batch comes whole
                seen += [summary.uuid for summary in page.summaries]
                cursor = page.cursor
                if not page.more:
                    break
            assert len(seen) == len(set(seen)) == on_server

        head = add_account(live.db(), "所长", STATION, "station")
        report = _sync(live, head_store, head)
        assert report.summaries_received == on_server
        with head_store.read() as session:
            assert session.scalar(select(func.count()).select_from(PulledEvaluation)) == on_server
            assert state.last_pull(session) is not None

        # The first laptop synced before the second pushed: its next pull brings the second's
        # work, and its own evaluations stay its own records (never kept twice).
        _sync(live, first, add_account(live.db(), "张三的新令牌", STATION, "inspector"))
        with first.read() as session:
            own = set(session.scalars(select(Evaluation.uuid)))
            pulled = set(session.scalars(select(PulledEvaluation.uuid)))
        assert own and pulled and not own & pulled and len(own | pulled) == on_server

        for today in DAYS:
            with live.db().session() as session:
                server = server_holdbacks.hold_backs(session, COUNTY, 2026, today, STATION)
            expected = _without_evidence(server)
            assert _lists(head_store, 2026, today) == expected, today
            assert _lists(store, 2026, today) == expected, today  # holds every evaluation itself
            assert _lists(first, 2026, today) == expected, today
        assert {k[0] for k in expected[STATION]} >= {
            list(Reason).index(Reason.NOT_EVALUATED),
            list(Reason).index(Reason.RECTIFICATION_OVERDUE),
        }
        for month, today in MONTHS:
            with live.db().session() as session:
                server_month = server_bulletin.month_summary(session, COUNTY, month, STATION, today)
            assert _desktop_month(head_store, month, today) == _month(server_month), month
            assert _desktop_month(store, month, today) == _month(server_month), month
        for today in (TODAY, date(2026, 7, 1), date(2026, 9, 2)):
            assert _followups(head_store, today) == _followups(store, today), today
        assert _followups(head_store, TODAY)

        year = date.today().year
        capsys.readouterr()
        assert fieldapp_main(["--data-dir", str(head_store.folder), "progress", "--json"]) == 0
        desktop = json.loads(capsys.readouterr().out)
        server_progress = _progress_api(live, head, year)
        assert server_progress["cells"] == [c for c in desktop["cells"] if c["station"] == STATION]
        assert server_progress == desktop
    finally:
        head_store.close()
        first.close()
        second.close()


def test_without_summaries_the_station_head_sees_only_its_own(
    live: LiveServer, store: Store, tmp_path: Path
) -> None:
    """The hold-back list a station head had before: another inspector's visits are not counted
    until the summaries come down (and an older server sends none: the pull still works)."""
    _county_with_a_recheck(store)
    with live.db().session() as session:
        publish_store(session, store.folder)
    first = _laptop(store, tmp_path / "inspector-1", keep=0)
    head_store = Store.open(tmp_path / "head", create=True)
    try:
        _sync(live, first, add_account(live.db(), "张三", STATION, "inspector"))
        head = add_account(live.db(), "所长", STATION, "station")

        class OlderServer(Transport):  # asks, but the server leaves the summaries out
            def request(self, method: str, path: str, **kwargs: Any) -> Any:
                if path == "/pull":
                    kwargs["params"] = {k: v for k, v in kwargs["params"].items() if k == "cursor"}
                return super().request(method, path, **kwargs)

        SyncClient(head_store, OlderServer(live.url, head, backoff=0.0)).run()
        with head_store.read() as session:
            assert session.scalar(select(func.count()).select_from(PulledEvaluation)) == 0
            assert state.get(session, state.SUMMARIES) == ""
        before = _lists(head_store, 2026, TODAY)
        _sync(live, head_store, head)  # the server answers the question: from the beginning
        with head_store.read() as session:
            assert session.scalar(select(func.count()).select_from(PulledEvaluation)) > 0
            assert state.get(session, state.SUMMARIES) == "1"
        after = _lists(head_store, 2026, TODAY)
        not_evaluated = list(Reason).index(Reason.NOT_EVALUATED)
        assert {k for k in before[STATION] if k[0] == not_evaluated} > {
            k for k in after[STATION] if k[0] == not_evaluated
        }
    finally:
        head_store.close()
        first.close()
