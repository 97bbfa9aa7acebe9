"""Every change of a unit goes through services/unit_changes (and its bulk and sync twins).

A unit's state, station, type and the other tracked fields are folded from dated events for
the county's figures; a module that assigns them directly would change a figure without a
trace. This test reads the source of every module of the core, the window and the server and
fails on any direct assignment, UnitEvent built by hand, or Core insert/update of units.
"""

from __future__ import annotations

import ast
from pathlib import Path

import fieldapp

ROOT = Path(fieldapp.__file__).resolve().parent
WRITE_PATH = {
    "services/unit_changes.py",
    "services/unit_changes_bulk.py",
    "services/unit_sync.py",
}
TRACKED = {
    "state",
    "state_since",
    "station",
    "station_id",
    "unit_type",
    "entered_on",
    "sticker_posted_on",
    "prudent",
    "address",
    "industry",
}
# The county server keeps its own table of units (fieldapp/server/models.py: a row per unit
# with the wire form in data_json); its columns of the same names are the server's copy.
SERVER_UNIT_COPY = {"server/ingest.py", "server/reference.py"}


def _offences(path: Path, relative: str) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and target.attr in TRACKED
                and not (isinstance(target.value, ast.Name) and target.value.id == "self")
                and relative not in SERVER_UNIT_COPY
            ):
                found.append(f"{relative}:{node.lineno} assigns .{target.attr}")
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name == "UnitEvent":
                found.append(f"{relative}:{node.lineno} builds a UnitEvent")
            if (
                name == "setattr"
                and node.args
                and not (isinstance(node.args[0], ast.Name) and node.args[0].id == "self")
            ):
                found.append(f"{relative}:{node.lineno} calls setattr")
            if name in ("insert", "update") and node.args:
                arg = node.args[0]
                text = ast.unparse(arg)
                if text in ("Unit", "UNITS", "UnitEvent", "Unit.__table__"):
                    found.append(f"{relative}:{node.lineno} {name}({text})")
    return found


def test_only_the_write_path_changes_a_unit() -> None:
    offences = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in WRITE_PATH or "/migrations/" in relative:
            continue
        offences += _offences(path, relative)
    assert offences == []


def test_the_guard_catches_a_direct_assignment(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(unit, session):\n"
        "    unit.state = 'confirmed'\n"
        "    unit.station_id = 3\n"
        "    setattr(unit, 'unit_type', 'general')\n"
        "    session.add(UnitEvent(kind='state'))\n"
        "    self_ok = 1\n",
        encoding="utf-8",
    )
    assert len(_offences(sample, "sample.py")) == 4
