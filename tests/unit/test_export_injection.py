"""Names and notes that look like formulas reach a spreadsheet as inert text (issue 16, part 3):
CSV cells get OWASP's leading ``'``, XLSX cells are typed as text, control characters go."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
from sqlalchemy import select, update

from fieldapp.cli import main
from fieldapp.domain import text
from fieldapp.reports import cells
from fieldapp.reports.bulletin import write_bulletin
from fieldapp.reports.exports import export_units
from fieldapp.services import unit_changes
from fieldapp.services.unit_changes import Change
from fieldapp.storage.models import Unit
from fieldapp.store import Store

HOSTILE = '=HYPERLINK("http://evil.example/x","点我")'
NAMES = (HOSTILE, "+1+1", "-2+3", "@SUM(1,2)", "\t=1", "响\x07铃\x00店")


def test_the_cell_rules() -> None:
    assert cells.csv_value(HOSTILE) == "'" + HOSTILE
    assert [cells.csv_value(n)[0] for n in NAMES[:5]] == ["'"] * 5
    assert cells.csv_value("响\x07铃\x00店") == "响铃店"
    assert cells.csv_value("缙云县—五云超市") == "缙云县—五云超市"  # a dash inside is fine
    assert cells.csv_value(-5) == -5  # numbers stay numbers


def _hostile_store(folder: Path) -> list[str]:
    assert main(["--data-dir", str(folder), "demo", "--units", "30", "--targets"]) == 0
    with Store.open(folder) as store, store.session() as session:
        units = session.scalars(select(Unit).order_by(Unit.id).limit(len(NAMES))).all()
        codes = []
        for unit, name in zip(units, NAMES, strict=True):
            if text.control_problem(name) is None:
                unit_changes.update_fields(session, unit, {"name": name}, Change("测试"))
            else:  # refused at every door now (domain/text.py); a store may hold it from before
                session.execute(update(Unit).where(Unit.id == unit.id).values(name=name))
            codes.append(unit.credit_code)
    return codes


def test_exports_and_the_bulletin_write_no_formula(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    _hostile_store(folder)
    with Store.open(folder) as store:
        export_units(store, tmp_path / "units.csv", "csv")
        export_units(store, tmp_path / "units.xlsx", "xlsx")
        bulletin = write_bulletin(store, date.today().strftime("%Y-%m"), tmp_path / "b.xlsx")
    with (tmp_path / "units.csv").open(encoding="utf-8-sig", newline="") as handle:
        texts = [cell for row in csv.reader(handle) for cell in row]
    assert "'" + HOSTILE in texts and HOSTILE not in texts
    assert not any(t.startswith(cells.FORMULA_LEADS) for t in texts)
    assert "响铃店" in texts
    for path in (tmp_path / "units.xlsx", bulletin):
        book = openpyxl.load_workbook(path)
        found = [c for sheet in book for row in sheet.iter_rows() for c in row]
        assert not [c.coordinate for c in found if c.data_type == "f"], path
        if path.name == "units.xlsx":
            assert HOSTILE in {c.value for c in found}  # as text, exactly as named
        assert not any(isinstance(c.value, str) and "\x07" in c.value for c in found)
