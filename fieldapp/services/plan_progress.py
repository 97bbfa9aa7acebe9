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
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from fractions import Fraction

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


def _first(ratio: tuple[int, str | None]) -> int:
    """A ratio share's order: the ratio target's number (its town may be None)."""
    number, _town = ratio
    return number


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
class PlanSpan:
    """A multi-year plan a target belongs to: due at the end of ``end_year``, the share
    ``first_share_num``/``first_share_den`` by the end of ``start_year`` (None: no such share)."""

    start_year: int
    end_year: int
    first_share_num: int | None = None
    first_share_den: int | None = None

    @property
    def first_share(self) -> Fraction | None:
        if self.first_share_num is None or not self.first_share_den:
            return None
        return Fraction(self.first_share_num, self.first_share_den)


@dataclass(frozen=True)
class PlanTarget:
    """A target that is not a plain station cell, as plain data: ``order`` is its place among
    the stored task-table rows, ``parent`` the ``order`` of the row it is 其中 of."""

    order: int
    year: int
    station: str | None  # None: the county's own
    kind: TargetKind
    unit_type: UnitType | None
    count: int | None
    industry: str = ""
    sector: str = ""
    responsible_dept: str = ""
    note: str = ""
    parent: int | None = None
    plan: PlanSpan | None = None

    def applies(self, year: int) -> bool:
        """A figure of ``year``, or of a multi-year plan running in ``year``."""
        span = self.plan
        return self.year == year or (span is not None and span.start_year <= year <= span.end_year)


@dataclass(frozen=True)
class PlanRatio:
    station: str | None  # None: the county's own
    kind: RatioKind
    threshold: float | None
    denominator: int | None


@dataclass(frozen=True)
class UnitTraits:
    """What a unit's category targets read besides its snapshot."""

    industry: str | None
    category: str
    name: str
    town: str


@dataclass(frozen=True)
class PlanFacts:
    """Everything the plan's other targets are counted from, as plain data: the desktop store
    (:func:`facts`) and the county server (``fieldapp/server/figures.py``) each build it, and
    :func:`fold` counts it with the units' snapshots from :func:`fieldapp.services.progress.fold`."""

    year: int
    today: date
    deadlines: tuple[date, date]
    targets: list[PlanTarget]  # the year's (and its running plans'), not the station cells
    ratios: list[PlanRatio]  # the year's
    units: Mapping[progress.UnitKey, UnitTraits]
    stations: list[str]  # the task tables' stations in order (plan.station_order)


PlanShare = tuple[tuple[int, ...], tuple[tuple[int, str | None], ...]]
"""What one unit adds to the plan: the ``order`` of every target it counts toward, and for each
ratio it counts in (its index in ``PlanFacts.ratios``) the industry or town it covers for a
coverage ratio (None: one more in the numerator)."""

_COVERAGE = (RatioKind.INDUSTRY_COVERAGE, RatioKind.TOWN_COVERAGE)  # distinct values, not units


class Plan:
    """``facts``' targets and ratios arranged to tell what one unit adds (:meth:`share`)."""

    def __init__(self, facts: PlanFacts) -> None:
        self.year = facts.year
        self._targets: dict[str | None, list[PlanTarget]] = {}
        for target in facts.targets:
            if target.count is not None:  # 待分解 / 不单列: nothing is counted
                self._targets.setdefault(target.station, []).append(target)
        self._ratios: dict[str | None, list[tuple[int, RatioKind]]] = {}
        for n, ratio in enumerate(facts.ratios):
            self._ratios.setdefault(ratio.station, []).append((n, ratio.kind))

    def share(self, snap: Snapshot, trait: UnitTraits) -> PlanShare | None:
        """What a unit (``snap``: at the reference date) adds to the plan (None: nothing)."""
        if not snap.unit_type:
            return None
        counted = counting.classify(snap, self.year) in (Count.STOCK, Count.NEW)
        named = snap.state in NAMED_STATES
        if not counted and not named:
            return None
        facts = UnitFacts(UnitType(snap.unit_type), trait.industry, trait.category, trait.name)
        scopes = (None, snap.station)
        rows = tuple(
            target.order
            for scope in scopes
            for target in self._targets.get(scope, ())
            if (named if target.kind.is_category else counted)
            and counts_toward(
                target.kind, facts, unit_type=target.unit_type, industry=target.industry
            )
        )
        ratios: list[tuple[int, str | None]] = []
        if counted:
            for scope in scopes:
                for n, kind in self._ratios.get(scope, ()):
                    if _counts_in(kind, facts):
                        ratios.append((n, _covers(kind, facts, trait.town)))
        if not rows and not ratios:
            return None
        return tuple(sorted(rows)), tuple(sorted(ratios, key=_first))


def _counts_in(kind: RatioKind, unit: UnitFacts) -> bool:
    """Whether a counted unit adds to a ratio of ``kind``'s numerator."""
    if kind is RatioKind.UNIT_SHARE or kind is RatioKind.INDUSTRY_COVERAGE:
        return counts_toward(TargetKind.UNITS, unit)
    if kind is RatioKind.NO_REASON_SHARE:
        return unit.unit_type is UnitType.NO_REASON_RETURN
    if kind is RatioKind.TOWN_COVERAGE:
        return True
    return counts_toward(TargetKind.MARKET, unit)


def _covers(kind: RatioKind, unit: UnitFacts, town: str) -> str | None:
    """The industry or town a unit covers for a coverage ratio (None: the ratio counts units)."""
    if kind is RatioKind.INDUSTRY_COVERAGE:
        return unit.industry or ""
    if kind is RatioKind.TOWN_COVERAGE:
        return town.strip()
    return None


def fold(facts: PlanFacts, snapshots: Mapping[progress.UnitKey, Snapshot]) -> PlanProgress:
    """The plan's other target kinds against what the units (at the reference date:
    ``snapshots``) achieved."""
    if not facts.targets and not facts.ratios:
        return summed(facts, ())
    plan = Plan(facts)

    def shares() -> Iterable[tuple[PlanShare, int]]:
        for key, trait in facts.units.items():
            snap = snapshots.get(key)
            if snap is not None and (part := plan.share(snap, trait)) is not None:
                yield part, 1

    return summed(facts, shares())


def summed(facts: PlanFacts, shares: Iterable[tuple[PlanShare, int]]) -> PlanProgress:
    """The plan from the units' shares (:meth:`Plan.share`), each with how many units gave it;
    ``facts.units`` is not read."""
    year = facts.year
    first_due, final_due = facts.deadlines
    report = PlanProgress(year, counting.reference_date(year, facts.today), first_due, final_due)
    if not facts.targets and not facts.ratios:
        return report
    achieved: dict[int, int] = defaultdict(int)
    numerators: dict[int, int] = defaultdict(int)
    covered: dict[int, set[str]] = defaultdict(set)
    for (rows, ratios), weight in shares:
        for order in rows:
            achieved[order] += weight
        for n, value in ratios:
            if value is None:
                numerators[n] += weight
            else:
                covered[n].add(value)
    for n, ratio in enumerate(facts.ratios):
        if ratio.kind in _COVERAGE:
            values = covered[n] - {""}
            if ratio.kind is RatioKind.INDUSTRY_COVERAGE:
                values -= {OTHER_INDUSTRY}
            numerators[n] = len(values)
    by_station = progress.station_key(facts.stations)
    report.rows = _rows(facts.targets, achieved, year, by_station)
    report.ratios = _ratio_rows(facts.ratios, numerators, by_station)
    return report


def restricted(report: PlanProgress, station: str) -> PlanProgress:
    """``report`` with only ``station``'s rows and ratios (the county's own rows count every
    station's units: they are the county's to see)."""
    return PlanProgress(
        report.year,
        report.as_of,
        report.first_due,
        report.final_due,
        rows=[r for r in report.rows if r.scope == station],
        ratios=[r for r in report.ratios if r.scope == station],
    )


# --- the desktop store's facts ------------------------------------------------------------------


def _plan_targets(session: Session, year: int) -> list[PlanTarget]:
    rows = list(
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
    return [
        PlanTarget(
            order=t.id,
            year=t.year,
            station=t.station.name if t.station else None,
            kind=t.kind,
            unit_type=UnitType(t.unit_type) if t.unit_type else None,
            count=t.count,
            industry=t.industry or "",
            sector=t.sector or "",
            responsible_dept=t.responsible_dept or "",
            note=t.note or "",
            parent=t.parent_id,
            plan=(
                PlanSpan(
                    t.plan.start_year,
                    t.plan.end_year,
                    t.plan.first_share_num,
                    t.plan.first_share_den,
                )
                if t.plan
                else None
            ),
        )
        for t in rows
    ]


def _traits(session: Session) -> dict[progress.UnitKey, UnitTraits]:
    rows = session.execute(
        select(Unit.id, Unit.industry, Unit.category, Unit.name, Unit.town)
    ).columns("id", "industry", "category", "name", "town")  # every unit: unpacked by name
    return {
        unit_id: UnitTraits(industry, category, name, town)
        for unit_id, industry, category, name, town in rows
    }


def facts(session: Session, year: int, today: date | None = None) -> PlanFacts:
    """The desktop store's facts for ``year``'s plan (the units' traits only when a target
    or ratio needs them)."""
    targets = _plan_targets(session, year)
    ratios = [
        PlanRatio(r.station.name if r.station else None, r.kind, r.threshold, r.denominator)
        for r in session.scalars(
            select(RatioTarget).where(RatioTarget.year == year).order_by(RatioTarget.id)
        )
    ]
    return PlanFacts(
        year=year,
        today=today or date.today(),
        deadlines=plan.deadlines_for(session, year),
        targets=targets,
        ratios=ratios,
        units=_traits(session) if targets or ratios else {},
        stations=plan.station_order(session),
    )


def compute(
    session: Session,
    year: int,
    today: date | None = None,
    snapshots: Mapping[progress.UnitKey, Snapshot] | None = None,
) -> PlanProgress:
    """The plan's other target kinds against what the units achieved. ``snapshots``: the units
    at the reference date when the caller has them (``progress.compute`` folds them once)."""
    plan_facts = facts(session, year, today)
    if snapshots is None and (plan_facts.targets or plan_facts.ratios):
        as_of = counting.reference_date(year, plan_facts.today)
        snapshots = progress.snapshots(session, as_of)
    return fold(plan_facts, snapshots or {})


def _label(target: PlanTarget) -> str:
    if target.unit_type is None:
        return target.industry or target.kind.label
    return f"其中：{SHORT_LABELS[target.unit_type]}" if target.parent else target.unit_type.label


def _plan_due(target: PlanTarget, year: int) -> tuple[int | None, str]:
    """A plan target's figure for ``year`` (its first-year share in the first year)."""
    span = target.plan
    if span is None or target.count is None:
        return target.count, ""
    words = f"{span.start_year}—{span.end_year} 年计划"
    share = span.first_share
    if year == span.start_year and share is not None and year < span.end_year:
        due = math.ceil(target.count * share)
        return due, f"{words}：{year} 年底应完成{share_text(share)}（{target.count} 的 {due}）"
    return target.count, f"{words}：{span.end_year} 年底完成 {target.count}"


def _rows(
    targets: list[PlanTarget],
    achieved_by: Mapping[int, int],
    year: int,
    by_station: Callable[[str], tuple[int, str]],
) -> list[PlanRow]:
    rows: list[PlanRow] = []
    demos: dict[tuple[str, str, PlanSpan | None], PlanRow] = {}
    order = {kind: i for i, kind in enumerate(TargetKind)}
    parents = {t.order: t for t in targets}

    def key(t: PlanTarget) -> tuple[object, ...]:
        parent = parents.get(t.parent) if t.parent is not None else None
        return (  # county first, then by station; a 其中 right after its figure
            t.station is not None,
            by_station(t.station) if t.station is not None else (0, ""),
            order[(parent or t).kind],
            t.parent if t.parent is not None else t.order,
            t.parent is not None,
            t.order,
        )

    for target in sorted(targets, key=key):
        scope = target.station
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
        demo = (name, target.industry, target.plan)
        if target.kind is TargetKind.DEMONSTRATION and demo in demos:
            # 电信营业厅 for three carriers: one count of the halls
            demos[demo].target = (demos[demo].target or 0) + figure
            demos[demo].responsible += "、" + target.responsible_dept
            continue
        unit_type = target.unit_type
        counted_as = NAMED if target.kind.is_category else STOCK_AND_NEW
        achieved = achieved_by.get(target.order, 0)
        parent = parents.get(target.parent) if target.parent is not None else None
        row = PlanRow(
            name,
            _label(target),
            target.kind,
            figure,
            achieved,
            counted_as,
            unit_type,
            parent=_label(parent) if parent else "",
            sector=target.sector,
            responsible=target.responsible_dept,
            note=target.note,
            plan=plan_text,
        )
        if target.kind is TargetKind.DEMONSTRATION:
            demos[demo] = row
        rows.append(row)
    return rows


def _ratio_rows(
    ratios: list[PlanRatio],
    numerators: Mapping[int, int],
    by_station: Callable[[str], tuple[int, str]],
) -> list[RatioRow]:
    county = {r.kind: r for r in ratios if r.station is None}
    order = {kind: i for i, kind in enumerate(RatioKind)}
    out: list[RatioRow] = []
    for n, ratio in sorted(
        enumerate(ratios),
        key=lambda item: (
            order[item[1].kind],
            item[1].station is not None,
            by_station(item[1].station) if item[1].station is not None else (0, ""),
        ),
    ):
        scope = ratio.station
        threshold = ratio.threshold
        if threshold is None and ratio.kind in county:
            threshold = county[ratio.kind].threshold
        denominator, note = ratio.denominator, ""
        if denominator is None and scope is None:
            stations = [
                r.denominator
                for r in ratios
                if r.kind is ratio.kind and r.station is not None and r.denominator
            ]
            if stations:
                denominator, note = sum(stations), "各所分母之和"
        out.append(
            RatioRow(
                scope or COUNTY,
                ratio.kind,
                threshold,
                numerators.get(n, 0),
                denominator,
                note,
            )
        )
    return out
