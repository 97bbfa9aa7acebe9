"""Any console list as an Excel file: one sheet, a header row, text that stays inert."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response
from openpyxl import Workbook

from fieldapp.reports import cells

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _value(value: Any, sheet: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone().replace(tzinfo=None)  # Excel keeps no offset: local time
    if hasattr(value, "label") and not isinstance(value, str | int):
        return value.label
    return cells.xlsx_value(value, sheet)


def xlsx_response(
    filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Response:
    """``rows`` under ``headers`` as ``filename``.xlsx, downloaded by the browser."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(headers))
    for row in rows:
        sheet.append([_value(v, sheet) for v in row])
    out = io.BytesIO()
    book.save(out)
    name = quote(f"{filename}.xlsx")
    return Response(
        out.getvalue(),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )
