"""``fieldapp-server maintenance sweep`` removes what no evaluation references after a day:
uploads of a batch never committed, files any account pushed with no batch, unfinished
uploads; every file a committed evaluation uses stays."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, update

from fieldapp.server import maintenance, uploads
from fieldapp.server import models as m
from fieldapp.server.cli import main as server_main
from fieldapp.server.config import ServerConfig
from fieldapp.server.models import utc_now
from fieldapp.store import Store
from fieldapp.sync.client import SyncClient
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import LiveServer, add_account, demo_store, transport

database_url, server_config, live = support.database_url, support.server_config, support.live
demo_cache = support.demo_cache


def _age(path: Path, days: float) -> None:
    moment = (utc_now() - timedelta(days=days)).timestamp()
    os.utime(path, (moment, moment))


def test_sweep_removes_only_what_nothing_references(
    live: LiveServer, tmp_path: Path, demo_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    county = add_account(live.db(), "县局管理员", "县局", "county")
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=2)
    with Store.open(folder) as store:
        SyncClient(store, transport(live, county)).run()
    blobs = live.app.state.blobs
    used = [p for p in blobs.root.glob("??/*")]
    assert used
    stray = b"not part of any evaluation"
    sha = hashlib.sha256(stray).hexdigest()
    answer = requests.put(
        f"{live.url}/api/v1/blobs/{sha}",
        data=stray,
        headers={"Authorization": f"Bearer {county}"},
        timeout=30,
    )
    assert answer.status_code == 200
    fresh = b"uploaded a minute ago"
    fresh_sha = hashlib.sha256(fresh).hexdigest()
    blobs.put_bytes(fresh_sha, fresh)
    leftover = blobs.tmp / "upload-abc.part"
    leftover.write_bytes(b"half")
    for path in [*used, blobs.path(sha), leftover]:
        _age(path, 2)

    swept = maintenance.sweep(live.db(), blobs, utc_now())
    assert (swept.files, swept.bytes, swept.leftovers) == (1, len(stray), 1)
    assert not blobs.has(sha) and not leftover.exists()
    assert blobs.has(fresh_sha)  # younger than a day: a batch may still commit it
    assert all(p.is_file() for p in used)
    args = ["--data-dir", str(live.config.data_dir), "--database-url", live.config.database_url]
    assert server_main([*args, "maintenance", "sweep"]) == 0
    assert "已删除 0 个" in capsys.readouterr().out


def _put(live: LiveServer, token: str, data: bytes) -> requests.Response:
    sha = hashlib.sha256(data).hexdigest()
    return requests.put(
        f"{live.url}/api/v1/blobs/{sha}",
        data=data,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _pending(live: LiveServer, name: str) -> int:
    with live.db().session() as session:
        account = session.scalars(select(m.Account).where(m.Account.name == name)).one()
        return uploads.pending_bytes(session, account.id)


def test_an_accounts_unreferenced_uploads_are_bounded(server_config: ServerConfig) -> None:
    live = LiveServer(replace(server_config, max_pending_bytes=3000))
    live.start()
    try:
        first = add_account(live.db(), "甲", "五云所", "inspector")
        second = add_account(live.db(), "乙", "五云所", "inspector")
        strays = [bytes([n]) * 1400 for n in range(3)]
        assert [_put(live, first, s).status_code for s in strays[:2]] == [200, 200]
        refused = _put(live, first, strays[2])
        assert refused.status_code == 413
        assert "尚未提交" in refused.json()["detail"] and "同步" in refused.json()["detail"]
        assert not live.app.state.blobs.has(hashlib.sha256(strays[2]).hexdigest())
        assert _pending(live, "甲") == 2800
        assert _put(live, first, strays[0]).status_code == 200  # the same file counts once
        assert _put(live, second, strays[2]).status_code == 200  # the bound is per account
        assert _pending(live, "乙") == 1400

        # A day later the sweep removes the files nothing references, and the bound clears.
        blobs = live.app.state.blobs
        for path in blobs.root.glob("??/*"):
            _age(path, 2)
        with live.db().session() as session:
            session.execute(
                update(m.PendingUpload).values(uploaded_at=utc_now() - timedelta(days=2))
            )
        maintenance.sweep(live.db(), blobs, utc_now())
        assert _pending(live, "甲") == 0
        assert _put(live, first, strays[2]).status_code == 200
    finally:
        live.stop()


def test_a_commit_settles_the_uploads_it_references(
    live: LiveServer, tmp_path: Path, demo_cache: Path
) -> None:
    token = add_account(live.db(), "县局管理员", "县局", "county")
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=2)
    with Store.open(folder) as store:
        SyncClient(store, transport(live, token)).run()
    assert any(live.app.state.blobs.root.glob("??/*"))
    assert _pending(live, "县局管理员") == 0
    stray = b"a photo no batch names"
    assert _put(live, token, stray).status_code == 200
    assert _pending(live, "县局管理员") == len(stray)


def test_one_file_sent_at_once_from_several_devices_of_an_account_is_counted_once(
    live: LiveServer,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    token = add_account(live.db(), "甲", "五云所", "inspector")
    photo = b"the same photo from ten devices" * 1000
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: _put(live, token, photo).status_code, range(10)))
    assert answers == [200] * 10
    assert _pending(live, "甲") == len(photo)
