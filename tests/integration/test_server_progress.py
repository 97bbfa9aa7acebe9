"""The county server counts the county's figures with the desktop's own fold: the same units,
task tables, ratio targets and deadlines published from a county store give
``GET /api/v1/progress`` the very JSON that ``fieldapp progress --json`` prints there, its
``plan`` section included (for a station's account, that station's share)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from fieldapp.cli import main as fieldapp_main
from fieldapp.server.accounts import Caller
from fieldapp.server.reference import publish_store, pull
from fieldapp.services import plan, plan_progress, progress
from fieldapp.store import Store
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import LiveServer, add_account

database_url, server_config, live = support.database_url, support.server_config, support.live


TABLES = Path(__file__).resolve().parents[1] / "data" / "task-tables"


def _cli(folder: Path, *args: str) -> None:
    assert fieldapp_main(["--data-dir", str(folder), *args]) == 0, args


def _desktop_json(folder: Path, year: int, capsys: pytest.CaptureFixture[str]) -> Any:
    capsys.readouterr()
    _cli(folder, "progress", "--year", str(year), "--json")
    return json.loads(capsys.readouterr().out)


def _api(live: LiveServer, token: str, year: int, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{live.url}/api/v1/progress",
        params={"year": year, **params},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def _restricted_json(folder: Path, year: int, station: str) -> Any:
    """The desktop's figures restricted to ``station``, as JSON travels (dates as text)."""
    with Store.open(folder, readonly=True) as store, store.read() as session:
        whole = progress.compute(session, year)
        report = progress.restricted(whole, station)
        plan_report = plan_progress.restricted(
            plan_progress.compute(session, year, snapshots=whole.snapshots), station
        )
    answer = progress.as_json(report) | {"plan": plan_report.as_dict()}
    return json.loads(json.dumps(answer, ensure_ascii=False, default=str))


def _county_store(folder: Path, year: int) -> None:
    """A demo county with its own deadlines, task tables with county rows, 其中 subsets,
    categories, a multi-year plan and ratio targets with denominators."""
    _cli(folder, "demo", "--units", "300", "--targets")
    for table in ("jinyun-2023-annex.csv", "shaoxing-2020-annex1.csv", "shaoxing-2020-annex2.csv"):
        _cli(folder, "targets", "import", str(TABLES / table))
    _cli(folder, "targets", "import", str(TABLES / "shaoxing-2020-ratios.csv"))
    _cli(folder, "targets", "import", str(TABLES / "wenzhou-2017-2020-plan.csv"))
    denominators = folder.parent / "分母.csv"
    denominators.write_text(
        "年度,所,指标,分母\n"
        "2020,越城区,放心消费单位占市场有效主体比例,20\n"
        "2020,柯桥区,放心消费单位占市场有效主体比例,30\n"
        "2020,全市,乡镇(街道)参与创建覆盖率,2\n",
        "utf-8",
    )
    _cli(folder, "targets", "denominators", str(denominators))
    for when, june, november in ((year, "06-20", "11-15"), (2020, "05-31", "10-31")):
        _cli(
            folder,
            "targets",
            "deadlines",
            "--year",
            str(when),
            "--june",
            f"{when}-{june}",
            "--november",
            f"{when}-{november}",
            "--source",
            "上级通知",
        )


YEARS = (2017, 2018, 2020, 2023)


def test_the_servers_progress_is_the_desktops(
    live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    year = date.today().year
    county_store = tmp_path / "county"
    _county_store(county_store, year)
    with live.db().session() as session:
        counts = publish_store(session, county_store)
    assert counts["units"] >= 300 and counts["targets"] and not counts["conflicts"]

    county = add_account(live.db(), "县局管理员", "县局", "county")
    for when in (year, year - 1, *YEARS):
        desktop = _desktop_json(county_store, when, capsys)
        answer = _api(live, county, when)
        assert answer.status_code == 200, answer.text
        assert answer.json() == desktop, when
    desktop = _desktop_json(county_store, year, capsys)
    assert desktop["cells"] and any(c["achieved"] for c in desktop["cells"])
    assert [d["due"] for d in desktop["deadlines"]] == [f"{year}-06-20", f"{year}-11-15"]
    shaoxing = _desktop_json(county_store, 2020, capsys)["plan"]
    assert shaoxing["deadlines"] == {"first_due": "2020-05-31", "final_due": "2020-10-31"}
    assert any(r["parent"] for r in shaoxing["rows"]) and any(
        r["scope"] == "县级" for r in shaoxing["rows"]
    )
    assert {r["denominator_note"] for r in shaoxing["ratios"]} >= {"各所分母之和"}
    assert any(r["plan"] for r in _desktop_json(county_store, 2017, capsys)["plan"]["rows"])

    station = desktop["cells"][0]["station"]
    head = add_account(live.db(), "所长", station, "station")
    answer = _api(live, head, year)
    assert answer.status_code == 200, answer.text
    mine = answer.json()
    assert mine["cells"] == [c for c in desktop["cells"] if c["station"] == station]
    assert mine == _restricted_json(county_store, year, station)
    assert _api(live, county, year, station=station).json() == mine

    district = add_account(live.db(), "区局", "越城区", "station")
    theirs = _api(live, district, 2020).json()
    assert theirs == _restricted_json(county_store, 2020, "越城区")
    assert theirs["plan"]["rows"] and theirs["plan"]["ratios"]
    assert {r["scope"] for r in theirs["plan"]["rows"] + theirs["plan"]["ratios"]} == {"越城区"}

    other = next(c["station"] for c in desktop["cells"] if c["station"] != station)
    refused = _api(live, head, year, station=other)
    assert refused.status_code == 403 and other in refused.json()["detail"]
    assert _api(live, "not-a-token", year).status_code == 401


def test_a_laptop_pulls_the_countys_deadlines_and_ratios(live: LiveServer, tmp_path: Path) -> None:
    from fieldapp.domain.events import Role
    from fieldapp.sync.client import apply_pull

    year = date.today().year
    county_store = tmp_path / "county"
    _county_store(county_store, year)
    with live.db().session() as session:
        publish_store(session, county_store)
        page = pull(session, Caller(9, "区局", "越城区", Role.STATION), 0)
    assert {(p.year, p.first_due.isoformat()) for p in page.plan_years} == {
        (year, f"{year}-06-20"),
        (2020, "2020-05-31"),
    }
    assert page.ratios and {r.station for r in page.ratios} <= {"越城区", None}
    laptop = tmp_path / "laptop"
    with Store.open(laptop, create=True) as store:
        with store.session() as session:
            apply_pull(session, page)
        with store.read() as session:
            assert plan.deadlines_for(session, 2020) == (date(2020, 5, 31), date(2020, 10, 31))
            ratios = plan_progress.facts(session, 2020).ratios
    assert {(r.station, r.kind.value, r.denominator) for r in ratios} >= {
        ("越城区", "unit_share", 20)
    }


def test_progress_is_in_the_openapi_document(live: LiveServer) -> None:
    document = httpx.get(f"{live.url}/openapi.json", timeout=30).json()
    operation = document["paths"]["/api/v1/progress"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"year", "station"}
