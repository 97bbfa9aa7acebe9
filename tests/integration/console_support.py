"""A county server with synced work and console passwords, and a browser-like client for it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select

from fieldapp.server import models as sm
from fieldapp.server.models import utc_now
from fieldapp.server.reference import publish_store
from fieldapp.server.web import signin
from fieldapp.store import Store
from fieldapp.sync.client import SyncClient
from tests.integration.test_sync_support import LiveServer, add_account, demo_store, transport

PASSWORD = "jinyun-2026-ok"


@dataclass
class County:
    """A live server holding a demo county's units and the evaluations one laptop synced."""

    live: LiveServer
    folder: Path  # the laptop's data folder
    county_token: str
    station: str  # the station with the most evaluations
    other: str  # another station with an evaluation
    evaluations: dict[str, str] = field(default_factory=dict)  # uuid -> station


def set_password(live: LiveServer, name: str, password: str = PASSWORD) -> None:
    with live.db().session() as session:
        signin.set_password(session, signin.active_account(session, name), password, utc_now())


def build_county(live: LiveServer, tmp_path: Path, demo_cache: Path) -> County:
    folder = demo_store(tmp_path / "laptop", demo_cache, evaluations=6, units=60)
    county_token = add_account(live.db(), "王县局", "县局", "county")
    with Store.open(folder) as store:
        with live.db().session() as session:
            publish_store(session, folder)
        SyncClient(store, transport(live, county_token)).run()
    with live.db().session() as session:
        stations = dict(session.execute(select(sm.Evaluation.uuid, sm.Evaluation.station)).all())
    counts: dict[str, int] = {}
    for station in stations.values():
        counts[station] = counts.get(station, 0) + 1
    ranked = sorted(counts, key=lambda s: (-counts[s], s))
    assert len(ranked) >= 2, "the demo needs evaluations of two stations"
    add_account(live.db(), "李所长", ranked[0], "station")
    add_account(live.db(), "陈检查", ranked[0], "inspector")
    add_account(live.db(), "赵检查", ranked[0], "inspector")
    for name in ("王县局", "李所长", "陈检查"):
        set_password(live, name)
    return County(live, folder, county_token, ranked[0], ranked[1], stations)


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no form token"
    return found.group(1)


OPEN: list[httpx.Client] = []  # closed after each test (close_clients)


def client_for(live: LiveServer) -> httpx.Client:
    client = httpx.Client(base_url=live.url, timeout=60, follow_redirects=False)
    OPEN.append(client)
    return client


def close_clients() -> None:
    while OPEN:
        OPEN.pop().close()


def signed_in(live: LiveServer, name: str, password: str = PASSWORD) -> httpx.Client:
    """A client that signed in through the form, as a browser does (cookies kept)."""
    client = client_for(live)
    page = client.get("/")
    answer = client.post(
        "/login", data={"name": name, "password": password, "csrf": csrf_of(page.text)}
    )
    assert answer.status_code == 303, answer.text
    return client
