"""An offline bundle is checked whole before anything is written (issue 16, items 10 and 12): a
tampered second batch, a corrupt or oversized entry, a blob that is not what its name says, a
malformed header — each is refused with a message naming the bundle, and the server is left
without a single new row or blob file."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from fieldapp.cli import main as fieldapp_main
from fieldapp.server import bundles
from fieldapp.server import models as sm
from fieldapp.server.accounts import ServerError
from fieldapp.sync import wire
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import LiveServer, add_account, demo_store

database_url, server_config, live = support.database_url, support.server_config, support.live
demo_cache = support.demo_cache


@pytest.fixture
def bundle(tmp_path: Path, demo_cache: Path) -> Path:
    folder = demo_store(tmp_path / "client", demo_cache, evaluations=3)
    out = tmp_path / "bundle.zip"
    assert fieldapp_main(["--data-dir", str(folder), "sync", "export", "-o", str(out)]) == 0
    return out


def _entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path: Path, entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _header(entries: dict[str, bytes]) -> dict[str, Any]:
    return json.loads(entries[wire.BUNDLE_MANIFEST])  # type: ignore[no-any-return]


def _with_header(
    entries: dict[str, bytes], change: Callable[[dict[str, Any]], None]
) -> dict[str, bytes]:
    header = _header(entries)
    change(header)
    return entries | {wire.BUNDLE_MANIFEST: json.dumps(header).encode()}


def _state(live: LiveServer) -> tuple[int, int, int]:
    with live.db().session() as session:
        rows = tuple(
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (sm.Evaluation, sm.Batch)
        )
    files = sum(1 for p in live.config.blob_dir.rglob("*") if p.is_file())
    return (*rows, files)  # type: ignore[return-value]


def _import(live: LiveServer, path: Path) -> list[wire.Receipt]:
    county = _county(live)
    app = live.app
    return bundles.import_bundle(app.state.db, app.state.blobs, path, county)


def _county(live: LiveServer) -> int:
    with live.db().session() as session:
        found = session.scalar(select(sm.Account.id).where(sm.Account.role == "county"))
    if found is None:
        add_account(live.db(), "县局管理员", "县局", "county")
        return _county(live)
    return int(found)


def _refused(live: LiveServer, path: Path, *needles: str) -> None:
    before = _state(live)
    with pytest.raises(ServerError) as caught:
        _import(live, path)
    message = str(caught.value)
    assert (str(path) in message and "未导入任何内容" in message) or "不是" in message, message
    for needle in needles:
        assert needle in message, message
    assert _state(live) == before


def test_a_tampered_second_batch_refuses_the_whole_bundle(
    live: LiveServer, bundle: Path, tmp_path: Path
) -> None:
    entries = _entries(bundle)

    def add_tampered(header: dict[str, Any]) -> None:
        second = json.loads(json.dumps(header["manifests"][0]))
        second["batch_id"] = "0f8fad5b-d9cb-469f-a165-70867728950e"
        second["evaluations"][0]["inspector"] = "改过的名字"
        header["manifests"].append(second)

    _refused(
        live, _write(tmp_path / "t.zip", _with_header(entries, add_tampered)), "第 2 批", "哈希不符"
    )
    assert _state(live) == (0, 0, 0)
    receipts = _import(live, bundle)  # the untouched bundle still imports, all of it
    assert sum(len(r.accepted) for r in receipts) == 3


def test_corrupt_entries_and_blobs_unlike_their_names_are_refused(
    live: LiveServer, bundle: Path, tmp_path: Path
) -> None:
    entries = _entries(bundle)
    blob = next(n for n in entries if n.startswith("blobs/"))
    swapped = entries | {blob: entries[blob] + b"!"}
    _refused(live, _write(tmp_path / "swapped.zip", swapped), blob, "哈希不符")
    missing = {k: v for k, v in entries.items() if k != blob}
    _refused(live, _write(tmp_path / "missing.zip", missing), "缺少 1 个")
    stored = _write(tmp_path / "stored.zip", entries, zipfile.ZIP_STORED)
    data = bytearray(stored.read_bytes())
    offset = data.index(entries[blob][:64]) + 32
    data[offset] ^= 0xFF  # one flipped byte: the CRC no longer matches
    crc = tmp_path / "crc.zip"
    crc.write_bytes(bytes(data))
    _refused(live, crc, "已损坏")


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda h: h.update(manifests=5), "manifests"),
        (lambda h: h.update(manifests=[{"batch_id": "x"}]), "第 1 批"),
        (lambda h: h.update(account="x"), "account"),
        (lambda h: h.update(format="other"), "format"),
    ],
    ids=["manifests-not-a-list", "malformed-batch", "account-not-a-mapping", "format"],
)
def test_a_malformed_header_is_refused_with_a_message(
    live: LiveServer,
    bundle: Path,
    tmp_path: Path,
    change: Callable[[dict[str, Any]], None],
    needle: str,
) -> None:
    path = _write(tmp_path / "h.zip", _with_header(_entries(bundle), change))
    _refused(live, path, needle)


def test_an_oversized_manifest_is_refused_before_it_is_read(
    live: LiveServer, bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = _entries(bundle)
    monkeypatch.setattr(
        bundles, "MAX_BUNDLE_MANIFEST_BYTES", len(entries[wire.BUNDLE_MANIFEST]) - 1
    )
    _refused(live, bundle, "manifest.json", "上限")
