"""The county server counts the county's figures with the desktop's own fold: the same units
and task table published from a county store give ``GET /api/v1/progress`` the very JSON that
``fieldapp progress --json`` prints there (for a station's account, that station's share)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from fieldapp.cli import main as fieldapp_main
from fieldapp.server.reference import publish_store
from fieldapp.services import progress
from fieldapp.store import Store
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import LiveServer, add_account

database_url, server_config, live = support.database_url, support.server_config, support.live


def _desktop_json(folder: Path, year: int, capsys: pytest.CaptureFixture[str]) -> Any:
    capsys.readouterr()
    assert (
        fieldapp_main(["--data-dir", str(folder), "progress", "--year", str(year), "--json"]) == 0
    )
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
        report = progress.restricted(progress.compute(session, year), station)
    return json.loads(json.dumps(progress.as_json(report), ensure_ascii=False, default=str))


def test_the_servers_progress_is_the_desktops(
    live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    county_store = tmp_path / "county"
    args = ["--data-dir", str(county_store), "demo", "--units", "300", "--targets"]
    assert fieldapp_main(args) == 0
    with live.db().session() as session:
        counts = publish_store(session, county_store)
    assert counts["units"] >= 300 and counts["targets"] and not counts["conflicts"]

    year = date.today().year
    county = add_account(live.db(), "县局管理员", "县局", "county")
    for when in (year, year - 1):
        desktop = _desktop_json(county_store, when, capsys)
        plan = desktop.pop("plan")  # the other target kinds: not counted on the server yet
        assert plan["year"] == when
        answer = _api(live, county, when)
        assert answer.status_code == 200, answer.text
        assert answer.json() == desktop
    desktop = _desktop_json(county_store, year, capsys)
    assert desktop["cells"] and any(c["achieved"] for c in desktop["cells"])

    station = desktop["cells"][0]["station"]
    head = add_account(live.db(), "所长", station, "station")
    answer = _api(live, head, year)
    assert answer.status_code == 200, answer.text
    mine = answer.json()
    assert mine["cells"] == [c for c in desktop["cells"] if c["station"] == station]
    assert mine == _restricted_json(county_store, year, station)
    assert _api(live, county, year, station=station).json() == mine

    other = next(c["station"] for c in desktop["cells"] if c["station"] != station)
    refused = _api(live, head, year, station=other)
    assert refused.status_code == 403 and other in refused.json()["detail"]
    assert _api(live, "not-a-token", year).status_code == 401


def test_progress_is_in_the_openapi_document(live: LiveServer) -> None:
    document = httpx.get(f"{live.url}/openapi.json", timeout=30).json()
    operation = document["paths"]["/api/v1/progress"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"year", "station"}
