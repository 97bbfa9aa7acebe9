"""A real sync over real HTTP: push with receipts, pull, review, devices, re-sync, bundles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from fieldapp.cli import main as fieldapp_main
from fieldapp.server import models as sm
from fieldapp.storage.models import SyncEvaluation
from fieldapp.store import Store
from fieldapp.sync import state
from fieldapp.sync.client import SyncClient, SyncReport, build_manifest
from tests.conftest import DATA
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import (
    LiveServer,
    add_account,
    assert_server_matches,
    demo_store,
    transport,
)

# The shared fixtures, made visible to pytest in this module.
database_url, server_config, live = support.database_url, support.server_config, support.live
demo_cache = support.demo_cache


def test_push_confirms_every_evaluation_and_blob(
    live: LiveServer, tmp_path: Path, demo_cache: Path
) -> None:
    token = add_account(live.db(), "县局管理员", "县局", "county")
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=3)
    with Store.open(folder) as store:
        report = SyncClient(store, transport(live, token)).run()
        assert report.pushed == 3 and report.accepted == 3
        assert report.blobs_uploaded > 0 and not report.conflicts
        assert_server_matches(live, store)
        again = SyncClient(store, transport(live, token)).run()
        assert again.pushed == 0 and again.blobs_uploaded == 0
        assert_server_matches(live, store)
        with store.read() as session:
            assert state.last_sync(session) is not None
            assert [b.status for b in state.ledger(session)] == ["done"]


def _first_station(store: Store) -> str:
    from fieldapp.storage.models import Evaluation

    with store.read() as session:
        evaluation = session.scalars(select(Evaluation).order_by(Evaluation.id)).first()
        assert evaluation is not None
        return evaluation.unit.station.name


def test_review_returned_comes_back_with_its_comment(
    live: LiveServer, tmp_path: Path, demo_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fieldapp.server import review
    from fieldapp.server.accounts import caller_of

    county = add_account(live.db(), "县局管理员", "县局", "county")
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=3)
    with Store.open(folder) as store:
        SyncClient(store, transport(live, county)).run()
        station = _first_station(store)
        head = add_account(live.db(), "所长", station, "station")
        with live.db().session() as session:
            who = session.scalar(select(sm.Account).where(sm.Account.role == "station"))
            assert who is not None
            caller = caller_of(who)
            mine = review.received(session, caller)
            assert mine and {r.station for r in mine} == {station}
        target = mine[0].uuid
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {head}"
            answer = http.post(
                f"{live.url}/api/v1/evaluations/{target}/review",
                json={"status": "returned", "comment": "缺少营业执照照片，请补拍"},
                timeout=10,
            )
            assert answer.status_code == 200, answer.text
            listed = http.get(f"{live.url}/api/v1/evaluations?status=returned", timeout=10)
            assert [e["uuid"] for e in listed.json()] == [target]
        report = SyncClient(store, transport(live, county)).run()
        assert report.reviews_received == 1
        assert [r["uuid"] for r in report.returned] == [target]
        assert report.returned[0]["comment"] == "缺少营业执照照片，请补拍"
        with store.read() as session:
            from fieldapp.storage.models import Evaluation

            evaluation = session.scalar(select(Evaluation).where(Evaluation.uuid == target))
            assert evaluation is not None
            found = state.review_of(session, evaluation.id)
            assert found is not None and found.label == "已退回" and found.reviewed_by == "所长"
        assert fieldapp_main(["--data-dir", str(folder), "sync", "status"]) == 0
        assert "缺少营业执照照片" in capsys.readouterr().out
    from fieldapp.server.cli import main as server_main

    args = ["--data-dir", str(live.config.data_dir), "--database-url", live.config.database_url]
    assert server_main([*args, "review", "list", "--status", "pending", "--json"]) == 0
    pending = json.loads(capsys.readouterr().out)
    assert len(pending) == 2 and target not in {p["uuid"] for p in pending}
    assert server_main([*args, "review", "return", pending[0]["uuid"]]) == 1
    assert "须写明退回原因" in capsys.readouterr().err
    assert server_main([*args, "review", "accept", pending[0]["uuid"], "--by", "县局王科长"]) == 0
    assert "已接收" in capsys.readouterr().out
    assert server_main([*args, "review", "list", "--status", "accepted"]) == 0
    assert pending[0]["uuid"] in capsys.readouterr().out


def test_scope_refuses_another_stations_records_one_by_one(
    live: LiveServer, tmp_path: Path, demo_cache: Path
) -> None:
    """Records outside the token's station are refused record by record, each with why, kept
    on the laptop and listed; they block nothing, and nothing of them reaches the server."""
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=3)
    with Store.open(folder) as store:
        station = _first_station(store)
        other = add_account(live.db(), "李四", "不存在的所", "inspector")
        report = SyncClient(store, transport(live, other)).run()
        refused = [m for m in report.conflicts if m.startswith("评价")]
        assert report.accepted == 0 and len(refused) == 3  # and the units found on site
        assert all("无权访问" in m and "其他记录照常上传" in m for m in report.conflicts)
        with live.db().session() as session:
            assert session.scalar(select(func.count()).select_from(sm.Evaluation)) == 0
            assert session.scalar(select(func.count()).select_from(sm.Unit)) == 0
            assert session.scalar(select(func.count()).select_from(sm.Blob)) == 0
        with store.read() as session:
            records = session.scalars(select(SyncEvaluation)).all()
            assert len(records) == 3 and all("无权访问" in (r.conflict or "") for r in records)
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {other}"
            refused = http.get(f"{live.url}/api/v1/devices?station={station}", timeout=10)
            assert refused.status_code == 403 and "无权访问" in refused.json()["detail"]
            assert http.get(f"{live.url}/api/v1/stats", timeout=10).status_code == 403
            assert requests.get(f"{live.url}/api/v1/pull", timeout=10).status_code == 401
        with store.read() as session:
            assert state.pending_count(session) == 3


def test_devices_report_stranded_work_and_stats(
    live: LiveServer, tmp_path: Path, demo_cache: Path
) -> None:
    county = add_account(live.db(), "县局管理员", "县局", "county")
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=3)
    with Store.open(folder) as store:
        client = SyncClient(store, transport(live, county), batch_size=2)
        client.clock(SyncReport())
        report = SyncReport()
        with store.session() as session:
            manifest = build_manifest(session, False, 2)
        assert manifest is not None
        client._send(manifest, report)  # one batch of two arrives; one stays behind
        client.report_device(report)
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {county}"
            devices = http.get(f"{live.url}/api/v1/devices", timeout=10).json()
            assert [d["unsynced"] for d in devices] == [1]
            assert devices[0]["last_sync_at"] is not None
            stats = http.get(f"{live.url}/api/v1/stats", timeout=10).json()
            assert stats["evaluations"] == 2 and stats["devices"] == 1
        SyncClient(store, transport(live, county)).run()
        with live.db().session() as session:
            device = session.scalars(select(sm.Device)).one()
            assert device.unsynced == 0
        assert_server_matches(live, store)


def test_unit_change_against_newer_version_is_held_as_conflict(
    live: LiveServer, tmp_path: Path, demo_cache: Path
) -> None:
    from fieldapp.storage.models import Evaluation, SyncUnit

    county = add_account(live.db(), "县局管理员", "县局", "county")
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=1)
    with Store.open(folder) as store:
        SyncClient(store, transport(live, county)).run()
        with store.session() as session:
            unit = session.scalars(select(Evaluation)).one().unit
            unit_uuid, base = unit.uuid, session.get(SyncUnit, unit.id).server_version  # type: ignore[union-attr]
            unit.address = "新址：解放街 99 号"
            unit.version += 1
        with live.db().session() as session:  # meanwhile the county edits the same unit
            row = session.get(sm.Unit, unit_uuid)
            assert row is not None and row.version == base
            row.version += 1
        report = SyncClient(store, transport(live, county)).run()
        assert len(report.conflicts) == 1 and "核对" in report.conflicts[0]
        with live.db().session() as session:
            held = session.scalars(select(sm.Conflict)).one()
            assert held.kind == "unit_change" and "新址" in held.detail_json
        with store.read() as session:
            record = session.scalars(select(SyncUnit).where(SyncUnit.conflict.is_not(None))).one()
            assert "核对" in (record.conflict or "")
        with requests.Session() as http:
            http.headers["Authorization"] = f"Bearer {county}"
            assert http.get(f"{live.url}/api/v1/stats", timeout=10).json()["conflicts"] == 1


def test_bundle_import_has_online_idempotency(
    live: LiveServer, tmp_path: Path, demo_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fieldapp import settings as settings_module
    from fieldapp.server.cli import main as server_main

    add_account(live.db(), "王五", "五云所", "inspector")
    county = add_account(live.db(), "县局管理员", "县局", "county")
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=3)
    settings_module.save(folder, settings_module.Settings(inspector_name="王五", station="五云所"))
    bundle = tmp_path / "bundle.zip"
    assert fieldapp_main(["--data-dir", str(folder), "sync", "export", "-o", str(bundle)]) == 0
    assert "已导出 3 份评价" in capsys.readouterr().out
    args = ["--data-dir", str(live.config.data_dir), "--database-url", live.config.database_url]
    with Store.open(folder) as store:
        station = _first_station(store)
    if station != "五云所":  # the inspector's station must be the units' station
        with live.db().session() as session:
            row = session.scalars(select(sm.Account).where(sm.Account.name == "王五")).one()
            row.station = station
    # Units of other stations make an inspector's bundle out of scope; import as the county.
    with live.db().session() as session:
        county_id = session.scalars(select(sm.Account.id).where(sm.Account.role == "county")).one()
    assert server_main([*args, "import", str(bundle), "--account", str(county_id)]) == 0
    first = capsys.readouterr().out
    assert "评价 3 份" in first
    assert server_main([*args, "import", str(bundle), "--account", str(county_id)]) == 0
    assert "评价 3 份" in capsys.readouterr().out
    with Store.open(folder) as store:
        with store.read() as session:
            assert state.pending_count(session) == 3  # no receipt yet
        report = SyncClient(store, transport(live, county)).run()
        assert report.accepted == 3 and report.blobs_uploaded == 0
        assert_server_matches(live, store)
    assert server_main([*args, "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["evaluations"] == 3 and stats["conflicts"] == 0


def test_published_reference_data_comes_down_with_a_cursor(
    live: LiveServer, tmp_path: Path, demo_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fieldapp.server.cli import main as server_main
    from fieldapp.storage.models import ChecklistSnapshot, SyncAssignment, Target, Unit

    master = demo_store(tmp_path / "county", demo_cache, evaluations=0)
    assert (
        fieldapp_main(
            ["--data-dir", str(master), "targets", "import", str(DATA / "jinyun-2023-targets.csv")]
        )
        == 0
    )
    args = ["--data-dir", str(live.config.data_dir), "--database-url", live.config.database_url]
    assert server_main([*args, "publish", "--from-store", str(master)]) == 0
    assert (
        server_main(
            [*args, "users", "add", "--name", "赵六", "--station", "五云所", "--role", "inspector"]
        )
        == 0
    )
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(token) >= 40 and " " not in token
    with Store.open(master) as county_store, county_store.read() as session:
        wuyun = session.scalar(
            select(func.count())
            .select_from(Unit)
            .join(Unit.station)
            .where(Unit.station.has(name="五云所"))
        )
    fresh = tmp_path / "fresh"
    with Store.open(fresh, create=True) as store:
        report = SyncClient(store, transport(live, token)).run()
        assert report.units_received == wuyun and wuyun
        with store.read() as session:
            stations = set(session.scalars(select(Unit.station_id).distinct()))
            assert len(stations) == 1
            assert session.scalar(select(func.count()).select_from(Target)) >= 1
            assert session.scalar(select(func.count()).select_from(ChecklistSnapshot)) >= 1
            cursor = state.cursor(session)
        again = SyncClient(store, transport(live, token)).run()
        assert again.units_received == 0
        with store.read() as session:
            assert state.cursor(session) == cursor
            code = session.scalars(select(Unit.credit_code).order_by(Unit.id)).first()
        assert code is not None
        assign = ["assign", "--unit", code, "--inspector", "赵六", "--year", "2026"]
        assert server_main([*args, *assign]) == 0
        SyncClient(store, transport(live, token)).run()
        with store.read() as session:
            (row,) = session.scalars(select(SyncAssignment)).all()
            assert row.inspector == "赵六" and row.year == 2026


def test_cli_remembers_server_and_token(
    live: LiveServer, tmp_path: Path, demo_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fieldapp import settings as settings_module
    from fieldapp.server.cli import main as server_main

    args = ["--data-dir", str(live.config.data_dir), "--database-url", live.config.database_url]
    assert (
        server_main(
            [*args, "users", "add", "--name", "县局", "--station", "县局", "--role", "county"]
        )
        == 0
    )
    token = capsys.readouterr().out.strip().splitlines()[-1]
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=1)
    assert fieldapp_main(["--data-dir", str(folder), "sync"]) == 1
    assert "还没有设置县局服务器" in capsys.readouterr().err
    code = fieldapp_main(
        ["--data-dir", str(folder), "sync", "--quiet", "--server", live.url, "--token", token]
    )
    assert code == 0, capsys.readouterr().err
    assert "上传评价 1/1 份" in capsys.readouterr().out
    saved = settings_module.load(folder)
    assert saved.server_url == live.url and saved.server_token == token
    assert fieldapp_main(["--data-dir", str(folder), "sync", "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pending"] == 0
    assert server_main([*args, "users", "list", "--json"]) == 0
    (account,) = json.loads(capsys.readouterr().out)
    assert server_main([*args, "users", "revoke", str(account["id"])]) == 0
    assert fieldapp_main(["--data-dir", str(folder), "sync", "--quiet"]) == 1
    assert "令牌已被注销" in capsys.readouterr().err
    assert server_main([*args, "devices"]) == 0
    assert "未同步 0 份" in capsys.readouterr().out


def test_skewed_clock_is_flagged_not_blocked(
    live: LiveServer, tmp_path: Path, demo_cache: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    county = add_account(live.db(), "县局管理员", "县局", "county")
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=2)
    skewed = transport(live, county)
    real = skewed.request

    def request(method: str, path: str, **kw: Any) -> Any:
        answer = real(method, path, **kw)
        if path == "/health":  # the server's clock is an hour ahead of this laptop's
            answer["server_time"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        return answer

    skewed.request = request  # type: ignore[method-assign]
    with Store.open(folder) as store:
        report = SyncClient(store, skewed).run()
        assert report.accepted == 2 and report.clock_skewed
        assert report.clock_offset_seconds < -3000 and "时钟" in report.summary()
        assert_server_matches(live, store)
    with live.db().session() as session:
        assert set(session.scalars(select(sm.Evaluation.clock_skewed))) == {True}


def test_a_checklist_the_county_publishes_is_used_by_the_next_evaluation(
    live: LiveServer, tmp_path: Path, demo_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The next version of the tourism module, published from the county's master store, comes
    down at sync as a file, and an evaluation started after the sync is composed with it."""
    from fieldapp.checklists import BUNDLED_DIR, load_file
    from fieldapp.server.cli import main as server_main
    from fieldapp.services import evaluations as ev
    from fieldapp.storage.models import Unit

    master = demo_store(tmp_path / "county", demo_cache, evaluations=0)
    county_dir = master / "checklists"
    county_dir.mkdir(exist_ok=True)
    bundled = load_file(BUNDLED_DIR / "x-tourism.toml").version
    new = bundled + 1
    text = (BUNDLED_DIR / "x-tourism.toml").read_text(encoding="utf-8")
    text = text.replace(f"version = {bundled}", f"version = {new}", 1).replace(
        'text = "明示门票及商品、服务项目价格"',
        'text = "明示门票、讲解及商品服务价格（2026 修订）"',
        1,
    )
    (county_dir / f"x-tourism-v{new}.toml").write_text(text, encoding="utf-8")
    args = ["--data-dir", str(live.config.data_dir), "--database-url", live.config.database_url]
    assert server_main([*args, "publish", "--from-store", str(master)]) == 0
    token = add_account(live.db(), "县局管理员", "县局", "county")

    client = demo_store(tmp_path / "client", demo_cache, evaluations=0)
    with Store.open(client) as store:
        assert store.library.latest("x-tourism").version == bundled
        report = SyncClient(store, transport(live, token)).run()
        assert report.checklists_received >= 1 and "检查表" in report.summary()
        saved = client / "checklists" / "server" / f"x-tourism-v{new}.json"
        assert saved.is_file()
        assert store.library.latest("x-tourism").version == new  # reloaded after the sync
        with store.session() as session:
            unit = session.scalars(select(Unit).where(Unit.industry == "tourism")).first()
            assert unit is not None
            evaluation = ev.start(session, store.library, unit, "routine", "张三")
            pins = {(p.checklist_id, p.version) for p in evaluation.checklists}
            assert ("x-tourism", new) in pins
            tourism = ev.checklists_of(session, store.library, evaluation)[-1]
            assert tourism.items[0].text == "明示门票、讲解及商品服务价格（2026 修订）"
    with Store.open(client) as again:  # and it stays after a restart
        assert again.library.latest("x-tourism").version == new
        assert not again.library.problems
    capsys.readouterr()


def test_the_hash_on_a_printed_sheet_is_the_one_the_server_keeps(
    live: LiveServer, tmp_path: Path, demo_cache: Path
) -> None:
    """The QR code of a sheet carries the evaluation's content hash; the county checks a paper
    copy against the server's record, so both must be the same hash."""
    from fieldapp.storage.models import Evaluation

    token = add_account(live.db(), "县局管理员", "县局", "county")
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=3)
    with Store.open(folder) as store:
        SyncClient(store, transport(live, token)).run()
        with store.read() as session:
            printed = {e.uuid: e.content_sha256 for e in session.scalars(select(Evaluation))}
    with live.db().session() as session:
        kept = {e.uuid: e.content_sha256 for e in session.scalars(select(sm.Evaluation))}
    assert kept == printed and len(kept) == 3
