"""县局总览 and 各所: targets against achieved per station and type, deadlines, and how many
units hold each station back (:func:`fieldapp.server.holdbacks.hold_backs`).

The figures are :func:`fieldapp.server.figures.figures`, the same fold as ``fieldapp progress``
and ``GET /api/v1/progress``, in the signed-in account's scope: the county sees every station, a
station's account its own, and another station's page is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import HTMLResponse, Response

from fieldapp.domain.events import Role
from fieldapp.domain.vocab import GROUP_LABELS, UnitType
from fieldapp.server import figures, holdback_counts
from fieldapp.server.web.pages import Signed, database, render
from fieldapp.server.web.workbook import xlsx_response
from fieldapp.services.progress import Cell, Progress

router = APIRouter()

Year = Annotated[int | None, Query(ge=1900, le=2200)]


@dataclass(frozen=True)
class StationLine:
    """One station's 单位 group (一般 + 无理由 + 放心工厂), as the desktop's chart draws it."""

    station: str
    cell: Cell

    @property
    def bar(self) -> int:
        """Percent of the target achieved, for the bar's width (capped at 100)."""
        ratio = self.cell.ratio
        return 0 if ratio is None else min(100, round(ratio * 100))


def station_lines(progress: Progress) -> list[StationLine]:
    lines: dict[str, Cell] = {}
    for cell in progress.cells:
        if cell.unit_type.group == "units":
            lines.setdefault(cell.station, Cell(cell.station, UnitType.GENERAL)).add(cell)
    return [StationLine(station, cell) for station, cell in lines.items()]


def _year(year: int | None) -> int:
    return year or date.today().year


COLUMNS = (
    "所（分局）",
    "单位类型",
    "任务数",
    "完成数",
    "现存",
    "新培育",
    "完成率",
    "往年入库未建成",
    "6月前承诺公示",
    "系统录入率",
    "命名",
    "标识张贴",
)


def _row(cell: Cell, station: str, unit_type: str) -> list[object]:
    def pct(value: float | None) -> str:
        return "" if value is None else f"{value * 100:.1f}%"

    return [
        station,
        unit_type,
        cell.target,
        cell.achieved,
        cell.stock,
        cell.new,
        pct(cell.ratio),
        cell.carried,
        cell.committed_by_june,
        pct(cell.entry_ratio),
        cell.confirmed,
        cell.stickers,
    ]


def _totals(progress: Progress) -> list[tuple[str, Cell]]:
    out = []
    for group, label in GROUP_LABELS.items():
        total = progress.total(group)
        if total.target or total.achieved:
            out.append((label, total))
    return out


def _counted_note(held: holdback_counts.Counted) -> str:
    at = held.counted_at.astimezone().strftime("%H:%M")
    if held.fresh:
        return f"暂缓单位按 {at} 时的记录统计。"
    return (
        f"暂缓单位按 {at} 时的记录统计；之后又有记录同步进来，正在重新统计，稍后刷新本页即可看到。"
    )


@router.get("/overview", response_class=HTMLResponse)
def overview(
    request: Request, current: Signed, background: BackgroundTasks, year: Year = None
) -> HTMLResponse:
    year = _year(year)
    with database(request).session() as session:
        progress, plan = figures.figures(session, current.caller, year)
    held = holdback_counts.counts(
        database(request), current.caller, year, date.today(), later=background.add_task
    )
    return render(
        request,
        "overview.html",
        current,
        title="县局总览" if current.caller.role == Role.COUNTY else f"{current.caller.station}总览",
        year=year,
        progress=progress,
        lines=station_lines(progress),
        totals=_totals(progress),
        by_type=progress.by_type(),
        plan=plan,
        holdbacks=held.units(),
        holdbacks_note=_counted_note(held),
    )


@router.get("/overview.xlsx")
def overview_xlsx(request: Request, current: Signed, year: Year = None) -> Response:
    year = _year(year)
    with database(request).session() as session:
        progress, _plan = figures.figures(session, current.caller, year)
    rows = [_row(c, c.station, c.unit_type.label) for c in progress.cells]
    rows += [_row(total, "合计", label) for label, total in _totals(progress)]
    return xlsx_response(f"{year}年任务进度", f"{year}年任务进度", COLUMNS, rows)


@router.get("/stations/{station}", response_class=HTMLResponse)
def station_page(
    request: Request,
    current: Signed,
    background: BackgroundTasks,
    station: str,
    year: Year = None,
) -> HTMLResponse:
    year = _year(year)
    with database(request).session() as session:
        progress, plan = figures.figures(session, current.caller, year, station[:64])
    held = holdback_counts.counts(
        database(request),
        current.caller,
        year,
        date.today(),
        station[:64],
        later=background.add_task,
    )
    return render(
        request,
        "station.html",
        current,
        title=f"{station} 任务进度",
        station=station,
        year=year,
        progress=progress,
        totals=_totals(progress),
        plan=plan,
        holdback_counts={
            reason: n for found in held.stations for reason, n in found.counts.items() if n
        },
        holdbacks_note=_counted_note(held),
    )
