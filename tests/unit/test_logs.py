"""The rotating log file in the data folder, set up by the command line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldapp import logs
from fieldapp.ui.entry import main as entry_main


@pytest.fixture(autouse=True)
def detach() -> Iterator[None]:
    yield
    logs.close()


def test_log_opens_lazily_and_rotates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "data"
    path = logs.setup(folder)
    assert path == folder / "logs" / "fieldapp.log"
    assert not folder.exists()  # nothing written yet, nothing created
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    logs.setup(folder)  # again: replaces the handler, never adds a second one
    ours = [h for h in logging.getLogger().handlers if h.get_name() == "fieldapp-file"]
    assert len(ours) == 1
    log = logging.getLogger("fieldapp.test")
    for n in range(200):
        log.info("第 %d 条：检查记录已保存", n)
    assert path.is_file()
    rotated = sorted(p.name for p in path.parent.iterdir())
    assert rotated == ["fieldapp.log", *(f"fieldapp.log.{i}" for i in range(1, 6))]
    assert "第 199 条" in path.read_text(encoding="utf-8")


def test_suspended_closes_and_reopens(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    logs.setup(folder)
    logging.getLogger("fieldapp").warning("before")
    with logs.suspended():
        assert logs.current_path() is None
    assert logs.current_path() == logs.log_path(folder)
    logging.getLogger("fieldapp").warning("after")
    text = logs.log_path(folder).read_text(encoding="utf-8")
    assert "before" in text and "after" in text


def test_cli_logs_to_the_data_dir_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "elsewhere"
    assert (
        entry_main(["--data-dir", str(folder), "backup", "create", "-o", str(tmp_path / "b.zip")])
        == 1
    )
    assert logs.current_path() == folder / "logs" / "fieldapp.log"
    assert "没有可备份的数据" in capsys.readouterr().err
