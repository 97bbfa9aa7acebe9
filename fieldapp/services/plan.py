"""A task year's plan as stored: deadlines, the station × unit-type cells, and what was imported.

- :func:`deadlines_for` gives the year's two deadlines (seed 002: 6月底 培育、承诺公示、系统录入率
  100%; 11月底 后评价、标识张贴), as the county set them with :func:`set_deadlines`, else 6/30
  and 11/30. Seed 002 adds "上级如有要求按要求执行", so any dates of the year may be set.
- :func:`station_cells` gives the plain station × unit-type figures (seed 002's table) that the
  unit progress (:mod:`fieldapp.services.progress`) and sync count; every other target (county
  rows, 其中 subsets, categories, 待分解, plans) is for :mod:`fieldapp.services.plan_progress`.
- :func:`summary_lines` describes stored targets per year and kind, for the importer's report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from fieldapp.domain.targets import (
    COUNTY,
    SHORT_LABELS,
    RatioKind,
    TargetKind,
    pending_label,
    share_text,
    threshold_text,
)
from fieldapp.domain.vocab import UnitType
from fieldapp.errors import InvalidInput
from fieldapp.storage.models import PlanYear, RatioTarget, Station, Target, TaskPlan

FIRST_DEFAULT = (6, 30)
FINAL_DEFAULT = (11, 30)


# --- deadlines ----------------------------------------------------------------------------------


def default_deadlines(year: int) -> tuple[date, date]:
    return date(year, *FIRST_DEFAULT), date(year, *FINAL_DEFAULT)


def deadlines_for(session: Session, year: int) -> tuple[date, date]:
    """The year's (first, final) deadlines: as set for the year, else 6/30 and 11/30."""
    row = session.get(PlanYear, year)
    if row is None:
        return default_deadlines(year)
    return row.first_due, row.final_due


def set_deadlines(
    session: Session,
    year: int,
    *,
    first_due: date | None = None,
    final_due: date | None = None,
    source: str = "",
) -> PlanYear:
    """Set one or both deadlines of ``year``; the other keeps its value (or its default)."""
    current_first, current_final = deadlines_for(session, year)
    first = first_due or current_first
    final = final_due or current_final
    problems = [
        f"{name} {value} 不在 {year} 年内，请给出 {year} 年的日期"
        for name, value in (("6月底节点", first), ("11月底节点", final))
        if value.year != year
    ]
    if not problems and first >= final:
        problems.append(
            f"6月底节点 {first} 应早于 11月底节点 {final}（培育、公示在前，后评价、张贴在后）"
        )
    if problems:
        raise InvalidInput(f"{year} 年任务节点未修改：" + "；".join(problems))
    row = session.get(PlanYear, year)
    if row is None:
        row = PlanYear(year=year, first_due=first, final_due=final, source=source)
        session.add(row)
    else:
        row.first_due, row.final_due = first, final
        row.source = source or row.source
    session.flush()
    return row


# --- the station × unit-type cells --------------------------------------------------------------


@dataclass(frozen=True)
class StationCell:
    year: int
    station: str
    unit_type: UnitType
    count: int


def ratio_row(session: Session, year: int, kind: str, station_id: int | None) -> RatioTarget:
    """The ratio target of ``kind`` for a station (None: the county) in ``year``, added to the
    session if there is none yet: one row per year, station and kind, whoever writes it (the
    task-table import, a pull from the county server)."""
    row = session.scalar(
        select(RatioTarget).where(
            RatioTarget.year == year,
            RatioTarget.kind == kind,
            RatioTarget.station_id.is_(None)
            if station_id is None
            else RatioTarget.station_id == station_id,
        )
    )
    if row is None:
        row = RatioTarget(year=year, station_id=station_id, kind=kind)
        session.add(row)
    return row


def is_station_cell() -> ColumnElement[bool]:
    """A plain cell of a station task table: a station, one unit type, a count, not a 其中."""
    return and_(
        Target.kind == TargetKind.UNIT_TYPE,
        Target.station_id.is_not(None),
        Target.unit_type.is_not(None),
        Target.count.is_not(None),
        Target.parent_id.is_(None),
        Target.plan_id.is_(None),
    )


def station_cells(session: Session, year: int | None = None) -> list[StationCell]:
    """The station × unit-type figures of ``year`` (every year when None)."""
    query = (
        select(Target.year, Station.name.label("station"), Target.unit_type, Target.count)
        .join(Station, Station.id == Target.station_id)
        .where(is_station_cell())
        .order_by(Target.year, Station.id, Target.id)
    )
    if year is not None:
        query = query.where(Target.year == year)
    return [
        StationCell(
            year=cell["year"],
            station=cell["station"],
            unit_type=UnitType(cell["unit_type"]),
            count=int(cell["count"]),
        )
        for cell in session.execute(query).mappings()
        if cell["unit_type"] is not None and cell["count"] is not None
    ]


def station_order(session: Session) -> list[str]:
    """The stations in the order the task tables list them (by year, then as the table's rows
    were stored): the order figures list stations in, on the desktop and on the county server,
    which has the same tables. A station no table names comes after, by name."""
    names = session.scalars(
        select(Station.name)
        .join(Target, Target.station_id == Station.id)
        .order_by(Target.year, Target.id)
    )
    return list(dict.fromkeys(names))


# --- what is stored, in words -------------------------------------------------------------------


def _join(parts: Iterable[str]) -> str:
    return "、".join(p for p in parts if p)


def summary_lines(
    session: Session, target_ids: Iterable[int], ratio_ids: Iterable[int] = ()
) -> list[str]:
    """One line per year for the stored targets ``target_ids`` and ratio targets ``ratio_ids``,
    read back from the database (a figure is said as it was stored, not as it was read)."""
    ids = list(target_ids)
    rows = list(session.scalars(select(Target).where(Target.id.in_(ids)))) if ids else []
    ratio_list = list(ratio_ids)
    ratios = (
        list(session.scalars(select(RatioTarget).where(RatioTarget.id.in_(ratio_list))))
        if ratio_list
        else []
    )
    years = sorted({t.year for t in rows} | {r.year for r in ratios})
    lines = []
    for year in years:
        parts = _year_parts(
            [t for t in rows if t.year == year], [r for r in ratios if r.year == year]
        )
        lines.append(f"{year} 年：" + "，".join(parts))
    return lines


def _year_parts(rows: list[Target], ratios: list[RatioTarget]) -> list[str]:
    parts: list[str] = []
    plans = sorted({t.plan_id for t in rows if t.plan_id is not None})
    for plan_id in [None, *plans]:
        in_plan = [t for t in rows if t.plan_id == plan_id]
        counted = [t for t in in_plan if t.count is not None]
        described = _describe([t for t in counted if t.station_id is not None])
        county = _describe([t for t in counted if t.station_id is None])
        if county:
            described.append(f"{COUNTY}：" + "，".join(county))
        described.extend(_pending([t for t in in_plan if t.count is None]))
        if plan_id is not None and described:
            plan = in_plan[0].plan
            assert plan is not None
            head = f"{plan.start_year}—{plan.end_year} 年计划（{plan.end_year} 年底完成"
            share = first_share(plan)
            if share is not None:
                head += f"，{plan.start_year} 年完成{share_text(share)}"
            described = [head + "）：" + "，".join(described)]
        parts.extend(described)
    if ratios:
        described_ratios = []
        order = {kind: i for i, kind in enumerate(RatioKind)}
        for ratio in sorted(ratios, key=lambda r: (order[r.kind], r.station_id or 0)):
            scope = ratio.station.name if ratio.station else COUNTY
            bits = [threshold_text(ratio.threshold) if ratio.threshold is not None else ""]
            if ratio.denominator is not None:
                bits.append(f"{ratio.kind.denominator_label} {ratio.denominator}")
            described_ratios.append(f"{scope}{ratio.kind.label} {' '.join(b for b in bits if b)}")
        parts.append("比例目标：" + "；".join(described_ratios))
    return parts


def first_share(plan: TaskPlan) -> Fraction | None:
    """The share of a plan's targets due by the end of its first year (seed 001: one third)."""
    if plan.first_share_num is None or not plan.first_share_den:
        return None
    return Fraction(plan.first_share_num, plan.first_share_den)


def _describe(rows: list[Target]) -> list[str]:
    """Totals per kind of ``rows``, derived from the stored components."""
    parts: list[str] = []
    counted = [t for t in rows if t.count is not None and t.parent_id is None]
    by_type: dict[UnitType, int] = defaultdict(int)
    for t in counted:
        if t.kind is TargetKind.UNIT_TYPE and t.unit_type is not None:
            by_type[UnitType(t.unit_type)] += t.count or 0
    unit_types = [u for u in UnitType if u.group == "units" and u in by_type]
    if unit_types:
        total = sum(by_type[u] for u in unit_types)
        inner = _join(f"{SHORT_LABELS[u]} {by_type[u]}" for u in unit_types)
        parts.append(f"单位 {total} 家（{inner}）")
    parents = [t for t in counted if t.kind is TargetKind.UNITS]
    if parents:
        total = sum(t.count or 0 for t in parents)
        subsets: dict[UnitType, int] = defaultdict(int)
        parent_ids = {t.id for t in parents}
        for t in rows:
            if t.parent_id in parent_ids and t.unit_type is not None and t.count is not None:
                subsets[UnitType(t.unit_type)] += t.count
        inner = _join(f"{SHORT_LABELS[u]} {n}" for u, n in subsets.items())
        parts.append(f"放心消费单位 {total} 家" + (f"（其中{inner}）" if inner else ""))
    areas = [u for u in UnitType if u.is_area and u in by_type]
    if len(areas) == 1:
        parts.append(f"{SHORT_LABELS[areas[0]]} {by_type[areas[0]]}")
    elif areas:
        total = sum(by_type[u] for u in areas)
        inner = _join(f"{SHORT_LABELS[u]} {by_type[u]}" for u in areas)
        parts.append(f"街区/乡村 {total}（{inner}）")
    if UnitType.VILLAGE_STATION in by_type:
        parts.append(f"村级联络站 {by_type[UnitType.VILLAGE_STATION]}")
    for kind in TargetKind:
        if not kind.is_category or kind is TargetKind.DEMONSTRATION:
            continue
        figures = [t.count or 0 for t in counted if t.kind is kind]
        if figures:
            parts.append(f"{kind.label} {sum(figures)}")
    demos = [t for t in counted if t.kind is TargetKind.DEMONSTRATION]
    if demos:
        lines = {(t.industry, t.responsible_dept) for t in demos}
        kinds = {t.industry for t in demos}
        parts.append(
            f"重点行业示范单位 {sum(t.count or 0 for t in demos)} 家"
            f"（{len(kinds)} 种创建类型，{len(lines)} 项）"
        )
    return parts


def _pending(rows: list[Target]) -> list[str]:
    """Rows without a figure, by what the table says of them (待分解 or 不单列)."""
    parts = []
    for label in ("待分解", "不单列"):
        names = _join(
            dict.fromkeys(
                (t.industry or t.kind.label) for t in rows if pending_label(t.note) == label
            )
        )
        if names:
            parts.append(f"{label}：{names}")
    return parts
