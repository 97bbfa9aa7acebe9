"""Any list the window shows, as an Excel workbook: one sheet, the list's own headers, its rows.

The window's lists (units matching a filter, the worklists, hold-backs, refused sync records)
each pass their headers and rows here; text is kept printable and never becomes a live formula
(:mod:`fieldapp.reports.cells`), dates become date cells, and the file is written to a temporary
name and renamed only when complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from fieldapp.errors import InvalidInput
from fieldapp.reports import cells
from fieldapp.reports.output import atomic_output

MAX_WIDTH = 60


def write_list_xlsx(
    out: Path, sheet: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Path:
    """Write ``rows`` under ``headers`` to the one sheet ``sheet`` of the workbook ``out``."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise InvalidInput(f"{out}：导出的是 Excel 文件，请用以 .xlsx 结尾的文件名")
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
        table.append([cells.xlsx_value(v, table) for v in values])
    with atomic_output(out) as tmp:
        book.save(tmp)
    return out


__all__ = ["write_list_xlsx"]
