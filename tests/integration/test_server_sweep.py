"""``fieldapp-server maintenance sweep`` removes what no evaluation references after a day:
uploads of a batch never committed, files any account pushed with no batch, unfinished
uploads; every file a committed evaluation uses stays."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from fieldapp.server import maintenance
from fieldapp.server.cli import main as server_main
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
