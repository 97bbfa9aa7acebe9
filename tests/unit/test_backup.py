"""Backup and restore: a round trip keeps every record and byte; a damaged archive changes nothing."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldapp import backup, paths, settings
from fieldapp.cli import main
from fieldapp.errors import InvalidInput
from fieldapp.settings import Settings
from fieldapp.storage.models import Station
from fieldapp.store import Store

NOTE = "县局补充说明：本文件夹放县局自己的检查表。"


def _populate(folder: Path) -> None:
    assert main(["--data-dir", str(folder), "demo", "--units", "30", "--evaluations", "2"]) == 0
    settings.save(folder, Settings(inspector_name="王芳", station="五云所", backup_keep=3))
    (folder / "checklists").mkdir(exist_ok=True)
    (folder / "checklists" / "说明.txt").write_text(NOTE, encoding="utf-8")


@pytest.fixture
def data(isolated_data_dir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    _populate(isolated_data_dir)
    capsys.readouterr()
    return isolated_data_dir


def tables(database: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order: the whole content of the database."""
    connection = sqlite3.connect(database)
    try:
        names = [
            r[0]
            for r in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                " AND name NOT LIKE 'unit_search%' AND name NOT LIKE 'unit_grams%' ORDER BY name"
            )
        ]
        return {n: sorted(connection.execute(f'SELECT * FROM "{n}"'), key=repr) for n in names}
    finally:
        connection.close()


def files(folder: Path) -> dict[str, str]:
    """SHA-256 of every photo, signature, settings and county checklist file."""
    found = {}
    for sub in ("photos", "signatures", "checklists"):
        for file in sorted((folder / sub).rglob("*")):
            if file.is_file():
                found[file.relative_to(folder).as_posix()] = hashlib.sha256(
                    file.read_bytes()
                ).hexdigest()
    found["settings.json"] = hashlib.sha256((folder / "settings.json").read_bytes()).hexdigest()
    return found


def neighbours(folder: Path) -> list[str]:
    """Folders beside the data folder (staging or kept copies)."""
    return sorted(p.name for p in folder.parent.iterdir() if p.is_dir() and p != folder)


def test_round_trip_keeps_every_record_and_byte(data: Path, tmp_path: Path) -> None:
    before_rows = tables(paths.database_path(data))
    before_files = files(data)
    assert any(name.startswith("photos/") for name in before_files)
    assert any(name.startswith("signatures/") for name in before_files)
    archive = tmp_path / "备份.zip"

    info = backup.create(data, archive)

    assert info.files == len(before_files) + 1  # + the database
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read(backup.MANIFEST))
    assert manifest["schema"] == info.schema and manifest["schema"]
    assert {e["path"] for e in manifest["files"]} == set(before_files) | {"fieldapp.sqlite3"}

    # Change everything after the backup: new rows, a lost photo, other settings.
    with Store.open(data) as store, store.session() as session:
        session.add(Station(name="备份后新建所"))
    lost = next(n for n in before_files if n.startswith("photos/"))
    (data / lost).unlink()
    settings.save(data, Settings(inspector_name="别人"))
    before_restore_rows = tables(paths.database_path(data))

    result = backup.restore(archive, data, now=datetime(2024, 5, 1, 8, 30, 0))

    assert result.data_folder == data.resolve()
    assert tables(paths.database_path(data)) == before_rows
    assert files(data) == before_files
    assert settings.load(data).inspector_name == "王芳"
    # The data as it was before the restore is kept beside, renamed.
    assert result.previous == data.with_name("data.before-restore-20240501-083000").resolve()
    assert tables(paths.database_path(result.previous)) == before_restore_rows
    assert not (result.previous / lost).exists()
    assert [n for n in neighbours(data) if n.startswith("data")] == [
        "data.before-restore-20240501-083000"
    ]
    # And the restored folder opens as a store.
    with Store.open(data) as store, store.read() as session:
        assert session.scalar(select(func.count()).select_from(Station)) == len(
            before_rows["stations"]
        )


def test_restore_onto_a_new_computer(data: Path, tmp_path: Path) -> None:
    archive = backup.create(data, tmp_path / "b.zip").path
    fresh = tmp_path / "新电脑" / "fieldapp"
    result = backup.restore(archive, fresh)
    assert result.previous is None
    assert tables(paths.database_path(fresh)) == tables(paths.database_path(data))
    assert files(fresh) == files(data)


def _untouched(data: Path, archive: Path, expected_message: str) -> InvalidInput:
    rows, stored = tables(paths.database_path(data)), files(data)
    with pytest.raises(InvalidInput) as caught:
        backup.restore(archive, data)
    assert expected_message in str(caught.value)
    assert "现有数据没有改动" in str(caught.value)
    assert tables(paths.database_path(data)) == rows
    assert files(data) == stored
    assert [n for n in neighbours(data) if ".restore-" in n or "before" in n] == []
    return caught.value


def test_truncated_archive_is_refused(data: Path, tmp_path: Path) -> None:
    archive = backup.create(data, tmp_path / "b.zip").path
    raw = archive.read_bytes()
    archive.write_bytes(raw[: len(raw) // 2])
    _untouched(data, archive, "不是完整的 zip 文件")


def _rewrite(archive: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """Copy ``archive`` to ``target`` with some members replaced (bytes) or left out (None)."""
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            if name in change:
                if change[name] is not None:
                    dst.writestr(name, change[name])  # type: ignore[arg-type]
            else:
                dst.writestr(name, src.read(name))
        for name, content in change.items():
            if name not in src.namelist() and content is not None:
                dst.writestr(name, content)
    return target


def test_tampered_photo_is_refused(data: Path, tmp_path: Path) -> None:
    archive = backup.create(data, tmp_path / "b.zip").path
    with zipfile.ZipFile(archive) as zf:
        photo = next(n for n in zf.namelist() if n.startswith("photos/"))
        edited = zf.read(photo)[:-10] + b"0123456789"
    bad = _rewrite(archive, tmp_path / "tampered.zip", {photo: edited})
    error = _untouched(data, bad, "1 个文件未通过校验")
    assert photo in str(error) and "SHA-256 不符" in str(error)


def test_missing_manifest_and_unlisted_files_are_refused(data: Path, tmp_path: Path) -> None:
    archive = backup.create(data, tmp_path / "b.zip").path
    no_manifest = _rewrite(archive, tmp_path / "m.zip", {backup.MANIFEST: None})
    _untouched(data, no_manifest, "缺少清单文件 manifest.json")
    extra = _rewrite(archive, tmp_path / "x.zip", {"photos/zz/evil.jpg": b"x"})
    error = _untouched(data, extra, "清单中没有这个文件")
    assert "photos/zz/evil.jpg" in str(error)
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read(backup.MANIFEST))
    manifest["files"][0]["path"] = "../outside.sqlite3"
    unsafe = _rewrite(archive, tmp_path / "u.zip", {backup.MANIFEST: json.dumps(manifest).encode()})
    _untouched(data, unsafe, "清单文件 manifest.json 已损坏")


def _with_database(archive: Path, target: Path, database: bytes) -> Path:
    """An archive whose database is replaced and whose manifest is made to match it."""
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read(backup.MANIFEST))
    entry = next(e for e in manifest["files"] if e["path"] == "fieldapp.sqlite3")
    entry["size"] = len(database)
    entry["sha256"] = hashlib.sha256(database).hexdigest()
    return _rewrite(
        archive,
        target,
        {"fieldapp.sqlite3": database, backup.MANIFEST: json.dumps(manifest).encode()},
    )


def test_damaged_database_is_refused_even_with_matching_hashes(data: Path, tmp_path: Path) -> None:
    archive = backup.create(data, tmp_path / "b.zip").path
    with zipfile.ZipFile(archive) as zf:
        database = bytearray(zf.read("fieldapp.sqlite3"))
    page = 4096
    database[3 * page : 5 * page] = b"\xa5" * (2 * page)  # garbage over two b-tree pages
    bad = _with_database(archive, tmp_path / "d.zip", bytes(database))
    _untouched(data, bad, "数据库")


def test_database_from_a_newer_app_is_refused(data: Path, tmp_path: Path) -> None:
    archive = backup.create(data, tmp_path / "b.zip").path
    newer = tmp_path / "newer.sqlite3"
    with zipfile.ZipFile(archive) as zf:
        newer.write_bytes(zf.read("fieldapp.sqlite3"))
    connection = sqlite3.connect(newer)
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.close()
    bad = _with_database(archive, tmp_path / "n.zip", newer.read_bytes())
    _untouched(data, bad, "请先升级 fieldapp")


def test_backup_while_a_writer_inserts_restores_consistently(data: Path, tmp_path: Path) -> None:
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with Store.open(data) as store:
                n = 0
                while not stop.is_set() or n < 20:
                    with store.session() as session:
                        session.add(Station(name=f"并发所{n}"))
                    n += 1
                    written.append(n)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        archives = []
        for i in range(3):  # several snapshots while the writer keeps committing
            archives.append(backup.create(data, tmp_path / f"live{i}.zip").path)
    finally:
        stop.set()
        thread.join()
    assert not errors and len(written) >= 20
    for i, archive in enumerate(archives):
        restored = tmp_path / f"restored{i}" / "data"
        backup.restore(archive, restored)
        connection = sqlite3.connect(paths.database_path(restored))
        try:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            names = [
                r[0]
                for r in connection.execute("SELECT name FROM stations WHERE name LIKE '并发所%'")
            ]
        finally:
            connection.close()
        # Commits are whole and in order: the snapshot holds 并发所0 … 并发所k-1 for some k.
        assert sorted(names, key=lambda s: int(s[3:])) == [f"并发所{n}" for n in range(len(names))]


def test_auto_backups_rotate(data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "U盘"
    folder.mkdir()
    (folder / "别的文件.zip").write_bytes(b"not ours")
    start = datetime(2024, 5, 1, 9, 0, 0)
    assert backup.auto_due(folder, 24, now=start)
    for day in range(4):
        info, removed = backup.create_auto(data, folder, keep=2, now=start + timedelta(days=day))
        assert len(removed) == (1 if day >= 2 else 0)
        assert info.path.name == f"fieldapp-backup-2024050{day + 1}-090000.zip"
    assert [p.name for _, p in backup.auto_backups(folder)] == [
        "fieldapp-backup-20240503-090000.zip",
        "fieldapp-backup-20240504-090000.zip",
    ]
    assert (folder / "别的文件.zip").read_bytes() == b"not ours"
    last = start + timedelta(days=3)
    assert not backup.auto_due(folder, 24, now=last + timedelta(hours=23))
    assert backup.auto_due(folder, 24, now=last + timedelta(hours=24))
    with pytest.raises(InvalidInput, match="不存在"):
        backup.create_auto(data, tmp_path / "没插上", keep=2)


def test_cli_create_restore_and_auto(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "手动.zip"
    assert main(["backup", "create", "-o", str(target)]) == 0
    out = capsys.readouterr().out
    assert f"已备份到 {target}" in out and target.is_file()

    assert main(["backup", "create"]) == 2
    assert "-o 文件名" in capsys.readouterr().err
    assert main(["backup", "create", "--auto"]) == 2
    assert "自动备份文件夹" in capsys.readouterr().err

    usb = tmp_path / "usb"
    usb.mkdir()
    settings.save(data, Settings(inspector_name="王芳", backup_folder=str(usb), backup_keep=1))
    assert main(["backup", "create", "--auto"]) == 0
    assert "已备份到" in capsys.readouterr().out
    assert len(backup.auto_backups(usb)) == 1

    assert main(["backup", "restore", str(target)]) == 0
    out = capsys.readouterr().out
    assert "校验无误" in out and "恢复前的数据保存在" in out
    assert settings.load(data).backup_folder == ""  # the settings in the archive

    broken = tmp_path / "坏.zip"
    broken.write_bytes(target.read_bytes()[:1000])
    assert main(["backup", "restore", str(broken)]) == 1
    err = capsys.readouterr().err
    assert str(broken) in err and "现有数据没有改动" in err
    assert main(["backup", "restore", str(tmp_path / "没有.zip")]) == 1
    assert "找不到备份文件" in capsys.readouterr().err


def test_nothing_to_back_up(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="没有可备份的数据"):
        backup.create(tmp_path / "empty", tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()


def test_an_entry_larger_than_its_manifest_says_is_refused_before_it_fills_the_disk(
    data: Path, tmp_path: Path
) -> None:
    archive = backup.create(data, tmp_path / "b.zip").path
    with zipfile.ZipFile(archive) as zf:
        photo = next(n for n in zf.namelist() if n.startswith("photos/"))
    bomb = b"\0" * (20 * 1024 * 1024)  # 20 MB where the manifest lists a photo
    bad = _rewrite(archive, tmp_path / "bomb.zip", {photo: bomb})
    error = _untouched(data, bad, "1 个文件未通过校验")
    assert photo in str(error) and "大小不符" in str(error)
    huge = {"app": "fieldapp", "format": 1, "files": [], "pad": " " * (17 * 1024 * 1024)}
    padded = _rewrite(archive, tmp_path / "pad.zip", {backup.MANIFEST: json.dumps(huge).encode()})
    _untouched(data, padded, "大得不正常")
