"""分派: the year's assignments, and assigning units one by one (by credit code) or in bulk
(the units ticked on a hold-back list). :mod:`fieldapp.server.assignments` checks and writes."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fieldapp.server import assignments
from fieldapp.server.web.pages import Signed, check_csrf, database, render
from fieldapp.server.web.workbook import xlsx_response

router = APIRouter()

Year = Annotated[int | None, Query(ge=1900, le=2200)]


@router.get("/assign", response_class=HTMLResponse)
def assign_page(
    request: Request,
    current: Signed,
    year: Year = None,
    station: Annotated[str, Query(max_length=64)] = "",
    done: Annotated[int, Query(ge=0, le=100_000)] = 0,
    to: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    year = year or date.today().year
    with database(request).session() as session:
        rows = assignments.listed(session, current.caller, year, station or None)
        people = assignments.inspectors(session, current.caller, station or None)
    return render(
        request,
        "assign.html",
        current,
        title="分派",
        year=year,
        station=station,
        rows=rows,
        people=people,
        done=done,
        to=to,
    )


@router.get("/assign.xlsx")
def assign_xlsx(request: Request, current: Signed, year: Year = None) -> Response:
    year = year or date.today().year
    with database(request).session() as session:
        rows = assignments.listed(session, current.caller, year)
    return xlsx_response(
        f"{year}年分派",
        f"{year}年分派",
        ("所（分局）", "检查人员", "单位", "统一社会信用代码", "年度"),
        [(r.station, r.inspector, r.name, r.credit_code, r.year) for r in rows],
    )


@router.post("/assign")
def assign(
    request: Request,
    current: Signed,
    inspector: Annotated[str, Form(max_length=64)] = "",
    year: Annotated[int, Form(ge=1900, le=2200)] = 0,
    unit: Annotated[list[str] | None, Form(max_length=assignments.MAX_AT_ONCE + 1)] = None,
    credit_code: Annotated[str, Form(max_length=18)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(current, csrf)
    year = year or date.today().year
    with database(request).session() as session:
        uuids = list(unit or [])
        if credit_code.strip():
            uuids.append(assignments.unit_by_code(session, credit_code).uuid)
        done = assignments.assign(session, current.caller, uuids, inspector, year)
    return RedirectResponse(
        f"/assign?year={year}&done={len(done)}&to={inspector.strip()}", status_code=303
    )
