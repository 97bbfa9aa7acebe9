"""The server token in the operating system's credential store (issue 16): out of
``settings.json`` and out of backups where a store exists, in the (0600) file only where none
does, and found again by a sync, a restore and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fieldapp import backup, settings
from fieldapp.errors import FieldappError
from fieldapp.store import Store
from fieldapp.sync import client as sync_client
from tests.keyring_double import ENV

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def vault(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A credential store for this test and the processes it starts."""
    import keyring
    import keyring.core

    from tests.keyring_double import FileKeyring

    path = tmp_path / "keyring.json"
    monkeypatch.setenv(ENV, str(path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_double.FileKeyring")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield path
    keyring.core.set_keyring(previous)


def _file(folder: Path) -> dict[str, object]:
    return json.loads((folder / settings.SETTINGS_FILE).read_text(encoding="utf-8"))


def _store(tmp_path: Path) -> Path:
    with Store.open(tmp_path / "data", create=True) as store:
        return store.folder


def test_without_a_credential_store_the_token_stays_in_the_private_file(tmp_path: Path) -> None:
    folder = _store(tmp_path)
    settings.save(folder, settings.Settings(server_url="https://x", server_token="T0K"))
    assert _file(folder)["server_token"] == "T0K" and _file(folder)["token_in_keyring"] == 0
    assert settings.server_token(folder, settings.load(folder)) == "T0K"


def test_with_a_credential_store_the_token_leaves_the_file_and_the_backup(
    tmp_path: Path, vault: Path
) -> None:
    folder = _store(tmp_path)
    settings.save(
        folder, settings.Settings(inspector_name="王芳", server_url="https://x", server_token="T0K")
    )
    assert "T0K" not in (folder / settings.SETTINGS_FILE).read_text(encoding="utf-8")
    assert "T0K" in vault.read_text(encoding="utf-8")
    loaded = settings.load(folder)
    assert loaded.has_token and settings.server_token(folder, loaded) == "T0K"
    # Saving other settings keeps the stored token.
    settings.save(folder, loaded.replace(inspector_name="李明"))
    assert settings.server_token(folder, settings.load(folder)) == "T0K"

    archive = backup.create(folder, tmp_path / "b.zip").path
    with zipfile.ZipFile(archive) as zf:
        assert b"T0K" not in b"".join(zf.read(n) for n in zf.namelist())
    backup.restore(archive, folder)  # on this laptop the token is still found
    assert settings.server_token(folder, settings.load(folder)) == "T0K"
    fresh = tmp_path / "other-laptop"
    backup.restore(archive, fresh)  # another laptop has no entry: the sync says what to do
    restored = settings.load(fresh)
    assert settings.server_token(fresh, restored) == ""
    with Store.open(fresh) as store, pytest.raises(FieldappError, match="重新填写令牌"):
        sync_client.run_sync(store)


def test_a_token_left_in_the_file_moves_to_the_store_at_the_next_sync(
    tmp_path: Path, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _store(tmp_path)
    plain = settings.Settings(server_url="https://x", server_token="T0K").to_dict()
    (folder / settings.SETTINGS_FILE).write_text(json.dumps(plain), encoding="utf-8")
    used: list[str] = []

    class Unreachable:
        def __init__(self, url: str, token: str, **_options: object) -> None:
            used.append(token)
            raise sync_client.SyncError("连不上县局服务器")

    monkeypatch.setattr(sync_client, "Transport", Unreachable)
    with Store.open(folder) as store, pytest.raises(sync_client.SyncError):
        sync_client.run_sync(store)
    assert used == ["T0K"]
    assert "T0K" not in (folder / settings.SETTINGS_FILE).read_text(encoding="utf-8")
    assert settings.server_token(folder, settings.load(folder)) == "T0K"


def test_the_command_line_keeps_a_given_token_in_the_store(tmp_path: Path, vault: Path) -> None:
    folder = _store(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fieldapp",
            "--data-dir",
            str(folder),
            "sync",
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "T0K-from-the-county",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "连不上" in result.stderr or "网络" in result.stderr, result.stderr  # nothing listens
    assert "T0K-from-the-county" not in result.stdout + result.stderr
    assert "T0K-from-the-county" not in (folder / settings.SETTINGS_FILE).read_text("utf-8")
    assert "T0K-from-the-county" in vault.read_text(encoding="utf-8")
    assert settings.load(folder).token_in_keyring == 1
