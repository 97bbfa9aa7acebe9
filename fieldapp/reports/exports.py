"""Evaluations and units as Excel workbooks or CSV files an office can open and filter.

Layout, chosen for a spreadsheet user:

* **Evaluations, XLSX**: sheet 评价汇总 (one row per evaluation: unit, kind, status, date,
  inspector, verdict, number of 不符合) and sheet 检查条目 (one row per answer, in checklist order,
  repeating the evaluation's columns so the sheet can be filtered on its own).
* **Evaluations, CSV**: the 检查条目 rows only (a CSV holds one table).
* **Units, XLSX**: sheet 单位 (one row per unit with its current state and dates) and sheet
  历史记录 (one row per lifecycle step or 标识张贴).
* **Units, CSV**: ``FILE`` holds the units and ``FILE-events.csv`` beside it the history.

Headers are Chinese, dates ISO (``2026-11-23``; real date cells in XLSX). CSV is UTF-8 with a
BOM so Excel shows the Chinese. Rows stream from the database (``yield_per``) into openpyxl's
write-only mode or the csv module, so 50,000 units never sit in memory at once. Every file is
written to a temporary name and renamed only when complete.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.orm import Session

from fieldapp.domain.events import EventKind
from fieldapp.domain.lifecycle import ExitReason, State
from fieldapp.domain.verdict import Answer, Outcome
from fieldapp.domain.vocab import UnitType, industry_label, label_or
from fieldapp.errors import InvalidInput
from fieldapp.formats import EXPORT_FORMATS
from fieldapp.reports import cells
from fieldapp.reports.output import atomic_output
from fieldapp.services.checklists import ItemTexts
from fieldapp.services.evaluations import FINALIZED, STATUS_LABELS, Kind
from fieldapp.services.stations import find_station
from fieldapp.services.unit_changes import event_summary
from fieldapp.services.worklists import _day_start
from fieldapp.storage.models import (
    AnswerRow,
    Evaluation,
    EvaluationChecklist,
    Photo,
    Station,
    Unit,
    UnitEvent,
)
from fieldapp.store import Store

if TYPE_CHECKING:
    from openpyxl import Workbook

FORMATS = EXPORT_FORMATS
BATCH = 2000
EVENTS_SUFFIX = "-events"

ANSWER_HEADERS = (
    "评价编号",
    "评价UUID",
    "统一社会信用代码",
    "单位名称",
    "所属所",
    "评价类型",
    "状态",
    "检查日期",
    "检查人员",
    "结论",
    "检查表",
    "检查表版本",
    "条目代码",
    "条目内容",
    "检查结果",
    "备注",
    "整改要求",
    "整改期限",
)
SUMMARY_HEADERS = (
    "评价编号",
    "评价UUID",
    "统一社会信用代码",
    "单位名称",
    "所属所",
    "评价类型",
    "状态",
    "检查日期",
    "定稿时间",
    "检查人员",
    "结论",
    "结论说明",
    "检查表",
    "已答条目",
    "不符合项",
    "照片数",
    "修订自评价",
    "复查评价",
)
UNIT_HEADERS = (
    "统一社会信用代码",
    "单位名称",
    "门店名称",
    "所属所",
    "乡镇",
    "单位类型",
    "行业",
    "经营地址",
    "负责人",
    "联系电话",
    "状态",
    "状态日期",
    "入库日期",
    "标识张贴日期",
    "最近定稿评价日期",
    "单位UUID",
    "审慎培育",
)
EVENT_HEADERS = (
    "统一社会信用代码",
    "单位名称",
    "所属所",
    "日期",
    "事项",
    "原状态",
    "新状态",
    "变更内容",
    "移出原因",
    "县局确认",
    "经办人",
    "原因/备注",
    "来源",
    "标识照片",
    "记录时间",
)


@dataclass(frozen=True)
class ExportResult:
    """The files written and how many data rows each table got."""

    files: tuple[Path, ...]
    rows: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None
    station: str | None = None


def check_format(fmt: str) -> str:
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InvalidInput(f"不支持的导出格式「{fmt}」，请用 xlsx 或 csv")
    return fmt


def events_path(out: Path) -> Path:
    """Where the units' history goes beside a CSV export: ``单位.csv`` → ``单位-events.csv``."""
    return out.with_name(f"{out.stem}{EVENTS_SUFFIX}{out.suffix or '.csv'}")


# --- cells --------------------------------------------------------------------------------------


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None, microsecond=0)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _naive(value).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return cells.csv_value(value)  # names, notes: inert and printable (reports/cells.py)


class _Table:
    """One output table: a sheet of a write-only workbook or a CSV file."""

    def __init__(self, name: str, headers: Sequence[str], writer: Any, csv_mode: bool) -> None:
        self.name = name
        self.writer = writer
        self.csv_mode = csv_mode
        self.count = 0
        if csv_mode:
            writer.writerow(headers)
        else:
            writer.append(list(headers))

    def write(self, rows: Iterable[Sequence[Any]]) -> None:
        put = self.writer.writerow if self.csv_mode else self.writer.append
        for row in rows:
            put([self._cell(v) for v in row])
            self.count += 1

    def _cell(self, value: Any) -> Any:
        if self.csv_mode:
            return _csv_cell(value)
        if isinstance(value, datetime):
            return _naive(value)
        return cells.xlsx_value(value, self.writer)  # text never becomes a live formula


def _sheet(book: Workbook, name: str, headers: Sequence[str], widths: Sequence[int]) -> _Table:
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(name)
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    return _Table(name, headers, sheet, csv_mode=False)


_Layout = tuple[str, Sequence[str], Sequence[int]]  # sheet name, headers, column widths


def _write_csv(
    tmp: Path, name: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> dict[str, int]:
    """Write one table to the CSV file ``tmp``; returns {table name: rows written}."""
    with tmp.open("w", encoding="utf-8-sig", newline="") as handle:
        table = _Table(name, headers, csv.writer(handle), csv_mode=True)
        table.write(rows)
    return {table.name: table.count}


def _write_xlsx(
    tmp: Path,
    first: _Layout,
    first_rows: Iterable[Sequence[Any]],
    second: _Layout,
    second_rows: Iterable[Sequence[Any]],
) -> dict[str, int]:
    """Write two sheets, in order, to the write-only workbook ``tmp``; returns the row counts."""
    from openpyxl import Workbook  # only an XLSX needs it; a CSV export never loads openpyxl

    book = Workbook(write_only=True)
    counts: dict[str, int] = {}
    for (name, headers, widths), rows in ((first, first_rows), (second, second_rows)):
        table = _sheet(book, name, headers, widths)
        table.write(rows)
        counts[table.name] = table.count
    book.save(tmp)
    return counts


# --- queries ------------------------------------------------------------------------------------


def _check_filters(session: Session, filters: Filters) -> int | None:
    if filters.since and filters.until and filters.since > filters.until:
        raise InvalidInput(
            f"开始日期 {filters.since} 晚于结束日期 {filters.until}，请交换或改正 --since/--until"
        )
    return find_station(session, filters.station).id if filters.station else None


def _evaluation_filter(statement: Any, filters: Filters, station_id: int | None) -> Any:
    if station_id is not None:
        statement = statement.where(Unit.station_id == station_id)
    if filters.since:
        statement = statement.where(Evaluation.started_at >= _day_start(filters.since))
    if filters.until:
        statement = statement.where(
            Evaluation.started_at < _day_start(filters.until + timedelta(1))
        )
    return statement


def _summary_rows(
    session: Session, filters: Filters, station_id: int | None
) -> Iterator[list[Any]]:
    answered = (
        select(func.count())
        .where(AnswerRow.evaluation_id == Evaluation.id)
        .correlate(Evaluation)
        .scalar_subquery()
    )
    failed = (
        select(func.count())
        .where(AnswerRow.evaluation_id == Evaluation.id, AnswerRow.result == Answer.FAIL)
        .correlate(Evaluation)
        .scalar_subquery()
    )
    photos = (
        select(func.count())
        .where(Photo.evaluation_id == Evaluation.id)
        .correlate(Evaluation)
        .scalar_subquery()
    )
    pins = (
        select(
            func.group_concat(
                EvaluationChecklist.checklist_id
                + " 第 "
                + cast(EvaluationChecklist.version, String)
                + " 版",
                "、",
            )
        )
        .where(EvaluationChecklist.evaluation_id == Evaluation.id)
        .correlate(Evaluation)
        .scalar_subquery()
    )
    statement = (
        select(
            Evaluation.id,
            Evaluation.uuid,
            Unit.credit_code,
            Unit.name.label("unit_name"),
            Station.name.label("station"),
            Evaluation.kind,
            Evaluation.status,
            Evaluation.started_at,
            Evaluation.finalized_at,
            Evaluation.inspector,
            Evaluation.verdict,
            Evaluation.verdict_text,
            pins.label("checklists"),
            answered.label("answered"),
            failed.label("failed"),
            photos.label("photos"),
            Evaluation.replaces_id,
            Evaluation.follows_id,
        )
        .join(Unit, Unit.id == Evaluation.unit_id)
        .join(Station, Station.id == Unit.station_id)
        .order_by(Evaluation.id)
    )
    statement = _evaluation_filter(statement, filters, station_id)
    for row in session.execute(statement.execution_options(yield_per=BATCH)).mappings():
        yield [
            row["id"],
            row["uuid"],
            row["credit_code"],
            row["unit_name"],
            row["station"],
            label_or(Kind, row["kind"]),
            STATUS_LABELS.get(row["status"], row["status"]),
            row["started_at"].date(),
            row["finalized_at"],
            row["inspector"],
            label_or(Outcome, row["verdict"]),
            row["verdict_text"] or "",
            row["checklists"] or "",
            row["answered"],
            row["failed"],
            row["photos"],
            row["replaces_id"],
            row["follows_id"],
        ]


def _answer_rows(session: Session, filters: Filters, station_id: int | None) -> Iterator[list[Any]]:
    statement = (
        select(
            Evaluation.id,
            Evaluation.uuid,
            Unit.credit_code,
            Unit.name.label("unit_name"),
            Station.name.label("station"),
            Evaluation.kind,
            Evaluation.status,
            Evaluation.started_at,
            Evaluation.inspector,
            Evaluation.verdict,
            AnswerRow.checklist_id,
            EvaluationChecklist.version,
            EvaluationChecklist.position,
            AnswerRow.item_code,
            AnswerRow.result,
            AnswerRow.note,
            AnswerRow.rectify,
            AnswerRow.due,
        )
        .join(Unit, Unit.id == Evaluation.unit_id)
        .join(Station, Station.id == Unit.station_id)
        .join(AnswerRow, AnswerRow.evaluation_id == Evaluation.id)
        .join(
            EvaluationChecklist,
            and_(
                EvaluationChecklist.evaluation_id == Evaluation.id,
                EvaluationChecklist.checklist_id == AnswerRow.checklist_id,
            ),
        )
        .order_by(Evaluation.id, EvaluationChecklist.position, AnswerRow.id)
    )
    statement = _evaluation_filter(statement, filters, station_id)
    items = ItemTexts(session)
    rows = session.execute(statement.execution_options(yield_per=BATCH)).mappings()
    for _, group in itertools.groupby(rows, key=lambda r: r["id"]):
        ordered = sorted(
            ((r, items.entry(r["checklist_id"], r["version"], r["item_code"])) for r in group),
            key=lambda pair: (pair[0]["position"], pair[1][0]),
        )
        for r, (_, text) in ordered:
            yield [
                r["id"],
                r["uuid"],
                r["credit_code"],
                r["unit_name"],
                r["station"],
                label_or(Kind, r["kind"]),
                STATUS_LABELS.get(r["status"], r["status"]),
                r["started_at"].date(),
                r["inspector"],
                label_or(Outcome, r["verdict"]),
                r["checklist_id"],
                r["version"],
                r["item_code"],
                text,
                label_or(Answer, r["result"]),
                r["note"],
                r["rectify"] or "",
                r["due"],
            ]


def _unit_rows(session: Session, station_id: int | None) -> Iterator[list[Any]]:
    latest = (
        select(Evaluation.unit_id, func.max(Evaluation.started_at).label("visited"))
        .where(Evaluation.status == FINALIZED)
        .group_by(Evaluation.unit_id)
        .subquery()
    )
    statement = (
        select(
            Unit.credit_code,
            Unit.name,
            Unit.shop_name,
            Station.name.label("station"),
            Unit.town,
            Unit.unit_type,
            Unit.industry,
            Unit.address,
            Unit.contact_person,
            Unit.contact_phone,
            Unit.state,
            Unit.state_since,
            Unit.entered_on,
            Unit.sticker_posted_on,
            latest.c.visited,
            Unit.uuid,
            Unit.prudent,
        )
        .join(Station, Station.id == Unit.station_id)
        .outerjoin(latest, latest.c.unit_id == Unit.id)
        .order_by(Station.id, Unit.id)
    )
    if station_id is not None:
        statement = statement.where(Unit.station_id == station_id)
    # Every unit: unpacked in the order of the names given to columns(), as cheap as by position
    # (row["name"] per cell costs about 60 ms more for 50,000 units, row.name twice that)
    rows = session.execute(statement.execution_options(yield_per=BATCH)).columns(
        "credit_code",
        "name",
        "shop_name",
        "station",
        "town",
        "unit_type",
        "industry",
        "address",
        "contact_person",
        "contact_phone",
        "state",
        "state_since",
        "entered_on",
        "sticker_posted_on",
        "visited",
        "uuid",
        "prudent",
    )
    for (
        code,
        name,
        shop_name,
        station,
        town,
        unit_type,
        industry,
        address,
        person,
        phone,
        state,
        state_since,
        entered_on,
        posted_on,
        visited,
        unit_uuid,
        prudent,
    ) in rows:
        yield [
            code,
            name,
            shop_name,
            station,
            town,
            label_or(UnitType, unit_type),
            industry_label(industry) or "",
            address,
            person,
            phone,
            label_or(State, state),
            state_since,
            entered_on,
            posted_on,
            _to_date(visited),
            unit_uuid,
            "是" if prudent else "否",
        ]


def _to_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and value:  # func.max over a DateTime column comes back as text
        return datetime.fromisoformat(value).date()
    return value if isinstance(value, date) else None


def _event_rows(session: Session, filters: Filters, station_id: int | None) -> Iterator[list[Any]]:
    statement = (
        select(Unit.credit_code, Unit.name, Station.name.label("station"), UnitEvent)
        .join(Unit, Unit.id == UnitEvent.unit_id)
        .join(Station, Station.id == Unit.station_id)
        .order_by(Station.id, Unit.id, UnitEvent.id)
    )
    if station_id is not None:
        statement = statement.where(Unit.station_id == station_id)
    if filters.since:
        statement = statement.where(UnitEvent.occurred_on >= filters.since)
    if filters.until:
        statement = statement.where(UnitEvent.occurred_on <= filters.until)
    rows = session.execute(statement.execution_options(yield_per=BATCH))
    for code, name, station, event in rows.columns("credit_code", "name", "station", "UnitEvent"):
        kind = EventKind(event.kind)
        sticker = kind is EventKind.STICKER
        state = kind is EventKind.STATE
        yield [
            code,
            name,
            station,
            event.occurred_on,
            kind.label,
            (label_or(State, event.from_state) or "（新建）") if state else "",
            label_or(State, event.to_state) if state else "",
            event_summary(event),
            ExitReason(event.exit_reason).label if event.exit_reason else "",
            "是" if event.county_confirmed else "",
            event.actor,
            event.reason,
            event.source,
            ("有" if event.photo_sha256 else "无") if sticker else "",
            event.recorded_at,
        ]


# --- the two exports ----------------------------------------------------------------------------

_ANSWER_WIDTHS = (8, 38, 22, 36, 12, 12, 8, 12, 10, 8, 14, 8, 8, 40, 8, 24, 24, 12)
_SUMMARY_WIDTHS = (8, 38, 22, 36, 12, 12, 8, 12, 20, 10, 8, 40, 36, 8, 8, 8, 10, 10)
_UNIT_WIDTHS = (22, 36, 20, 12, 12, 22, 16, 40, 10, 14, 14, 12, 12, 14, 16, 38, 8)
_EVENT_WIDTHS = (22, 36, 12, 12, 12, 14, 14, 36, 16, 8, 12, 30, 24, 8, 20)


def export_evaluations(
    store: Store,
    out: Path,
    fmt: str,
    *,
    since: date | None = None,
    until: date | None = None,
    station: str | None = None,
) -> ExportResult:
    """Evaluations visited from ``since`` to ``until`` (inclusive), drafts included."""
    fmt = check_format(fmt)
    out = Path(out)
    filters = Filters(since, until, station)
    with store.read() as session:
        station_id = _check_filters(session, filters)
        with atomic_output(out) as tmp:
            answers = _answer_rows(session, filters, station_id)
            if fmt == "csv":
                rows = _write_csv(tmp, "检查条目", ANSWER_HEADERS, answers)
            else:
                rows = _write_xlsx(
                    tmp,
                    ("评价汇总", SUMMARY_HEADERS, _SUMMARY_WIDTHS),
                    _summary_rows(session, filters, station_id),
                    ("检查条目", ANSWER_HEADERS, _ANSWER_WIDTHS),
                    answers,
                )
    return ExportResult((out,), rows)


def export_units(
    store: Store,
    out: Path,
    fmt: str,
    *,
    since: date | None = None,
    until: date | None = None,
    station: str | None = None,
) -> ExportResult:
    """Every unit (of ``station``) with its lifecycle; ``since``/``until`` narrow the history."""
    fmt = check_format(fmt)
    out = Path(out)
    filters = Filters(since, until, station)
    with store.read() as session:
        station_id = _check_filters(session, filters)
        units = _unit_rows(session, station_id)
        events = _event_rows(session, filters, station_id)
        if fmt == "csv":
            history = events_path(out)
            with ExitStack() as stack:
                tmp_units = stack.enter_context(atomic_output(out))
                tmp_events = stack.enter_context(atomic_output(history))
                rows = _write_csv(tmp_units, "单位", UNIT_HEADERS, units)
                rows |= _write_csv(tmp_events, "历史记录", EVENT_HEADERS, events)
            return ExportResult((out, history), rows)
        with atomic_output(out) as tmp:
            rows = _write_xlsx(
                tmp,
                ("单位", UNIT_HEADERS, _UNIT_WIDTHS),
                units,
                ("历史记录", EVENT_HEADERS, _EVENT_WIDTHS),
                events,
            )
    return ExportResult((out,), rows)
