"""Shared pieces of the sync tests: a real server on loopback, client stores, and the check that
the server holds exactly the client's finalised evaluations and blobs, none lost, none twice.

Databases: SQLite in the test's folder, and PostgreSQL too when FIELDAPP_TEST_DATABASE_URL is
set; each PostgreSQL run gets a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import create_engine, event, func, select, text

from fieldapp.cli import main as fieldapp_main
from fieldapp.server import accounts
from fieldapp.server import models as sm
from fieldapp.server.app import create_app
from fieldapp.server.config import ServerConfig
from fieldapp.server.db import Database
from fieldapp.storage.models import Evaluation
from fieldapp.store import Store
from fieldapp.sync import state
from fieldapp.sync.transport import Transport

PG_ENV = "FIELDAPP_TEST_DATABASE_URL"


def database_params() -> list[Any]:
    params: list[Any] = ["sqlite"]
    if os.environ.get(PG_ENV):
        params.append(pytest.param("postgres", marks=pytest.mark.postgres))
    return params


@pytest.fixture(params=database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty server database: a SQLite file, or a schema of its own on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
        return
    base = os.environ[PG_ENV]
    schema = f"fieldapp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@dataclass
class LiveServer:
    """A uvicorn server in a thread; ``restart()`` stops it and starts it again on the same port."""

    config: ServerConfig
    wrap: Callable[[Any], Any] = lambda app: app
    port: int = 0
    _server: Any = None
    _thread: threading.Thread | None = None
    app: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.app = create_app(self.config)
        config = uvicorn.Config(
            self.wrap(self.app), host="127.0.0.1", port=self.port, log_level="critical"
        )
        server = uvicorn.Server(config)
        ready = threading.Event()
        original = server.startup

        async def startup(sockets=None):  # type: ignore[no-untyped-def]
            await original(sockets)
            ready.set()

        server.startup = startup  # type: ignore[method-assign]
        self._thread = threading.Thread(target=server.run, daemon=True)
        self._thread.start()
        assert ready.wait(timeout=30), "server did not start"
        self.port = server.servers[0].sockets[0].getsockname()[1]
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            assert self._thread is not None
            self._thread.join(timeout=30)
            self.app.state.db.dispose()
            self._server = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def db(self) -> Database:
        return self.app.state.db  # type: ignore[no-any-return]


@pytest.fixture
def server_config(tmp_path: Path, database_url: str) -> ServerConfig:
    folder = tmp_path / "server"
    folder.mkdir()
    return ServerConfig(data_dir=folder, database_url=database_url)


@pytest.fixture
def live(server_config: ServerConfig) -> Iterator[LiveServer]:
    server = LiveServer(server_config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def add_account(db: Database, name: str, station: str, role: str) -> str:
    with db.session() as session:
        return accounts.add_user(session, name, station, role)[1]


@pytest.fixture(scope="session")
def demo_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo-stores")


def demo_store(
    folder: Path, cache: Path, evaluations: int, units: int = 40, seed: int = 2023
) -> Path:
    """A client data folder with demo units and finalised evaluations (copied from a cache)."""
    cached = cache / f"e{evaluations}-u{units}-s{seed}"
    if not cached.exists():
        building = cache / f"building-{uuid.uuid4().hex}"
        args = ["--data-dir", str(building), "demo", "--units", str(units), "--seed", str(seed)]
        if evaluations:
            args += ["--evaluations", str(evaluations)]
        assert fieldapp_main(args) == 0
        building.rename(cached)
    shutil.copytree(cached, folder)
    return folder


@dataclass
class Expected:
    evaluations: dict[str, str] = field(default_factory=dict)  # uuid -> wire hash
    blobs: set[str] = field(default_factory=set)


def client_truth(store: Store) -> Expected:
    """What the server must end up holding: every finalised evaluation and its blob hashes."""
    from fieldapp.sync.mapping import wire_evaluation

    expected = Expected()
    with store.read() as session:
        for evaluation in session.scalars(
            select(Evaluation).where(Evaluation.status == "finalized")
        ):
            record = state.record(session, evaluation)
            item = wire_evaluation(session, evaluation, record.clock_skewed)
            expected.evaluations[item.uuid] = item.content_sha256
            expected.blobs |= set(item.blob_hashes())
    return expected


def assert_server_matches(live: LiveServer, store: Store) -> None:
    """None lost, none twice: the server's evaluations and blobs are exactly the client's."""
    expected = client_truth(store)
    with live.db().session() as session:
        rows = session.execute(select(sm.Evaluation.uuid, sm.Evaluation.content_sha256)).all()
        assert dict(rows) == expected.evaluations
        assert len(rows) == len(expected.evaluations)
        blob_rows = list(session.scalars(select(sm.Blob.sha256)))
        assert sorted(blob_rows) == sorted(expected.blobs)
        links = session.scalar(select(func.count()).select_from(sm.EvaluationBlob))
        assert links == sum(len(set(w)) for w in _blobs_per_evaluation(store).values())
    on_disk = {p.name for p in (live.config.blob_dir).rglob("*") if p.is_file()}
    assert on_disk == expected.blobs
    assert not any(live.config.tmp_dir.iterdir()), "a partial upload was left behind"
    with store.read() as session:
        assert state.pending_count(session) == 0


def _blobs_per_evaluation(store: Store) -> dict[str, list[str]]:
    from fieldapp.sync.mapping import wire_evaluation

    found: dict[str, list[str]] = {}
    with store.read() as session:
        for evaluation in session.scalars(
            select(Evaluation).where(Evaluation.status == "finalized")
        ):
            found[evaluation.uuid] = wire_evaluation(session, evaluation, False).blob_hashes()
    return found


def transport(live: LiveServer, token: str, **kwargs: Any) -> Transport:
    kwargs.setdefault("backoff", 0.0)
    kwargs.setdefault("timeout", 30.0)
    return Transport(live.url, token, **kwargs)


def count_queries(engine: Any) -> Callable[[], int]:
    """A counter of statements run on ``engine`` (for checks that nothing was written)."""
    seen = {"n": 0}

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        seen["n"] += 1

    return lambda: seen["n"]


def test_demo_store_has_finalised_evaluations(tmp_path: Path, demo_cache: Path) -> None:
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=2)
    with Store.open(folder) as store, store.read() as session:
        assert state.pending_count(session) == 2
