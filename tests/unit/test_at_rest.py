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

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


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
