"""Opening a store does only what was asked: no folder made unasked, no write when read-only,
no file swept, a checklist snapshot written only for a version seen for the first time."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path, PureWindowsPath

import pytest
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from fieldapp.checklists import BUNDLED_DIR
from fieldapp.cli import main
from fieldapp.services import evaluations
from fieldapp.storage import db
from fieldapp.storage.models import ChecklistSnapshot, Unit
from fieldapp.store import ReadOnlyStore, SchemaMismatch, Store, StoreMissing

DATA = Path(__file__).resolve().parents[1] / "data"
UNITS_CSV = DATA / "units-sample.csv"
OLD_FIXTURE = DATA / "migrations" / "0007.sqlite"
DAY = 24 * 3600
WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "REPLACE")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its hash, leaving out SQLite's -wal/-shm companions and
    the log (housekeeping, not data)."""
    return {
        str(p.relative_to(folder)): digest(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.endswith(("-wal", "-shm")) and "logs" not in p.parts
    }


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def orphan(store: Store, byte: str, seconds_old: float) -> Path:
    """A photo file no record uses, ``seconds_old`` old."""
    path = store.photos.path(byte * 64)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not referenced by any record")
    age(path, seconds_old)
    return path


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """A store with the sample units, closed again."""
    folder = tmp_path / "filled"
    assert main(["--data-dir", str(folder), "units", "import", str(UNITS_CSV)]) == 0
    return folder


@pytest.fixture
def writes() -> Iterator[list[str]]:
    """Statements that would change a database, run by any engine while the test runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(WRITES):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


# --- creating --------------------------------------------------------------------------------


@pytest.mark.parametrize("readonly", [False, True])
def test_a_missing_folder_is_an_error_and_is_not_created(tmp_path: Path, readonly: bool) -> None:
    folder = tmp_path / "no" / "such"
    with pytest.raises(StoreMissing, match="不存在") as raised:
        Store.open(folder, readonly=readonly)
    assert str(folder) in str(raised.value)
    assert not (tmp_path / "no").exists()


def test_a_folder_without_database_is_an_error_and_stays_empty(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(StoreMissing, match="没有 fieldapp 数据库"):
        Store.open(folder)
    assert list(folder.iterdir()) == []


def test_create_makes_the_folder_and_the_database(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "data"
    with Store.open(folder, create=True) as store:
        assert store.created
        assert db.current_revision(store.engine) == db.head_revision()
    with Store.open(folder) as again:
        assert not again.created
    with pytest.raises(ValueError):
        Store.open(folder, create=True, readonly=True)


def test_a_file_is_not_a_data_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreMissing, match="不是数据目录"):
        Store.open(blocker, create=True)


# --- read-only -------------------------------------------------------------------------------


def test_a_read_only_open_changes_nothing(filled: Path, writes: list[str]) -> None:
    before = tree(filled)
    with Store.open(filled, readonly=True) as store:
        assert store.readonly
        assert writes == []  # opening wrote nothing
        with store.read() as session:
            assert session.scalar(select(func.count()).select_from(Unit))
            with pytest.raises(OperationalError, match="readonly"):  # nor can anything else
                session.execute(text("DELETE FROM units"))
        with pytest.raises(ReadOnlyStore), store.session():
            pass
        with pytest.raises(ReadOnlyStore):
            store.sweep_orphans()
    assert tree(filled) == before


def test_a_read_only_open_refuses_an_older_schema_and_leaves_it(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    shutil.copy(OLD_FIXTURE, folder / "fieldapp.sqlite3")
    before = digest(folder / "fieldapp.sqlite3")
    with pytest.raises(SchemaMismatch, match="旧版本") as raised:
        Store.open(folder, readonly=True)
    message = str(raised.value)
    assert str(folder) in message and "窗口" in message and "maintenance upgrade" in message
    assert digest(folder / "fieldapp.sqlite3") == before
    with Store.open(folder) as store:  # a writable open migrates, as the window does
        assert db.current_revision(store.engine) == db.head_revision()
    with Store.open(folder, readonly=True):
        pass


def test_a_read_only_open_of_a_folder_with_an_awkward_name(tmp_path: Path) -> None:
    folder = tmp_path / "县局 数据#1%20?"
    with Store.open(folder, create=True) as store:
        store.library  # noqa: B018 - loading it records the snapshots
    with Store.open(folder, readonly=True) as store, store.read() as session:
        assert session.scalar(select(func.count()).select_from(ChecklistSnapshot))
    windows = PureWindowsPath(r"\\server\share\fieldapp\fieldapp.sqlite3")
    assert windows.as_posix().startswith("//server")  # and so the URI is file:////server/...


@pytest.mark.parametrize("readonly", [False, True])
def test_a_newer_schema_is_refused(filled: Path, readonly: bool) -> None:
    with sqlite3.connect(filled / "fieldapp.sqlite3") as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'from_the_future'")
    connection.close()
    with pytest.raises(SchemaMismatch, match="更新版本"):
        Store.open(filled, readonly=readonly)


# --- checklist snapshots ---------------------------------------------------------------------


def test_snapshots_are_written_once_not_at_every_open(tmp_path: Path, writes: list[str]) -> None:
    folder = tmp_path / "data"
    with Store.open(folder, create=True) as store, store.read() as session:
        recorded = session.scalar(select(func.count()).select_from(ChecklistSnapshot))
    assert recorded == len(list(BUNDLED_DIR.glob("*.toml")))
    writes.clear()
    with Store.open(folder) as store:
        assert store.library.problems == []
    assert writes == []  # nothing changed, nothing written

    # A county file with a new version: one row, written at the next open only.
    county = folder / "checklists"
    county.mkdir()
    source = (BUNDLED_DIR / "bayou-bawu.toml").read_text("utf-8")
    assert "version = 2" in source
    new_version = source.replace("version = 2", "version = 3", 1)
    (county / "bayou-bawu-3.toml").write_text(new_version, encoding="utf-8")
    with Store.open(folder, readonly=True) as store:  # read-only: read from the file, not stored
        assert store.library.get("bayou-bawu", 3).version == 3
    assert writes == []
    with Store.open(folder) as store, store.read() as session:
        assert session.get(ChecklistSnapshot, ("bayou-bawu", 3)) is not None
    assert len([w for w in writes if "checklist_snapshots" in w]) == 1
    writes.clear()
    with Store.open(folder):
        pass
    assert writes == []


@pytest.mark.parametrize("readonly", [False, True])
def test_a_changed_file_of_a_recorded_version_is_flagged_not_recorded(
    tmp_path: Path, writes: list[str], readonly: bool
) -> None:
    folder = tmp_path / "data"
    county = folder / "checklists"
    county.mkdir(parents=True)
    source = (BUNDLED_DIR / "bayou-bawu.toml").read_text("utf-8")
    (county / "v3.toml").write_text(source.replace("version = 2", "version = 3", 1), "utf-8")
    with Store.open(folder, create=True) as store:
        store.library  # noqa: B018 - loading it records the snapshots
    edited = source.replace("version = 2", "version = 3", 1).replace("有证照明示", "有证照", 1)
    (county / "v3.toml").write_text(edited, encoding="utf-8")
    writes.clear()
    with Store.open(folder, readonly=readonly) as store:
        assert any("内容与已记录的不同" in p for p in store.library.problems)
        assert store.library.get("bayou-bawu", 3).items[0].text == "有证照明示"  # as recorded
        with store.read() as session:
            row = session.get(ChecklistSnapshot, ("bayou-bawu", 3))
            assert row is not None and "有证照明示" in row.content_json
    assert writes == []


# --- the orphan sweep ------------------------------------------------------------------------


def test_opening_sweeps_nothing_the_maintenance_step_does(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    with Store.open(folder, create=True) as store:
        old = orphan(store, "a", 2 * DAY)
        young = orphan(store, "b", 3600)  # an hour old: maybe its record is being written
        nearly = orphan(store, "c", DAY - 600)
    for readonly in (False, True):
        with Store.open(folder, readonly=readonly):
            pass
    assert old.exists() and young.exists() and nearly.exists()
    with Store.open(folder) as store:
        assert store.sweep_orphans() == 1
    assert not old.exists()
    assert young.exists() and nearly.exists()  # younger than a day: never swept
    assert evaluations.SWEEP_MIN_AGE == DAY


# --- the command line ------------------------------------------------------------------------


READ_ONLY = (("units", "list"), ("progress",), ("evaluations", "list"), ("checklists", "list"))


@pytest.mark.parametrize("command", [*READ_ONLY, ("units", "add", "--code", "x")])
def test_an_explicit_missing_folder_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    folder = tmp_path / "no" / "such"
    argv = ["--data-dir", str(folder), *command]
    if command[:2] == ("units", "add"):
        argv += ["--name", "某店", "--station", "五云所", "--type", "一般单位"]
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert f"--data-dir 指定的数据目录 {folder} 不存在" in err
    assert "fieldapp units import" in err  # what to do next
    assert not (tmp_path / "no").exists()


def test_the_installed_command_leaves_no_trace_of_a_missing_folder(tmp_path: Path) -> None:
    """Through ``python -m fieldapp``, whose log lives in the data folder: no log folder either."""
    folder = tmp_path / "typo"
    done = subprocess.run(
        [sys.executable, "-m", "fieldapp", "--data-dir", str(folder), "units", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert str(folder) in done.stderr and "Traceback" not in done.stderr
    assert not folder.exists()


def test_the_environment_variable_names_a_folder_too(
    isolated_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "units", "list")
    assert code == 1
    assert f"环境变量 FIELDAPP_DATA_DIR 指定的数据目录 {isolated_data_dir} 不存在" in err
    assert not isolated_data_dir.exists()


def test_commands_that_set_up_data_create_a_named_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "new"
    code, _, err = run(capsys, "--data-dir", str(folder), "units", "import", str(UNITS_CSV))
    assert code == 0
    assert f"已新建数据目录 {folder}" in err
    code, _, err = run(capsys, "--data-dir", str(folder), "units", "list")
    assert code == 0 and "已新建" not in err


def test_the_default_folder_is_created_by_a_writing_command_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FIELDAPP_DATA_DIR")
    default = tmp_path / "xdg" / "fieldapp"  # platformdirs under XDG_DATA_HOME
    code, _, err = run(capsys, "units", "list")
    assert code == 1
    assert f"默认数据目录 {default}" in err and "还没有数据" in err
    assert not default.exists()
    code, _, _ = run(capsys, "maintenance", "sweep")
    assert code == 0
    assert (default / "fieldapp.sqlite3").is_file()


def test_read_only_commands_never_delete_or_change_a_file(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(filled) as store:
        young = orphan(store, "d", 60)
        old = orphan(store, "e", 3 * DAY)  # the sweep would delete this one
    before = tree(filled)
    code, out, _ = run(capsys, "--data-dir", str(filled), "units", "list", "--json")
    assert code == 0
    credit_code = json.loads(out)[0]["credit_code"]
    commands = [
        ("units", "list"),
        ("units", "show", credit_code),
        ("progress",),
        ("evaluations", "list"),
        ("checklists", "list"),
    ]
    for command in commands:
        code, _, err = run(capsys, "--data-dir", str(filled), *command)
        assert code == 0, (command, err)
    assert young.exists() and old.exists()
    assert tree(filled) == before


def test_read_only_commands_report_an_older_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    shutil.copy(OLD_FIXTURE, folder / "fieldapp.sqlite3")
    before = digest(folder / "fieldapp.sqlite3")
    code, _, err = run(capsys, "--data-dir", str(folder), "units", "list")
    assert code == 1 and "旧版本" in err and str(folder) in err
    assert digest(folder / "fieldapp.sqlite3") == before
    code, out, _ = run(capsys, "--data-dir", str(folder), "maintenance", "upgrade")
    assert code == 0 and f"升级到 {db.head_revision()}" in out
    code, out, _ = run(capsys, "--data-dir", str(folder), "maintenance", "upgrade")
    assert code == 0 and "无需升级" in out
    assert run(capsys, "--data-dir", str(folder), "units", "list")[0] == 0


def test_maintenance_upgrade_never_creates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "missing"
    code, _, err = run(capsys, "--data-dir", str(folder), "maintenance", "upgrade")
    assert code == 1 and str(folder) in err
    assert not folder.exists()


def test_maintenance_sweep(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(filled) as store:
        young = orphan(store, "f", 60)
        old = orphan(store, "0", 3 * DAY)
    code, out, _ = run(capsys, "--data-dir", str(filled), "maintenance", "sweep")
    assert code == 0 and "已删除 1 个" in out
    assert young.exists() and not old.exists()
    code, out, _ = run(capsys, "--data-dir", str(filled), "maintenance", "sweep")
    assert code == 0 and "没有需要清理" in out


# --- the server's publish --------------------------------------------------------------------


@pytest.fixture
def server_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "server-data"
    monkeypatch.setenv("FIELDAPP_SERVER_DATA_DIR", str(folder))
    monkeypatch.delenv("FIELDAPP_SERVER_DATABASE_URL", raising=False)
    return folder


def test_publish_from_a_missing_store_fails_and_creates_nothing(
    server_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("fastapi")
    from fieldapp.server.cli import main as server_main

    folder = tmp_path / "typo"
    assert server_main(["publish", "--from-store", str(folder)]) == 1
    err = capsys.readouterr().err
    assert str(folder) in err and "不存在" in err and "--from-store" in err
    assert not folder.exists()


def test_publish_reads_the_store_without_changing_it(
    server_dir: Path, filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("fastapi")
    from fieldapp.server.cli import main as server_main

    with Store.open(filled) as store:
        young = orphan(store, "1", 60)
        old = orphan(store, "2", 3 * DAY)
    before = tree(filled)
    assert server_main(["publish", "--from-store", str(filled)]) == 0
    assert "已发布：单位" in capsys.readouterr().out
    assert young.exists() and old.exists()
    assert tree(filled) == before

    old_store = tmp_path / "old"
    old_store.mkdir()
    shutil.copy(OLD_FIXTURE, old_store / "fieldapp.sqlite3")
    snapshot = digest(old_store / "fieldapp.sqlite3")
    assert server_main(["publish", "--from-store", str(old_store)]) == 1
    assert "旧版本" in capsys.readouterr().err
    assert digest(old_store / "fieldapp.sqlite3") == snapshot


def test_first_uses_from_many_threads_neither_deadlock_nor_load_twice(tmp_path: Path) -> None:
    """The engine and the library are made at first use; threads that race to that first use
    (reads, writes that touch the library inside their session) all get through, and the library
    is loaded once. A write turn is never held while waiting for the library's load, which itself
    writes snapshots."""
    import threading

    folder = tmp_path / "data"
    Store.open(folder, create=True).close()
    with Store.open(folder) as store:
        loads: list[int] = []
        real = store._load_library

        def counted() -> object:
            loads.append(1)
            return real()

        store._load_library = counted  # type: ignore[method-assign]
        start = threading.Barrier(6)
        errors: list[BaseException] = []

        def writer() -> None:
            try:
                start.wait()
                with store.session() as session:
                    assert store.library.get("bayou-bawu", 2) is not None
                    session.scalar(select(func.count()).select_from(ChecklistSnapshot))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        def reader() -> None:
            try:
                start.wait()
                with store.read() as session:
                    session.scalar(select(func.count()).select_from(ChecklistSnapshot))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=t) for t in (writer, reader) * 3]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a first use deadlocked"
        assert errors == []
        assert loads == [1]
