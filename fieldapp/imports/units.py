"""Import the county's unit list: validate every row, then write all of it or none of it.

Units are matched by 统一社会信用代码: re-importing updates them in place and never duplicates them.
Nothing is lost on the way: a column the file does not have keeps the stored value, and so does
an empty cell (unless ``blank_clears``); a column the importer does not know refuses the file
unless it is named in ``ignore_columns``. Every change goes through the unit's one write path
(:mod:`fieldapp.services.unit_changes_bulk`, the rules of :mod:`fieldapp.services.unit_changes`)
as an event naming the file and row: a field change as an event of its kind, a state column as a
lifecycle move under the same rules as a manual one (a 命名 this year only on a passing 后评价).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from fieldapp.domain import lifecycle, text, uscc
from fieldapp.domain.events import EventKind
from fieldapp.domain.lifecycle import ExitReason, State
from fieldapp.domain.vocab import INDUSTRIES, UnitType, canon, parse_industry, parse_unit_type
from fieldapp.errors import InvalidInput, Problem
from fieldapp.imports import cells
from fieldapp.imports.tabular import Table, column_letter, read_table
from fieldapp.services import unit_changes_bulk as bulk
from fieldapp.services.unit_changes import EDITABLE, TEXT_KINDS, Change

Progress = Callable[[int, int], None]

# field name -> accepted headers (Chinese first, then English aliases)
COLUMNS: dict[str, tuple[str, ...]] = {
    "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "credit_code", "uscc"),
    "name": ("单位名称", "主体名称", "企业名称", "名称", "name"),
    "shop_name": ("门店名称", "店铺名称", "shop_name"),
    "address": ("经营地址", "地址", "经营场所", "address"),
    "town": ("乡镇", "乡镇(街道)", "乡镇街道", "街道", "town"),
    "station": ("所属所", "属地所", "所", "所(分局)", "所属所(分局)", "station"),
    "unit_type": ("单位类型", "类型", "unit_type", "type"),
    "industry": ("行业", "所属行业", "industry"),
    "category": ("经营类别", "类别明细", "category"),
    "contact_person": ("负责人", "联系人", "contact", "contact_person"),
    "contact_phone": ("联系电话", "电话", "手机", "phone", "contact_phone"),
    "online_shop_name": ("网店名称", "online_shop", "online_shop_name"),
    "online_platform": ("平台", "网店平台", "platform"),
    "online_url": ("链接", "网店链接", "url", "link"),
    "return_days": ("退货期限", "退货天数", "return_days"),
    "return_goods": ("适用商品", "return_goods"),
    "return_terms": ("退货约定", "return_terms"),
    "cross_store_return": ("异地异店", "异地异店退货", "cross_store_return"),
    "compensation_fund": ("先行赔付金", "compensation_fund"),
    "prudent": ("审慎培育", "prudent"),
    "state": ("状态", "库/状态", "所在库", "state", "status"),
    "state_date": ("状态日期", "变更日期", "state_date"),
    "entered_on": ("入库日期", "entered_on"),
    "exit_reason": ("移出原因", "exit_reason"),
    "reason": ("变更原因", "原因", "reason"),
}
REQUIRED = {
    "credit_code": "统一社会信用代码",
    "name": "单位名称",
    "station": "所属所",
    "unit_type": "单位类型",
}
ALIASES = {canon(alias): name for name, names in COLUMNS.items() for alias in names}

# One-line text columns, each as long as its field may be (the text policy, domain/text.py).
LINE_FIELDS = (
    "name",
    "shop_name",
    "address",
    "town",
    "category",
    "contact_person",
    "online_shop_name",
    "online_platform",
    "online_url",
)
BOOL_FIELDS = ("cross_store_return", "compensation_fund", "prudent")
# The columns that are record fields of a unit (the others say how its state changes).
RECORD_FIELDS = tuple(name for name in COLUMNS if name in EDITABLE)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    state_changes: int = 0
    events: Counter[EventKind] = field(default_factory=Counter)
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    new_stations: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class _Parsed:
    row: int
    values: dict[str, Any]
    state: State | None
    state_date: date | None
    exit_reason: ExitReason | None = None
    reason: str = ""
    raw: dict[str, str] = field(default_factory=dict)  # the cells, field -> text


# The label a message uses for a field when there is no file header to name (the first alias).
FIELD_LABELS = {name: names[0] for name, names in COLUMNS.items()}


def validate_values(
    raw: dict[str, str],
    where: str,
    today: date,
    *,
    row: int | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[_Parsed | None, list[Problem], list[Problem]]:
    """Check one unit's values (field name -> text), as an import row or a unit added by hand.

    Returns the parsed unit (None if anything is wrong), the errors and the warnings; each
    problem names the column (``headers``: field -> the file's header) or the field's label.
    """
    errors: list[Problem] = []
    warnings: list[Problem] = []
    headers = FIELD_LABELS if headers is None else headers

    def bad(name: str, message: str) -> None:
        errors.append(Problem(where, message, row=row, column=headers.get(name, name)))

    out: dict[str, Any] = {}
    check = uscc.validate(raw.get("credit_code", ""))
    out["credit_code"] = check.code
    for message in check.errors:
        bad("credit_code", message)
    for message in check.warnings:
        warnings.append(Problem(where, message, row=row, column=headers.get("credit_code")))

    def refused(name: str, value: str, kind: text.TextKind) -> bool:
        message = text.problem(value, kind)
        if message is not None:
            bad(name, message)
        return message is not None

    for name in LINE_FIELDS:
        # Text keeps its Chinese punctuation; only runs of spaces (full-width too) collapse.
        value = " ".join(raw.get(name, "").split())
        refused(name, value, TEXT_KINDS[name])
        out[name] = value
    if not out["name"]:
        bad("name", "单位名称不能为空")
    station = " ".join(raw.get("station", "").split())
    if not station:
        bad("station", "所属所不能为空")
    refused("station", station, TEXT_KINDS["station"])
    out["station"] = station
    unit_type = parse_unit_type(raw.get("unit_type", ""))
    if unit_type is None:
        allowed = "、".join(t.label for t in UnitType)
        bad("unit_type", f"未知的单位类型「{raw.get('unit_type', '')}」，可用：{allowed}")
    out["unit_type"] = unit_type.value if unit_type else None
    industry_text = raw.get("industry", "").strip()
    industry = parse_industry(industry_text) if industry_text else None
    if industry_text and industry is None:
        allowed = "、".join(i.label for i in INDUSTRIES)
        bad("industry", f"未知的行业「{industry_text}」，可用：{allowed}")
    out["industry"] = industry.code if industry else None
    for name in BOOL_FIELDS:
        try:
            out[name] = cells.parse_bool(raw.get(name, ""))
        except ValueError as exc:
            bad(name, str(exc))
    for name in ("return_goods", "return_terms"):
        out[name] = raw.get(name, "").strip()
        refused(name, out[name], TEXT_KINDS[name])
    out["return_days"] = None
    if raw.get("return_days", "").strip():
        try:
            out["return_days"] = cells.parse_int(raw["return_days"], "退货期限")
            if out["return_days"] < 7:
                warnings.append(
                    Problem(
                        where,
                        f"退货期限 {out['return_days']} 天少于 7 天",
                        row=row,
                        column=headers.get("return_days"),
                    )
                )
        except ValueError as exc:
            bad("return_days", str(exc))
    try:
        out["contact_phone"] = cells.parse_phone(raw.get("contact_phone", ""))
    except ValueError as exc:
        bad("contact_phone", str(exc))
    state: State | None = None
    if raw.get("state", "").strip():
        state = lifecycle.parse_state(raw["state"])
        if state is None:
            allowed = "、".join(s.label for s in State)
            bad("state", f"未知的状态「{raw['state']}」，可用：{allowed}")
    dates: dict[str, date | None] = {"state_date": None, "entered_on": None}
    for name in dates:
        if raw.get(name, "").strip():
            try:
                parsed = cells.parse_date(raw[name])
            except ValueError as exc:
                bad(name, str(exc))
                continue
            if parsed > today:
                bad(name, f"日期 {parsed} 晚于今天")
            dates[name] = parsed
    out["entered_on"] = dates["entered_on"]
    exit_text = raw.get("exit_reason", "").strip()
    exit_reason = lifecycle.parse_exit_reason(exit_text) if exit_text else None
    if exit_text and exit_reason is None:
        allowed = "、".join(r.label for r in ExitReason)
        bad("exit_reason", f"未知的移出原因「{exit_text}」，可用：{allowed}")
    elif exit_reason is not None and state is not State.REMOVED:
        bad("exit_reason", "只有状态为「移出」的单位才填写移出原因；请清空此格或把状态改为移出")
    reason = " ".join(raw["reason"].split()) if "reason" in raw else ""
    refused("reason", reason, text.NOTE)
    if errors:
        return None, errors, warnings
    item = _Parsed(row or 0, out, state, dates["state_date"], exit_reason, reason, raw)
    return item, errors, warnings


def import_units(
    session: Session,
    path: Path,
    *,
    actor: str,
    skip_invalid: bool = False,
    blank_clears: bool = False,
    ignore_columns: Iterable[str] = (),
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate ``path`` completely, then write it in the caller's transaction.

    Any invalid row rejects the whole file (InvalidInput listing every bad row) unless
    ``skip_invalid``, in which case valid rows are written and the bad ones listed as skipped.
    A column the file lacks, and an empty cell, keep what the store has (``blank_clears``: an
    empty cell of a column the file has clears the field). A column the importer does not know
    refuses the file unless named in ``ignore_columns`` (which also drops a known column).
    """
    today = today or date.today()
    where = path.name
    ignore = _ignore_list(where, ignore_columns)
    aliases = {key: name for key, name in ALIASES.items() if key not in ignore}
    table = read_table(path, aliases, REQUIRED)
    result = ImportResult()
    result.ignored_columns = _check_columns(table, where, ignore, result.warnings)
    headers = {aliases[canon(h)]: h for h in table.headers if canon(h) in aliases}
    if not table.rows:
        raise InvalidInput(f"{path}：表头之后没有数据行")
    parsed: list[_Parsed] = []
    problems: list[Problem] = []
    first_row: dict[str, int] = {}
    total = len(table.rows)
    for index, row in enumerate(table.rows, start=1):
        item, errors, warnings = validate_values(
            row.values, where, today, row=row.number, headers=headers
        )
        result.warnings.extend(warnings)
        if item is not None:
            code = item.values["credit_code"]
            if code in first_row:
                errors = [
                    Problem(
                        where,
                        f"信用代码 {code} 与第 {first_row[code]} 行重复，同一单位只能出现一次",
                        row=row.number,
                        column=headers.get("credit_code"),
                    )
                ]
                item = None
            else:
                first_row[code] = row.number
        if item is None:
            problems.extend(errors)
        else:
            parsed.append(item)
        if progress and index % 2000 == 0:
            progress(index, total * 2)

    planner = _Planner(
        session,
        bulk.stored_units(session, (p.values["credit_code"] for p in parsed)),
        headers,
        where,
        actor,
        today,
        blank_clears,
    )
    plans: list[bulk.UnitPlan] = []
    for item in parsed:
        plan = planner.plan(item)
        if isinstance(plan, Problem):
            problems.append(plan)
        else:
            plans.append(plan)
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        if not skip_invalid:
            raise InvalidInput(
                f"{path}：有 {len({p.row for p in problems})} 行数据有误，整个文件未导入。"
                "改正后重新导入，或加 --skip-invalid 只导入正确的行",
                problems,
            )
        result.skipped = problems

    written = bulk.write(session, plans)
    result.created, result.updated, result.unchanged = (
        written.created,
        written.updated,
        written.unchanged,
    )
    result.state_changes = written.state_changes
    result.events = written.events
    result.new_stations = written.new_stations
    if progress:
        progress(total * 2, total * 2)
    return result


@dataclass
class _Planner:
    """Plans each valid row through the unit's write path (:mod:`unit_changes_bulk`)."""

    session: Session
    stored: dict[str, dict[str, Any]]
    headers: dict[str, str]  # field -> the file's header
    where: str
    actor: str
    today: date
    blank_clears: bool

    def __post_init__(self) -> None:
        self.present = [name for name in RECORD_FIELDS if name in self.headers]
        self.default_reason = f"导入 {self.where}"

    def plan(self, item: _Parsed) -> bulk.UnitPlan | Problem:
        code = item.values["credit_code"]
        change = Change(self.actor, source=f"导入 {self.where} 第 {item.row} 行", today=self.today)
        on = item.state_date or self.today
        stored = self.stored.get(code)
        if stored is None:
            return bulk.plan_create(
                item.values,
                change,
                state=item.state or State.CULTIVATING,
                on=on,
                reason=item.reason or self.default_reason,
                exit_reason=item.exit_reason,
            )
        plan = bulk.UnitPlan(code, stored)
        wanted = {
            name: item.values[name]
            for name in self.present
            if self.blank_clears or item.raw[name].strip()
        }
        bulk.plan_fields(plan, wanted, change, reason=item.reason)
        if item.state is None or item.state == plan.state:
            return plan
        refused = bulk.plan_move(
            self.session,
            plan,
            item.state,
            change,
            on=on,
            reason=item.reason,
            exit_reason=item.exit_reason,
            event_reason=item.reason or self.default_reason,
        )
        if refused is None:
            return plan
        what, message = refused
        column = self.headers.get("state")
        if what == "date":
            column = self.headers.get("state_date") or column
        elif "原因" in message:
            message += "。导入时移出原因写在「移出原因」列，变更原因写在「原因」列"
        return Problem(self.where, message, row=item.row, column=column)


def _ignore_list(where: str, names: Iterable[str]) -> dict[str, str]:
    """``--ignore-column`` names by canonical header; a required column cannot be ignored."""
    ignore: dict[str, str] = {}
    for name in names:
        key = canon(name)
        if not key:
            continue
        required = REQUIRED.get(ALIASES.get(key, ""))
        if required:
            raise InvalidInput(
                f"{where}：「{name}」是必需的列（{required}），不能忽略；请去掉 --ignore-column {name}"
            )
        ignore[key] = name
    return ignore


def _check_columns(
    table: Table, where: str, ignore: dict[str, str], warnings: list[Problem]
) -> list[str]:
    """Refuse a column the importer does not know (unless ignored) and a column with data but no
    header; return the headers ignored as asked, as written in the file."""
    header_row = table.header_row
    unknown = [h for h in table.ignored_columns if canon(h) not in ignore]
    if unknown:
        known = "、".join(names[0] for names in COLUMNS.values())
        problems = [
            Problem(where, "本程序不认识这一列，它的数据不会导入", row=header_row, column=h)
            for h in unknown
        ]
        raise InvalidInput(
            f"{where}：第 {header_row} 行表头有 {len(unknown)} 列本程序不认识："
            f"{'、'.join(f'「{h}」' for h in unknown)}，整个文件未导入（导入会丢掉这些列的数据）。"
            f"如果是已知的列写法不同，请把列名改成可识别的名称（{known}）；"
            f"确认不需要这些列，请加 --ignore-column 列名 忽略它们"
            f"（如 {' '.join(f'--ignore-column {h}' for h in unknown)}）",
            problems,
        )
    if table.unnamed_columns:
        letters = [column_letter(number) for number in table.unnamed_columns]
        problems = [
            Problem(
                where, "这一列没有表头却有数据", row=header_row, column=f"{letter} 列（无表头）"
            )
            for letter in letters
        ]
        raise InvalidInput(
            f"{where}：第 {'、'.join(letters)} 列没有表头却有数据，整个文件未导入。"
            f"请在第 {header_row} 行给这些列写上列名（不需要的列写上列名后用 --ignore-column "
            "忽略），或删去这些列",
            problems,
        )
    found = {canon(h) for h in table.headers if h}
    for key, name in ignore.items():
        if key not in found:
            warnings.append(
                Problem(where, f"文件中没有「{name}」这一列，--ignore-column {name} 未起作用")
            )
    return [h for h in table.headers if h and canon(h) in ignore]
