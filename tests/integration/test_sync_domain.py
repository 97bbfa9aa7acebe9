"""Sync through the domain: a unit travels with its dated history and counts alike everywhere.

A unit named 放心消费单位 on one laptop arrives on another with its events and their original
dates, and counts there exactly as where it was named; the server refuses what the domain does
not know (422 naming the value, nothing stored) and a state chain the domain refuses (a conflict
with the reason, not a 500); a pulled chain the domain refuses is a recorded conflict, not
applied; repeated pulls never duplicate an event.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from fieldapp.domain.events import EventKind, Role
from fieldapp.domain.lifecycle import State
from fieldapp.domain.vocab import UnitType
from fieldapp.server import models as sm
from fieldapp.server.db import next_seq
from fieldapp.server.reference import publish_store
from fieldapp.services import progress, unit_changes, unit_sync
from fieldapp.services.stations import station_ids
from fieldapp.services.unit_changes import Change
from fieldapp.storage.models import SyncUnit, Unit, UnitEvent
from fieldapp.store import Store
from fieldapp.sync import state, wire
from fieldapp.sync.client import SyncClient
from fieldapp.sync.mapping import wire_unit
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import LiveServer, add_account, transport

database_url, server_config, live = support.database_url, support.server_config, support.live

STATION = "五云所"
CODE = "92331122MA2A00018H"
YEAR_END = date(2025, 12, 31)


def _county_change(actor: str = "县局王科长") -> Change:
    return Change(actor, Role.COUNTY, today=YEAR_END)


def _master(folder: Path) -> str:
    """The county's store: one unit in 后评价 since August 2025, entered 培育库 in February."""
    with Store.open(folder, create=True) as store, store.session() as session:
        station_ids(session, [STATION])
        values = {
            "credit_code": CODE,
            "name": "缙云县五云好又多超市",
            "station": STATION,
            "unit_type": UnitType.GENERAL,
            "industry": "retail",
            "address": "五云街道解放街 1 号",
            "contact_person": "王芳",
            "contact_phone": "13800000000",
        }
        change = Change("县局王科长", today=YEAR_END, source="县局名单 第 2 行")
        unit = unit_changes.create(
            session, values, change, state=State.CULTIVATING, on=date(2025, 2, 10)
        )
        unit_changes.move(session, unit, State.COMMITTED, change, on=date(2025, 5, 1))
        unit_changes.move(session, unit, State.EVALUATING, change, on=date(2025, 8, 1))
        return unit.uuid


def _publish(live: LiveServer, folder: Path) -> None:
    with live.db().session() as session:
        publish_store(session, folder)


def _history(store: Store, unit_uuid: str) -> list[tuple[Any, ...]]:
    with store.read() as session:
        unit = session.scalars(select(Unit).where(Unit.uuid == unit_uuid)).one()
        return [
            (e.uuid, e.kind, e.from_state, e.to_state, e.occurred_on, e.actor, e.reason)
            for e in unit.events
        ]


def _cells(store: Store, year: int, today: date) -> list[dict[str, object]]:
    with store.read() as session:
        return [c.as_dict() for c in progress.compute(session, year, today=today).cells]


def _event_count(store: Store) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(UnitEvent)) or 0)


def test_a_unit_named_on_one_laptop_counts_on_another_as_if_named_there(
    live: LiveServer, tmp_path: Path
) -> None:
    unit_uuid = _master(tmp_path / "county")
    _publish(live, tmp_path / "county")
    token = add_account(live.db(), "县局管理员", "县局", "county")
    with (
        Store.open(tmp_path / "a", create=True) as a,
        Store.open(tmp_path / "b", create=True) as b,
    ):
        for store in (a, b):
            report = SyncClient(store, transport(live, token)).run()
            assert report.units_received == 1 and not report.conflicts
        assert _history(a, unit_uuid) == _history(b, unit_uuid)
        with a.read() as session:  # arrived with its three dated events and its 入库日期
            unit = session.scalars(select(Unit)).one()
            assert [e.occurred_on for e in unit.events] == [
                date(2025, 2, 10),
                date(2025, 5, 1),
                date(2025, 8, 1),
            ]
            assert unit.state is State.EVALUATING and unit.entered_on == date(2025, 2, 10)
            assert {e.source for e in unit.events} == {"同步：县局名单 第 2 行"}

        with a.session() as session:  # named on laptop A, on 1 September 2025
            unit = session.scalars(select(Unit)).one()
            unit_changes.move(
                session,
                unit,
                State.CONFIRMED,
                _county_change(),
                reason="县局已核实后评价",
                on=date(2025, 9, 1),
                county_confirm=True,
            )
        pushed = SyncClient(a, transport(live, token)).run()
        assert not pushed.conflicts
        received = SyncClient(b, transport(live, token)).run()
        assert received.units_received == 1 and not received.conflicts

        assert _history(b, unit_uuid) == _history(a, unit_uuid)
        with b.read() as session:
            unit = session.scalars(select(Unit)).one()
            named = unit.events[-1]
            assert named.to_state is State.CONFIRMED and named.occurred_on == date(2025, 9, 1)
            assert named.county_confirmed and named.actor == "县局王科长"
            assert named.source.startswith("同步")
            assert unit.state is State.CONFIRMED and unit.state_since == date(2025, 9, 1)
            assert unit.entered_on == date(2025, 2, 10)

        # The same figures on both laptops: new and named in 2025, stock in 2026.
        for year, today in ((2025, YEAR_END), (2026, date(2026, 6, 30))):
            assert _cells(b, year, today) == _cells(a, year, today)
        (cell_2025,) = [c for c in _cells(b, 2025, YEAR_END) if c["station"] == STATION]
        assert cell_2025["new"] == 1 and cell_2025["confirmed"] == 1
        (cell_2026,) = [c for c in _cells(b, 2026, date(2026, 6, 30)) if c["station"] == STATION]
        assert cell_2026["stock"] == 1

        # Pulling again, even from the start, never duplicates an event.
        events = (_event_count(a), _event_count(b))
        for store in (a, b):
            SyncClient(store, transport(live, token)).run()
            with store.session() as session:
                state.put(session, state.CURSOR, "0")
            again = SyncClient(store, transport(live, token)).run()
            assert not again.conflicts
        assert (_event_count(a), _event_count(b)) == events == (4, 4)
        assert _history(b, unit_uuid) == _history(a, unit_uuid)
    with live.db().session() as session:  # the server keeps the whole history once
        row = session.get(sm.Unit, unit_uuid)
        assert row is not None
        kept = wire.WireUnit.model_validate_json(row.data_json)
        assert [e.occurred_on for e in kept.events][-1] == date(2025, 9, 1)
        assert len({e.uuid for e in kept.events}) == len(kept.events) == 4


def _manifest(unit: dict[str, Any], kind: str = "new", base: int = 0) -> dict[str, Any]:
    return {
        "batch_id": str(uuid.uuid4()),
        "device": {
            "device_id": "87654321-4321-4321-8321-cba987654321",
            "unsynced": 0,
            "client_time": "2026-11-23T02:00:00Z",
        },
        "evaluations": [],
        "unit_changes": [
            {
                "change_id": str(uuid.uuid4()),
                "kind": kind,
                "base_version": base,
                "unit": unit,
                "recorded_by": "张三",
                "recorded_at": "2026-11-23T02:00:00Z",
            }
        ],
    }


def _event(to: str, on: str, before: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "kind": "state",
        "from_state": before,
        "to_state": to,
        "occurred_on": on,
        "actor": "张三",
        **extra,
    }


def _unit(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uuid": "11111111-2222-4333-8444-555555555555",
        "credit_code": CODE,
        "name": "缙云县五云好又多超市",
        "station": STATION,
        "unit_type": "general",
        "state": "cultivating",
        "state_since": "2025-02-10",
        "events": [_event("cultivating", "2025-02-10")],
    }
    data.update(changes)
    return data


def _server_counts(live: LiveServer) -> dict[str, int]:
    with live.db().session() as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (sm.Unit, sm.UnitChange, sm.Conflict, sm.Batch)
        }


@pytest.mark.parametrize(
    ("changes", "needles"),
    [
        ({"unit_type": "xyz"}, ["unit_changes.0.unit.unit_type", "单位类型「xyz」未知", "general"]),
        ({"state": "limbo"}, ["unit_changes.0.unit.state", "状态「limbo」未知", "选育池"]),
        (
            {"events": [{**_event("cultivating", "2025-02-10"), "kind": "teleport"}]},
            ["unit_changes.0.unit.events.0", "事件类型「teleport」未知"],
        ),
        (
            {"events": [_event("cultivating", "2025-02-10", exit_reason="bored")]},
            ["移出原因「bored」未知", "不宜培育"],
        ),
    ],
    ids=["unit-type", "state", "event-kind", "exit-reason"],
)
def test_a_value_the_domain_does_not_know_is_refused_by_name_and_nothing_stored(
    live: LiveServer, changes: dict[str, Any], needles: list[str]
) -> None:
    token = add_account(live.db(), "张三", STATION, "inspector")
    body = _manifest(_unit(**changes))
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/batches", f"/api/v1/batches/{body['batch_id']}/commit"):
        response = requests.post(f"{live.url}{path}", json=body, headers=headers, timeout=30)
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail.startswith("请求被拒绝，未保存")
        for needle in needles:
            assert needle in detail
    assert _server_counts(live) == {"units": 0, "unit_changes": 0, "conflicts": 0, "batches": 0}


def test_a_state_chain_the_domain_refuses_is_a_conflict_not_a_500(live: LiveServer) -> None:
    token = add_account(live.db(), "张三", STATION, "inspector")
    headers = {"Authorization": f"Bearer {token}"}

    def commit(body: dict[str, Any]) -> dict[str, Any]:
        response = requests.post(
            f"{live.url}/api/v1/batches/{body['batch_id']}/commit",
            json=body,
            headers=headers,
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    jump = _unit(
        state="confirmed",
        events=[
            _event("candidate", "2025-02-10"),
            _event("confirmed", "2025-03-01", "candidate"),
        ],
    )
    receipt = commit(_manifest(jump))
    assert receipt["unit_changes"][0]["status"] == "conflict"
    (conflict,) = receipt["conflicts"]
    assert "不能从「选育池」变为「放心消费单位」" in conflict["message"]
    assert _server_counts(live)["units"] == 0

    base = _unit()
    receipt = commit(_manifest(base))  # a legal one is kept, with its history
    assert receipt["unit_changes"][0]["status"] == "applied" and not receipt["conflicts"]
    history = base["events"]
    back_in_time = _unit(
        state="committed",
        state_since="2025-01-01",
        events=[*history, _event("committed", "2025-01-01", "cultivating")],
    )
    receipt = commit(_manifest(back_in_time, "update", 1))
    assert receipt["unit_changes"][0]["status"] == "conflict"
    assert "按时间先后" in receipt["conflicts"][0]["message"]
    warned = _unit(
        state="warning",
        state_since="2025-05-01",
        events=[*history, _event("warning", "2025-05-01", "cultivating")],
    )
    receipt = commit(_manifest(warned, "update", 1))  # 培育库 cannot go straight to 预警库
    assert "不能从「培育库」变为「预警库」" in receipt["conflicts"][0]["message"]
    with live.db().session() as session:
        row = session.get(sm.Unit, "11111111-2222-4333-8444-555555555555")
        assert row is not None and row.version == 1
        kept = wire.WireUnit.model_validate_json(row.data_json)
        assert kept.state is State.CULTIVATING and len(kept.events) == 1
        held = list(session.scalars(select(sm.Conflict.message)))
        assert len(held) == 3

    moved = _unit(
        state="committed",
        state_since="2025-05-01",
        events=[*history, _event("committed", "2025-05-01", "cultivating")],
    )
    receipt = commit(_manifest(moved, "update", 1))
    assert receipt["unit_changes"][0]["status"] == "applied" and not receipt["conflicts"]
    older_client = {k: v for k, v in moved.items() if k != "events"}
    older_client.update(state="evaluating", state_since="2025-08-01")
    receipt = commit(_manifest(older_client, "update", 2))  # no history: one event is written
    assert receipt["unit_changes"][0]["status"] == "applied"
    with live.db().session() as session:
        row = session.get(sm.Unit, "11111111-2222-4333-8444-555555555555")
        assert row is not None and row.version == 3
        kept = wire.WireUnit.model_validate_json(row.data_json)
        assert [(e.to_state, e.occurred_on) for e in kept.events] == [
            (State.CULTIVATING, date(2025, 2, 10)),
            (State.COMMITTED, date(2025, 5, 1)),
            (State.EVALUATING, date(2025, 8, 1)),
        ]
        assert kept.events[-1].actor == "张三" and "旧版客户端" in kept.events[-1].source


def _tamper(live: LiveServer, unit_uuid: str, **changes: Any) -> None:
    """Write a unit's server copy directly, as no API would (a broken or hostile server)."""
    with live.db().session() as session:
        row = session.get(sm.Unit, unit_uuid)
        data = json.loads(row.data_json) if row is not None else {}
        data.update(changes)
        seq = next_seq(session)
        if row is None:
            session.add(
                sm.Unit(
                    uuid=unit_uuid,
                    credit_code=data["credit_code"],
                    station=data["station"],
                    name=data["name"],
                    data_json=wire.canonical_json(data),
                    version=data.get("version", 1),
                    seq=seq,
                )
            )
        else:
            data["version"] = row.version + 1
            row.version, row.data_json, row.seq = data["version"], wire.canonical_json(data), seq


def test_a_pulled_chain_the_domain_refuses_is_a_recorded_conflict_not_applied(
    live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unit_uuid = _master(tmp_path / "county")
    _publish(live, tmp_path / "county")
    token = add_account(live.db(), "县局管理员", "县局", "county")
    with Store.open(tmp_path / "laptop", create=True) as store:
        SyncClient(store, transport(live, token)).run()
        before = _history(store, unit_uuid)
        with live.db().session() as session:
            row = session.get(sm.Unit, unit_uuid)
            assert row is not None
            events = json.loads(row.data_json)["events"]
        jump = _event("candidate", "2025-09-01", "evaluating")  # 后评价 cannot go back to 选育池
        _tamper(
            live, unit_uuid, state="candidate", state_since="2025-09-01", events=[*events, jump]
        )
        stranger = "22222222-2222-4333-8444-555555555555"
        _tamper(
            live,
            stranger,
            **_unit(
                uuid=stranger,
                credit_code="92331122MA2A00026D",
                name="缙云县五云乐购便利店",
                state="confirmed",
                events=[
                    _event("cultivating", "2025-02-10"),
                    _event("confirmed", "2025-03-01", "cultivating"),
                ],
            ),
        )
        report = SyncClient(store, transport(live, token)).run()
        assert len(report.conflicts) == 2
        assert any("不能从「后评价」变为「选育池」" in c for c in report.conflicts)
        assert any("不能从「培育库」变为「放心消费单位」" in c for c in report.conflicts)
        assert _history(store, unit_uuid) == before  # not applied
        with store.read() as session:
            unit = session.scalars(select(Unit).where(Unit.uuid == unit_uuid)).one()
            assert unit.state is State.EVALUATING
            record = session.get(SyncUnit, unit.id)
            assert record is not None and "不能从「后评价」变为「选育池」" in (
                record.conflict or ""
            )
            kept = session.scalars(select(Unit).where(Unit.uuid == stranger)).one()
            assert kept.state is None and kept.events == []  # held, counts nowhere
            held = session.get(SyncUnit, kept.id)
            assert held is not None and "放心消费单位" in (held.conflict or "")
            listed = state.unit_conflicts(session)
            assert sorted(u.uuid for u, _message in listed) == sorted([unit_uuid, stranger])
        assert "冲突" in report.summary()
        again = SyncClient(store, transport(live, token)).run()  # nothing new: nothing repeated
        assert again.conflicts == [] and _history(store, unit_uuid) == before
    # The held units stay listed for the station until the county corrects them.
    from fieldapp.cli import main

    assert main(["--data-dir", str(tmp_path / "laptop"), "sync", "status"]) == 0
    out = capsys.readouterr().out
    assert "单位未同步：缙云县五云乐购便利店（92331122MA2A00026D）" in out


# --- adopt on its own: older servers, the same list imported twice, fields without events -------


def _laptop(folder: Path) -> Store:
    store = Store.open(folder, create=True)
    with store.session() as session:
        station_ids(session, [STATION])
    return store


def test_a_unit_from_an_older_server_gets_one_event_dated_by_its_state_date(
    tmp_path: Path,
) -> None:
    incoming = wire.WireUnit.model_validate(
        {
            k: v
            for k, v in _unit(state="committed", state_since="2025-05-01").items()
            if k != "events"
        }
    )
    assert incoming.events == []
    with _laptop(tmp_path / "laptop") as store, store.session() as session:
        adopted = unit_sync.adopt(session, incoming, unit_sync.sync_change(YEAR_END))
        assert adopted.outcome is unit_sync.Outcome.CREATED and adopted.events_added == 1
        unit = session.get(Unit, adopted.unit_id)
        assert unit is not None and unit.state is State.COMMITTED
        (event,) = unit.events
        assert (event.kind, event.to_state, event.occurred_on) == (
            EventKind.STATE,
            State.COMMITTED,
            date(2025, 5, 1),
        )
        assert event.source == "同步" and unit.entered_on == date(2025, 5, 1)
        again = unit_sync.adopt(session, incoming, unit_sync.sync_change(YEAR_END))
        assert again.outcome is unit_sync.Outcome.UNCHANGED and len(unit.events) == 1

        # A unit an earlier version pulled (copied field by field: a state, no history) gets
        # its event too, so it counts from now on.
        legacy = incoming.model_copy(
            update={"uuid": "33333333-2222-4333-8444-555555555555", "credit_code": "X" * 18}
        )
        copied = Unit(
            uuid=legacy.uuid,
            credit_code=legacy.credit_code,
            name=legacy.name,
            station=unit.station,
            unit_type=UnitType.GENERAL,
            state=State.COMMITTED,
            state_since=date(2025, 5, 1),
            version=1,
        )
        session.add(copied)
        session.flush()
        assert unit_sync.adopt(session, legacy, unit_sync.sync_change(YEAR_END)).events_added == 1
        assert [(e.to_state, e.occurred_on) for e in copied.events] == [
            (State.COMMITTED, date(2025, 5, 1))
        ]
        cells = progress.compute(session, 2025, today=YEAR_END).cells
        assert sum(c.new for c in cells) == 2


def test_the_same_county_list_imported_on_two_machines_is_not_written_twice(
    tmp_path: Path,
) -> None:
    """Two imports of one list give the same change two uuids; the pull recognises it, and a
    field that differs without an event of its own is changed as 同步, with its event."""
    unit_uuid = _master(tmp_path / "county")
    with Store.open(tmp_path / "county") as county, county.read() as session:
        unit = session.scalars(select(Unit).where(Unit.uuid == unit_uuid)).one()
        sent = wire_unit(unit)
    _master(tmp_path / "laptop")  # the same list, imported here: other uuids, same changes
    moved = sent.model_copy(update={"address": "五云街道解放街 99 号"})
    with Store.open(tmp_path / "laptop") as store:
        with store.session() as session:
            adopted = unit_sync.adopt(session, moved, unit_sync.sync_change(YEAR_END))
            assert adopted.outcome is unit_sync.Outcome.UPDATED and adopted.events_added == 0
        with store.read() as session:
            unit = session.scalars(select(Unit)).one()
            assert unit.uuid == unit_uuid  # the county's id from now on
            assert [e.kind for e in unit.events] == [EventKind.STATE] * 3 + [EventKind.ADDRESS]
            address = unit.events[-1]
            assert address.new_value == "五云街道解放街 99 号" and address.source == "同步"
            assert address.actor == unit_sync.SERVER_ACTOR
            assert session.get(SyncUnit, unit.id) is not None


def test_the_laptop_takes_its_role_from_the_server_account(
    live: LiveServer, tmp_path: Path
) -> None:
    """县局确认 is offered on a laptop only when the county server says the account is the county's."""
    from fieldapp import settings
    from fieldapp.domain.events import Role
    from fieldapp.sync.client import run_sync

    county = add_account(live.db(), "县局管理员", "县局", "county")
    inspector = add_account(live.db(), "张三", STATION, "inspector")
    with _laptop(tmp_path / "laptop") as store:
        assert settings.load(store.folder).role is Role.INSPECTOR
        run_sync(store, transport=transport(live, county))
        assert settings.load(store.folder).role is Role.COUNTY
        run_sync(store, transport=transport(live, inspector))
        assert settings.load(store.folder).role is Role.INSPECTOR
