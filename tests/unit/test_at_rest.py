"""Data at rest (issue 16): a new data folder, its database and its backups are the owner's
only, and a backup never carries the server token (restoring on the same laptop keeps it)."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from fieldapp import backup, settings
from fieldapp.store import Store

POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@POSIX_ONLY
def test_a_new_data_folder_and_its_backup_are_private_and_hold_no_token(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    with Store.open(folder, create=True) as store:
        settings.save(
            store.folder,
            settings.Settings(inspector_name="王芳", server_url="https://x", server_token="T0K"),
        )
    assert _mode(folder) == 0o700
    assert _mode(folder / "fieldapp.sqlite3") == 0o600
    assert _mode(folder / settings.SETTINGS_FILE) == 0o600
    archive = backup.create(folder, tmp_path / "b.zip").path
    assert _mode(archive) == 0o600
    with zipfile.ZipFile(archive) as zf:
        carried = json.loads(zf.read(settings.SETTINGS_FILE))
        assert b"T0K" not in b"".join(zf.read(n) for n in zf.namelist())
    assert carried["server_token"] == "" and carried["inspector_name"] == "王芳"
    backup.restore(archive, folder)  # on the laptop that has a token: it stays
    assert settings.load(folder).server_token == "T0K"
    fresh = tmp_path / "other-laptop"
    backup.restore(archive, fresh)  # elsewhere: ask the county for a token
    assert settings.load(fresh).server_token == ""


def _backup_of(folder: Path, statements: list[str], target: Path) -> Path:
    import sqlite3

    folder.mkdir(parents=True)
    with sqlite3.connect(folder / "fieldapp.sqlite3") as connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()
    return backup.create(folder, target).path


@pytest.mark.parametrize(
    ("statements", "says"),
    [
        (["CREATE TABLE stations (id INTEGER PRIMARY KEY, name TEXT)"], "没有架构版本"),
        (
            [
                "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)",
                "INSERT INTO alembic_version VALUES ('0008')",
            ],
            "不能被本程序打开",
        ),
    ],
    ids=["clashing-table-no-version", "head-version-no-tables"],
)
def test_a_backup_whose_database_the_app_cannot_open_is_refused_before_the_swap(
    tmp_path: Path, statements: list[str], says: str
) -> None:
    """SQLite's integrity check passes both; the app could not open either (issue 16, item 13)."""
    from fieldapp.errors import InvalidInput

    archive = _backup_of(tmp_path / "odd", statements, tmp_path / "odd.zip")
    folder = tmp_path / "data"
    with Store.open(folder, create=True):
        pass
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(InvalidInput, match=says):
        backup.restore(archive, folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing swapped or left
    with Store.open(folder):
        pass
