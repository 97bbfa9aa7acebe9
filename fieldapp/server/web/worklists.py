"""工作清单: 每天网上巡 (units with a step of their history dated the day, or an evaluation begun
or finalised on it) and 每周回头看 (open 整改 due by that week's Sunday, overdue included), from
:mod:`fieldapp.server.worklists`, the desktop's own lists over the server's records. Each list
exports to Excel."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from fieldapp.server import worklists
from fieldapp.server.web.pages import Signed, database, render
from fieldapp.server.web.workbook import xlsx_response
from fieldapp.services.worklists import ChangedUnit, Rectification, week_of

router = APIRouter()

Day = Annotated[date | None, Query()]
Short = Annotated[str, Query(max_length=64)]
Later = Annotated[bool, Query()]


def _lists(
    request: Request, current: Signed, day: date, station: str, later: bool
) -> tuple[list[ChangedUnit], list[Rectification]]:
    with database(request).session() as session:
        return (
            worklists.daily(session, current.caller, day, station or None),
            worklists.weekly(session, current.caller, day, station or None, later=later),
        )


@router.get("/worklists", response_class=HTMLResponse)
def worklists_page(
    request: Request, current: Signed, day: Day = None, station: Short = "", later: Later = False
) -> HTMLResponse:
    day = day or date.today()
    changed, due = _lists(request, current, day, station, later)
    monday, sunday = week_of(day)
    return render(
        request,
        "worklists.html",
        current,
        title="工作清单",
        day=day,
        monday=monday,
        sunday=sunday,
        station=station,
        changed=changed,
        due=due,
        later=later,
    )


@router.get("/worklists/daily.xlsx")
def daily_xlsx(request: Request, current: Signed, day: Day = None, station: Short = "") -> Response:
    day = day or date.today()
    changed, _ = _lists(request, current, day, station, False)
    return xlsx_response(
        f"{day.isoformat()}每天网上巡",
        "每天网上巡",
        ("所（分局）", "单位", "统一社会信用代码", "变动"),
        [(c.station, c.name, c.credit_code, "；".join(c.changes)) for c in changed],
    )


@router.get("/worklists/weekly.xlsx")
def weekly_xlsx(
    request: Request, current: Signed, day: Day = None, station: Short = "", later: Later = False
) -> Response:
    day = day or date.today()
    _, due = _lists(request, current, day, station, later)
    return xlsx_response(
        f"{day.isoformat()}每周回头看",
        "每周回头看",
        ("所（分局）", "单位", "统一社会信用代码", "条目", "内容", "整改要求", "整改期限", "逾期"),
        [
            (
                r.station,
                r.name,
                r.credit_code,
                r.code,
                r.text,
                r.rectify,
                r.due,
                "逾期" if r.overdue else "",
            )
            for r in due
        ],
    )
