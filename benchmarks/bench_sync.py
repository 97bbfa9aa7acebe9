"""Sync against a bare ``requests`` upload of the same bytes to the same county server.

Three figures, each in the same run against a real server on loopback (uvicorn in a thread):

- ``sync_push``: a full ``fieldapp sync`` of N finalised evaluations with their photos and
  signatures (manifest, missing-blob answer, uploads, commit, receipt, pull, device report) vs
  ``requests.put`` of exactly the same blob bytes to a fresh server of the same kind;
- ``sync_resync_nothing_new``: a sync with nothing to send vs the two bare round trips any
  "anything new?" check needs (``/health`` and one ``/pull``);
- ``sync_ingest_10_clients``: ten devices syncing at once (distinct evaluations, the same photos)
  vs ten threads putting the same blobs. On PostgreSQL when ``FIELDAPP_BENCH_DATABASE_URL`` (or
  ``FIELDAPP_TEST_DATABASE_URL``) is set, else SQLite, as the note says.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text

from benchmarks.common import Result, log
from fieldapp.cli import main as fieldapp_main
from fieldapp.server import accounts
from fieldapp.server.app import create_app
from fieldapp.server.config import ServerConfig
from fieldapp.services.demo import synthetic_photo
from fieldapp.store import Store
from fieldapp.sync.client import SyncClient, build_manifest
from fieldapp.sync.transport import Transport

CLIENTS = 10


class _Server:
    def __init__(self, config: ServerConfig) -> None:
        import uvicorn

        self.app = create_app(config)
        server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="critical")
        )
        ready = threading.Event()
        original = server.startup

        async def startup(sockets: Any = None) -> None:
            await original(sockets)
            ready.set()

        server.startup = startup  # type: ignore[method-assign]
        self.thread = threading.Thread(target=server.run, daemon=True)
        self.thread.start()
        if not ready.wait(timeout=30):
            raise RuntimeError("server did not start")
        self.server = server
        self.url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        with self.app.state.db.session() as session:
            self.token = accounts.add_user(session, "县局", "县局", "county")[1]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.app.state.db.dispose()


@contextmanager
def _server(folder: Path, database_url: str | None = None) -> Iterator[_Server]:
    folder.mkdir(parents=True)
    url = database_url or f"sqlite:///{folder / 'server.sqlite3'}"
    server = _Server(ServerConfig(data_dir=folder, database_url=url))
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def _pg_schema() -> Iterator[str | None]:
    base = os.environ.get("FIELDAPP_BENCH_DATABASE_URL") or os.environ.get(
        "FIELDAPP_TEST_DATABASE_URL"
    )
    if not base:
        yield None
        return
    schema = f"fieldapp_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_store(workdir: Path, evaluations: int, photos: int) -> Path:
    """A client store with ``evaluations`` finalised evaluations drawing on ``photos`` pictures."""
    source = workdir / "sync-photos"
    source.mkdir()
    rng = random.Random(7)
    for i in range(photos):
        synthetic_photo(source / f"p{i:04d}.jpg", f"P{i}", rng)
    folder = workdir / "sync-client"
    args = ["--data-dir", str(folder), "demo", "--units", str(max(100, evaluations * 2))]
    args += ["--evaluations", str(evaluations), "--photos", str(source)]
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the results
        if fieldapp_main(args) != 0:
            raise RuntimeError("demo store failed")
    return folder


def _blobs(store: Store) -> list[tuple[str, Path]]:
    with store.session() as session:
        manifest = build_manifest(session, False, 10_000)
        session.rollback()
    assert manifest is not None
    found = []
    for sha in manifest.blob_hashes():
        path = store.photos.path(sha)
        found.append((sha, path if path.is_file() else store.signatures.path(sha)))
    return found


def _put_all(url: str, token: str, files: list[tuple[str, Path]]) -> None:
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {token}"
        for sha, path in files:
            response = http.put(f"{url}/api/v1/blobs/{sha}", data=path.read_bytes(), timeout=60)
            response.raise_for_status()


def _sync(store: Store, server: _Server) -> Any:
    transport = Transport(server.url, server.token)
    try:
        return SyncClient(store, transport).run()
    finally:
        transport.close()


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _distinct_copy(template: Path, target: Path) -> None:
    """A copy of the store whose evaluations are new ones (fresh UUIDs), as another device's."""
    shutil.copytree(template, target)
    with closing(sqlite3.connect(target / "fieldapp.sqlite3")) as connection:
        _forget_sync(connection)
        ids = [row[0] for row in connection.execute("SELECT id FROM evaluations")]
        for evaluation_id in ids:
            connection.execute(
                "UPDATE evaluations SET uuid = ? WHERE id = ?", (str(uuid.uuid4()), evaluation_id)
            )
        connection.commit()


def _forget_sync(connection: sqlite3.Connection) -> None:
    """Drop every sync record, as on a device that never synced."""
    for table in ("sync_evaluations", "sync_blobs", "sync_batches", "sync_units", "sync_state"):
        connection.execute(f"DELETE FROM {table}")


def run(workdir: Path, evaluations: int, photos: int, per_client: int) -> list[Result]:
    log(f"sync: {evaluations} evaluations over {photos} photos")
    folder = make_store(workdir, evaluations, photos)
    with Store.open(folder) as store:
        files = _blobs(store)
    size = sum(p.stat().st_size for _sha, p in files)
    results = []
    with (
        _server(workdir / "srv-bare") as bare,
        _server(workdir / "srv-sync") as served,
        Store.open(folder) as store,
    ):
        baseline = _timed(lambda: _put_all(bare.url, bare.token, files))
        report: list[Any] = []
        value = _timed(lambda: report.append(_sync(store, served)))
        assert report[0].accepted == evaluations, report[0]
        results.append(
            Result(
                "sync_push",
                value,
                baseline,
                "s",
                evaluations,
                f"{len(files)} blobs, {size / 1_048_576:.1f} MB; baseline: bare requests.put",
            )
        )

        def bare_check() -> None:
            with requests.Session() as http:
                http.headers["Authorization"] = f"Bearer {served.token}"
                http.get(f"{served.url}/health", timeout=30).raise_for_status()
                http.get(f"{served.url}/api/v1/pull?cursor=0", timeout=30).raise_for_status()

        repeat = 5
        bare_check()
        baseline = min(_timed(bare_check) for _ in range(repeat))
        value = min(_timed(lambda: _sync(store, served)) for _ in range(repeat))
        results.append(
            Result(
                "sync_resync_nothing_new",
                value,
                baseline,
                "s",
                evaluations,
                "baseline: bare GET /health + GET /pull",
            )
        )
    results.append(_concurrent(workdir, folder, per_client))
    return results


def _concurrent(workdir: Path, template: Path, per_client: int) -> Result:
    """Ten devices at once against one server (PostgreSQL if configured)."""
    small = workdir / "sync-small"
    make_small = per_client  # each device sends the template's first ``per_client`` evaluations
    shutil.copytree(template, small)
    with closing(sqlite3.connect(small / "fieldapp.sqlite3")) as connection:
        connection.execute("PRAGMA foreign_keys=ON")
        _forget_sync(connection)
        keep = [r[0] for r in connection.execute("SELECT id FROM evaluations ORDER BY id")][
            :make_small
        ]
        marks = ",".join("?" * len(keep))
        connection.execute(f"DELETE FROM evaluations WHERE id NOT IN ({marks})", keep)
        connection.commit()
    clients = [workdir / f"device-{i}" for i in range(CLIENTS)]
    for folder in clients:
        _distinct_copy(small, folder)
    with Store.open(small) as store:
        files = _blobs(store)
    with _pg_schema() as pg_url:
        kind = "PostgreSQL" if pg_url else "SQLite"
        log(f"sync: {CLIENTS} devices at once on {kind}")
        with _server(workdir / "srv-many-bare", pg_url) as bare:
            baseline = _timed(
                lambda: _parallel([lambda: _put_all(bare.url, bare.token, files)] * CLIENTS)
            )
    # Opened up front: Alembic's migration context is process-global, and each device is a
    # process of its own in real life.
    stores = [Store.open(f) for f in clients]
    with _pg_schema() as pg_url, _server(workdir / "srv-many", pg_url) as served:
        reports: list[Any] = []

        def one(store: Store) -> None:
            reports.append(_sync(store, served))

        try:
            value = _timed(lambda: _parallel([lambda s=s: one(s) for s in stores]))
        finally:
            for store in stores:
                store.close()
        accepted = sum(r.accepted for r in reports)
        if accepted != CLIENTS * len(keep):
            raise RuntimeError(f"concurrent sync stored {accepted} of {CLIENTS * len(keep)}")
    return Result(
        "sync_ingest_10_clients",
        value,
        baseline,
        "s",
        CLIENTS * len(keep),
        f"{kind}; {CLIENTS} devices × {len(keep)} evaluations; baseline: {CLIENTS} bare uploaders",
    )


def _parallel(jobs: list[Callable[[], object]]) -> None:
    errors: list[BaseException] = []

    def guard(job: Callable[[], object]) -> None:
        try:
            job()
        except BaseException as exc:  # reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=guard, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
