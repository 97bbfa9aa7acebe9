"""Import task tables as counties write them, all figures or none (docs/figures/任务表.md).

Four layouts, told apart by their headers:

- **station table** (seed 002's annex, seed 000 annex 1): a row per 所/分局 or 区县, a column
  per thing counted, with a title above, one or two header rows (a group header such as 其中 over
  its columns, merged cells left blank), the 合计 and 市局任务 rows and a 说明 line below.
  A 总数/合计 column and the 合计 row are checked against their parts, never stored. Columns under
  其中 are parts of the 总数 before them (seed 002: 1122 = 679 + 330 + 113) or, when that column
  is a stored figure, subsets of it (seed 000: 无理由 5700 of 放心消费单位 17000), stored with
  their parent and never added to a total. Seed 002's 放心消费示范街区（商圈）村 column holds
  "1 区", "1 村", "1 区 1 村" and is split into 街区 and 乡村.
- **industry table** (seed 000 annex 2): a row per 创建类型 with its 行业领域 and 责任单位, a column
  per 区县. Blank 行业领域/创建类型 cells continue the row above (merged cells), and so does a blank
  责任单位 within the same 行业领域. A row with words instead of numbers ("按省下达的任务指标
  另行分解") is stored as one county-level figure without a count (待分解), never as 0.
- **long list**: 年度, 所, 类别 (or 单位类型), 任务数, and optionally 创建类型, 行业领域,
  责任单位, 属于 (the figure a 其中 row belongs to), 首年比例, 备注. 年度 may be a span such as
  2017-2020 (a multi-year plan, with 首年比例 such as 1/3 due in the first year).
- **ratio list**: 年度, 所, 指标, 比例, 分母 (:class:`~fieldapp.domain.targets.RatioKind`).

A row whose 所 is 县局/全县/全市 is a county-level figure; so are the figures given with
``county`` (the command line's ``--county 村级联络站=19``: seed 002 states its 19 村级联络站 in the
text, not in the table). A column the importer cannot place refuses the whole file, naming it;
``ignore_columns`` is the only way past it. The totals reported are read back from the database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from fractions import Fraction
from functools import partial
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain import text as text_policy
from fieldapp.domain.targets import (
    COUNTY,
    RatioKind,
    TargetKind,
    What,
    header_key,
    is_combined_areas,
    parse_area_cell,
    parse_ratio_kind,
    parse_share,
    parse_threshold,
    parse_what,
)
from fieldapp.domain.vocab import UnitType
from fieldapp.errors import InvalidInput, Problem
from fieldapp.imports import cells
from fieldapp.imports.tabular import _raw_rows, column_letter
from fieldapp.services import plan
from fieldapp.services.stations import station_ids
from fieldapp.storage.models import RatioTarget, Station, Target, TaskPlan, local_now


class Role(StrEnum):
    LABEL = "label"  # the 所/区县 of a row (station table) or its 序号 (industry table)
    YEAR = "year"
    SEQ = "seq"
    SECTOR = "sector"  # 行业领域
    TYPE = "type"  # 创建类型
    DEPT = "dept"  # 责任单位
    NOTE = "note"
    TOTAL = "total"  # a derived total: checked, never stored
    SLOT = "slot"  # a figure of one kind (what)
    AREAS = "areas"  # 街区 and 乡村 in one column ("1 区 1 村")
    ORG = "org"  # industry table: a 区县/所 column
    WHAT = "what"  # long list: 类别 / 单位类型
    COUNT = "count"  # long list: 任务数
    PARENT = "parent"  # long list: 属于
    SHARE = "share"  # long list: 首年比例
    INDICATOR = "indicator"  # ratio list: 指标
    THRESHOLD = "threshold"
    DENOMINATOR = "denominator"


_ROLE_ALIASES: dict[Role, tuple[str, ...]] = {
    Role.LABEL: ("所", "所属所", "所(分局)", "所分局", "各所(分局)", "station", "区域",
                 "目标区域", "地区", "区县", "县(市、区)", "区、县(市)", "机构"),
    Role.YEAR: ("年度", "年份", "year"),
    Role.SEQ: ("序号", "编号", "no"),
    Role.SECTOR: ("行业领域", "领域"),
    Role.TYPE: ("创建类型", "示范类型", "示范单位类型"),
    Role.DEPT: ("责任单位", "牵头单位", "责任部门"),
    Role.NOTE: ("备注", "说明"),
    Role.TOTAL: ("合计", "总数", "总计", "小计", "放心消费单位总数", "单位总数", "total"),
    Role.WHAT: ("单位类型", "类型", "类别", "任务类别", "unit_type", "kind"),
    Role.COUNT: ("任务数", "目标数", "数量", "count", "target"),
    Role.PARENT: ("属于", "其中属于", "所属类别", "上级类别"),
    Role.SHARE: ("首年比例", "首年完成比例", "第一年比例", "首年完成"),
    Role.INDICATOR: ("指标", "比例指标", "比例目标"),
    Role.THRESHOLD: ("比例", "目标比例", "目标值"),
    Role.DENOMINATOR: ("分母", "基数", "分母数"),
}  # fmt: skip
_ROLE_LOOKUP = {
    header_key(alias): role for role, aliases in _ROLE_ALIASES.items() for alias in aliases
}

TOTAL_ROWS = {header_key(n) for n in ("合计", "总计", "小计", "total", "全县合计", "全市合计")}
SUPERIOR_ROWS = {header_key(n) for n in ("市局任务", "上级任务", "省局任务", "市局下达任务")}
COUNTY_NAMES = {header_key(n) for n in ("县局", "全县", "县级", "全市", "全区", "本级", "县本级")}
FOOTNOTE = re.compile(r"^\s*(说明|注|备注|附注)\s*[:：]?")
BLANK_CELLS = {"", "-", "—", "–", "/", "／", "无"}
PENDING_WORDS = ("分解", "待定", "另行", "纳入", "不单列")
ORG_SUFFIXES = ("所", "分局", "区", "县", "市", "镇", "乡", "街道")


@dataclass
class TargetImportResult:
    layout: str = ""
    written: int = 0
    new_stations: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # per year, read back after writing
    years: list[int] = field(default_factory=list)
    target_ids: list[int] = field(default_factory=list)
    ratio_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Span:
    """A multi-year plan's years and the share due in the first."""

    start: int
    end: int
    share: Fraction | None = None


@dataclass
class Figure:
    """One figure to store: a Target row before it is written."""

    row: int | str
    year: int
    station: str | None  # None: county level
    what: What
    count: int | None
    industry: str = ""
    sector: str = ""
    dept: str = ""
    note: str = ""
    parent: Figure | None = None
    span: Span | None = None

    def key(self) -> tuple[object, ...]:
        parent = self.parent.key() if self.parent else None
        return (
            self.year,
            self.station,
            self.what,
            self.industry,
            self.dept,
            parent,
            self.span and (self.span.start, self.span.end),
        )

    def describe(self) -> str:
        who = self.station or COUNTY
        what = f"{self.industry}（{self.dept}）" if self.industry and self.dept else self.industry
        return f"{self.year} 年 {who} {what or self.what.label}"


@dataclass(frozen=True)
class RatioFigure:
    row: int | str
    year: int
    station: str | None
    kind: RatioKind
    threshold: float | None
    denominator: int | None


@dataclass(frozen=True)
class Column:
    index: int
    header: str  # as written; a group header joined with " / "
    role: Role
    what: What | None = None
    anchor: int | None = None  # the column a 其中 column belongs to
    org: str = ""

    @property
    def name(self) -> str:
        return self.header or f"{column_letter(self.index + 1)} 列（无表头）"


@dataclass
class Sheet:
    where: str
    titles: list[str]
    header_row: int  # the last header row (messages about columns name it)
    columns: list[Column]
    rows: list[tuple[int, list[str]]]
    ignored: list[str]
    problems: list[Problem]

    def role(self, role: Role) -> Column | None:
        return next((c for c in self.columns if c.role is role), None)

    def has(self, *roles: Role) -> bool:
        return any(c.role in roles for c in self.columns)

    def cell(self, cells_: list[str], column: Column | None) -> str:
        if column is None or column.index >= len(cells_):
            return ""
        return cells_[column.index]


# --- the entry points ---------------------------------------------------------------------------


def import_targets(
    session: Session,
    path: Path,
    *,
    year: int | None = None,
    source: str = "",
    county: Sequence[tuple[str, int]] = (),
    ignore_columns: Sequence[str] = (),
) -> TargetImportResult:
    """Import the task table ``path``; ``county`` adds county-level figures (类别, count)."""
    sheet = _read(path, ignore_columns, ratio_only=False)
    problems = sheet.problems
    figures: list[Figure] = []
    ratios: list[RatioFigure] = []
    warnings: list[str] = []
    layout = _layout(sheet)
    default_year = _default_year(sheet, year, problems)
    if not problems:
        if layout == "ratio":
            ratios = _ratio_rows(sheet, default_year, problems, require_threshold=True)
        elif layout == "long":
            figures = _long_rows(session, sheet, default_year, problems)
        elif layout == "industry":
            figures = _industry_rows(sheet, default_year, problems)
        else:
            figures = _station_rows(sheet, default_year, problems, warnings)
    figures.extend(_county_figures(county, default_year, path.name, problems))
    problems.extend(_text_problems(sheet.where, figures, ratios))
    if problems:
        raise InvalidInput(
            f"{path}：有 {len(problems)} 处错误，任务表未导入（一项都没有写入）。改正后重新导入",
            problems,
        )
    if not figures and not ratios:
        raise InvalidInput(f"{path}：没有任务数据行")
    _check_duplicates(sheet.where, figures, ratios)
    result = TargetImportResult(
        layout=LAYOUT_LABELS[layout], ignored_columns=sheet.ignored, warnings=warnings
    )
    _write(session, figures, ratios, source or path.name, result)
    return result


def _text_problems(
    where: str, figures: Sequence[Figure], ratios: Sequence[RatioFigure]
) -> list[Problem]:
    """The text policy (domain/text.py) over every figure's free text: no control character,
    nothing longer than its column, so what is imported can always be published and synced."""
    found: list[Problem] = []
    for figure in figures:
        for label, value, kind in (
            ("所（分局）", figure.station or "", text_policy.NAME),
            ("行业", figure.industry, text_policy.CATEGORY),
            ("行业领域", figure.sector, text_policy.CATEGORY),
            ("责任单位", figure.dept, text_policy.TITLE),
            ("备注", figure.note, text_policy.NOTE),
        ):
            message = text_policy.problem(value, kind, label)
            if message is not None:
                found.append(Problem(where, message, row=_row(figure.row), column=label))
    for ratio in ratios:
        message = text_policy.problem(ratio.station or "", text_policy.NAME, "所（分局）")
        if message is not None:
            found.append(Problem(where, message, row=_row(ratio.row), column="所（分局）"))
    return found


def import_denominators(
    session: Session,
    path: Path,
    *,
    year: int | None = None,
    source: str = "",
    ignore_columns: Sequence[str] = (),
) -> TargetImportResult:
    """Enter the denominators of ratio targets (年度, 所, 指标, 分母), all or none.

    A station row may be entered where only the county's threshold exists (the station then
    uses the county's threshold); a figure with no ratio target at all is refused."""
    sheet = _read(path, ignore_columns, ratio_only=True)
    problems = sheet.problems
    default_year = _default_year(sheet, year, problems)
    ratios: list[RatioFigure] = []
    if not problems:
        _require(sheet, {"分母": sheet.role(Role.DENOMINATOR) is not None})
        ratios = _ratio_rows(sheet, default_year, problems, require_threshold=False)
    for ratio in ratios:
        if ratio.denominator is None:
            problems.append(Problem(sheet.where, "分母为空", row=_row(ratio.row), column="分母"))
        elif not _ratio_exists(session, ratio):
            problems.append(
                Problem(
                    sheet.where,
                    f"{ratio.year} 年没有「{ratio.kind.label}」的比例目标。"
                    "请先用 fieldapp targets import 导入比例目标（年度、所、指标、比例），再录入分母",
                    row=_row(ratio.row),
                )
            )
    if problems:
        raise InvalidInput(
            f"{path}：有 {len(problems)} 处错误，分母未录入。改正后重新导入", problems
        )
    if not ratios:
        raise InvalidInput(f"{path}：没有分母数据行")
    _check_duplicates(sheet.where, [], ratios)
    result = TargetImportResult(layout="分母", ignored_columns=sheet.ignored)
    _write(session, [], ratios, source or path.name, result)
    return result


LAYOUT_LABELS = {
    "station": "各所任务表",
    "industry": "重点行业示范单位任务表",
    "long": "任务清单",
    "ratio": "比例目标",
}


def _row(row: int | str) -> int | None:
    return row if isinstance(row, int) else None


def _require(sheet: Sheet, present: dict[str, bool]) -> None:
    """Refuse a file whose header lacks a required column, naming the ones it has."""
    missing = [name for name, here in present.items() if not here]
    if missing:
        found = "、".join(c.header for c in sheet.columns if c.header) or "（无）"
        raise InvalidInput(
            f"{sheet.where}：第 {sheet.header_row} 行表头缺少必需的列：{'、'.join(missing)}。"
            f"找到的列：{found}"
        )


def _layout(sheet: Sheet) -> str:
    if sheet.has(Role.INDICATOR):
        return "ratio"
    if sheet.has(Role.COUNT):
        return "long"
    if sheet.has(Role.ORG) or (sheet.has(Role.TYPE) and not sheet.has(Role.SLOT, Role.AREAS)):
        return "industry"
    return "station"


# --- reading the sheet --------------------------------------------------------------------------


def _read(path: Path, ignore_columns: Sequence[str], *, ratio_only: bool) -> Sheet:
    where = path.name
    raw = [(n, cs) for n, cs in _raw_rows(path) if any(c.strip() for c in cs)]
    titles: list[str] = []
    while raw and sum(1 for c in raw[0][1] if c.strip()) == 1:
        titles.append(next(c for c in raw[0][1] if c.strip()))
        raw.pop(0)
    if not raw:
        raise InvalidInput(f"{path}：文件是空的，找不到表头（如 所、一般单位、放心工厂）")
    headers = [raw.pop(0)]
    while (
        raw
        and len(headers) < 3
        and not raw[0][1][0].strip()
        and not any(re.search(r"\d", c) for c in raw[0][1])
    ):
        headers.append(raw.pop(0))
    width = max(len(cs) for _, cs in [*headers, *raw])
    grid = [[(cs[i].strip() if i < len(cs) else "") for i in range(width)] for _, cs in headers]
    _fill_groups(grid)
    sheet = Sheet(where, titles, headers[-1][0], [], raw, [], [])
    ignore = {header_key(n): n for n in ignore_columns}
    used: set[str] = set()
    unknown: list[tuple[int, list[str]]] = []
    for index in range(width):
        path_ = [grid[r][index] for r in range(len(grid)) if grid[r][index]]
        header = " / ".join(path_)
        hit = _ignored(header, path_, index, ignore)
        if hit is not None:
            used.add(hit)
            sheet.ignored.append(header or column_letter(index + 1))
            continue
        column = _place(index, path_, sheet, ratio_only=ratio_only)
        if column is not None:
            sheet.columns.append(column)
        elif path_:
            unknown.append((index, path_))
    # In an industry table (a 创建类型 column) the other columns are its 区县/所.
    industry = sheet.has(Role.TYPE) and not sheet.has(Role.SLOT, Role.AREAS, Role.COUNT)
    for index, path_ in unknown:
        leaf = " ".join(path_[-1].split())
        if industry and _looks_like_org(leaf):
            sheet.columns.append(Column(index, " / ".join(path_), Role.ORG, org=leaf))
        else:
            sheet.problems.append(
                Problem(
                    where,
                    "无法识别这一列，任务表未导入。请把表头改成可识别的名称（如 一般单位、无理由退货"
                    "单位、放心工厂、放心消费街区(商圈)、放心农贸市场、合计、责任单位），"
                    f"或用 --ignore-column {leaf} 跳过这一列",
                    row=sheet.header_row,
                    column=" / ".join(path_),
                )
            )
    sheet.columns.sort(key=lambda c: c.index)
    seen: dict[object, Column] = {}
    for column in sheet.columns:
        same = (column.role, column.what, column.anchor == -1, column.org)
        if column.role is not Role.LABEL and same in seen:
            sheet.problems.append(
                Problem(
                    where,
                    f"「{seen[same].name}」和「{column.name}」是同一列，请删去一个",
                    row=sheet.header_row,
                    column=column.name,
                )
            )
        seen.setdefault(same, column)
    for key, name in ignore.items():
        if key not in used:
            sheet.problems.append(
                Problem(
                    where,
                    f"--ignore-column「{name}」：文件中没有这一列。"
                    f"表头有：{'、'.join(c.name for c in sheet.columns) or '（无）'}",
                )
            )
    _resolve_anchors(sheet)
    return sheet


def _fill_groups(grid: list[list[str]]) -> None:
    """A group header (其中, 培育放心消费单位) is written once over its columns: a blank cell with
    a sub-header below it belongs to the nearest group to its left."""
    for r in range(len(grid) - 1):
        for index in range(1, len(grid[r])):
            if not grid[r][index] and grid[r + 1][index]:
                left = next((grid[r][i] for i in range(index - 1, -1, -1) if grid[r][i]), "")
                left_has_children = any(
                    grid[r + 1][i]
                    for i in range(index - 1, -1, -1)
                    if grid[r][i] == left or not grid[r][i]
                )
                if left and left_has_children:
                    grid[r][index] = left


def _ignored(header: str, path_: list[str], index: int, ignore: dict[str, str]) -> str | None:
    keys = {header_key(header), *(header_key(p) for p in path_)}
    if not header:
        keys.add(header_key(column_letter(index + 1)))
    return next((k for k in keys if k and k in ignore), None)


_SUBSET_PREFIX = re.compile(r"^其中[:：]?")


def _place(index: int, path_: list[str], sheet: Sheet, *, ratio_only: bool) -> Column | None:
    header = " / ".join(path_)
    if not path_:
        if index == 0:
            return Column(index, "", Role.LABEL)
        rows = [n for n, cs in sheet.rows if index < len(cs) and cs[index].strip()]
        if rows:
            sheet.problems.append(
                Problem(
                    sheet.where,
                    f"这一列没有表头，但第 {'、'.join(map(str, rows[:5]))} 行有内容。"
                    f"请补上表头，或用 --ignore-column {column_letter(index + 1)} 跳过这一列",
                    row=sheet.header_row,
                    column=f"{column_letter(index + 1)} 列（无表头）",
                )
            )
        return None
    leaf = path_[-1]
    group = path_[-2] if len(path_) > 1 else ""
    subset = bool(_SUBSET_PREFIX.match(cells.half_width(leaf))) or header_key(group) == "其中"
    leaf_text = _SUBSET_PREFIX.sub("", cells.half_width(leaf))
    role = _ROLE_LOOKUP.get(header_key(leaf_text)) or _ROLE_LOOKUP.get(header_key("".join(path_)))
    if role is not None and not (subset and role is Role.TOTAL):
        return Column(index, header, role)
    what = parse_what(leaf_text) or parse_what("".join(path_))
    if what is not None and not ratio_only:
        return Column(index, header, Role.SLOT, what=what, anchor=-1 if subset else None)
    if is_combined_areas(leaf_text) and not ratio_only:
        return Column(index, header, Role.AREAS)
    return None


def _looks_like_org(text: str) -> bool:
    name = "".join(text.split())
    return 2 <= len(name) <= 12 and name.endswith(ORG_SUFFIXES) and not name.endswith("市场")


def _resolve_anchors(sheet: Sheet) -> None:
    """A 其中 column belongs to the nearest column on its left that is not one (its group's
    total, or the stored figure it is a subset of)."""
    columns = sheet.columns
    for position, column in enumerate(columns):
        if column.anchor != -1:
            continue
        anchor = next(
            (
                c
                for c in reversed(columns[:position])
                if c.anchor is None and c.role in (Role.TOTAL, Role.SLOT)
            ),
            None,
        )
        if anchor is None:
            sheet.problems.append(
                Problem(
                    sheet.where,
                    "「其中」列前面没有它所属的总数列（如 放心消费单位总数）",
                    row=sheet.header_row,
                    column=column.header,
                )
            )
            anchor_index = None
        else:
            anchor_index = anchor.index
        columns[position] = replace(column, anchor=anchor_index)


# --- years --------------------------------------------------------------------------------------


def _check_year(value: int) -> int:
    if not 2000 <= value <= date.today().year + 5:
        raise ValueError(f"年度 {value} 不合理")
    return value


def _default_year(sheet: Sheet, year: int | None, problems: list[Problem]) -> int | None:
    """The year the command gives, else the one the title names (缙云局 2023 年各所…)."""
    found = {int(y) for t in sheet.titles for y in re.findall(r"(20\d\d)\s*年", t)}
    if year is not None:
        try:
            _check_year(year)
        except ValueError as exc:
            problems.append(Problem("--year", str(exc)))
        if found and year not in found:
            problems.append(
                Problem(
                    sheet.where,
                    f"标题写的是 {'、'.join(map(str, sorted(found)))} 年，命令指定的是 --year {year}。"
                    "请核对是哪一年的任务表",
                )
            )
        return year
    return found.pop() if len(found) == 1 else None


def _year_cell(text: str, fallback: int | None) -> tuple[int, Span | None]:
    value = cells.half_width(text).removesuffix("年")
    if not value:
        if fallback is None:
            raise ValueError("年度为空。请填写年度列，或在命令中用 --year 指定")
        return fallback, None
    span = re.fullmatch(r"(\d{4})\s*(?:-|—|–|~|至|到)\s*(\d{4})", value)
    if span:
        start, end = _check_year(int(span.group(1))), _check_year(int(span.group(2)))
        if end <= start:
            raise ValueError(f"年度「{text}」：结束年应晚于开始年")
        return end, Span(start, end)
    return _check_year(cells.parse_int(value, "年度")), None


def _row_year(
    sheet: Sheet,
    row: list[str],
    number: int,
    fallback: int | None,
    errors: list[Problem],
    *,
    single: str = "",
) -> tuple[int, Span | None]:
    """A data row's 年度 (0 and a problem in ``errors`` when it is wrong); ``single`` is the
    message refusing a span such as 2017-2020 where only one year may stand."""
    column = sheet.role(Role.YEAR)
    try:
        y, span = _year_cell(sheet.cell(row, column), fallback)
        if span is not None and single:
            raise ValueError(single)
    except ValueError as exc:
        errors.append(Problem(sheet.where, str(exc), row=number, column=_col(column, "年度")))
        return 0, None
    return y, span


# --- station tables -----------------------------------------------------------------------------


def _count_cell(text: str) -> int | None:
    """A count: an integer, or None for a blank (also -, /, 无)."""
    value = cells.half_width(text)
    if value in BLANK_CELLS:
        return None
    count = cells.parse_int(value, "任务数")
    if count < 0:
        raise ValueError("任务数不能为负数")
    return count


def _station_name(text: str) -> str | None:
    """None for the county (县局, 全县 …), else the station as written."""
    name = " ".join(text.split())
    return None if header_key(name) in COUNTY_NAMES else name


def _station_rows(
    sheet: Sheet, year: int | None, problems: list[Problem], warnings: list[str]
) -> list[Figure]:
    where = sheet.where
    label = sheet.role(Role.LABEL) or sheet.columns[0]
    slots = [c for c in sheet.columns if c.role in (Role.SLOT, Role.AREAS, Role.TOTAL)]
    if not any(c.role in (Role.SLOT, Role.AREAS) for c in slots):
        raise InvalidInput(
            f"{where}：没有找到任务数的列。请用“年度、所、单位类型、任务数”四列，"
            "或每种单位类型一列（一般单位、无理由退货单位、放心工厂、街区、乡村）"
        )
    _require(sheet, {"所": label.role is Role.LABEL})
    totals = {c.index: _parts_of(c, sheet.columns) for c in slots if c.role is Role.TOTAL}
    sums: dict[tuple[int, str], int] = {}
    figures: list[Figure] = []
    for number, row in sheet.rows:
        name = sheet.cell(row, label)
        key = header_key(name)
        others = [c for i, c in enumerate(row) if i != label.index and c.strip()]
        if FOOTNOTE.match(name) and not others:
            continue
        if key in TOTAL_ROWS or key in SUPERIOR_ROWS:
            exact = key in TOTAL_ROWS
            _check_sum_row(sheet, number, row, slots, totals, sums, problems, warnings, exact)
            continue
        values, errors = _slot_values(sheet, number, row, slots)
        y, _ = _row_year(
            sheet,
            row,
            number,
            year,
            errors,
            single="各所任务表的年度应为一个年份，多年计划请用任务清单（年度写成 2017-2020）",
        )
        if not name.strip():
            errors.append(Problem(where, "所不能为空", row=number, column=label.name))
        errors.extend(_sum_errors(where, number, values, slots, totals))
        for slot, n in values.items():  # the 合计 row is checked against what the cells say
            sums[slot] = sums.get(slot, 0) + n
        if errors:
            problems.extend(errors)
            continue
        figures.extend(_row_figures(number, y, _station_name(name), values, slots))
    return figures


def _sum_errors(
    where: str,
    number: int,
    values: dict[tuple[int, str], int],
    slots: list[Column],
    totals: dict[int, list[int]],
) -> list[Problem]:
    """A row's 总数 must add up; a 其中 must not exceed the figure it belongs to."""
    errors = []
    for index, parts in totals.items():
        stated = values.get((index, "n"))
        summed = sum(values.get((p, "n"), 0) for p in parts)
        if stated is not None and stated != summed:
            column = next(c for c in slots if c.index == index)
            errors.append(
                Problem(
                    where,
                    f"总数 {stated} 与各类之和 {summed} 不符",
                    row=number,
                    column=column.header,
                )
            )
    for column in slots:
        anchor = next((c for c in slots if c.index == column.anchor), None)
        if column.role is not Role.SLOT or anchor is None or anchor.role is not Role.SLOT:
            continue
        part, whole = values.get((column.index, "n")), values.get((anchor.index, "n"))
        if part is not None and whole is None:
            errors.append(
                Problem(
                    where,
                    f"有其中数 {part}，但它所属的「{anchor.header}」是空的",
                    row=number,
                    column=column.header,
                )
            )
        elif part is not None and whole is not None and part > whole:
            errors.append(
                Problem(
                    where,
                    f"其中 {part} 大于它所属的「{anchor.header}」{whole}",
                    row=number,
                    column=column.header,
                )
            )
    return errors


def _row_figures(
    number: int,
    year: int,
    station: str | None,
    values: dict[tuple[int, str], int],
    slots: list[Column],
) -> list[Figure]:
    figures: list[Figure] = []
    made: dict[int, Figure] = {}
    for column in slots:
        if column.role is Role.AREAS:
            for part, unit_type in (("d", UnitType.DISTRICT), ("v", UnitType.VILLAGE)):
                if values.get((column.index, part)):
                    what = What(TargetKind.UNIT_TYPE, unit_type)
                    figures.append(
                        Figure(number, year, station, what, values[(column.index, part)])
                    )
            continue
        if column.role is not Role.SLOT or column.what is None:
            continue
        count = values.get((column.index, "n"))
        if count is None:
            if column.what.unit_type is None or column.what.unit_type.group != "units":
                continue
            count = 0  # a blank 一般/无理由/工厂 cell is a task of none, shown as 0
        parent = made.get(column.anchor) if column.anchor is not None else None
        figure = Figure(number, year, station, column.what, count, parent=parent)
        made[column.index] = figure
        figures.append(figure)
    return figures


def _parts_of(total: Column, columns: list[Column]) -> list[int]:
    """What a 总数 column adds up: its 其中 columns, else the 一般/无理由/工厂 columns, else every
    figure column that is not a subset."""
    grouped = [c.index for c in columns if c.anchor == total.index]
    if grouped:
        return grouped
    units = [
        c.index
        for c in columns
        if c.role is Role.SLOT
        and c.anchor is None
        and c.what is not None
        and c.what.unit_type is not None
        and c.what.unit_type.group == "units"
    ]
    return units or [c.index for c in columns if c.role is Role.SLOT and c.anchor is None]


def _slot_values(
    sheet: Sheet, number: int, row: list[str], slots: list[Column]
) -> tuple[dict[tuple[int, str], int], list[Problem]]:
    """Counts of one row by (column, part): part "n" for a count, "d"/"v" for 街区/乡村."""
    values: dict[tuple[int, str], int] = {}
    errors: list[Problem] = []
    for column in slots:
        text = sheet.cell(row, column)
        try:
            if column.role is Role.AREAS:
                area = parse_area_cell(text)
                if area.unmarked:
                    raise ValueError(
                        f"「{text}」没有写明是街区（区）还是乡村（村），请写成「1 区」「1 村」或「1 区 1 村」"
                    )
                values[(column.index, "d")] = area.districts
                values[(column.index, "v")] = area.villages
            elif column.what is not None and column.what.is_area:
                area = parse_area_cell(text)
                wrong = (
                    area.villages if column.what.unit_type is UnitType.DISTRICT else area.districts
                )
                if wrong:
                    raise ValueError(f"「{text}」与这一列（{column.what.label}）不符")
                if area.total:
                    values[(column.index, "n")] = area.total
            else:
                count = _count_cell(text)
                if count is not None:
                    values[(column.index, "n")] = count
        except ValueError as exc:
            errors.append(Problem(sheet.where, str(exc), row=number, column=column.header))
    return values, errors


def _check_sum_row(
    sheet: Sheet,
    number: int,
    row: list[str],
    slots: list[Column],
    totals: dict[int, list[int]],
    sums: dict[tuple[int, str], int],
    problems: list[Problem],
    warnings: list[str],
    exact: bool,
) -> None:
    """合计 must equal the rows above; 市局任务 must not exceed them (a county may split more)."""
    label = sheet.cell(row, sheet.role(Role.LABEL) or sheet.columns[0])
    for column in slots:
        text = sheet.cell(row, column)
        if not text.strip():
            continue
        try:
            if column.role is Role.AREAS or (column.what is not None and column.what.is_area):
                area = parse_area_cell(text)
                if column.role is Role.AREAS:
                    d, v = sums.get((column.index, "d"), 0), sums.get((column.index, "v"), 0)
                    checks = [(area.total, d + v, "")]
                    if not area.unmarked:
                        checks = [(area.districts, d, "街区"), (area.villages, v, "乡村")]
                else:
                    checks = [(area.total, sums.get((column.index, "n"), 0), "")]
            else:
                stated = cells.parse_int(text, label)
                if column.role is Role.TOTAL:
                    summed = sum(sums.get((p, "n"), 0) for p in totals[column.index])
                else:
                    summed = sums.get((column.index, "n"), 0)
                checks = [(stated, summed, "")]
        except ValueError as exc:
            problems.append(Problem(sheet.where, str(exc), row=number, column=column.header))
            continue
        for stated, summed, what in checks:
            if exact and stated != summed:
                problems.append(
                    Problem(
                        sheet.where,
                        f"{label}{what} {stated} 与各所之和 {summed} 不符",
                        row=number,
                        column=column.header,
                    )
                )
            elif not exact and summed < stated:
                warnings.append(
                    f"第 {number} 行「{column.header}」：{label}{what} {stated}，"
                    f"各所合计只有 {summed}，少 {stated - summed}"
                )


# --- industry tables (rows of 创建类型, a column per 区县) ----------------------------------------


def _industry_rows(sheet: Sheet, year: int | None, problems: list[Problem]) -> list[Figure]:
    where = sheet.where
    orgs = [c for c in sheet.columns if c.role is Role.ORG]
    type_column = sheet.role(Role.TYPE)
    sector_column = sheet.role(Role.SECTOR)
    dept_column = sheet.role(Role.DEPT)
    total_column = sheet.role(Role.TOTAL)
    _require(sheet, {"创建类型": type_column is not None, "各区县或所的任务数列": bool(orgs)})
    assert type_column is not None
    figures: list[Figure] = []
    sums: dict[int, int] = {}
    sector = kind_text = dept = ""
    for number, row in sheet.rows:
        markers = [sheet.cell(row, c) for c in (sheet.columns[0], sector_column, type_column)]
        if any(header_key(m) in TOTAL_ROWS for m in markers):
            _check_industry_total(sheet, number, row, orgs, total_column, sums, problems)
            continue
        first = sheet.cell(row, sheet.columns[0])
        if FOOTNOTE.match(first) and sum(1 for c in row if c.strip()) == 1:
            continue
        own_sector = sheet.cell(row, sector_column)
        if own_sector:
            sector, dept = own_sector, ""
        kind_text = " ".join(sheet.cell(row, type_column).split()) or kind_text
        dept = " ".join(sheet.cell(row, dept_column).split()) or dept
        errors: list[Problem] = []
        if not kind_text:
            errors.append(Problem(where, "创建类型为空", row=number, column=type_column.header))
        y, span = _row_year(sheet, row, number, year, errors)
        counts: dict[int, int] = {}
        words: list[tuple[Column, str]] = []
        for column in orgs:
            text = sheet.cell(row, column)
            try:
                count = _count_cell(text)
            except ValueError:
                words.append((column, text))
                continue
            if count is not None:
                counts[column.index] = count
        if words and counts:
            for column, text in words:
                errors.append(
                    Problem(
                        where, f"任务数应为整数，实际为「{text}」", row=number, column=column.header
                    )
                )
        elif not words and not counts:
            errors.append(
                Problem(where, "这一行没有任务数，也没有说明。请填写任务数或删去这一行", row=number)
            )
        if counts and total_column is not None and sheet.cell(row, total_column).strip():
            try:
                stated = cells.parse_int(sheet.cell(row, total_column), "合计")
                if stated != sum(counts.values()):
                    errors.append(
                        Problem(
                            where,
                            f"合计 {stated} 与各区县之和 {sum(counts.values())} 不符",
                            row=number,
                            column=total_column.header,
                        )
                    )
            except ValueError as exc:
                errors.append(Problem(where, str(exc), row=number, column=total_column.header))
        if errors:
            problems.extend(errors)
            continue
        what = What(TargetKind.DEMONSTRATION)
        for index, added in counts.items():  # none when the row has words (an error above)
            sums[index] = sums.get(index, 0) + added
        if words:
            # Words across the 区县 (景区: "按省下达的任务指标另行分解"): one county-level
            # figure without a count, never a 0 per 区县.
            note = "；".join(dict.fromkeys(text for _, text in words))
            counts_by_org: list[tuple[str | None, int | None]] = [(None, None)]
        else:
            note = ""
            counts_by_org = [(c.org, counts[c.index]) for c in orgs if c.index in counts]
        for org, n in counts_by_org:
            figures.append(
                Figure(number, y, org, what, n, kind_text, sector, dept, note, span=span)
            )
    return figures


def _check_industry_total(
    sheet: Sheet,
    number: int,
    row: list[str],
    orgs: list[Column],
    total_column: Column | None,
    sums: dict[int, int],
    problems: list[Problem],
) -> None:
    checks = [(c, sums.get(c.index, 0)) for c in orgs]
    if total_column is not None:
        checks.append((total_column, sum(sums.values())))
    for column, summed in checks:
        text = sheet.cell(row, column)
        if not text.strip():
            continue
        try:
            stated = cells.parse_int(text, "合计")
        except ValueError as exc:
            problems.append(Problem(sheet.where, str(exc), row=number, column=column.header))
            continue
        if stated != summed:
            problems.append(
                Problem(
                    sheet.where,
                    f"合计 {stated} 与各行之和 {summed} 不符",
                    row=number,
                    column=column.header,
                )
            )


# --- long lists ---------------------------------------------------------------------------------


def _what_cell(text: str, kind_text: str) -> What:
    if kind_text:
        what = parse_what(text) if text.strip() else What(TargetKind.DEMONSTRATION)
        if what is None or what.kind is not TargetKind.DEMONSTRATION:
            raise ValueError(f"填了创建类型「{kind_text}」时，类别应为空或「示范单位」")
        return what
    what = parse_what(text)
    if what is None or what.kind is TargetKind.DEMONSTRATION:
        allowed = "、".join(
            [t.label for t in UnitType] + [k.label for k in TargetKind if k.is_category]
        )
        extra = "；示范单位请在「创建类型」列写明类型" if what is not None else ""
        raise ValueError(f"未知的单位类型「{text}」，可用：{allowed}{extra}")
    return what


def _long_rows(
    session: Session, sheet: Sheet, year: int | None, problems: list[Problem]
) -> list[Figure]:
    where = sheet.where
    station_column = sheet.role(Role.LABEL)
    what_column = sheet.role(Role.WHAT)
    count_column = sheet.role(Role.COUNT)
    type_column = sheet.role(Role.TYPE)
    year_column = sheet.role(Role.YEAR)
    _require(
        sheet,
        {
            "年度": year is not None or year_column is not None,
            "所": station_column is not None,
            "单位类型": what_column is not None or type_column is not None,
            "任务数": count_column is not None,
        },
    )
    assert station_column is not None and count_column is not None
    figures: list[Figure] = []
    by_key: dict[tuple[object, ...], Figure] = {}
    spans: dict[tuple[int, int], tuple[Fraction | None, int]] = {}
    pending_parents: list[tuple[Figure, What, int]] = []
    for number, row in sheet.rows:
        errors: list[Problem] = []
        cell = partial(sheet.cell, row)
        y, span = _row_year(sheet, row, number, year, errors)
        name = cell(station_column)
        if not name.strip():
            errors.append(
                Problem(
                    where,
                    "所不能为空（县级任务请写「县局」）",
                    row=number,
                    column=station_column.header,
                )
            )
        kind_text = " ".join(cell(type_column).split())
        what: What | None = None
        try:
            what = _what_cell(cell(what_column), kind_text)
        except ValueError as exc:
            errors.append(
                Problem(where, str(exc), row=number, column=_col(what_column, "单位类型"))
            )
        count: int | None = None
        note = cell(sheet.role(Role.NOTE))
        text = cell(count_column)
        try:
            count = _count_cell(text)
            if count is None:
                raise ValueError("任务数为空。没有数字的任务请写明原因，如「待分解」")
        except ValueError as exc:
            if any(word in text for word in PENDING_WORDS):
                note = "；".join(x for x in (text, note) if x)
            else:
                errors.append(Problem(where, str(exc), row=number, column=count_column.header))
        share_column = sheet.role(Role.SHARE)
        if cell(share_column):
            try:
                share = parse_share(cell(share_column))
                if span is None:
                    raise ValueError("首年比例只用于多年计划（年度写成 2017-2020）")
                span = Span(span.start, span.end, share)
            except ValueError as exc:
                errors.append(Problem(where, str(exc), row=number, column=share_column.header))  # type: ignore[union-attr]
        if span is not None:
            earlier = spans.setdefault((span.start, span.end), (span.share, number))
            if earlier[0] != span.share:
                errors.append(
                    Problem(
                        where,
                        f"{span.start}-{span.end} 年计划的首年比例与第 {earlier[1]} 行不同",
                        row=number,
                        column=_col(share_column, "首年比例"),
                    )
                )
        parent_what: What | None = None
        parent_text = cell(sheet.role(Role.PARENT))
        if parent_text:
            parent_what = parse_what(parent_text)
            if parent_what is None:
                errors.append(
                    Problem(
                        where,
                        f"属于「{parent_text}」：未知的类别",
                        row=number,
                        column=_col(sheet.role(Role.PARENT), "属于"),
                    )
                )
        if errors or what is None:
            problems.extend(errors)
            continue
        figure = Figure(
            number,
            y,
            _station_name(name),
            what,
            count,
            industry=kind_text,
            sector=" ".join(cell(sheet.role(Role.SECTOR)).split()),
            dept=" ".join(cell(sheet.role(Role.DEPT)).split()),
            note=note,
            span=span,
        )
        figures.append(figure)
        by_key[figure.key()] = figure
        if parent_what is not None:
            pending_parents.append((figure, parent_what, number))
    for figure, parent_what, number in pending_parents:
        key = Figure(0, figure.year, figure.station, parent_what, None, span=figure.span).key()
        parent = by_key.get(key)
        if parent is None and not _stored_parent(session, figure, parent_what):
            problems.append(
                Problem(
                    where,
                    f"{figure.describe()} 属于「{parent_what.label}」，但文件和库中都没有"
                    f"{figure.year} 年 {figure.station or COUNTY} 的「{parent_what.label}」任务",
                    row=number,
                )
            )
            continue
        figure.parent = parent or Figure(
            "库中", figure.year, figure.station, parent_what, None, span=figure.span
        )
        if parent and parent.count is not None and (figure.count or 0) > parent.count:
            problems.append(
                Problem(
                    where,
                    f"其中 {figure.count} 大于它所属的「{parent_what.label}」{parent.count}",
                    row=number,
                )
            )
    return figures


def _stored_parent(session: Session, figure: Figure, what: What) -> bool:
    return _find(session, Figure(0, figure.year, figure.station, what, None)) is not None


def _col(column: Column | None, fallback: str) -> str:
    return column.header if column is not None else fallback


# --- ratio lists --------------------------------------------------------------------------------


def _ratio_rows(
    sheet: Sheet, year: int | None, problems: list[Problem], *, require_threshold: bool
) -> list[RatioFigure]:
    where = sheet.where
    station_column = sheet.role(Role.LABEL)
    indicator = sheet.role(Role.INDICATOR)
    threshold_column = sheet.role(Role.THRESHOLD)
    denominator_column = sheet.role(Role.DENOMINATOR)
    year_column = sheet.role(Role.YEAR)
    _require(
        sheet,
        {
            "年度": year is not None or year_column is not None,
            "所": station_column is not None,
            "指标": indicator is not None,
            "比例": threshold_column is not None or not require_threshold,
        },
    )
    assert station_column is not None and indicator is not None
    out: list[RatioFigure] = []
    for number, row in sheet.rows:
        errors: list[Problem] = []
        y, _ = _row_year(sheet, row, number, year, errors, single="比例目标的年度应为一个年份")
        name = sheet.cell(row, station_column)
        if not name.strip():
            errors.append(
                Problem(
                    where,
                    "所不能为空（县级目标请写「县局」）",
                    row=number,
                    column=station_column.header,
                )
            )
        kind = parse_ratio_kind(sheet.cell(row, indicator))
        if kind is None:
            allowed = "、".join(k.label for k in RatioKind)
            errors.append(
                Problem(
                    where,
                    f"未知的指标「{sheet.cell(row, indicator)}」，可用：{allowed}",
                    row=number,
                    column=indicator.header,
                )
            )
        threshold: float | None = None
        text = sheet.cell(row, threshold_column)
        if text.strip():
            try:
                threshold = parse_threshold(text)
            except ValueError as exc:
                errors.append(
                    Problem(where, str(exc), row=number, column=_col(threshold_column, "比例"))
                )
        denominator: int | None = None
        text = sheet.cell(row, denominator_column)
        try:
            denominator = _count_cell(text)
            if denominator == 0:
                raise ValueError("分母不能为 0")
        except ValueError as exc:
            errors.append(
                Problem(where, str(exc), row=number, column=_col(denominator_column, "分母"))
            )
        station = _station_name(name)
        if require_threshold and threshold is None and (station is None or denominator is None):
            errors.append(
                Problem(
                    where,
                    "比例为空。县级目标必须写比例；所的行不写比例时沿用县级比例，但要填分母",
                    row=number,
                    column=_col(threshold_column, "比例"),
                )
            )
        if errors or kind is None:
            problems.extend(errors)
            continue
        out.append(RatioFigure(number, y, station, kind, threshold, denominator))
    return out


def _ratio_exists(session: Session, ratio: RatioFigure) -> bool:
    return (
        session.scalar(
            select(RatioTarget.id).where(
                RatioTarget.year == ratio.year, RatioTarget.kind == ratio.kind
            )
        )
        is not None
    )


# --- county figures from the command line -------------------------------------------------------


def _county_figures(
    county: Sequence[tuple[str, int]], year: int | None, where: str, problems: list[Problem]
) -> list[Figure]:
    figures = []
    for text, count in county:
        what = parse_what(text)
        if what is None or what.kind is TargetKind.DEMONSTRATION:
            allowed = "、".join(t.label for t in UnitType)
            problems.append(Problem("--county", f"未知的类别「{text}」，可用：{allowed}"))
            continue
        if count < 0:
            problems.append(Problem("--county", f"{text}：任务数不能为负数"))
            continue
        if year is None:
            problems.append(
                Problem("--county", f"{text}={count}：不知道是哪一年的任务，请用 --year 指定")
            )
            continue
        figures.append(
            Figure("--county", year, None, what, count, note=f"命令行 --county（{where}）")
        )
    return figures


# --- checking and writing -----------------------------------------------------------------------


def _check_duplicates(where: str, figures: list[Figure], ratios: list[RatioFigure]) -> None:
    problems: list[Problem] = []
    seen: dict[tuple[object, ...], int | str] = {}
    for figure in figures:
        key = figure.key()
        if key in seen:
            problems.append(
                Problem(where, f"{figure.describe()} 与第 {seen[key]} 行重复", row=_row(figure.row))
            )
        seen[key] = figure.row
    seen_ratio: dict[tuple[object, ...], int | str] = {}
    for ratio in ratios:
        ratio_key = (ratio.year, ratio.station, ratio.kind)
        if ratio_key in seen_ratio:
            problems.append(
                Problem(
                    where,
                    f"{ratio.year} 年 {ratio.station or COUNTY} {ratio.kind.label} "
                    f"与第 {seen_ratio[ratio_key]} 行重复",
                    row=_row(ratio.row),
                )
            )
        seen_ratio[ratio_key] = ratio.row
    if problems:
        raise InvalidInput(f"{where}：任务表有重复的行，未导入", problems)


def _find(
    session: Session,
    figure: Figure,
    station_id: int | None = None,
    parent_id: int | None = None,
    plan_id: int | None = None,
) -> Target | None:
    if figure.station is not None and station_id is None:
        station_id = session.scalar(select(Station.id).where(Station.name == figure.station))
        if station_id is None:
            return None
    query = select(Target).where(
        Target.year == figure.year,
        Target.station_id.is_(None) if station_id is None else Target.station_id == station_id,
        Target.kind == figure.what.kind,
        Target.unit_type.is_(None)
        if figure.what.unit_type is None
        else Target.unit_type == figure.what.unit_type,
        Target.industry == figure.industry,
        Target.responsible_dept == figure.dept,
        Target.plan_id.is_(None) if plan_id is None else Target.plan_id == plan_id,
    )
    if figure.parent is None:
        query = query.where(Target.parent_id.is_(None))
    elif parent_id is not None:
        query = query.where(Target.parent_id == parent_id)
    return session.scalars(query.order_by(Target.id)).first()


def _write(
    session: Session,
    figures: list[Figure],
    ratios: list[RatioFigure],
    source: str,
    result: TargetImportResult,
) -> None:
    names = [f.station for f in figures] + [r.station for r in ratios]
    ids, created = station_ids(session, list(dict.fromkeys(n for n in names if n is not None)))
    result.new_stations = created
    plans: dict[tuple[int, int], TaskPlan] = {}
    written: dict[int, Target] = {}  # id(figure) -> row
    for figure in sorted(figures, key=lambda f: f.parent is not None):
        plan_id = None
        if figure.span is not None:
            plan_row = plans.get((figure.span.start, figure.span.end))
            if plan_row is None:
                plan_row = _plan(session, figure.span, source)
                plans[(figure.span.start, figure.span.end)] = plan_row
            plan_id = plan_row.id
        parent_id = None
        if figure.parent is not None:
            parent_row = written.get(id(figure.parent)) or _find(session, figure.parent)
            assert parent_row is not None  # checked when the file was read
            parent_id = parent_row.id
        station_id = ids[figure.station] if figure.station is not None else None
        target = _find(session, figure, station_id, parent_id, plan_id)
        stated = (figure.count, figure.note, figure.sector)
        changed = target is None or (target.count, target.note, target.sector) != stated
        if target is None:
            target = Target(
                year=figure.year,
                station_id=station_id,
                kind=figure.what.kind,
                unit_type=figure.what.unit_type,
                industry=figure.industry,
                sector=figure.sector,
                responsible_dept=figure.dept,
                parent_id=parent_id,
                plan_id=plan_id,
            )
            session.add(target)
        if changed:
            target.count, target.note, target.sector = stated
            target.source = source
            target.updated_at = local_now()
            session.flush()
        written[id(figure)] = target
        result.target_ids.append(target.id)
    for ratio in ratios:
        station_id = ids[ratio.station] if ratio.station is not None else None
        row = plan.ratio_row(session, ratio.year, ratio.kind, station_id)
        if ratio.threshold is not None:
            row.threshold = ratio.threshold
        if ratio.denominator is not None:
            row.denominator = ratio.denominator
        row.source = source
        row.updated_at = local_now()
        session.flush()
        result.ratio_ids.append(row.id)
    session.flush()
    result.written = len(result.target_ids) + len(result.ratio_ids)
    session.expire_all()  # the summary reads what the database holds, not what was meant
    result.lines = plan.summary_lines(session, result.target_ids, result.ratio_ids)
    result.years = sorted({f.year for f in figures} | {r.year for r in ratios})


def _plan(session: Session, span: Span, source: str) -> TaskPlan:
    row = session.scalar(
        select(TaskPlan).where(TaskPlan.start_year == span.start, TaskPlan.end_year == span.end)
    )
    if row is None:
        row = TaskPlan(start_year=span.start, end_year=span.end)
        session.add(row)
    row.first_share_num = span.share.numerator if span.share else None
    row.first_share_den = span.share.denominator if span.share else None
    row.source = source
    session.flush()
    return row
