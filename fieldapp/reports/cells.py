"""Text as a spreadsheet program must receive it: inert and printable.

A cell that begins with ``= + - @``, a tab or a carriage return is a formula to Excel and WPS
when it comes from a CSV file, and a string that begins with ``=`` becomes a live formula when
openpyxl writes it; a unit named ``=HYPERLINK(...)`` would then run in the county office's
spreadsheet. Following OWASP's CSV-injection guidance, a CSV cell that begins with one of these
gets a leading ``'``; an XLSX cell is written as text, which no spreadsheet evaluates. Control
characters (which openpyxl refuses, and no name or note holds on purpose) are removed from both.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str) -> str:
    """``text`` without control characters (tab, line feed and carriage return stay)."""
    return _CONTROL.sub("", text)


def csv_value(value: Any) -> Any:
    """A CSV cell: text made inert (``'=1+1``) and printable; other values as they are."""
    if not isinstance(value, str):
        return value
    text = printable(value)
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def xlsx_value(value: Any, sheet: Any = None) -> Any:
    """An XLSX cell: text printable and, where openpyxl would take it for a formula, a cell
    typed as text (``sheet`` makes it for a write-only sheet; otherwise call :func:`as_text` on
    the cell after appending)."""
    if not isinstance(value, str):
        return value
    text = printable(value)
    if sheet is None or not text.startswith("="):
        return text
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def as_text(row: Any) -> None:
    """Type every cell of an appended row whose text openpyxl took for a formula as text."""
    for cell in row:
        if cell.data_type == "f":
            cell.data_type = "s"
