"""The county server lists what holds each station back with the desktop's own fold: the same
units (published from a county store) and evaluations (pushed from it) give the server's
``hold_backs`` and ``GET /api/v1/holdbacks`` the lists the desktop's 进度 dashboard shows, for
every reason (SQLite, and PostgreSQL when FIELDAPP_TEST_DATABASE_URL is set).

Each store names units and evaluations its own way (the desktop its row ids, the server the
uuids they travel under): the desktop's are mapped to their uuids before comparing. Within a
reason the desktop lists units in the order they were added to its store, the server by credit
code; lists are compared in reason order, then by credit code.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from fieldapp.domain.events import Role
from fieldapp.domain.holdbacks import Reason
from fieldapp.domain.lifecycle import State
from fieldapp.server import holdback_counts
from fieldapp.server import holdbacks as server_holdbacks
from fieldapp.server import worklists as server_worklists
from fieldapp.server.accounts import Caller, Forbidden
from fieldapp.server.reference import publish_store
from fieldapp.services import worklists
from fieldapp.services.holdback_fold import StationHoldBacks
from fieldapp.storage.models import Evaluation, Unit, UnitEvent
from fieldapp.store import Store
from fieldapp.sync.client import SyncClient, SyncReport
from tests import lifecycle_helpers as lifecycle
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import LiveServer, add_account, transport
from tests.unit.test_worklists import TODAY, build_county, code, evaluate

database_url, server_config, live = support.database_url, support.server_config, support.live

COUNTY = Caller(0, "县局", "县局", Role.COUNTY)
_REFERENCE = re.compile(r"评价 ((?:\d+)(?:、\d+)*)")


def _county(store: Store) -> None:
    """test_worklists' county (one unit per reason), with two more 五云所 units so that a
    reason lists several: a confirmed one never stickered (visited at 00:30 on 1 January: in the
    year only in local time, which the server must count in), and one whose failed item was
    re-checked and failed again with a deadline past."""
    ids = build_county(store)
    with store.session() as session:
        ua = session.get(Unit, ids["UA"])
        assert ua is not None
        station_id = ua.station_id
        for tag in ("UH", "UI"):
            row = Unit(
                credit_code=code(tag),
                name=f"缙云县{tag}测试商店",
                station_id=station_id,
                unit_type="general",
            )
            session.add(row)
            session.flush()
            for state, on in (
                (State.CULTIVATING, date(2025, 3, 1)),
                (State.COMMITTED, date(2025, 5, 1)),
                (State.EVALUATING, date(2026, 6, 1)),
            ):
                lifecycle.move(session, row, state, on=on, today=TODAY)
            if tag == "UH":  # visited just after midnight on New Year's Day, local time
                visit = evaluate(store, session, row, date(2026, 1, 1))
                visit.started_at = datetime(2026, 1, 1, 0, 30)
                session.flush()
                lifecycle.move(session, row, State.CONFIRMED, on=date(2026, 7, 9), today=TODAY)
            else:
                evaluate(store, session, row, date(2026, 6, 10), {"B6b": date(2026, 6, 30)})
                evaluate(store, session, row, date(2026, 7, 3), {"B6b": date(2026, 9, 1)})


def _push(live: LiveServer, store: Store) -> None:
    with live.db().session() as session:
        counts = publish_store(session, store.folder)
    assert counts["units"] == 9 and not counts["conflicts"]
    token = add_account(live.db(), "县局管理员", "县局", "county")
    report = SyncReport()
    SyncClient(store, transport(live, token)).push(report)
    assert report.accepted == report.pushed > 0 and not report.conflicts


def _desktop(store: Store, year: int, today: date) -> tuple[list[StationHoldBacks], dict[int, str]]:
    """The desktop's lists, and its evaluation ids → their uuids."""
    with store.read() as session:
        lists = worklists.hold_backs(session, year, today)
        units = {row.id: row.uuid for row in session.execute(select(Unit.id, Unit.uuid))}
        evaluations = {
            row.id: row.uuid for row in session.execute(select(Evaluation.id, Evaluation.uuid))
        }
    mapped = [
        StationHoldBacks(
            found.station,
            tuple(replace(item, unit_id=units[int(item.unit_id)]) for item in found.items),
        )
        for found in lists
    ]
    return mapped, evaluations


def _comparable(
    lists: list[StationHoldBacks], evaluations: dict[int, str] | None = None
) -> dict[str, Any]:
    """Per station, its items in reason order then by credit code; with ``evaluations`` (the
    desktop's), evaluation ids are written as their uuids."""

    def named(match: re.Match[str]) -> str:
        assert evaluations is not None
        return "评价 " + "、".join(evaluations[int(n)] for n in match.group(1).split("、"))

    def detail(text: str) -> str:
        return _REFERENCE.sub(named, text) if evaluations is not None else text

    order = list(Reason)
    return {
        found.station: sorted(
            (
                order.index(item.reason),
                item.credit_code,
                str(item.unit_id),
                item.name,
                item.state,
                detail(item.detail),
                item.since,
            )
            for item in found.items
        )
        for found in lists
    }


@pytest.fixture
def china_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The county's time zone (UTC+8) for this process: times travel in UTC, and a day counted
    in UTC instead of local time puts the 00:30 visit of 1 January in the year before."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_servers_hold_backs_are_the_desktops(
    china_time: None, live: LiveServer, store: Store
) -> None:
    _county(store)
    _push(live, store)
    for today in (TODAY, date(2026, 9, 30), date(2026, 7, 8), date(2027, 2, 1)):
        desktop, evaluations = _desktop(store, 2026, today)
        with live.db().session() as session:
            server = server_holdbacks.hold_backs(session, COUNTY, 2026, today)
        assert [s.station for s in server] == [s.station for s in desktop], today
        assert _comparable(server) == _comparable(desktop, evaluations), today

    desktop, _ = _desktop(store, 2026, TODAY)
    every = {item.reason for found in desktop for item in found.items}
    assert every == set(Reason)
    several = [
        reason
        for found in desktop
        for reason, count in found.counts().items()
        if count > 1 and found.station == "五云所"
    ]
    assert Reason.NO_STICKER in several and Reason.RECTIFICATION_OVERDUE in several

    with live.db().session() as session:
        whole = server_holdbacks.hold_backs(session, COUNTY, 2026, TODAY)
        one = server_holdbacks.hold_backs(session, COUNTY, 2026, TODAY, "壶镇分局")
    assert [s.station for s in one] == ["壶镇分局"]
    assert _comparable(one) == {"壶镇分局": _comparable(whole)["壶镇分局"]}


def _api(live: LiveServer, token: str, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{live.url}/api/v1/holdbacks",
        params={"year": 2026, **params},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def test_holdbacks_endpoint_is_scoped_like_progress(live: LiveServer, store: Store) -> None:
    _county(store)
    _push(live, store)
    county = add_account(live.db(), "县局", "县局", "county")
    head = add_account(live.db(), "所长", "五云所", "station")

    answer = _api(live, county)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    as_of = date.fromisoformat(body["as_of"])
    desktop, evaluations = _desktop(store, 2026, as_of)
    assert [s["station"] for s in body["stations"]] == [s.station for s in desktop]
    for entry, found in zip(body["stations"], desktop, strict=True):
        assert entry["counts"] == {r.value: n for r, n in found.counts().items()}
        assert entry["units"] == found.units
        expected = _comparable([found], evaluations)[found.station]
        got = sorted(
            (
                list(Reason).index(Reason(i["reason"])),
                i["credit_code"],
                i["unit"],
                i["name"],
                i["state"],
                i["detail"],
                date.fromisoformat(i["since"]) if i["since"] else None,
            )
            for i in entry["items"]
        )
        assert got == expected
    assert {r["label"] for r in body["reasons"]} == {r.label for r in Reason}

    mine = _api(live, head)
    assert mine.status_code == 200, mine.text
    assert [s["station"] for s in mine.json()["stations"]] == ["五云所"]
    assert mine.json()["stations"][0] == next(
        s for s in body["stations"] if s["station"] == "五云所"
    )
    assert _api(live, county, station="五云所").json() == mine.json()

    only = _api(live, head, reason="evidence").json()["stations"][0]
    assert only["items"] and {i["reason"] for i in only["items"]} == {"evidence"}
    assert only["counts"] == mine.json()["stations"][0]["counts"]

    refused = _api(live, head, station="壶镇分局")
    assert refused.status_code == 403 and "壶镇分局" in refused.json()["detail"]
    with live.db().session() as session, pytest.raises(Forbidden):
        server_holdbacks.hold_backs(
            session, Caller(1, "所长", "五云所", Role.STATION), 2026, TODAY, "壶镇分局"
        )
    unknown = _api(live, county, station="东渡所")
    assert unknown.status_code == 404 and "东渡所" in unknown.json()["detail"]
    assert _api(live, county, reason="nope").status_code == 422
    assert _api(live, "not-a-token").status_code == 401


def test_the_pages_counts_are_the_lists_counts_kept_until_the_data_changes(
    live: LiveServer, store: Store
) -> None:
    """The 总览 and station pages read the counts kept per day: the lists' own counts, fresh
    until a record arrives, then the last counts (saying so) while a background fold brings
    them up to date."""
    _county(store)
    _push(live, store)
    db = live.db()

    def lists(station: str | None = None) -> dict[str, tuple[int, dict[Reason, int]]]:
        with db.session() as session:
            found = server_holdbacks.hold_backs(session, COUNTY, 2026, TODAY, station)
        return {f.station: (f.units, f.counts()) for f in found}

    def kept(caller: Caller = COUNTY, station: str | None = None) -> holdback_counts.Counted:
        return holdback_counts.counts(db, caller, 2026, TODAY, station)

    first = kept()
    assert first.fresh
    assert {c.station: (c.units, c.counts) for c in first.stations} == lists()
    head = Caller(1, "所长", "五云所", Role.STATION)
    assert {c.station: (c.units, c.counts) for c in kept(head).stations} == lists("五云所")
    with pytest.raises(Forbidden):
        kept(head, "壶镇分局")

    # A unit of 五云所 leaves the lists (its sticker is posted, with a photo): until the fold
    # runs again the page shows the counts it had, saying they are being brought up to date.
    before = lists()["五云所"]
    with store.session() as session:
        unit = session.scalars(select(Unit).where(Unit.credit_code == code("UH"))).one()
        lifecycle.sticker(session, unit, on=date(2026, 7, 10), today=TODAY)
    with db.session() as session:
        publish_store(session, store.folder)
    after = lists()["五云所"]
    assert after != before
    stale = kept()
    assert not stale.fresh
    assert {c.station: (c.units, c.counts) for c in stale.stations}["五云所"] == before
    holdback_counts.wait_for_refresh()
    again = kept()
    assert again.fresh
    assert {c.station: (c.units, c.counts) for c in again.stations}["五云所"] == after


def test_the_servers_worklists_are_the_desktops(
    china_time: None, live: LiveServer, store: Store
) -> None:
    """每天网上巡 and 每周回头看 from the server's records are the desktop's lists, on every day
    something happened (days other than the real today, when the desktop also lists steps
    recorded today whatever their date)."""
    _county(store)
    _push(live, store)
    with store.read() as session:
        units = {row.id: row.uuid for row in session.execute(select(Unit.id, Unit.uuid))}
        evaluations = {
            row.id: row.uuid for row in session.execute(select(Evaluation.id, Evaluation.uuid))
        }
        days = {
            day for (day,) in session.execute(select(UnitEvent.occurred_on)) if day != date.today()
        }
        days |= {
            started.date()
            for (started,) in session.execute(select(Evaluation.started_at))
            if started.date() != date.today()
        }
    assert len(days) > 5
    token = add_account(live.db(), "县局", "县局", "county")
    compared = 0
    for day in sorted(days | {TODAY}):
        with store.read() as session:
            changed = worklists.changed_today(session, day)
            due = worklists.followups_due(session, day)
        with live.db().session() as session:
            server_changed = server_worklists.daily(session, COUNTY, day)
            server_due = server_worklists.weekly(session, COUNTY, day)
        assert [replace(c, unit_id=units[int(c.unit_id)]) for c in changed] == server_changed, day
        assert [
            replace(
                r, unit_id=units[int(r.unit_id)], evaluation_id=evaluations[int(r.evaluation_id)]
            )
            for r in due
        ] == server_due, day
        compared += bool(changed) + bool(due)
        with store.read() as session:
            every = worklists.followups_due(session, day, later=True)
        with live.db().session() as session:
            assert [r.code for r in server_worklists.weekly(session, COUNTY, day, later=True)] == [
                r.code for r in every
            ]
    assert compared >= 5

    answer = httpx.get(
        f"{live.url}/api/v1/worklists",
        params={"day": TODAY.isoformat()},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    with live.db().session() as session:
        expected = server_worklists.as_json(
            TODAY,
            server_worklists.daily(session, COUNTY, TODAY),
            server_worklists.weekly(session, COUNTY, TODAY),
        )
    assert answer.json() == expected and expected["followups"]
    head = add_account(live.db(), "所长", "五云所", "station")
    mine = httpx.get(
        f"{live.url}/api/v1/worklists",
        params={"day": TODAY.isoformat()},
        headers={"Authorization": f"Bearer {head}"},
        timeout=60,
    ).json()
    assert {f["station"] for f in mine["followups"]} <= {"五云所"}
    refused = httpx.get(
        f"{live.url}/api/v1/worklists",
        params={"station": "壶镇分局"},
        headers={"Authorization": f"Bearer {head}"},
        timeout=60,
    )
    assert refused.status_code == 403
