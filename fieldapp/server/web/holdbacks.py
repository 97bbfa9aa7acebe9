"""暂缓清单: per station, the units that hold it back and why (本年未评价, 整改逾期, 未张贴标识,
标识无照片, 长期未变化, 证据存疑), with a click through to each unit's evaluations and a form to
assign the ticked units to an inspector. The lists are :func:`fieldapp.server.holdbacks.hold_backs`,
the desktop's own fold over the server's records."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from fieldapp.domain.events import Role
from fieldapp.domain.holdbacks import Reason
from fieldapp.server import assignments
from fieldapp.server import holdbacks as server_holdbacks
from fieldapp.server.accounts import Invalid
from fieldapp.server.web.pages import Signed, database, render
from fieldapp.server.web.workbook import xlsx_response
from fieldapp.services.holdback_fold import HoldBack, StationHoldBacks

router = APIRouter()

PER_PAGE = 200

Year = Annotated[int | None, Query(ge=1900, le=2200)]
Short = Annotated[str, Query(max_length=64)]


def _reason(value: str) -> Reason | None:
    if not value:
        return None
    try:
        return Reason(value)
    except ValueError:
        choices = "、".join(r.label for r in Reason)
        raise Invalid(f"没有「{value[:20]}」这种暂缓原因；可选：{choices}") from None


def _lists(request: Request, current: Signed, year: int, station: str) -> list[StationHoldBacks]:
    with database(request).session() as session:
        return server_holdbacks.hold_backs(
            session, current.caller, year, date.today(), station or None
        )


def _items(lists: list[StationHoldBacks], reason: Reason | None) -> list[HoldBack]:
    return [i for found in lists for i in found.items if reason is None or i.reason is reason]


@router.get("/holdbacks", response_class=HTMLResponse)
def holdbacks_page(
    request: Request,
    current: Signed,
    year: Year = None,
    station: Short = "",
    reason: Short = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    year = year or date.today().year
    chosen = _reason(reason)
    lists = _lists(request, current, year, station)
    items = _items(lists, chosen)
    pages = max(1, (len(items) + PER_PAGE - 1) // PER_PAGE)
    page = min(page, pages)
    with database(request).session() as session:
        people = assignments.inspectors(session, current.caller, station or None)
    return render(
        request,
        "holdbacks.html",
        current,
        title="暂缓清单",
        year=year,
        station=station,
        reason=chosen,
        reasons=list(Reason),
        lists=lists,
        items=items[(page - 1) * PER_PAGE : page * PER_PAGE],
        total=len(items),
        page=page,
        pages=pages,
        people=people,
        may_assign=current.caller.role != Role.INSPECTOR,
    )


@router.get("/holdbacks.xlsx")
def holdbacks_xlsx(
    request: Request,
    current: Signed,
    year: Year = None,
    station: Short = "",
    reason: Short = "",
) -> Response:
    year = year or date.today().year
    chosen = _reason(reason)
    items = _items(_lists(request, current, year, station), chosen)
    title = f"{year}年暂缓清单" + (f"（{chosen.label}）" if chosen else "")
    return xlsx_response(
        title,
        "暂缓清单",
        ("所（分局）", "单位", "统一社会信用代码", "状态", "原因", "说明", "起始日期"),
        [
            (i.station, i.name, i.credit_code, i.state or "", i.reason.label, i.detail, i.since)
            for i in items
        ],
    )
