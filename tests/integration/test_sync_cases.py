"""A 联络站's case ledger (台账) travels like evaluations (issue 13): an inspector's laptop records
12 cases of a 五云所 联络站 and one of a 壶镇分局 联络站, syncs with a live county server, which
keeps the 12 exactly once and refuses the other station's case on its own in the receipt; a fresh
laptop of 五云所 pulls the 12 back (and its bulletin counts them as the server's does), a 壶镇分局
laptop gets none of them, and a correction made on the second laptop reaches the first. SQLite,
and PostgreSQL when FIELDAPP_TEST_DATABASE_URL is set."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldapp import paths
from fieldapp.cli import main as fieldapp_main
from fieldapp.domain.cases import CaseFields, CaseType
from fieldapp.domain.events import Role
from fieldapp.server import bulletin as server_bulletin
from fieldapp.server import models as sm
from fieldapp.server.accounts import Caller
from fieldapp.server.reference import publish_store
from fieldapp.services import cases as service
from fieldapp.services import worklists
from fieldapp.storage import sqlitefile
from fieldapp.storage.models import Case, Unit
from fieldapp.store import Store
from fieldapp.sync.client import SyncClient, SyncReport
from tests.integration import test_sync_support as support
from tests.integration.console_support import close_clients, set_password, signed_in
from tests.integration.test_sync_support import LiveServer, add_account, transport
from tests.unit.test_cases import TODAY, make_units
from tests.unit.test_worklists import code

database_url, server_config, live = support.database_url, support.server_config, support.live


def _copy(store: Store, folder: Path) -> Store:
    shutil.copytree(store.folder, folder, ignore=shutil.ignore_patterns("fieldapp.sqlite3*"))
    sqlitefile.snapshot(paths.database_path(store.folder), paths.database_path(folder))
    return Store.open(folder)


def _sync(live: LiveServer, laptop: Store, token: str) -> SyncReport:
    return SyncClient(laptop, transport(live, token)).run()


def _ledger(store: Store, tag: str) -> dict[str, tuple[object, ...]]:
    with store.read() as session:
        unit = session.scalar(select(Unit).where(Unit.credit_code == code(tag)))
        assert unit is not None
        return {
            c.uuid: (
                c.case_type,
                c.consultant,
                c.consulted_at.replace(tzinfo=None),
                c.description,
                c.result,
                c.recovered_fen,
                c.version,
            )
            for c in service.list_cases(session, unit)
        }


def test_cases_reach_the_county_and_come_back_to_another_laptop(
    live: LiveServer, store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = make_units(store)
    with live.db().session() as session:
        assert not publish_store(session, store.folder)["conflicts"]
    first = _copy(store, tmp_path / "inspector-1")
    second = Store.open(tmp_path / "inspector-2", create=True)
    other = Store.open(tmp_path / "hu-zhen", create=True)
    try:
        with first.session() as session:
            unit = service.station_unit(session, ids["LZ"])
            for n in range(12):
                handled = n < 10
                service.add(
                    session,
                    unit,
                    CaseFields(
                        case_type=list(CaseType)[n % len(CaseType)],
                        consultant=f"村民{n}",
                        consulted_at=datetime(2026, 11, n + 1, 9, 30),
                        description=f"问题描述 {n}\n第二行",
                        handled_at=datetime(2026, 11, n + 1, 16) if handled else None,
                        result="调解成功" if handled else "",
                        recovered_fen=10050 if handled else 0,
                    ),
                    "张三",
                )
            elsewhere = service.station_unit(session, ids["HZ"])
            service.add(
                session,
                elsewhere,
                CaseFields(CaseType.PRICE, "外所村民", datetime(2026, 11, 2, 8), "别所的事"),
                "张三",
            )

        report = _sync(live, first, add_account(live.db(), "张三", "五云所", "inspector"))
        assert report.cases_sent == 12
        assert any("壶镇分局" in c and "无权" in c for c in report.conflicts), report.conflicts
        with live.db().session() as session:
            rows = list(session.scalars(select(sm.Case)))
            assert len(rows) == 12 and {r.station for r in rows} == {"五云所"}
            assert sum(r.recovered_fen for r in rows) == 100500
        with first.read() as session:
            assert service.pending_count(session) == 1  # the other station's, kept with why
            refused = session.scalar(select(Case).where(Case.consultant == "外所村民"))
            assert refused is not None and "壶镇分局" in (refused.sync_conflict or "")
        assert fieldapp_main(["--data-dir", str(first.folder), "sync", "status", "--json"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert status["cases_pending"] == 1
        assert [c["unit"] for c in status["case_conflicts"]] == ["缙云县HZ村消费维权联络站"]

        again = _sync(live, first, add_account(live.db(), "张三二", "五云所", "inspector"))
        assert again.cases_sent == 0  # nothing new: each case once
        with live.db().session() as session:
            assert session.scalar(select(func.count()).select_from(sm.Case)) == 12

        pulled = _sync(live, second, add_account(live.db(), "李四", "五云所", "inspector"))
        assert pulled.cases_received == 12
        recorded = _ledger(first, "LZ")
        assert _ledger(second, "LZ") == recorded and len(recorded) == 12
        with second.read() as session:
            assert service.pending_count(session) == 0
            here = worklists.month_summary(session, "2026-11", today=TODAY)
        with live.db().session() as session:
            county = Caller(0, "县局", "县局", Role.COUNTY)
            there = server_bulletin.month_summary(session, county, "2026-11", today=TODAY)
        line = next(s for s in here.stations if s.station == "五云所")
        assert (line.cases, line.recovered_fen, line.cases_year) == (12, 100500, 12)
        # The county office sees the ledger on the 联络站's page of the console.
        add_account(live.db(), "县局台账", "县局", "county")
        set_password(live, "县局台账")
        page = signed_in(live, "县局台账").get(f"/units/{code('LZ')}")
        assert page.status_code == 200
        assert "联络站台账（2026 年 12 件，挽回经济损失 1005.00 元）" in page.text
        assert page.text.count("调解成功") == 10 and "村民11" in page.text
        close_clients()
        assert [
            (s.station, s.cases, s.recovered_fen, s.cases_year) for s in there.stations if s.cases
        ] == [("五云所", 12, 100500, 12)]

        hu_zhen = _sync(live, other, add_account(live.db(), "王五", "壶镇分局", "inspector"))
        assert hu_zhen.cases_received == 0
        with other.read() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 0

        # a correction on the second laptop: the first gets it at its next sync
        with second.session() as session:
            case = session.scalar(select(Case).where(Case.consultant == "村民11"))
            assert case is not None
            fields = service.fields_of(case)
            service.update(
                session,
                case,
                CaseFields(
                    fields.case_type,
                    fields.consultant,
                    fields.consulted_at,
                    fields.description,
                    handled_at=datetime(2026, 11, 20, 10),
                    result="经营者退款",
                    recovered_fen=8800,
                ),
            )
        assert (
            _sync(live, second, add_account(live.db(), "李四二", "五云所", "inspector")).cases_sent
            == 1
        )
        _sync(live, first, add_account(live.db(), "张三三", "五云所", "inspector"))
        corrected = _ledger(first, "LZ")
        assert corrected == _ledger(second, "LZ")
        assert sorted(v[5] for v in corrected.values()).count(8800) == 1
        with live.db().session() as session:
            assert session.scalar(select(func.count()).select_from(sm.Case)) == 12
            assert session.scalar(select(func.max(sm.Case.version))) == 2
    finally:
        for laptop in (first, second, other):
            laptop.close()
