"""Achieved against the targets that are not plain station × unit-type cells (those are
:mod:`fieldapp.services.progress`'s): county-level figures, 放心消费单位 with their 其中 subsets,
categories (放心农贸市场, 阳光厨房 …), industry demonstration types, 待分解 rows, multi-year plans
and ratio targets. Figures are counted as of a date from each unit's history
(:func:`fieldapp.services.progress.snapshots`), so an earlier year does not move.

How each counts (docs/figures/任务表.md):
- unit types and 放心消费单位: units of the year's task, 现存 + 新培育 (seed 002's footnote), as in
  the unit progress (:func:`fieldapp.domain.counting.classify`);
- categories and demonstration types: units named 放心消费单位 or 星级库 at the date that
  :func:`fieldapp.domain.targets.counts_toward` the kind (行业 market for 放心农贸市场; the
  创建类型 in 经营类别 or name for a demonstration type);
- ratios: the numerator counted like the units above, over the denominator the county entered
  (a county row without one takes the sum of its stations').
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from fieldapp.domain import counting
from fieldapp.domain.counting import Count, Snapshot
from fieldapp.domain.lifecycle import NAMED_STATES
from fieldapp.domain.targets import (
    COUNTY,
    SHORT_LABELS,
    RatioKind,
    TargetKind,
    UnitFacts,
    counts_toward,
    pending_label,
    share_text,
    threshold_text,
)
from fieldapp.domain.vocab import OTHER_INDUSTRY, UnitType
from fieldapp.services import plan, progress
from fieldapp.storage.models import RatioTarget, Target, TaskPlan, Unit

STOCK_AND_NEW = "现存+新培育"
NAMED = "已命名放心消费单位/星级库"


@dataclass
class PlanRow:
    scope: str  # a station, or 县级
    label: str
    kind: TargetKind
    target: int | None  # None: 待分解 / 不单列 (``status`` and ``note`` say which and why)
    achieved: int | None
    counted_as: str = ""
    unit_type: UnitType | None = None
    parent: str = ""  # the figure this is 其中 of
    sector: str = ""
    responsible: str = ""
    note: str = ""
    plan: str = ""  # multi-year plan: which and what is due this year

    @property
    def status(self) -> str:
        return pending_label(self.note) if self.target is None else ""

    @property
    def ratio(self) -> float | None:
        if not self.target or self.achieved is None:
            return None
        return self.achieved / self.target

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out.update(
            kind=self.kind.value,
            kind_label=self.kind.label,
            unit_type=self.unit_type.value if self.unit_type else None,
            status=self.status,
            ratio=self.ratio,
        )
        return out


@dataclass
class RatioRow:
    scope: str
    kind: RatioKind
    threshold: float | None
    numerator: int
    denominator: int | None
    denominator_note: str = ""  # e.g. 各所分母之和

    @property
    def ratio(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def met(self) -> bool | None:
        if self.ratio is None or self.threshold is None:
            return None
        return self.ratio >= self.threshold - 1e-9

    @property
    def threshold_text(self) -> str:
        return threshold_text(self.threshold) if self.threshold is not None else "—"

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out.update(
            kind=self.kind.value,
            label=self.kind.label,
            numerator_label=self.kind.numerator_label,
            denominator_label=self.kind.denominator_label,
            ratio=self.ratio,
            met=self.met,
        )
        return out


@dataclass
class PlanProgress:
    year: int
    as_of: date
    first_due: date
    final_due: date
    rows: list[PlanRow] = field(default_factory=list)
    ratios: list[RatioRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "year": self.year,
            "as_of": self.as_of,
            "deadlines": {"first_due": self.first_due, "final_due": self.final_due},
            "rows": [r.as_dict() for r in self.rows],
            "ratios": [r.as_dict() for r in self.ratios],
        }


@dataclass(frozen=True)
class _Unit:
    snapshot: Snapshot
    facts: UnitFacts
    town: str


def _units(
    session: Session, year: int, snapshots: dict[progress.UnitKey, Snapshot]
) -> tuple[list[_Unit], list[_Unit]]:
    """(counted units: 现存 + 新培育 of ``year``; named units) from the units' ``snapshots``."""
    facts = session.execute(
        select(Unit.id, Unit.industry, Unit.category, Unit.name, Unit.town)
    ).columns("id", "industry", "category", "name", "town")  # every unit: unpacked by name
    counted: list[_Unit] = []
    named: list[_Unit] = []
    for unit_id, industry, category, name, town in facts:
        snap = snapshots.get(unit_id)
        if snap is None or not snap.unit_type:
            continue
        unit = _Unit(snap, UnitFacts(UnitType(snap.unit_type), industry, category, name), town)
        if counting.classify(snap, year) in (Count.STOCK, Count.NEW):
            counted.append(unit)
        if snap.state in NAMED_STATES:
            named.append(unit)
    return counted, named


def _in(units: list[_Unit], scope: str | None) -> list[_Unit]:
    return units if scope is None else [u for u in units if u.snapshot.station == scope]


def compute(
    session: Session,
    year: int,
    today: date | None = None,
    snapshots: dict[progress.UnitKey, Snapshot] | None = None,
) -> PlanProgress:
    """The plan's other target kinds against what the units achieved. ``snapshots``: the units
    at the reference date when the caller has them (``progress.compute`` folds them once)."""
    today = today or date.today()
    as_of = counting.reference_date(year, today)
    first_due, final_due = plan.deadlines_for(session, year)
    report = PlanProgress(year, as_of, first_due, final_due)
    targets = list(
        session.scalars(
            select(Target)
            .outerjoin(TaskPlan, TaskPlan.id == Target.plan_id)
            .where(
                or_(
                    Target.year == year,
                    (TaskPlan.start_year <= year) & (TaskPlan.end_year >= year),
                ),
                ~plan.is_station_cell(),
            )
            .order_by(Target.id)
        )
    )
    ratios = list(session.scalars(select(RatioTarget).where(RatioTarget.year == year)))
    if not targets and not ratios:
        return report
    if snapshots is None:
        snapshots = progress.snapshots(session, as_of)
    counted, named = _units(session, year, snapshots)
    report.rows = _rows(targets, counted, named, year)
    report.ratios = _ratio_rows(ratios, counted)
    return report


def _label(target: Target) -> str:
    if target.unit_type is None:
        return target.industry or target.kind.label
    unit_type = UnitType(target.unit_type)
    return f"其中：{SHORT_LABELS[unit_type]}" if target.parent else unit_type.label


def _plan_due(target: Target, year: int) -> tuple[int | None, str]:
    """A plan target's figure for ``year`` (its first-year share in the first year)."""
    plan_row = target.plan
    if plan_row is None or target.count is None:
        return target.count, ""
    span = f"{plan_row.start_year}—{plan_row.end_year} 年计划"
    share = plan.first_share(plan_row)
    if year == plan_row.start_year and share is not None and year < plan_row.end_year:
        due = math.ceil(target.count * share)
        return due, f"{span}：{year} 年底应完成{share_text(share)}（{target.count} 的 {due}）"
    return target.count, f"{span}：{plan_row.end_year} 年底完成 {target.count}"


def _rows(
    targets: list[Target], counted: list[_Unit], named: list[_Unit], year: int
) -> list[PlanRow]:
    rows: list[PlanRow] = []
    demos: dict[tuple[str, str, int | None], PlanRow] = {}
    order = {kind: i for i, kind in enumerate(TargetKind)}
    ordered = sorted(  # county first, then by station; a 其中 right after its figure
        targets,
        key=lambda t: (
            t.station_id is not None,
            t.station_id or 0,
            order[(t.parent or t).kind],
            t.parent_id or t.id,
            t.parent_id is not None,
            t.id,
        ),
    )
    for target in ordered:
        scope = target.station.name if target.station else None
        name = scope or COUNTY
        figure, plan_text = _plan_due(target, year)
        if figure is None:
            rows.append(
                PlanRow(
                    name,
                    _label(target),
                    target.kind,
                    None,
                    None,
                    sector=target.sector,
                    responsible=target.responsible_dept,
                    note=target.note,
                    plan=plan_text,
                )
            )
            continue
        demo = (name, target.industry, target.plan_id)
        if target.kind is TargetKind.DEMONSTRATION and demo in demos:
            # 电信营业厅 for three carriers: one count of the halls
            demos[demo].target = (demos[demo].target or 0) + figure
            demos[demo].responsible += "、" + target.responsible_dept
            continue
        unit_type = UnitType(target.unit_type) if target.unit_type else None
        if target.kind.is_category:
            pool, counted_as = _in(named, scope), NAMED
        else:
            pool, counted_as = _in(counted, scope), STOCK_AND_NEW
        achieved = sum(
            1
            for u in pool
            if counts_toward(target.kind, u.facts, unit_type=unit_type, industry=target.industry)
        )
        row = PlanRow(
            name,
            _label(target),
            target.kind,
            figure,
            achieved,
            counted_as,
            unit_type,
            parent=_label(target.parent) if target.parent else "",
            sector=target.sector,
            responsible=target.responsible_dept,
            note=target.note,
            plan=plan_text,
        )
        if target.kind is TargetKind.DEMONSTRATION:
            demos[demo] = row
        rows.append(row)
    return rows


def _ratio_rows(ratios: list[RatioTarget], counted: list[_Unit]) -> list[RatioRow]:
    county = {r.kind: r for r in ratios if r.station_id is None}
    order = {kind: i for i, kind in enumerate(RatioKind)}
    out: list[RatioRow] = []
    for ratio in sorted(
        ratios, key=lambda r: (order[r.kind], r.station_id is not None, r.station_id or 0)
    ):
        scope = ratio.station.name if ratio.station else None
        threshold = ratio.threshold
        if threshold is None and ratio.kind in county:
            threshold = county[ratio.kind].threshold
        denominator, note = ratio.denominator, ""
        if denominator is None and scope is None:
            stations = [
                r.denominator
                for r in ratios
                if r.kind is ratio.kind and r.station_id is not None and r.denominator
            ]
            if stations:
                denominator, note = sum(stations), "各所分母之和"
        out.append(
            RatioRow(
                scope or COUNTY,
                ratio.kind,
                threshold,
                _numerator(ratio.kind, _in(counted, scope)),
                denominator,
                note,
            )
        )
    return out


def _numerator(kind: RatioKind, units: list[_Unit]) -> int:
    in_units = [u for u in units if counts_toward(TargetKind.UNITS, u.facts)]
    if kind is RatioKind.UNIT_SHARE:
        return len(in_units)
    if kind is RatioKind.NO_REASON_SHARE:
        return sum(1 for u in units if u.facts.unit_type is UnitType.NO_REASON_RETURN)
    if kind is RatioKind.INDUSTRY_COVERAGE:
        industries = {u.facts.industry for u in in_units}
        return len(industries - {None, "", OTHER_INDUSTRY})
    if kind is RatioKind.TOWN_COVERAGE:
        return len({u.town.strip() for u in units if u.town.strip()})
    return sum(1 for u in units if counts_toward(TargetKind.MARKET, u.facts))
