"""``fieldapp-server`` subcommands: accounts with hashed tokens, review, stats, bundle checks."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from fieldapp.server.cli import main


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "server-data"
    monkeypatch.setenv("FIELDAPP_SERVER_DATA_DIR", str(folder))
    monkeypatch.delenv("FIELDAPP_SERVER_DATABASE_URL", raising=False)
    return folder


def test_users_add_prints_the_token_once_and_stores_only_its_hash(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["users", "add", "--name", "张三", "--station", "五云所", "--role", "inspector"]) == 0
    )
    out = capsys.readouterr().out.strip().splitlines()
    token = out[-1]
    assert len(token) >= 40 and token.isascii() and " " not in token
    assert "只显示这一次" in out[0]
    database = data_dir / "server.sqlite3"
    assert database.exists()  # the data folder came from FIELDAPP_SERVER_DATA_DIR
    with sqlite3.connect(database) as connection:
        dump = "\n".join(connection.iterdump())
    assert token not in dump
    assert main(["users", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["name"] == "张三" and row["role"] == "inspector" and not row["revoked"]
    assert main(["users", "revoke", str(row["id"])]) == 0
    assert main(["users", "list"]) == 0
    listed = capsys.readouterr().out
    assert "已注销" in listed and "检查人员" in listed  # the domain's label of the role
    assert main(["users", "revoke", "99"]) == 1
    assert "没有编号为 99 的账号" in capsys.readouterr().err


def test_bad_role_is_a_usage_error(data_dir: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["users", "add", "--name", "x", "--station", "y", "--role", "boss"])
    assert exit_info.value.code == 2


def test_stats_json_and_every_subcommand_takes_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "elsewhere"
    assert main(["stats", "--json", "--data-dir", str(folder)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats == {
        "units": 0,
        "evaluations": 0,
        "blobs": 0,
        "blob_bytes": 0,
        "conflicts": 0,
        "devices": 0,
        "accounts": 0,
    }
    assert (folder / "server.sqlite3").exists()
    assert main(["--data-dir", str(folder), "stats"]) == 0
    assert "单位 0" in capsys.readouterr().out
    for args in (["devices"], ["conflicts"], ["review", "list"]):
        assert main([*args, "--data-dir", str(folder)]) == 0


def test_review_of_an_unknown_evaluation_and_return_needs_a_comment(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", "accept", "00000000-0000-4000-8000-000000000000"]) == 1
    assert "没有评价" in capsys.readouterr().err


def test_import_refuses_a_bundle_with_path_like_names(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "evil.zip"
    with zipfile.ZipFile(bundle, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": "fieldapp-sync-bundle"}))
        archive.writestr("blobs/../../escape", b"x")
    assert main(["import", str(bundle)]) == 1
    assert "不认识的文件" in capsys.readouterr().err
    assert not (tmp_path / "escape").exists()
    not_zip = tmp_path / "plain.zip"
    not_zip.write_text("hello")
    assert main(["import", str(not_zip)]) == 1
    assert "不是有效的同步数据包" in capsys.readouterr().err
    assert main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["evaluations"] == 0


def test_tls_options_must_come_together(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--ssl-keyfile", "key.pem"]) == 2
    assert "同时给出" in capsys.readouterr().err
