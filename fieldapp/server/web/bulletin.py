"""每月通报: the monthly bulletin for the county or one station, as PDF or Excel, with the numbers
of :func:`fieldapp.server.bulletin.month_summary` (the desktop's own rules over the server's
records) laid out by :mod:`fieldapp.reports.bulletin`, the same layout ``fieldapp report
bulletin`` prints."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from fieldapp.domain.events import Role
from fieldapp.reports import bulletin as layout
from fieldapp.server import bulletin as server_bulletin
from fieldapp.server.web.pages import Signed, database, render
from fieldapp.server.web.workbook import XLSX_TYPE

router = APIRouter()

FORMATS = {"pdf": "application/pdf", "xlsx": XLSX_TYPE}


def _last_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


@router.get("/bulletin", response_class=HTMLResponse)
def bulletin_page(request: Request, current: Signed) -> HTMLResponse:
    today = date.today()
    return render(
        request,
        "bulletin.html",
        current,
        title="每月通报",
        month=_last_month(today),
        this_month=f"{today.year}-{today.month:02d}",
        station="" if current.caller.role == Role.COUNTY else current.caller.station,
    )


@router.get("/bulletin/file")
def bulletin_file(
    request: Request,
    current: Signed,
    month: Annotated[str, Query(max_length=20)],
    station: Annotated[str, Query(max_length=64)] = "",
    format: Annotated[str, Query(pattern="^(pdf|xlsx)$")] = "pdf",
) -> Response:
    today = date.today()
    with database(request).session() as session:
        summary = server_bulletin.month_summary(
            session, current.caller, month, station or None, today
        )
    with tempfile.TemporaryDirectory(dir=request.app.state.config.tmp_dir) as folder:
        out = Path(folder) / f"bulletin.{format}"
        if format == "pdf":
            layout.write_pdf(summary, out, today)
        else:
            layout.write_xlsx(summary, out, today)
        data = out.read_bytes()
    name = quote(f"{layout.title(summary)}.{format}")
    disposition = "inline" if format == "pdf" else "attachment"
    return Response(
        data,
        media_type=FORMATS[format],
        headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{name}"},
    )
