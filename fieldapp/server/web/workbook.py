"""Any console list as an Excel file: one sheet, a header row, text that stays inert."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response

from fieldapp.reports.list_export import list_workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(
    filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Response:
    """``rows`` under ``headers`` as ``filename``.xlsx, downloaded by the browser: the
    window's own list workbook (:func:`fieldapp.reports.list_export.list_workbook`)."""
    book = list_workbook(title, headers, rows)
    out = io.BytesIO()
    book.save(out)
    name = quote(f"{filename}.xlsx")
    return Response(
        out.getvalue(),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )
