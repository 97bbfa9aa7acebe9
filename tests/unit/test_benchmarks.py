"""The benchmark entry point runs end to end on a tiny store and reports every figure.

Only the shape of the output is checked: times depend on the machine, so no threshold is asserted.
"""

from __future__ import annotations

import gc
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--quick", "--units", "300"]
# Photo ingest, UI stall during ingest and window start-up (the last over the 300 units); a
# command and the window as whole processes.
NEW_FIGURES = (
    "photo_ingest_12mp",
    "ingest_event_loop_stall",
    "startup_main_window_50k",
    "cli_units_list_process",
    "startup_window_process",
)
# What neither building the command line's parser nor importing the window may load: the
# whole-process figures would pay for them on every start.
HEAVY = (
    "openpyxl",
    "reportlab",
    "qrcode",
    "fastapi",
    "uvicorn",
    "requests",
    "pydantic",
    "sqlalchemy",
)
LOADED_AT_START = """
import sys
from fieldapp.cli.app import build_parser
build_parser()
print(" ".join(m for m in sys.modules if m.startswith("fieldapp.reports") or m in {heavy}))
import fieldapp.ui.app
print(" ".join(m for m in {heavy} if m in sys.modules))
"""


@pytest.fixture
def bench_main(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.__main__ import main

    yield main
    gc.collect()  # an unclosed sqlite3 connection would warn here, and warnings are errors


def test_json_has_every_figure(bench_main, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main([*ARGS, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)

    assert isinstance(results, list)
    for entry in results:
        assert isinstance(entry["name"], str)
        assert isinstance(entry["unit"], str) and entry["unit"]
        for key in ("value", "baseline", "ratio"):
            assert isinstance(entry[key], int | float)
            assert math.isfinite(entry[key]) and entry[key] > 0, (entry["name"], key)
        if entry["name"] == "import_units" or entry["name"].startswith(("search_", "startup_")):
            assert entry["n"] == 300  # the units asked for
        assert entry["ratio"] == pytest.approx(entry["value"] / entry["baseline"])
    names = [entry["name"] for entry in results]
    assert "import_units" in names
    assert any(name.startswith("search_") for name in names)
    for name in NEW_FIGURES:
        assert name in names
    assert len(names) == len(set(names))


def test_table_is_the_default(bench_main, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(ARGS) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()

    assert lines[0].split()[:5] == ["name", "n", "fieldapp", "baseline", "ratio"]
    assert any(line.startswith("import_units") for line in lines)
    assert any(line.startswith("search_") for line in lines)
    for name in NEW_FIGURES:
        assert any(line.startswith(name) for line in lines)
    assert "import" in captured.err  # progress goes to stderr, not into the table


def test_parser_and_window_import_no_report_or_server_libraries() -> None:
    code = LOADED_AT_START.format(heavy=HEAVY)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    after_parser, after_window = done.stdout.splitlines()
    assert after_parser == ""
    assert after_window == ""
