"""XLSX imports read what a sheet holds, whatever it declares (issue 16, item 7): a tiny file
whose <dimension> says A1:XFD1048576 imports its rows, and broken workbooks are refused naming
the file, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from fieldapp.errors import InvalidInput
from fieldapp.imports.tabular import read_table

ALIASES = {"名称": "name", "代码": "code"}
REQUIRED = {"name": "名称"}


def _workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["名称", "代码"])
    sheet.append(["缙云县五云超市", "91331122MA2A00018H"])
    book.save(path)
    return path


def _rewrite(path: Path, member: str, change: object) -> None:
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    parts[member] = change(parts[member])  # type: ignore[operator]
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_a_declared_used_range_of_the_whole_sheet_reads_the_rows_there_are(
    tmp_path: Path,
) -> None:
    path = _workbook(tmp_path / "huge-range.xlsx")
    _rewrite(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b'ref="A1:B2"', b'ref="A1:XFD1048576"'),
    )
    with zipfile.ZipFile(path) as zf:
        assert b"XFD1048576" in zf.read("xl/worksheets/sheet1.xml")
    # In a child with a deadline, so a regression fails the test instead of hanging the suite.
    script = (
        "from pathlib import Path; from fieldapp.imports.tabular import read_table;"
        f"t = read_table(Path({str(path)!r}), {ALIASES!r}, {REQUIRED!r});"
        "print(len(t.rows))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "1"


def test_broken_sheet_xml_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "broken.xlsx")
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2])
    with pytest.raises(InvalidInput, match=r"broken\.xlsx"):
        read_table(path, ALIASES, REQUIRED)


def test_a_workbook_without_sheets_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "no-sheet.xlsx")
    _rewrite(
        path,
        "xl/workbook.xml",
        lambda xml: xml.split(b"<sheets>")[0] + b"<sheets/>" + xml.split(b"</sheets>")[1],
    )
    with pytest.raises(InvalidInput, match=r"no-sheet\.xlsx"):
        read_table(path, ALIASES, REQUIRED)
