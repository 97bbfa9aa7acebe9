"""``fieldapp-server --workers 2`` as a real process: a laptop syncs through it and reads its
figures and review queue, whichever worker answers; nothing a request needs lives in a worker."""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from fieldapp.server.db import Database
from fieldapp.store import Store
from fieldapp.sync.client import SyncClient
from fieldapp.sync.transport import Transport
from tests.integration import test_sync_support as support

database_url, demo_cache = support.database_url, support.demo_cache

WORKERS = 2
READY = "Application startup complete"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[str, str]]:
    """The server as its own process with two workers; (its address, the database URL)."""
    port = _free_port()
    command = [sys.executable, "-m", "fieldapp.server.cli", "--workers", str(WORKERS)]
    command += ["--port", str(port), "--data-dir", str(tmp_path / "server")]
    command += ["--database-url", database_url]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)
        lines.put("")  # the process ended

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        started, seen = 0, []
        while started < WORKERS:
            line = lines.get(timeout=120)
            seen.append(line)
            assert line, "".join(seen)
            started += READY in line
        yield f"http://127.0.0.1:{port}", database_url
    finally:
        process.terminate()
        process.wait(timeout=60)
        reader.join(timeout=60)
        assert process.stderr is not None
        process.stderr.close()


def test_two_workers_take_a_sync_and_answer_alike(
    served: tuple[str, str], tmp_path: Path, demo_cache: Path
) -> None:
    url, database = served
    db = Database(database)
    try:
        token = _county_token(db)
    finally:
        db.dispose()
    folder = support.demo_store(tmp_path / "laptop", demo_cache, 4)
    with Store.open(folder) as store:
        report = SyncClient(store, Transport(url, token, backoff=0.0, timeout=60.0)).run()
        assert report.accepted == 4
        expected = support.client_truth(store)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        answers = [
            http.get("/api/v1/progress", params={"year": date.today().year}) for _ in range(4)
        ]
        assert {a.status_code for a in answers} == {200}
        assert all(a.json() == answers[0].json() for a in answers)
        assert answers[0].json()["cells"]
        for _ in range(4):
            listed = http.get("/api/v1/evaluations")
            assert listed.status_code == 200
            assert {e["uuid"] for e in listed.json()} == set(expected.evaluations)
        pulled = http.get("/api/v1/pull").json()
        assert pulled["units"] and not pulled["more"]


def _county_token(db: Database) -> str:
    from fieldapp.server import accounts

    with db.session() as session:
        return accounts.add_user(session, "县局", "县局", "county")[1]
