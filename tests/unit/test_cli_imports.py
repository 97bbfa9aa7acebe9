"""``fieldapp units list`` stays light: the parser and the plain listing load no ORM, no pydantic,
no checklists and no report library (issue 14: the whole process at most 6× a bare ``sqlite3``
query), and its plain ``sqlite3`` path prints what the ORM path prints for the same units."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest

from fieldapp.cli import main

# Whole packages (and the modules of fieldapp's own that import them) that neither building the
# parser nor a plain ``units list`` may import.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "pydantic",
    "openpyxl",
    "reportlab",
    "PIL",
    "requests",
    "PySide6",
    "fieldapp.checklists",
    "fieldapp.settings",
    "fieldapp.services",
    "fieldapp.storage.models",
    "fieldapp.storage.db",
)
PROBE = """
import json, sys
from fieldapp.ui.entry import main  # what the ``fieldapp`` console script runs

folder = sys.argv[1]
codes = [
    main(["--data-dir", folder, "units", "list", "--search", "超市", "--limit", "5"]),
    main(["--data-dir", folder, "units", "list", "--station", "五云所", "--json"]),
    main(["--data-dir", folder, "units", "list", "--type", "一般单位", "--state", "选育池"]),
]
heavy = json.loads(sys.argv[2])
loaded = sorted(
    name for name in sys.modules if any(name == h or name.startswith(h + ".") for h in heavy)
)
print("PROBE", json.dumps({"codes": codes, "loaded": loaded}))
"""


@pytest.fixture
def demo_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "demo"
    assert main(["--data-dir", str(folder), "demo", "--units", "50"]) == 0
    capsys.readouterr()
    return folder


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_units_list_loads_no_orm_pydantic_or_report_library(demo_store: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(demo_store), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.rsplit("PROBE ", 1)[1])
    assert probe["codes"] == [0, 0, 0], done.stdout + done.stderr
    assert probe["loaded"] == []
    assert "显示" in done.stdout and "共" in done.stdout


def test_building_the_parser_loads_no_heavy_module() -> None:
    script = (
        "import json, sys\n"
        "from fieldapp.cli.app import build_parser\n"
        "build_parser().parse_args(['units', 'list'])\n"
        "heavy = json.loads(sys.argv[1])\n"
        "print(sorted(n for n in sys.modules if any(n == h or n.startswith(h + '.') "
        "for h in heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_plain_and_orm_paths_print_the_same_records(
    demo_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The demo has no evaluations, so every unit is "not evaluated this year": the ORM path
    # (--not-evaluated) must list exactly what the sqlite3 path lists.
    base = ["--data-dir", str(demo_store), "units", "list"]
    for extra in ([], ["--search", "超市"], ["--station", "五云所"], ["--type", "一般单位"]):
        plain = json.loads(_run(capsys, *base, *extra, "--limit", "0", "--json"))
        orm = json.loads(_run(capsys, *base, *extra, "--limit", "0", "--json", "--not-evaluated"))
        assert plain == orm, extra
        table = _run(capsys, *base, *extra, "--limit", "7")
        assert table == _run(capsys, *base, *extra, "--limit", "7", "--not-evaluated"), extra
    everything = json.loads(_run(capsys, *base, "--limit", "0", "--json"))
    assert len(everything) >= 50  # the demo adds streets, villages and liaison stations
    assert any(u["state_since"] for u in everything)  # dates printed the same way too
    code = everything[0]["credit_code"]
    shown = json.loads(_run(capsys, "--data-dir", str(demo_store), "units", "show", code, "--json"))
    assert {k: v for k, v in shown.items() if k != "history"} == everything[0]


def test_record_from_an_orm_unit_equals_the_sqlite3_record(demo_store: Path) -> None:
    from fieldapp.services import units
    from fieldapp.store import Store
    from fieldapp.views import units as views

    with Store.open(demo_store, readonly=True) as store:
        with store.raw_read() as connection:
            plain = views.records(connection, views.UnitFilter(), limit=None)
        with store.read() as session:
            found = units.search(session, views.UnitFilter(), limit=None)
            orm = [views.record_from(u) for u in found]
    assert len(plain) >= 50
    assert plain == orm
    assert [asdict(r) for r in plain] == [asdict(r) for r in orm]
