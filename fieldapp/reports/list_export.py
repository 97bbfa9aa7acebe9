"""Any list the window shows, as an Excel workbook: one sheet, the list's own headers, its rows.

The window's lists (units matching a filter, the worklists, hold-backs, refused sync records)
each pass their headers and rows here; text is kept printable and never becomes a live formula
(:mod:`fieldapp.reports.cells`), dates become date cells, and the file is written to a temporary
name and renamed only when complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fieldapp.errors import InvalidInput
from fieldapp.reports import cells
from fieldapp.reports.output import atomic_output

MAX_WIDTH = 60


def _value(value: Any, sheet: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone().replace(tzinfo=None)  # Excel keeps no offset: local time
    if hasattr(value, "label") and not isinstance(value, str | int):
        return value.label  # a domain enum, as the lists show it
    return cells.xlsx_value(value, sheet)


def list_workbook(sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Any:
    """A workbook of one sheet ``sheet``: ``headers``, then ``rows`` (the window's lists and
    the county console's alike)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    table = book.create_sheet(sheet[:31] or "Sheet1")  # Excel's limit on a sheet's name
    widths = [max(8, len(h) * 2 + 2) for h in headers]
    kept: list[list[Any]] = []
    for row in rows:
        values = list(row)
        for i, value in enumerate(values[: len(widths)]):
            widths[i] = min(MAX_WIDTH, max(widths[i], len(str(value)) + 2))
        kept.append(values)
    for i, width in enumerate(widths, 1):
        table.column_dimensions[get_column_letter(i)].width = width
    table.freeze_panes = "A2"
    table.append(list(headers))
    for values in kept:
        table.append([_value(v, table) for v in values])
    return book


def write_list_xlsx(
    out: Path, sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Path:
    """Write ``rows`` under ``headers`` to the one sheet ``sheet`` of the workbook ``out``."""
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise InvalidInput(f"{out}：导出的是 Excel 文件，请用以 .xlsx 结尾的文件名")
    book = list_workbook(sheet, headers, rows)
    with atomic_output(out) as tmp:
        book.save(tmp)
    return out


__all__ = ["list_workbook", "write_list_xlsx"]
