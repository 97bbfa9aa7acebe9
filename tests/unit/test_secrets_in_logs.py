"""No token, password or phone number in the log a user is told to send (issue 16, part 4)."""

from __future__ import annotations

import logging
import stat
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from fieldapp import logs
from fieldapp.storage import db
from fieldapp.ui import entry


def test_secret_options_are_redacted() -> None:
    argv = ["sync", "--server", "https://x", "--token", "T0K3N", "--password=hunter2", "--quiet"]
    assert logs.redacted(argv) == [
        "sync",
        "--server",
        "https://x",
        "--token",
        "***",
        "--password=***",
        "--quiet",
    ]


def test_a_crash_of_sync_logs_no_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_args: object, **_kw: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(entry, "cli_main", crash)
    folder = tmp_path / "data"
    argv = ["--data-dir", str(folder), "sync", "--token", "S3CRET-TOKEN"]
    with pytest.raises(RuntimeError):
        entry.main(argv)
    monkeypatch.setattr(sys, "argv", ["fieldapp", *argv[:-1], "--token=S3CRET-TOKEN"])
    with pytest.raises(RuntimeError):
        entry.main(None)  # the console script passes no argv: sys.argv is logged
    logs.close()
    log = logs.log_path(folder)
    text_ = log.read_text("utf-8")
    assert "unexpected error" in text_ and "S3CRET-TOKEN" not in text_
    if sys.platform != "win32":
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
        assert stat.S_IMODE(log.parent.stat().st_mode) & 0o077 == 0


def test_sql_errors_do_not_carry_their_parameters(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = db.make_engine(tmp_path / "x.sqlite3")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (phone TEXT UNIQUE)"))
        connection.execute(text("INSERT INTO t VALUES (:p)"), {"p": "13800138000"})
    with pytest.raises(IntegrityError) as failed, engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (:p)"), {"p": "13800138000"})
    engine.dispose()
    logging.getLogger("test").error("%s", failed.value)
    assert "13800138000" not in str(failed.value)
