"""The build's ``selftest`` command (fieldapp/frozen_check.py) from the source tree; quick.

tests/frozen/test_frozen.py runs the same command in the built program.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldapp.checklists import BUNDLED_DIR
from fieldapp.cli import main
from fieldapp.storage import db


def test_selftest_command(
    isolated_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Store, every checklist, a unit, a PDF with the bundled font; a second run reuses the unit."""
    assert main(["selftest", "--out", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frozen"] is False and report["checklist_problems"] == []
    assert report["data_dir"] == str(isolated_data_dir)
    assert report["schema"] == db.head_revision()
    assert len(report["checklists"]) == len(list(BUNDLED_DIR.glob("*.toml")))
    assert Path(report["pdf"]).read_bytes().startswith(b"%PDF")
    assert main(["selftest", "--out", str(tmp_path)]) == 0  # the second run reuses the unit
    assert json.loads(capsys.readouterr().out)["unit"] == report["unit"]


def test_selftest_is_not_in_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "selftest" not in capsys.readouterr().out
