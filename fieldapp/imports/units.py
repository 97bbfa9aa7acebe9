"""Import the county's unit list: validate every row, then write all of it or none of it.

Units are matched by 统一社会信用代码: re-importing updates them in place and never duplicates them.
A state column moves units along the lifecycle under the same rules as a manual change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from fieldapp.domain import lifecycle, uscc
from fieldapp.domain.lifecycle import State
from fieldapp.domain.vocab import INDUSTRIES, UnitType, canon, parse_industry, parse_unit_type
from fieldapp.errors import InvalidInput, Problem
from fieldapp.imports import cells
from fieldapp.imports.tabular import Row, read_table
from fieldapp.services.stations import station_ids
from fieldapp.storage.models import Unit, UnitEvent, utcnow

Progress = Callable[[int, int], None]
UNITS = cast(Table, Unit.__table__)

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
}
REQUIRED = {
    "credit_code": "统一社会信用代码",
    "name": "单位名称",
    "station": "所属所",
    "unit_type": "单位类型",
}
ALIASES = {canon(alias): name for name, names in COLUMNS.items() for alias in names}

TEXT_LIMITS = {
    "name": 200,
    "shop_name": 200,
    "address": 300,
    "town": 64,
    "category": 100,
    "contact_person": 64,
    "online_shop_name": 200,
    "online_platform": 64,
    "online_url": 500,
}
BOOL_FIELDS = ("cross_store_return", "compensation_fund", "prudent")
UPDATABLE = (
    *TEXT_LIMITS,
    "station_id",
    "unit_type",
    "industry",
    "contact_phone",
    "return_days",
    "return_goods",
    "return_terms",
    *BOOL_FIELDS,
)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    state_changes: int = 0
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    new_stations: list[str] = field(default_factory=list)


@dataclass
class _Parsed:
    row: int
    values: dict[str, Any]
    state: State | None
    state_date: date | None


# The label a message uses for a field when there is no file header to name (the first alias).
FIELD_LABELS = {name: names[0] for name, names in COLUMNS.items()}


def _parse_row(
    row: Row, headers: dict[str, str], where: str, today: date
) -> tuple[_Parsed | None, list[Problem], list[Problem]]:
    return validate_values(row.values, where, today, row=row.number, headers=headers)


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
    for name, limit in TEXT_LIMITS.items():
        # Text keeps its Chinese punctuation; only runs of spaces (full-width too) collapse.
        value = " ".join(raw.get(name, "").split())
        if len(value) > limit:
            bad(name, f"太长（{len(value)} 个字，最多 {limit} 个）")
        out[name] = value
    if not out["name"]:
        bad("name", "单位名称不能为空")
    station = " ".join(raw.get("station", "").split())
    if not station:
        bad("station", "所属所不能为空")
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
    out["return_goods"] = raw.get("return_goods", "").strip()
    out["return_terms"] = raw.get("return_terms", "").strip()
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
    if errors:
        return None, errors, warnings
    return _Parsed(row or 0, out, state, dates["state_date"]), errors, warnings


def import_units(
    session: Session,
    path: Path,
    *,
    actor: str,
    skip_invalid: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate ``path`` completely, then write it in the caller's transaction.

    Any invalid row rejects the whole file (InvalidInput listing every bad row) unless
    ``skip_invalid``, in which case valid rows are written and the bad ones listed as skipped.
    """
    today = today or date.today()
    where = path.name
    table = read_table(path, ALIASES, REQUIRED)
    headers = {ALIASES[canon(h)]: h for h in table.headers if canon(h) in ALIASES}
    result = ImportResult()
    parsed: list[_Parsed] = []
    problems: list[Problem] = []
    first_row: dict[str, int] = {}
    total = len(table.rows)
    for index, row in enumerate(table.rows, start=1):
        item, errors, warnings = _parse_row(row, headers, where, today)
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
    if not table.rows:
        raise InvalidInput(f"{path}：表头之后没有数据行")

    existing = _existing_units(session, [p.values["credit_code"] for p in parsed])
    # Lifecycle moves on existing units must follow the same rules as a manual change.
    reason = f"导入 {where}"
    accepted: list[_Parsed] = []
    for item in parsed:
        unit = existing.get(item.values["credit_code"])
        if unit is not None and item.state is not None and item.state.value != unit["state"]:
            current = State(unit["state"]) if unit["state"] else None
            refusal = lifecycle.check_transition(current, item.state, reason)
            if refusal:
                problems.append(Problem(where, refusal, row=item.row, column=headers.get("state")))
                continue
            last = unit["state_since"]
            when = item.state_date or today
            if last and when < last:
                problems.append(
                    Problem(
                        where,
                        f"状态日期 {when} 早于上次变更日期 {last}",
                        row=item.row,
                        column=headers.get("state_date") or headers.get("state"),
                    )
                )
                continue
        accepted.append(item)
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        if not skip_invalid:
            raise InvalidInput(
                f"{path}：有 {len({p.row for p in problems})} 行数据有误，整个文件未导入。"
                "改正后重新导入，或加 --skip-invalid 只导入正确的行",
                problems,
            )
        result.skipped = problems

    station_names = list(dict.fromkeys(item.values["station"] for item in accepted))
    stations, created_stations = station_ids(session, station_names)
    result.new_stations = created_stations
    _write(session, accepted, existing, stations, actor, reason, today, result)
    if progress:
        progress(total * 2, total * 2)
    return result


def _write(
    session: Session,
    accepted: list[_Parsed],
    existing: dict[str, Any],
    stations: dict[str, int],
    actor: str,
    reason: str,
    today: date,
    result: ImportResult,
) -> None:
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    new_events: list[tuple[str, State, date]] = []
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for item in accepted:
        values = dict(item.values)
        values["station_id"] = stations[values.pop("station")]
        unit = existing.get(values["credit_code"])
        if unit is None:
            state = item.state or State.CULTIVATING
            when = item.state_date or today
            entered = values["entered_on"]
            if entered is None and state in lifecycle.ACTIVE_STATES:
                entered = when
            values.update(
                uuid=_uuid(),
                state=state.value,
                state_since=when,
                entered_on=entered,
                sticker_posted_on=None,
                version=1,
                created_at=now,
                updated_at=now,
            )
            new_rows.append(values)
            new_events.append((values["credit_code"], state, when))
            continue
        changes = {name: values[name] for name in UPDATABLE if unit[name] != values[name]}
        if values["entered_on"] is not None and unit["entered_on"] != values["entered_on"]:
            changes["entered_on"] = values["entered_on"]
        if item.state is not None and item.state.value != unit["state"]:
            when = item.state_date or today
            events.append(
                {
                    "unit_id": unit["id"],
                    "kind": "state",
                    "from_state": unit["state"],
                    "to_state": item.state.value,
                    "occurred_on": when,
                    "actor": actor,
                    "reason": reason,
                    "recorded_at": now,
                }
            )
            changes.update(state=item.state.value, state_since=when)
            if item.state == State.CULTIVATING and "entered_on" not in changes:
                changes["entered_on"] = when
            result.state_changes += 1
        if not changes:
            result.unchanged += 1
            continue
        base = {name: unit[name] for name in _WRITTEN}
        base.update(changes)
        base.update(b_id=unit["id"], version=unit["version"] + 1, updated_at=now)
        updates.append(base)
    if new_rows:
        # Core executemany, not the ORM bulk path: with RETURNING, the ORM splits rows whose
        # None columns differ into tiny batches and splices results quadratically.
        session.connection().execute(insert(UNITS), new_rows)
        ids = _ids_by_code(session, [row["credit_code"] for row in new_rows])
        for code, state, when in new_events:
            events.append(
                {
                    "unit_id": ids[code],
                    "kind": "state",
                    "from_state": None,
                    "to_state": state.value,
                    "occurred_on": when,
                    "actor": actor,
                    "reason": reason,
                    "recorded_at": now,
                }
            )
    if updates:
        columns: dict[str, Any] = {name: bindparam(name) for name in updates[0] if name != "b_id"}
        statement = update(Unit).where(Unit.id == bindparam("b_id")).values(columns)
        session.connection().execute(statement, updates)
    if events:
        session.execute(insert(UnitEvent), events)
    session.expire_all()
    result.created = len(new_rows)
    result.updated = len(updates)


_WRITTEN = (*UPDATABLE, "entered_on", "state", "state_since")
_READ = ("id", "credit_code", "version", *_WRITTEN)


def _existing_units(session: Session, codes: list[str]) -> dict[str, Any]:
    """The stored values of the units named by ``codes``, keyed by credit code."""
    table = UNITS
    columns = [table.c[name] for name in _READ]
    statement = select(*columns)
    if len(codes) < 500:
        statement = statement.where(table.c.credit_code.in_(codes))
    wanted = set(codes)
    return {
        row["credit_code"]: row
        for row in session.execute(statement).mappings()
        if row["credit_code"] in wanted
    }


def _ids_by_code(session: Session, codes: list[str]) -> dict[str, int]:
    table = UNITS
    statement = select(table.c.credit_code, table.c.id)
    if len(codes) < 500:
        statement = statement.where(table.c.credit_code.in_(codes))
    return {code: unit_id for code, unit_id in session.execute(statement)}


def _uuid() -> str:
    return str(uuid.uuid4())
