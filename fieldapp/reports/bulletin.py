"""The monthly bulletin (每月一通报, seed 002) as a PDF or an Excel workbook.

Both formats show the same numbers, all from :func:`fieldapp.services.worklists.month_summary`:
progress against the task table per station (with a bar chart), the month's evaluations by
kind and verdict, the items failed most often, open and overdue 整改, the units that need
attention, and the days left to the year's deadlines. The file is written through
:func:`fieldapp.reports.output.atomic_output`: on any failure no file is left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from fieldapp.domain.cases import yuan
from fieldapp.errors import InvalidInput
from fieldapp.reports import cells, pdfkit
from fieldapp.reports.charts import bar_chart
from fieldapp.reports.output import atomic_output
from fieldapp.services import holdback_kept, progress_kept
from fieldapp.services.stations import find_station
from fieldapp.services.worklists import (
    VERDICTS,
    MonthSummary,
    Reason,
    StationMonth,
    month_dates,
    month_summary,
)
from fieldapp.store import Store

FORMATS = (".pdf", ".xlsx")
TITLE = "放心消费单位建设每月通报"
MAX_OVERDUE_PRINTED = 40  # the PDF lists this many overdue items; the workbook lists all


def write_bulletin(
    store: Store,
    month: str,
    out: Path,
    station: str | None = None,
    today: date | None = None,
) -> Path:
    """Write the bulletin of ``month`` ("2026-11") to ``out`` (.pdf or .xlsx); return ``out``.

    Refuses (InvalidInput, nothing written) another suffix, a month not yet begun, and a month
    with no data: no targets for its year and no evaluation or unit event in the month.

    The progress and hold-back counts of today's bulletin are kept
    (:mod:`fieldapp.services.progress_kept`, :mod:`fieldapp.services.holdback_kept`): brought up
    to date first when they are not current, then read with the rest. A past month's
    bulletin (dated its last day) uses kept counts only if they were kept for that day and
    nothing has changed since, and otherwise counts in full.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(
            f"{out}：不支持的文件类型「{out.suffix or '（无扩展名）'}」，"
            "通报只能保存为 .pdf 或 .xlsx，请修改文件名"
        )
    today = today or date.today()
    first, _, as_of = month_dates(month, today)
    with store.read() as session:
        station_id = find_station(session, station).id if station else None
    if as_of == today:  # today's figures: bring the kept ones up to date first
        progress_kept.refresh(store, first.year, as_of)
        holdback_kept.refresh(store, first.year, as_of, station_id)
    with store.read() as session:
        hold = holdback_kept.kept_counts(session, first.year, as_of, station_id)
        summary = month_summary(session, month, station, today, hold_counts=hold)
    if not summary.has_data:
        raise InvalidInput(
            f"{summary.month} 没有数据：{summary.year} 年没有任务表，该月也没有评价或单位变更，"
            "未生成通报。请先导入任务表（fieldapp targets import），或选择其他月份"
        )
    with atomic_output(out) as tmp:
        if suffix == ".pdf":
            write_pdf(summary, tmp, today)
        else:
            write_xlsx(summary, tmp, today)
    return out


# --- shared wording -----------------------------------------------------------------------------


def title(summary: MonthSummary) -> str:
    return f"{TITLE} {summary.title_month}"


def scope(summary: MonthSummary) -> str:
    """Who the bulletin covers: "缙云县 五云所", or the county (or 全部所（分局）) alone."""
    who = summary.station or "全部所（分局）"
    return f"{summary.county} {who}".strip()


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


def days_text(days_left: int) -> str:
    if days_left > 0:
        return f"还有 {days_left} 天"
    return "今天到期" if days_left == 0 else f"已过 {-days_left} 天"


def _progress_rows(summary: MonthSummary) -> list[tuple[StationMonth, bool]]:
    rows = [(s, False) for s in summary.stations]
    if summary.station is None:
        rows.append((summary.total(), True))
    return rows


PROGRESS_HEADERS = (
    "所（分局）",
    "任务数",
    "完成数",
    "完成率",
    "新培育",
    "去年现存",
    "本年命名",
    "标识张贴",
)
EVALUATION_HEADERS = (
    "所（分局）",
    "本月评价",
    "通过",
    "需整改",
    "不通过",
    "整改未完成",
    "其中逾期",
)
TYPE_HEADERS = ("单位类型", "任务数", "完成数", "完成率", "新培育", "去年现存", "本年命名")
KIND_HEADERS = ("评价类型", *(v.label for v in VERDICTS), "合计")
FAILED_HEADERS = ("名次", "检查表", "条目代码", "条目内容", "不符合次数")
OVERDUE_HEADERS = ("所（分局）", "单位名称", "条目", "整改要求", "整改期限", "逾期天数")
HOLD_HEADERS = ("所（分局）", *(r.label for r in Reason))
CASE_HEADERS = (
    "所（分局）",
    "本月台账",
    "本月挽回经济损失（元）",
    "本年台账",
    "本年挽回经济损失（元）",
)


def _progress_values(s: StationMonth, ratio: Callable[[float | None], Any] = percent) -> list[Any]:
    """A progress line; ``ratio`` writes 完成率 (text for the PDF, the number for a workbook)."""
    return [
        s.station,
        s.target,
        s.achieved,
        ratio(s.ratio),
        s.new,
        s.stock,
        s.confirmed,
        s.stickers,
    ]


def _evaluation_values(s: StationMonth) -> list[Any]:
    return [
        s.station,
        s.evaluations,
        s.passed,
        s.rectify,
        s.failed,
        s.rectifications_open,
        s.rectifications_overdue,
    ]


def _case_values(s: StationMonth, money: Callable[[int], Any] = yuan) -> list[Any]:
    """A station's 联络站 cases (台账): the month's and the year's, with 挽回经济损失 in 元
    (``money`` writes it: text for the PDF, a number for a workbook)."""
    return [s.station, s.cases, money(s.recovered_fen), s.cases_year, money(s.recovered_year_fen)]


def _hold_values(s: StationMonth) -> list[Any]:
    return [s.station, *(s.hold_backs.get(r, 0) for r in Reason)]


def _type_values(
    summary: MonthSummary, ratio: Callable[[float | None], Any] = percent
) -> list[list[Any]]:
    return [
        [
            c.unit_type.label,
            c.target,
            c.achieved,
            ratio(c.ratio),
            c.new,
            c.stock,
            c.confirmed,
        ]
        for c in summary.by_type
    ]


def _kind_values(summary: MonthSummary) -> list[list[Any]]:
    return [
        [k.label, *(k.by_verdict.get(v.value, 0) for v in VERDICTS), k.total] for k in summary.kinds
    ]


def _notes(summary: MonthSummary, today: date) -> list[str]:
    notes = [
        f"统计截至 {summary.as_of.isoformat()}；发布日期 {today.isoformat()}。",
        "完成数 = 去年建成现存 + 今年新培育（缙市监〔2023〕42号：任务数包括去年建成的现存数量、"
        "今年新培育的数量）；任务数、完成数为一般单位、无理由退货承诺单位和放心工厂之和。",
    ]
    if summary.as_of < today:
        notes.append("“需关注单位”按单位当前状态统计。")
    return notes


# --- PDF ----------------------------------------------------------------------------------------


def write_pdf(summary: MonthSummary, path: Path, today: date) -> None:
    para = pdfkit.para
    width = pdfkit.FRAME_WIDTH
    bold = ("BACKGROUND", (0, -1), (-1, -1), pdfkit.SHADE)
    right = ("ALIGN", (1, 1), (-1, -1), "RIGHT")
    story: list[Flowable] = [
        pdfkit.Section(f"{title(summary)}  {scope(summary)}"),
        para(title(summary), "title"),
        para(
            f"{scope(summary)}    统计截至 {summary.as_of.isoformat()}    "
            f"发布日期 {today.isoformat()}",
            "subtitle",
        ),
    ]

    story.append(para("一、任务完成进度", "h2"))
    rows = _progress_rows(summary)
    table = [list(PROGRESS_HEADERS), *(_progress_values(s) for s, _ in rows)]
    extra = [bold] if rows and rows[-1][1] else []
    story.append(pdfkit.grid_table(table, _widths(width, 8, first=0.2), right, *extra))
    story.append(para(_notes(summary, today)[1], "small"))
    chart_rows = summary.stations
    story.append(Spacer(0, 2 * mm))
    story.append(
        bar_chart(
            [s.station for s in chart_rows],
            [
                ("任务数", [s.target for s in chart_rows]),
                ("完成数", [s.achieved for s in chart_rows]),
                ("本年命名", [s.confirmed for s in chart_rows]),
            ],
            width=width,
            title="各所（分局）任务与完成（单位合计）",
        )
    )
    if summary.by_type:
        story.append(para("按单位类型", "body"))
        table = [list(TYPE_HEADERS), *_type_values(summary)]
        story.append(pdfkit.grid_table(table, _widths(width, 7, first=0.28), right))

    story.append(para(f"二、本月评价（{summary.first.month}月检查并已定稿）", "h2"))
    if summary.kinds:
        table = [list(KIND_HEADERS), *_kind_values(summary)]
        story.append(pdfkit.grid_table(table, _widths(width, 5, first=0.3), right))
        story.append(Spacer(0, 2 * mm))
    else:
        story.append(para("本月没有定稿的评价。", "body"))
    table = [list(EVALUATION_HEADERS), *(_evaluation_values(s) for s, _ in rows)]
    story.append(pdfkit.grid_table(table, _widths(width, 7, first=0.2), right, *extra))

    story.append(para("三、不符合次数最多的条目", "h2"))
    if summary.failed_items:
        table = [list(FAILED_HEADERS)]
        for rank, item in enumerate(summary.failed_items, 1):
            table.append([rank, para(item.checklist_title), item.code, para(item.text), item.count])
        widths = [12 * mm, 34 * mm, 18 * mm, width - 86 * mm, 22 * mm]
        story.append(pdfkit.grid_table(table, widths, ("ALIGN", (4, 1), (4, -1), "RIGHT")))
    else:
        story.append(para("本月定稿的评价没有不符合项。", "body"))

    story.append(para("四、逾期未整改", "h2"))
    if summary.overdue:
        table = [list(OVERDUE_HEADERS)]
        for open_item in summary.overdue[:MAX_OVERDUE_PRINTED]:
            table.append(
                [
                    open_item.station,
                    para(open_item.name),
                    para(f"{open_item.code} {open_item.text}"),
                    para(open_item.rectify),
                    open_item.due.isoformat() if open_item.due else "—",
                    open_item.days_overdue,
                ]
            )
        widths = [20 * mm, 46 * mm, 42 * mm, width - 146 * mm, 22 * mm, 16 * mm]
        story.append(pdfkit.grid_table(table, widths, ("ALIGN", (5, 1), (5, -1), "RIGHT")))
        more = len(summary.overdue) - MAX_OVERDUE_PRINTED
        if more > 0:
            story.append(para(f"另有 {more} 项逾期整改未列出，完整清单见 Excel 版通报。", "small"))
    else:
        story.append(para(f"截至 {summary.as_of.isoformat()} 没有逾期未整改的条目。", "body"))

    story.append(para("五、需关注的单位（防止失真失实失察）", "h2"))
    table = [list(HOLD_HEADERS)]
    for s, _ in rows:
        table.append(_hold_values(s))
    story.append(
        pdfkit.grid_table(table, _widths(width, len(HOLD_HEADERS), first=0.2), right, *extra)
    )
    if summary.as_of < today:
        story.append(para(_notes(summary, today)[2], "small"))

    story.append(para("六、时间节点", "h2"))
    table = [["节点", "期限", "距统计日"]]
    for deadline in summary.deadlines:
        table.append([deadline.name, deadline.due.isoformat(), days_text(deadline.days_left)])
    story.append(pdfkit.grid_table(table, [width - 60 * mm, 30 * mm, 30 * mm]))

    story.append(para("七、村级联络站台账", "h2"))
    if any(s.cases_year for s, _ in rows):
        table = [list(CASE_HEADERS), *(_case_values(s) for s, _ in rows)]
        story.append(pdfkit.grid_table(table, _widths(width, 5, first=0.2), right, *extra))
    else:
        story.append(
            para(f"{summary.year}年截至 {summary.as_of.isoformat()} 没有联络站台账记录。", "body")
        )
    pdfkit.build(path, title(summary), story)


def _widths(total: float, columns: int, *, first: float) -> list[float]:
    """The first column takes ``first`` of the width, the rest share what is left."""
    head = total * first
    return [head, *([(total - head) / (columns - 1)] * (columns - 1))]


# --- XLSX ---------------------------------------------------------------------------------------

_HEADER_FILL = PatternFill("solid", fgColor="EEEEEE")
_BOLD = Font(bold=True)


def _sheet(
    book: Workbook, name: str, headers: tuple[str, ...], rows: list[list[Any]], widths: list[int]
) -> Worksheet:
    sheet = book.create_sheet(name)
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    for row in rows:  # unit names and notes: printable, and never a live formula
        sheet.append([cells.xlsx_value(v) for v in row])
        cells.as_text(sheet[sheet.max_row])
    for i, w in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = w
    sheet.freeze_panes = "A2"
    return sheet


def _number(ratio: float | None) -> float | None:
    """完成率 in a workbook: the ratio itself, shown as a percentage by the column's format."""
    return ratio


def _percent_format(sheet: Worksheet, headers: tuple[str, ...], header: str) -> None:
    """Show the column headed ``header`` as percentages, below its header row."""
    column = headers.index(header) + 1
    for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
        cell.number_format = "0.0%"


def write_xlsx(summary: MonthSummary, path: Path, today: date) -> None:
    book = Workbook()
    info = book.active
    info.title = "说明"
    info.append([title(summary)])
    info["A1"].font = Font(bold=True, size=14)
    info.append([scope(summary)])
    for note in _notes(summary, today):
        info.append([note])
    info.append([])
    info.append(["时间节点", "期限", "距统计日（天）"])
    for cell in info[info.max_row]:
        cell.font = _BOLD
    for deadline in summary.deadlines:
        info.append([deadline.name, deadline.due, deadline.days_left])
    info.column_dimensions["A"].width = 40
    info.column_dimensions["B"].width = 14

    rows = _progress_rows(summary)
    progress_rows = [_progress_values(s, ratio=_number) for s, _ in rows]
    sheet = _sheet(
        book, "任务进度", PROGRESS_HEADERS, progress_rows, [16, 10, 10, 10, 10, 10, 12, 10]
    )
    _percent_format(sheet, PROGRESS_HEADERS, "完成率")
    count = len(summary.stations)
    if count:
        chart = BarChart()
        chart.type = "col"
        chart.title = "各所（分局）任务与完成（单位合计）"
        chart.y_axis.title = "家数"
        data = Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=count + 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=count + 1))
        chart.height, chart.width = 8, 18
        sheet.add_chart(chart, f"A{len(progress_rows) + 4}")

    type_rows = _type_values(summary, ratio=_number)
    sheet = _sheet(book, "按单位类型", TYPE_HEADERS, type_rows, [26, 10, 10, 10, 10, 10, 12])
    _percent_format(sheet, TYPE_HEADERS, "完成率")

    sheet = _sheet(
        book,
        "本月评价",
        EVALUATION_HEADERS,
        [_evaluation_values(s) for s, _ in rows],
        [16, 10, 8, 8, 8, 12, 10],
    )
    sheet.append([])
    sheet.append(list(KIND_HEADERS))
    for cell in sheet[sheet.max_row]:
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
    for values in _kind_values(summary):
        sheet.append(values)

    _sheet(
        book,
        "常见不符合项",
        FAILED_HEADERS,
        [
            [rank, item.checklist_title, item.code, item.text, item.count]
            for rank, item in enumerate(summary.failed_items, 1)
        ],
        [6, 18, 10, 50, 12],
    )
    _sheet(
        book,
        "逾期整改",
        (
            "所（分局）",
            "统一社会信用代码",
            "单位名称",
            "评价编号",
            "检查表",
            "条目代码",
            "条目内容",
            "整改要求",
            "整改期限",
            "逾期天数",
        ),
        [
            [
                i.station,
                i.credit_code,
                i.name,
                i.evaluation_id,
                i.checklist_id,
                i.code,
                i.text,
                i.rectify,
                i.due,
                i.days_overdue,
            ]
            for i in summary.overdue
        ],
        [12, 22, 36, 10, 14, 10, 36, 24, 12, 10],
    )
    _sheet(
        book,
        "需关注单位",
        HOLD_HEADERS,
        [_hold_values(s) for s, _ in rows],
        [16, 12, 12, 12, 12, 12],
    )
    _sheet(
        book,
        "联络站台账",
        CASE_HEADERS,
        [_case_values(s, money=lambda fen: Decimal(yuan(fen))) for s, _ in rows],
        [16, 10, 20, 10, 20],
    )
    book.save(path)
