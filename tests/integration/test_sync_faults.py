"""Faults during sync, injected on real HTTP: after each, a re-sync leaves the server with exactly
the client's finalised evaluations and blobs, none lost and none twice."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from fieldapp.server import models as sm
from fieldapp.storage.models import SyncBatch
from fieldapp.store import Store
from fieldapp.sync import state
from fieldapp.sync.client import SyncClient, SyncReport, build_manifest
from fieldapp.sync.transport import SyncError, Transport
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import (
    LiveServer,
    add_account,
    assert_server_matches,
    demo_store,
    transport,
)

pytestmark = pytest.mark.slow
# The shared fixtures, made visible to pytest in this module.
database_url, server_config, live = support.database_url, support.server_config, support.live
demo_cache = support.demo_cache

Hook = Callable[[str, str, dict[str, Any]], None]


class Killed(BaseException):
    """Stands for the process dying: nothing after it runs, no handler catches it."""


class HookedTransport(Transport):
    """The real transport, with a hook called before every attempt (to inject a fault)."""

    def __init__(self, live: LiveServer, token: str, hook: Hook, **kwargs: Any) -> None:
        super().__init__(live.url, token, backoff=0.0, **kwargs)
        real = self.session.request

        def request(method: str, url: str, **kw: Any) -> Any:
            hook(method, url, kw)
            return real(method, url, **kw)

        self.session.request = request  # type: ignore[method-assign]


def _server_batches(live: LiveServer) -> list[str]:
    with live.db().session() as session:
        return list(session.scalars(select(sm.Batch.batch_id)))


@pytest.fixture
def setup(live: LiveServer, tmp_path: Path, demo_cache: Path) -> tuple[str, Path]:
    token = add_account(live.db(), "县局管理员", "县局", "county")
    return token, demo_store(tmp_path / "client", demo_cache, evaluations=4)


def test_connection_dropped_mid_blob(live: LiveServer, setup: tuple[str, Path]) -> None:
    token, folder = setup
    dropped: list[str] = []

    def drop_mid_blob(method: str, url: str, kw: dict[str, Any]) -> None:
        if method == "PUT" and len(dropped) < 3:
            data: bytes = kw["data"]
            connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
            path = url.split(str(live.port), 1)[1]
            connection.putrequest("PUT", path)
            connection.putheader("Authorization", f"Bearer {token}")
            connection.putheader("Content-Length", str(len(data)))
            connection.endheaders()
            connection.send(data[: len(data) // 2])
            connection.close()  # the line drops halfway through the photo
            dropped.append(url)
            raise requests.ConnectionError("connection dropped mid-blob")

    with Store.open(folder) as store:
        # Two drops are retried within the sync; the third exhausts the retries of that blob.
        client = SyncClient(store, HookedTransport(live, token, drop_mid_blob, retries=2))
        with pytest.raises(SyncError, match="从中断处继续"):
            client.run()
        with live.db().session() as session:
            assert session.scalar(select(func.count()).select_from(sm.Evaluation)) == 0
        with store.read() as session:
            done_before = len(state.uploaded(session, [u.rsplit("/", 1)[1] for u in dropped]))
        report = SyncClient(store, transport(live, token)).run()
        assert report.accepted == 4 and done_before == 0
        assert_server_matches(live, store)


def test_server_answers_500(
    live: LiveServer, setup: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    token, folder = setup
    failures = {"commit": 1, "blob": 1}

    def wrap(app: Any) -> Any:
        async def faulty(scope: Any, receive: Any, send: Any) -> None:
            path = scope.get("path", "")
            if scope["type"] == "http" and path.endswith("/commit") and failures["commit"]:
                failures["commit"] -= 1

                async def swallow(message: Any) -> None:
                    pass  # the commit happens, but its answer is lost in a 500

                await app(scope, receive, swallow)
                await _send_500(send)
                return
            if scope["type"] == "http" and "/blobs/" in path and failures["blob"]:
                failures["blob"] -= 1
                await _send_500(send)
                return
            await app(scope, receive, send)

        return faulty

    live.stop()
    live.wrap = wrap
    live.start()
    with Store.open(folder) as store:
        report = SyncClient(store, transport(live, token)).run()
        assert report.accepted == 4 and failures == {"commit": 0, "blob": 0}
        assert len(_server_batches(live)) == 1
        assert_server_matches(live, store)


async def _send_500(send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"detail":"injected"}'})


@pytest.mark.parametrize("when", ["before_commit", "after_commit"])
def test_client_killed_around_commit(live: LiveServer, setup: tuple[str, Path], when: str) -> None:
    token, folder = setup

    def kill(method: str, url: str, kw: dict[str, Any]) -> None:
        if url.endswith("/commit") and when == "before_commit":
            raise Killed()

    with Store.open(folder) as store:
        hooked = HookedTransport(live, token, kill)
        if when == "after_commit":
            real = hooked.request

            def request(method: str, path: str, **kw: Any) -> Any:
                answer = real(method, path, **kw)
                if path.endswith("/commit"):
                    raise Killed()  # committed on the server; the receipt never reached the disk
                return answer

            hooked.request = request  # type: ignore[method-assign]
        with pytest.raises(Killed):
            SyncClient(store, hooked).run()
        with store.read() as session:
            (batch,) = session.scalars(select(SyncBatch)).all()
            assert batch.status == "started" and state.pending_count(session) == 4
            batch_id = batch.batch_id
        report = SyncClient(store, transport(live, token)).run()
        assert report.accepted == 4 and report.batches == [batch_id]
        if when == "before_commit":
            assert report.blobs_uploaded == 0  # resumed: every blob was already there
        assert _server_batches(live) == [batch_id]
        assert_server_matches(live, store)


def test_server_restarted_mid_batch(live: LiveServer, setup: tuple[str, Path]) -> None:
    token, folder = setup
    restarted: list[bool] = []

    def restart(method: str, url: str, kw: dict[str, Any]) -> None:
        if url.endswith("/commit") and not restarted:
            restarted.append(True)
            live.restart()

    with Store.open(folder) as store:
        report = SyncClient(store, HookedTransport(live, token, restart)).run()
        assert restarted and report.accepted == 4
        assert_server_matches(live, store)


def test_duplicate_batch_sent_twice_at_once(live: LiveServer, setup: tuple[str, Path]) -> None:
    token, folder = setup
    with Store.open(folder) as store:
        client = SyncClient(store, transport(live, token))
        with store.session() as session:
            manifest = build_manifest(session, False, 50)
        assert manifest is not None
        body = manifest.model_dump_json()
        answer = client.transport.request("POST", "/batches", data=body)
        client._upload(answer["missing_blobs"], SyncReport())
        url = f"{live.url}/api/v1/batches/{manifest.batch_id}/commit"
        results: list[requests.Response] = []
        barrier = threading.Barrier(2)

        def send() -> None:
            barrier.wait()
            results.append(
                requests.post(
                    url,
                    data=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                    timeout=60,
                )
            )

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert [r.status_code for r in results] == [200, 200]
        assert results[0].json() == results[1].json()
        assert len(_server_batches(live)) == 1
        with store.session() as session:  # the client records its batch and syncs as usual
            session.add(
                SyncBatch(
                    batch_id=manifest.batch_id,
                    status="started",
                    manifest_json=body,
                    error="",
                )
            )
        report = SyncClient(store, transport(live, token)).run()
        assert report.accepted == 4
        assert_server_matches(live, store)


def test_cancelled_mid_upload_then_resumed(live: LiveServer, setup: tuple[str, Path]) -> None:
    from fieldapp.sync.client import SyncCancelled, run_sync

    token, folder = setup
    uploads: list[int] = []
    totals: set[int] = set()

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "上传照片":
            uploads.append(done)
            totals.add(total)

    with Store.open(folder) as store:
        with pytest.raises(SyncCancelled, match="已取消"):
            run_sync(
                store,
                progress=progress,
                cancelled=lambda: len(uploads) >= 3,
                transport=transport(live, token),
            )
        with live.db().session() as session:
            assert session.scalar(select(func.count()).select_from(sm.Evaluation)) == 0
        report = run_sync(store, transport=transport(live, token))
        assert report.accepted == 4 and report.pending == 0
        (total,) = totals
        assert report.blobs_uploaded == total - 3  # the three sent before cancelling are kept
        assert_server_matches(live, store)
