"""Import station task tables (年度 × 所 × 单位类型 → 任务数), all rows or none.

Two layouts are accepted:
- long: one row per cell, columns 年度, 所, 单位类型, 任务数;
- wide, as the county circulates it (seed 002's annex): one row per 所 with a column per unit type
  (一般单位, 无理由退货单位, 放心工厂, 街区, 乡村) and 年度 as a column or given with ``year``.
Totals (放心消费单位总数, 合计 rows) are derived, never stored: when the file has them they are
checked against the sum of their parts and a mismatch rejects the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain.vocab import UnitType, canon, parse_unit_type
from fieldapp.errors import InvalidInput, Problem
from fieldapp.imports import cells
from fieldapp.imports.tabular import read_table
from fieldapp.services.stations import station_ids
from fieldapp.storage.models import Target, utcnow

LONG_COLUMNS = {
    "year": ("年度", "年份", "year"),
    "station": ("所", "所属所", "所(分局)", "所分局", "station"),
    "unit_type": ("单位类型", "类型", "unit_type"),
    "count": ("任务数", "目标数", "数量", "count", "target"),
}
WIDE_TYPES = {
    UnitType.GENERAL: ("一般单位", "一般放心消费单位", "一般"),
    UnitType.NO_REASON_RETURN: ("无理由退货单位", "无理由退货承诺单位", "线下无理由退货承诺单位"),
    UnitType.FACTORY: ("放心工厂",),
    UnitType.DISTRICT: ("街区", "放心消费街区", "放心消费街区(商圈)", "商圈", "街区(商圈)"),
    UnitType.VILLAGE: ("乡村", "放心消费乡村"),
    UnitType.VILLAGE_STATION: ("村级消费维权联络站(点)", "村级联络站", "联络站"),
}
TOTAL_HEADERS = ("放心消费单位总数", "总数", "合计", "total")
TOTAL_ROW_NAMES = {canon(n) for n in ("合计", "总计", "小计", "total")}
SKIP_ROW_NAMES = {canon(n) for n in ("市局任务", "县局任务", "上级任务")}


@dataclass
class TargetImportResult:
    year_counts: dict[int, int] = field(default_factory=dict)
    written: int = 0
    new_stations: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Cell:
    row: int
    year: int
    station: str
    unit_type: UnitType
    count: int


def _area_count(text: str) -> int:
    """Wide tables write 街区/乡村 as "1 区", "1 村" or "1 区 1 村"; a bare number also works."""
    return sum(int(n) for n in re.findall(r"\d+", cells.half_width(text))) if text.strip() else 0


def import_targets(
    session: Session, path: Path, *, year: int | None = None, source: str = ""
) -> TargetImportResult:
    where = path.name
    aliases = {canon(a): name for name, names in LONG_COLUMNS.items() for a in names}
    wide_aliases = {canon(a): t.value for t, names in WIDE_TYPES.items() for a in names}
    wide_aliases.update({canon(a): "total" for a in TOTAL_HEADERS})
    wide_aliases.update({canon(a): "station" for a in LONG_COLUMNS["station"]})
    wide_aliases.update({canon(a): "year" for a in LONG_COLUMNS["year"]})
    probe = read_table(path, {**aliases, **wide_aliases}, {})
    fields = {(aliases | wide_aliases).get(canon(h)) for h in probe.headers}
    if "count" in fields or "unit_type" in fields:
        cells_, problems = _long(path, aliases, year)
    else:
        cells_, problems = _wide(path, wide_aliases, year)
    if problems:
        raise InvalidInput(
            f"{path}：有 {len({p.row for p in problems})} 行数据有误，任务表未导入。改正后重新导入",
            problems,
        )
    if not cells_:
        raise InvalidInput(f"{path}：没有任务数据行")
    seen: dict[tuple[int, str, UnitType], int] = {}
    for cell in cells_:
        key = (cell.year, cell.station, cell.unit_type)
        if key in seen:
            problems.append(
                Problem(
                    where,
                    f"{cell.year} 年 {cell.station} {cell.unit_type.label} 与第 {seen[key]} 行重复",
                    row=cell.row,
                )
            )
        seen[key] = cell.row
    if problems:
        raise InvalidInput(f"{path}：任务表有重复的行，未导入", problems)
    ids, created = station_ids(session, list(dict.fromkeys(c.station for c in cells_)))
    result = TargetImportResult(new_stations=created)
    existing = {(t.year, t.station_id, t.unit_type): t for t in session.scalars(select(Target))}
    for cell in cells_:
        target = existing.get((cell.year, ids[cell.station], cell.unit_type.value))
        if target is None:
            session.add(
                Target(
                    year=cell.year,
                    station_id=ids[cell.station],
                    unit_type=cell.unit_type.value,
                    count=cell.count,
                    source=source or where,
                )
            )
        elif target.count != cell.count:
            target.count = cell.count
            target.source = source or where
            target.updated_at = utcnow()
        result.year_counts[cell.year] = result.year_counts.get(cell.year, 0) + cell.count
        result.written += 1
    session.flush()
    return result


def _year(text: str, fallback: int | None) -> int:
    if text.strip():
        value = cells.parse_int(text.removesuffix("年"), "年度")
    elif fallback is not None:
        value = fallback
    else:
        raise ValueError("年度为空。请填写年度列，或在命令中用 --year 指定")
    if not 2000 <= value <= date.today().year + 5:
        raise ValueError(f"年度 {value} 不合理")
    return value


def _long(
    path: Path, aliases: dict[str, str], year: int | None
) -> tuple[list[_Cell], list[Problem]]:
    where = path.name
    required = {"station": "所", "unit_type": "单位类型", "count": "任务数"}
    if year is None:
        required = {"year": "年度", **required}
    table = read_table(path, aliases, required)
    headers = {aliases[canon(h)]: h for h in table.headers if canon(h) in aliases}
    out: list[_Cell] = []
    problems: list[Problem] = []
    for row in table.rows:
        values = row.values
        errors: list[Problem] = []
        try:
            y = _year(values.get("year", ""), year)
        except ValueError as exc:
            errors.append(
                Problem(where, str(exc), row=row.number, column=headers.get("year", "年度"))
            )
            y = 0
        station = " ".join(values.get("station", "").split())
        if not station:
            errors.append(Problem(where, "所不能为空", row=row.number, column=headers["station"]))
        unit_type = parse_unit_type(values.get("unit_type", ""))
        if unit_type is None:
            allowed = "、".join(t.label for t in UnitType)
            errors.append(
                Problem(
                    where,
                    f"未知的单位类型「{values.get('unit_type', '')}」，可用：{allowed}",
                    row=row.number,
                    column=headers["unit_type"],
                )
            )
        try:
            count = cells.parse_int(values.get("count", ""), "任务数")
            if count < 0:
                raise ValueError("任务数不能为负数")
        except ValueError as exc:
            errors.append(Problem(where, str(exc), row=row.number, column=headers["count"]))
            count = 0
        if errors or unit_type is None:
            problems.extend(errors)
        else:
            out.append(_Cell(row.number, y, station, unit_type, count))
    return out, problems


def _wide(
    path: Path, aliases: dict[str, str], year: int | None
) -> tuple[list[_Cell], list[Problem]]:
    where = path.name
    table = read_table(path, aliases, {"station": "所"})
    headers = {aliases[canon(h)]: h for h in table.headers if canon(h) in aliases}
    types = [t for t in UnitType if t.value in headers]
    if not types:
        raise InvalidInput(
            f"{path}：没有找到任务数的列。请用“年度、所、单位类型、任务数”四列，"
            "或每种单位类型一列（一般单位、无理由退货单位、放心工厂、街区、乡村）"
        )
    out: list[_Cell] = []
    problems: list[Problem] = []
    sums: dict[UnitType, int] = dict.fromkeys(types, 0)
    for row in table.rows:
        values = row.values
        station = " ".join(values.get("station", "").split())
        if canon(station) in SKIP_ROW_NAMES:
            continue
        parsed: dict[UnitType, int] = {}
        errors: list[Problem] = []
        for unit_type in types:
            text = values.get(unit_type.value, "")
            try:
                if unit_type.is_area:
                    parsed[unit_type] = _area_count(text)
                else:
                    parsed[unit_type] = cells.parse_int(text, "任务数") if text.strip() else 0
            except ValueError as exc:
                errors.append(
                    Problem(where, str(exc), row=row.number, column=headers[unit_type.value])
                )
        unit_total = sum(n for t, n in parsed.items() if not t.is_area)
        if canon(station) in TOTAL_ROW_NAMES:
            for unit_type, n in parsed.items():
                if n != sums[unit_type]:
                    errors.append(
                        Problem(
                            where,
                            f"合计 {n} 与各所之和 {sums[unit_type]} 不符",
                            row=row.number,
                            column=headers[unit_type.value],
                        )
                    )
            problems.extend(errors)
            continue
        for unit_type, n in parsed.items():
            sums[unit_type] += n
        if "total" in headers and values.get("total", "").strip() and not errors:
            try:
                stated = cells.parse_int(values["total"], "总数")
                if stated != unit_total:
                    errors.append(
                        Problem(
                            where,
                            f"总数 {stated} 与各类之和 {unit_total} 不符",
                            row=row.number,
                            column=headers["total"],
                        )
                    )
            except ValueError as exc:
                errors.append(Problem(where, str(exc), row=row.number, column=headers["total"]))
        if not station:
            errors.append(Problem(where, "所不能为空", row=row.number, column=headers["station"]))
        try:
            y = _year(values.get("year", ""), year)
        except ValueError as exc:
            errors.append(
                Problem(where, str(exc), row=row.number, column=headers.get("year", "年度"))
            )
        if errors:
            problems.extend(errors)
            continue
        for unit_type, n in parsed.items():
            if n or not unit_type.is_area:
                out.append(_Cell(row.number, y, station, unit_type, n))
    return out, problems
