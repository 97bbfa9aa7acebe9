"""What holds each station back, decided once: plain facts in, the hold-back lists out.

:class:`HoldBackFacts` is everything the lists are judged from, as plain data: the desktop store
(``services/worklists.py``) and the county server (``fieldapp/server/holdbacks.py``) each read it
from their own tables, and :func:`fold` decides, the one place the rules are applied. Reasons:

* 本年未评价: a state that needs a 后评价 this year (:data:`NEEDS_EVALUATION`) and no finalised
  evaluation visited from 1 January to today (or 31 December of a past year);
* 整改逾期: an open 整改 past its deadline. An item is open when its most recent finalised answer
  (finalised by today) is 不符合: a later finalised visit answering the same item closes it when it
  passes, or replaces it (with its new deadline) when it fails again;
* 未张贴标识 / 标识无照片: a confirmed unit with no 标识张贴 this year, or only ones without a photo;
* 长期未变化: longer than :data:`STALE_DAYS` in a working state;
* 证据存疑: a finalised evaluation of the year whose photos are in doubt
  (:func:`fieldapp.services.evidence.judge_year`).

Exited units (移出、关停、转让、注销) hold nobody back. A unit appears once per reason that applies;
each station lists its units reason by reason, in the order the facts give them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from fieldapp.domain.holdbacks import Reason
from fieldapp.domain.lifecycle import CONFIRMED_STATES, EXITS, State
from fieldapp.services import evidence
from fieldapp.services.evidence import EvaluationKey, UnitKey, key_order

# States whose units need a 后评价 in the current year (DOMAIN.md B: "yearly, newly entered units
# plus last year's units"): committed units are due their first one, confirmed units their yearly
# one, 预警库 its re-check. Units still in 选育池/培育库 are not due one yet.
NEEDS_EVALUATION: frozenset[State] = frozenset(
    {State.COMMITTED, State.EVALUATING, State.CONFIRMED, State.STARRED, State.WARNING}
)

# "Status unchanged for a long time" [R]: the seeds give no number. Seed 002's calendar gives each
# step about half a year (培育、承诺公示 by end of June, 后评价、标识 by end of November), so a unit
# resting longer than that in a working state is flagged. 后评价 is a visit that should follow
# within a season, and 预警库 is a rectification with deadlines of weeks, so they are shorter.
STALE_DAYS: dict[State, int] = {
    State.CULTIVATING: 180,
    State.COMMITTED: 180,
    State.EVALUATING: 120,
    State.WARNING: 90,
}

# The states a unit can be held back for without an evaluation or a 整改 of its own: a reader may
# read only these units, and the units with a 不符合 answer or a photo in doubt.
LISTED_STATES: frozenset[State] = NEEDS_EVALUATION | CONFIRMED_STATES | frozenset(STALE_DAYS)


def active(state: State | None) -> bool:
    """Whether a unit in ``state`` is in the task: exited units hold nobody back."""
    return state not in EXITS


@dataclass(frozen=True)
class Sticker:
    """One 标识张贴 of the year."""

    on: date
    photo: bool


@dataclass(frozen=True)
class Answered:
    """One finalised answer to an item that failed at least once in the unit's finalised
    evaluations: a 整改 (``failed``, with its deadline) or a later visit's re-check of it."""

    evaluation: EvaluationKey
    finalized_at: datetime  # the laptop's local wall time, naive
    checklist_id: str
    item_code: str
    failed: bool
    due: date | None = None
    rectify: str | None = None  # the 整改要求 of a failed one
    version: int = 0  # of its checklist, for the item's text

    @property
    def item(self) -> tuple[str, str]:
        return (self.checklist_id, self.item_code)

    def order(self) -> tuple[datetime, tuple[int, str]]:
        """Which answer is more recent: finalised later, or (at the same second) made later."""
        return (self.finalized_at, key_order(self.evaluation))


def rectification_answers(answers: Iterable[Answered]) -> tuple[Answered, ...]:
    """The answers :class:`UnitFacts` keeps of a unit's finalised answers: those to an item that
    failed at least once (every reader narrows the same way)."""
    kept = list(answers)
    failed = {a.item for a in kept if a.failed}
    return tuple(a for a in kept if a.item in failed)


@dataclass(frozen=True)
class UnitFacts:
    """One unit as the hold-back rules need it."""

    key: UnitKey
    credit_code: str
    name: str
    station: str
    state: State | None
    state_since: date | None
    first_visit: date | None = None  # the first finalised evaluation visited in the year
    stickers: tuple[Sticker, ...] = ()  # the year's 标识张贴
    answers: tuple[Answered, ...] = ()  # see :func:`rectification_answers`


@dataclass(frozen=True)
class HoldBackFacts:
    year: int
    today: date
    stations: list[str]  # every station listed, in order (each store's own order)
    units: list[UnitFacts]  # in the order the lists name them
    evidence: evidence.YearEvidence = field(
        default_factory=lambda: evidence.YearEvidence(frozenset(), {}, ())
    )


@dataclass(frozen=True)
class HoldBack:
    """One unit and one reason it holds its station back, with a sentence saying why."""

    unit_id: UnitKey
    credit_code: str
    name: str
    station: str
    state: str | None
    reason: Reason
    detail: str
    since: date | None  # the date the problem dates from (state date, deadline, sticker date)

    def as_dict(self) -> dict[str, object]:
        return {
            "unit": self.unit_id,
            "credit_code": self.credit_code,
            "name": self.name,
            "station": self.station,
            "state": self.state,
            "state_label": State(self.state).label if self.state else None,
            "reason": self.reason.value,
            "reason_label": self.reason.label,
            "detail": self.detail,
            "since": self.since.isoformat() if self.since else None,
        }


@dataclass(frozen=True)
class StationHoldBacks:
    station: str
    items: tuple[HoldBack, ...] = ()

    def counts(self) -> dict[Reason, int]:
        found = Counter(item.reason for item in self.items)
        return {reason: found[reason] for reason in Reason}

    @property
    def units(self) -> int:
        """How many distinct units hold the station back (a unit may have several reasons)."""
        return len({item.unit_id for item in self.items})

    def as_dict(self) -> dict[str, object]:
        return {
            "station": self.station,
            "units": self.units,
            "counts": {reason.value: n for reason, n in self.counts().items()},
            "items": [item.as_dict() for item in self.items],
        }


def as_json(
    year: int, today: date, lists: list[StationHoldBacks], reason: Reason | None = None
) -> dict[str, object]:
    """The lists as the county server's ``GET /api/v1/holdbacks`` returns them; with ``reason``
    each station's items are only that reason's (its counts stay whole)."""
    stations = []
    for found in lists:
        entry = found.as_dict()
        if reason is not None:
            entry["items"] = [i.as_dict() for i in found.items if i.reason is reason]
        stations.append(entry)
    return {
        "year": year,
        "as_of": today.isoformat(),
        "reasons": [{"reason": r.value, "label": r.label} for r in Reason],
        "stations": stations,
    }


# --- the rules ----------------------------------------------------------------------------------


def _state_label(state: State | None) -> str:
    return state.label if state else "（无状态）"


def open_items(unit: UnitFacts, today: date) -> list[Answered]:
    """The unit's open 整改 as of ``today``: failed items whose most recent finalised answer
    (finalised by ``today``) is the failure itself; the 每月一通报 lists them too."""
    known = [a for a in unit.answers if a.finalized_at.date() <= today]
    latest: dict[tuple[str, str], tuple[datetime, tuple[int, str]]] = {}
    for answer in known:
        if answer.item not in latest or answer.order() > latest[answer.item]:
            latest[answer.item] = answer.order()
    return [a for a in known if a.failed and a.order() == latest[a.item]]


def _overdue(unit: UnitFacts, today: date) -> list[Answered]:
    """The unit's open 整改 (as of ``today``) whose deadline has passed."""
    return [a for a in open_items(unit, today) if a.due is not None and a.due < today]


class _Rules:
    """The rules for one year and day: :meth:`reasons` decides, :meth:`explain` words it."""

    def __init__(self, year: int, today: date) -> None:
        self.year, self.today = year, today
        self.start, self.end = date(year, 1, 1), min(today, date(year, 12, 31))
        # the last day a unit may have entered each working state without being 长期未变化
        self.stale_since = {state: today - timedelta(days=n + 1) for state, n in STALE_DAYS.items()}

    def reasons(self, unit: UnitFacts) -> list[Reason]:
        """Each reason but 证据存疑 that ``unit`` holds its station back for."""
        found: list[Reason] = []
        state = unit.state
        if state in NEEDS_EVALUATION and not (
            unit.first_visit is not None and self.start <= unit.first_visit <= self.end
        ):
            found.append(Reason.NOT_EVALUATED)
        if unit.answers and _overdue(unit, self.today):
            found.append(Reason.RECTIFICATION_OVERDUE)
        if state in CONFIRMED_STATES:
            posted = self._posted(unit)
            if not posted:
                found.append(Reason.NO_STICKER)
            elif not any(s.photo for s in posted):
                found.append(Reason.STICKER_NO_PHOTO)
        last_day = self.stale_since.get(state) if state is not None else None
        if last_day is not None and unit.state_since is not None and unit.state_since <= last_day:
            found.append(Reason.STALE)
        return found

    def _posted(self, unit: UnitFacts) -> list[Sticker]:
        return [s for s in unit.stickers if self.start <= s.on <= self.end]

    def explain(self, unit: UnitFacts, reason: Reason) -> tuple[str, date | None]:
        """The sentence saying why, and the date the problem dates from."""
        year, today, since = self.year, self.today, unit.state_since
        label = _state_label(unit.state)
        if reason is Reason.NOT_EVALUATED:
            return f"「{label}」，{year} 年还没有定稿的评价", since
        if reason is Reason.RECTIFICATION_OVERDUE:
            overdue = _overdue(unit, today)
            due = min(a.due for a in overdue if a.due is not None)
            days = (today - due).days
            return f"{len(overdue)} 项整改逾期，最早期限 {due.isoformat()}（已过 {days} 天）", due
        if reason is Reason.NO_STICKER:
            return f"「{label}」，{year} 年还没有记录标识张贴", since
        if reason is Reason.STICKER_NO_PHOTO:
            last = max(s.on for s in self._posted(unit))
            return f"{last.isoformat()} 张贴标识，没有张贴照片，请补拍", last
        days = (today - since).days if since else 0
        return f"「{label}」已 {days} 天未变化（自 {since.isoformat() if since else '—'}）", since


def _doubtful(facts: HoldBackFacts) -> dict[UnitKey, list[evidence.EvaluationEvidence]]:
    """证据存疑: each unit's flagged evaluations of the year, in evaluation order."""
    flagged = evidence.judge_year(facts.evidence, facts.year, facts.today)
    by_unit: dict[UnitKey, list[evidence.EvaluationEvidence]] = defaultdict(list)
    rows = facts.evidence.evaluations
    for key in sorted(flagged, key=key_order):
        visited, flags = flagged[key]
        row = rows[key]
        by_unit[row.unit_id].append(
            evidence.EvaluationEvidence(
                key, row.unit_id, row.credit_code, row.unit_name, "", None, visited, flags
            )
        )
    return by_unit


def fold(facts: HoldBackFacts) -> list[StationHoldBacks]:
    """Per station (every one of ``facts.stations``, in that order, then any other a unit names),
    the units holding it back and why."""
    rules = _Rules(facts.year, facts.today)
    found: dict[str, dict[Reason, list[HoldBack]]] = {
        name: {reason: [] for reason in Reason} for name in facts.stations
    }
    units = [u for u in facts.units if active(u.state)]
    for unit in units:
        lists = found.setdefault(unit.station, {reason: [] for reason in Reason})
        for reason in rules.reasons(unit):
            lists[reason].append(_hold_back(unit, reason, *rules.explain(unit, reason)))
    doubtful = _doubtful(facts)
    for unit in units:
        evaluations = doubtful.get(unit.key)
        if evaluations:
            found[unit.station][Reason.EVIDENCE].append(
                _hold_back(
                    unit,
                    Reason.EVIDENCE,
                    "；".join(e.summary for e in evaluations),
                    min(e.visited_on for e in evaluations),
                )
            )
    return [
        StationHoldBacks(name, tuple(item for items in lists.values() for item in items))
        for name, lists in found.items()
    ]


def counts(facts: HoldBackFacts) -> dict[str, dict[Reason, int]]:
    """How many units each reason holds back per station: :func:`fold`'s lists, counted without
    writing their sentences."""
    rules = _Rules(facts.year, facts.today)
    out = {name: dict.fromkeys(Reason, 0) for name in facts.stations}
    doubtful = _doubtful(facts)
    for unit in facts.units:
        if not active(unit.state):
            continue
        line = out.get(unit.station)
        if line is None:
            line = out[unit.station] = dict.fromkeys(Reason, 0)
        for reason in rules.reasons(unit):
            line[reason] += 1
        if unit.key in doubtful:
            line[Reason.EVIDENCE] += 1
    return out


def _hold_back(unit: UnitFacts, reason: Reason, detail: str, since: date | None) -> HoldBack:
    return HoldBack(
        unit_id=unit.key,
        credit_code=unit.credit_code,
        name=unit.name,
        station=unit.station,
        state=unit.state,
        reason=reason,
        detail=detail,
        since=since,
    )
