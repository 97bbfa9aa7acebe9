"""Evidence that would survive a provincial 暗访: photos that are reused, undated or far apart.

Seed 002 warns against 失真失实: a photo proves a visit only if it was taken at that unit, on that
day. Four flags are raised here; they are shown (on the evaluation screen, the printed sheet,
``evaluations show`` and the dashboard's 证据存疑 list) and never block any work:

* 重复照片: the same stored photo (same SHA-256) is also on another unit's evaluation, or on
  another evaluation of the same unit that is neither a revision of this one (``replaces_id``,
  which copies every photo) nor a follow-up carrying a photo over from the evaluation it follows
  (``follows_id``; only items that did not fail are carried, on the same item). A follow-up whose
  re-check of a failed item shows the photo taken before the rectification *is* flagged.
* 无拍摄时间: the photo has no capture time (``Photo.taken_at``).
* 非当日拍摄: the capture date is not the visit's date. The visit is the first evaluation of a
  revision chain (a revision is a correction, made later, of the same visit); a photo carried
  over by a follow-up counts as taken on the visit it came from.
* 位置分散: two photos of one evaluation were taken more than :data:`SPREAD_LIMIT_M` apart
  (great-circle distance between their GPS positions); the largest distance is reported.

:func:`judge` holds the rules, as pure functions over plain rows, and :func:`judge_year` which
evaluations a year's list judges. :func:`for_evaluation` reads the rows of one evaluation;
:func:`year_facts` those of every finalised evaluation of a year (one station or all), narrowing
in SQL to the photos that could be flagged, in a few set-based queries, so the dashboard over a
county answers at once; the county server reads the same rows from what was synced
(``fieldapp/server/holdbacks.py``) and judges them with the same functions.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from fieldapp.domain.lifecycle import EXITS
from fieldapp.domain.records import EvaluationStatus
from fieldapp.domain.verdict import Answer
from fieldapp.storage.models import AnswerRow, Evaluation, Photo, Station, Unit

SPREAD_LIMIT_M = 1000.0
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
# A bounding box narrower than this (in degrees, both ways) cannot hold two points more than
# 1 km apart: 0.006° of latitude is 667 m, of longitude at most that, and the diagonal 943 m.
_BOX_DEGREES = 0.006
_SHOWN = 6  # photos named in one message before "等 N 项"
_SHOWN_OTHERS = 5  # other evaluations with a 重复照片 flag of their own; the rest share one
_GONE = tuple(s.value for s in EXITS)  # exited units hold nobody back

Key = tuple[str | None, str | None]  # (checklist id, item code); (None, None) for the whole visit
# An evaluation and a unit as each store names them: the desktop's row id, the server's uuid.
EvaluationKey = int | str
UnitKey = int | str


def key_order(key: EvaluationKey) -> tuple[int, str]:
    """How evaluation keys sort: row ids by number, uuids as text (one store has one kind)."""
    return (key, "") if isinstance(key, int) else (0, key)


class FlagKind(StrEnum):
    DUPLICATE = "duplicate"
    NO_TIME = "no_time"
    OTHER_DAY = "other_day"
    SPREAD = "gps_spread"

    @property
    def label(self) -> str:
        return FLAG_LABELS[self]


FLAG_LABELS: dict[FlagKind, str] = {
    FlagKind.DUPLICATE: "重复照片",
    FlagKind.NO_TIME: "无拍摄时间",
    FlagKind.OTHER_DAY: "非当日拍摄",
    FlagKind.SPREAD: "位置分散",
}


# --- rows in, flags out -------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationRow:
    """What the rules need of an evaluation. ``failed``: its 不符合 items (needed for the
    evaluations others follow up)."""

    id: EvaluationKey
    unit_id: UnitKey
    credit_code: str
    unit_name: str
    started_at: datetime  # the laptop's local wall time, naive (as the desktop store keeps it)
    status: str = EvaluationStatus.FINALIZED
    replaces_id: EvaluationKey | None = None
    follows_id: EvaluationKey | None = None
    failed: frozenset[tuple[str, str]] = frozenset()
    finalized_at: datetime | None = None  # as started_at; the year's list judges by it


@dataclass(frozen=True)
class PhotoRow:
    id: int
    evaluation_id: EvaluationKey
    sha256: str
    checklist_id: str | None = None
    item_code: str | None = None
    taken_at: datetime | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None

    @property
    def key(self) -> Key:
        return (self.checklist_id, self.item_code)

    @property
    def label(self) -> str:
        return self.item_code or "整体"

    @property
    def position(self) -> tuple[float, float] | None:
        if self.gps_lat is None or self.gps_lon is None:
            return None
        return (self.gps_lat, self.gps_lon)


# SHA-256 → the evaluations holding that photo → their rows of it.
Uses = Mapping[str, Mapping[EvaluationKey, Sequence[PhotoRow]]]


@dataclass(frozen=True)
class EvidenceFlag:
    """One doubt about an evaluation's photos, with a sentence saying what and where."""

    kind: FlagKind
    evaluation_id: EvaluationKey
    message: str
    photo_ids: tuple[int, ...]
    other_evaluations: tuple[
        EvaluationKey, ...
    ] = ()  # 重复照片: the evaluations the photos are also on
    distance_m: float | None = None  # 位置分散: the largest distance between two photos

    @property
    def label(self) -> str:
        return self.kind.label

    @property
    def text(self) -> str:
        return f"{self.label}：{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "label": self.label,
            "message": self.message,
            "photo_ids": list(self.photo_ids),
            "other_evaluations": list(self.other_evaluations),
            "distance_m": round(self.distance_m) if self.distance_m is not None else None,
        }


def photo_doubts(flags: Iterable[EvidenceFlag]) -> dict[int, list[str]]:
    """Photo id → the labels of the flags that name it (each once, in the flags' order)."""
    found: dict[int, list[str]] = {}
    for flag in flags:
        for photo_id in flag.photo_ids:
            labels = found.setdefault(photo_id, [])
            if flag.label not in labels:
                labels.append(flag.label)
    return found


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance in metres between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def widest_pair(photos: Sequence[PhotoRow]) -> tuple[float, PhotoRow, PhotoRow] | None:
    """The two photos taken furthest apart and their distance (None: fewer than two with GPS)."""
    placed: dict[tuple[float, float], PhotoRow] = {}
    for photo in photos:
        where = photo.position
        if where is not None:
            placed.setdefault(where, photo)
    points = list(placed.items())
    if len(points) < 2:
        return None
    best: tuple[float, PhotoRow, PhotoRow] | None = None
    for i, (here, first) in enumerate(points):
        for there, second in points[i + 1 :]:
            meters = distance_m(here, there)
            if best is None or meters > best[0]:
                best = (meters, first, second)
    return best


def _distance_text(meters: float) -> str:
    km = meters / 1000
    return f"{km:.1f} 公里" if km < 100 else f"{km:.0f} 公里"


def _photo_list(photos: Iterable[PhotoRow]) -> str:
    labels = list(dict.fromkeys(p.label for p in photos))
    shown = "、".join(labels[:_SHOWN])
    return f"{shown} 等 {len(labels)} 项" if len(labels) > _SHOWN else shown


class _Family:
    """Which evaluations of a unit copy each other's photos: revision chains and follow-ups."""

    def __init__(self, evaluations: Mapping[EvaluationKey, EvaluationRow]) -> None:
        self._evaluations = evaluations
        chain_parent: dict[EvaluationKey, EvaluationKey] = {}
        lineage_parent: dict[EvaluationKey, EvaluationKey] = {}

        def find(parent: dict[EvaluationKey, EvaluationKey], node: EvaluationKey) -> EvaluationKey:
            while parent.setdefault(node, node) != node:
                parent[node] = parent[parent[node]]
                node = parent[node]
            return node

        def join(
            parent: dict[EvaluationKey, EvaluationKey], a: EvaluationKey, b: EvaluationKey
        ) -> None:
            parent[find(parent, a)] = find(parent, b)

        for row in evaluations.values():
            find(chain_parent, row.id)
            find(lineage_parent, row.id)
            if row.replaces_id is not None:
                join(chain_parent, row.id, row.replaces_id)
                join(lineage_parent, row.id, row.replaces_id)
            if row.follows_id is not None:
                join(lineage_parent, row.id, row.follows_id)
        self._chain = {n: find(chain_parent, n) for n in list(chain_parent)}
        self._lineage = {n: find(lineage_parent, n) for n in list(lineage_parent)}
        groups: dict[EvaluationKey, set[EvaluationKey]] = defaultdict(set)
        for node, root in self._lineage.items():
            groups[root].add(node)
        self._members = {root: frozenset(nodes) for root, nodes in groups.items()}

    def same_chain(self, a: EvaluationKey, b: EvaluationKey) -> bool:
        return self._chain.get(a, a) == self._chain.get(b, b)

    def same_lineage(self, a: EvaluationKey, b: EvaluationKey) -> bool:
        return self._lineage.get(a, a) == self._lineage.get(b, b)

    def members(self, evaluation_id: EvaluationKey) -> frozenset[EvaluationKey]:
        """The evaluations linked to this one by revisions and follow-ups (itself included)."""
        return self._members.get(self._lineage.get(evaluation_id, evaluation_id), frozenset())

    def visit_day(self, evaluation_id: EvaluationKey) -> date:
        """The day of the visit: the first evaluation's of the revision chain."""
        row = self._evaluations[evaluation_id]
        seen = {row.id}
        while row.replaces_id is not None and row.replaces_id in self._evaluations:
            row = self._evaluations[row.replaces_id]
            if row.id in seen:
                break
            seen.add(row.id)
        return _day(row.started_at)

    def rechecked(self, photo: PhotoRow) -> bool:
        """The photo is on an item its evaluation re-checks (failed in the one it follows):
        a follow-up never carries such a photo over, it must be taken anew."""
        row = self._evaluations.get(photo.evaluation_id)
        if row is None or row.follows_id is None or photo.item_code is None:
            return False
        followed = self._evaluations.get(row.follows_id)
        return followed is not None and (photo.checklist_id, photo.item_code) in followed.failed

    def copied(self, mine: PhotoRow, other: PhotoRow) -> bool:
        """``other`` is the same photo legitimately copied to or from ``mine``'s evaluation."""
        a, b = mine.evaluation_id, other.evaluation_id
        if self.same_chain(a, b):
            return True  # a revision copies every photo (and may move one to another item)
        return (
            self.same_lineage(a, b)
            and mine.item_code is not None
            and mine.key == other.key
            and not self.rechecked(mine)
            and not self.rechecked(other)
        )


def _day(moment: datetime) -> date:
    return moment.date()


def judge(
    targets: Iterable[EvaluationKey],
    evaluations: Mapping[EvaluationKey, EvaluationRow],
    photos: Sequence[PhotoRow],
    limit_m: float = SPREAD_LIMIT_M,
) -> dict[EvaluationKey, tuple[EvidenceFlag, ...]]:
    """The flags of each evaluation in ``targets`` (those without any are left out).

    ``photos`` holds the targets' photos and every other photo with the same SHA-256;
    ``evaluations`` every evaluation those photos are on and the revisions and follow-ups
    that link them (with ``failed`` filled in for the ones followed up). A caller may leave
    out photos that cannot be flagged (see :func:`for_station_year`).
    """
    return _judge(_Family(evaluations), targets, evaluations, photos, limit_m)


def _judge(
    family: _Family,
    targets: Iterable[EvaluationKey],
    evaluations: Mapping[EvaluationKey, EvaluationRow],
    photos: Sequence[PhotoRow],
    limit_m: float,
) -> dict[EvaluationKey, tuple[EvidenceFlag, ...]]:
    uses: dict[str, dict[EvaluationKey, list[PhotoRow]]] = defaultdict(lambda: defaultdict(list))
    by_evaluation: dict[EvaluationKey, list[PhotoRow]] = defaultdict(list)
    for photo in photos:
        uses[photo.sha256][photo.evaluation_id].append(photo)
        by_evaluation[photo.evaluation_id].append(photo)
    found: dict[EvaluationKey, tuple[EvidenceFlag, ...]] = {}
    for evaluation_id in targets:
        own = by_evaluation.get(evaluation_id, [])
        flags = [
            *_duplicates(evaluation_id, own, uses, evaluations, family),
            *_times(evaluation_id, own, uses, evaluations, family),
            *_spread(evaluation_id, own, limit_m),
        ]
        if flags:
            found[evaluation_id] = tuple(flags)
    return found


def _duplicates(
    evaluation_id: EvaluationKey,
    own: Sequence[PhotoRow],
    uses: Uses,
    evaluations: Mapping[EvaluationKey, EvaluationRow],
    family: _Family,
) -> list[EvidenceFlag]:
    mine = evaluations.get(evaluation_id)
    related = family.members(evaluation_id)
    # my photo id → the other evaluations it is also on (as sets: a stock photo may be on
    # hundreds, and only the related few need a closer look)
    partners: dict[int, set[EvaluationKey]] = {}
    for photo in own:
        holders = uses.get(photo.sha256, {})
        if len(holders) < 2:
            continue
        elsewhere = set(holders)
        elsewhere.discard(evaluation_id)
        for other_id in related & elsewhere:  # only these can hold a legitimate copy
            if all(family.copied(photo, other) for other in holders[other_id]):
                elsewhere.discard(other_id)
        if elsewhere:
            partners[photo.id] = elsewhere
    if not partners:
        return []
    flags: list[EvidenceFlag] = []
    others: list[EvaluationKey] = sorted(set().union(*partners.values()), key=key_order)
    named = others[:_SHOWN_OTHERS]
    for other_id in named:
        reused = [p for p in own if other_id in partners.get(p.id, ())]
        there = evaluations.get(other_id)
        if there is None:
            where = f"评价 {other_id}"
        elif mine is not None and there.unit_id == mine.unit_id:
            where = f"本单位评价 {other_id}（{family.visit_day(other_id).isoformat()}）"
        else:
            where = f"另一单位「{there.unit_name}」（{there.credit_code}）的评价 {other_id}"
        if there is not None and there.status != EvaluationStatus.FINALIZED:
            where += "（草稿）"
        message = f"{len(reused)} 张照片（{_photo_list(reused)}）与{where}的照片相同"
        if mine is not None and there is not None and family.same_lineage(mine.id, other_id):
            message += "，不是修订或回头看沿用的照片"
            if any(family.rechecked(p) for p in reused):
                message += "；整改复查须重新拍照"
        flags.append(
            EvidenceFlag(
                FlagKind.DUPLICATE,
                evaluation_id,
                message,
                tuple(p.id for p in reused),
                other_evaluations=(other_id,),
            )
        )
    rest = others[_SHOWN_OTHERS:]
    if rest:
        reused = [p for p in own if partners.get(p.id, set()).difference(named)]
        ids = "、".join(str(e) for e in rest[:_SHOWN])
        more = " 等" if len(rest) > _SHOWN else ""
        flags.append(
            EvidenceFlag(
                FlagKind.DUPLICATE,
                evaluation_id,
                f"{len(reused)} 张照片（{_photo_list(reused)}）还与另外 {len(rest)} 次评价"
                f"（评价 {ids}{more}）的照片相同",
                tuple(p.id for p in reused),
                other_evaluations=tuple(rest),
            )
        )
    return flags


def _times(
    evaluation_id: EvaluationKey,
    own: Sequence[PhotoRow],
    uses: Uses,
    evaluations: Mapping[EvaluationKey, EvaluationRow],
    family: _Family,
) -> list[EvidenceFlag]:
    if evaluation_id not in evaluations:
        return []
    visit = family.visit_day(evaluation_id)
    related = family.members(evaluation_id)
    undated = [p for p in own if p.taken_at is None]
    elsewhen: list[PhotoRow] = []
    for photo in own:
        if photo.taken_at is None:
            continue
        days = {visit}
        holders = uses.get(photo.sha256, {})
        for other_id in related & holders.keys():
            if other_id != evaluation_id and any(
                family.copied(photo, other) for other in holders[other_id]
            ):
                days.add(family.visit_day(other_id))  # carried over from that visit
        if _day(photo.taken_at) not in days:
            elsewhen.append(photo)
    flags: list[EvidenceFlag] = []
    if undated:
        flags.append(
            EvidenceFlag(
                FlagKind.NO_TIME,
                evaluation_id,
                f"{len(undated)} 张照片（{_photo_list(undated)}）没有拍摄时间，"
                "无法证明是检查当天拍摄",
                tuple(p.id for p in undated),
            )
        )
    if elsewhen:
        taken = [f"{p.label} 摄于 {_day(p.taken_at).isoformat()}" for p in elsewhen if p.taken_at]
        shown = "；".join(taken[:_SHOWN]) + (f" 等 {len(taken)} 张" if len(taken) > _SHOWN else "")
        flags.append(
            EvidenceFlag(
                FlagKind.OTHER_DAY,
                evaluation_id,
                f"{len(elsewhen)} 张照片不是检查当天（{visit.isoformat()}）拍摄：{shown}",
                tuple(p.id for p in elsewhen),
            )
        )
    return flags


def _spread(
    evaluation_id: EvaluationKey, own: Sequence[PhotoRow], limit_m: float
) -> list[EvidenceFlag]:
    widest = widest_pair(own)
    if widest is None or widest[0] <= limit_m:
        return []
    meters, first, second = widest
    return [
        EvidenceFlag(
            FlagKind.SPREAD,
            evaluation_id,
            f"照片拍摄位置最远相距 {_distance_text(meters)}（{first.label} 与 {second.label}），"
            f"超过 {_distance_text(limit_m)}，可能不在同一现场",
            (first.id, second.id),
            distance_m=meters,
        )
    ]


# --- reading the rows ---------------------------------------------------------------------------


def _photo_rows(session: Session, condition: Any) -> list[PhotoRow]:
    statement = select(
        Photo.id,
        Photo.evaluation_id,
        Photo.sha256,
        Photo.checklist_id,
        Photo.item_code,
        Photo.taken_at,
        Photo.gps_lat,
        Photo.gps_lon,
    ).where(condition)
    rows = session.execute(statement.order_by(Photo.id)).mappings()
    return [PhotoRow(**row) for row in rows]  # the columns are named as PhotoRow's fields


def _evaluation_rows(session: Session, condition: Any) -> dict[EvaluationKey, EvaluationRow]:
    """Evaluations matching ``condition``, with the failed items of those followed up."""
    statement = (
        select(
            Evaluation.id,
            Evaluation.unit_id,
            Unit.credit_code,
            Unit.name.label("unit_name"),
            Evaluation.started_at,
            Evaluation.status,
            Evaluation.replaces_id,
            Evaluation.follows_id,
            Evaluation.finalized_at,
        )
        .join(Unit, Unit.id == Evaluation.unit_id)
        .where(condition)
    )
    # the columns are named as EvaluationRow's fields
    rows: dict[EvaluationKey, EvaluationRow] = {
        row["id"]: EvaluationRow(**row) for row in session.execute(statement).mappings()
    }
    followed = {r.follows_id for r in rows.values() if r.follows_id is not None} & set(rows)
    if not followed:
        return rows
    failed: dict[EvaluationKey, set[tuple[str, str]]] = defaultdict(set)
    for answer in session.execute(
        select(AnswerRow.evaluation_id, AnswerRow.checklist_id, AnswerRow.item_code).where(
            AnswerRow.evaluation_id.in_(followed), AnswerRow.result == Answer.FAIL
        )
    ):
        failed[answer.evaluation_id].add((answer.checklist_id, answer.item_code))
    for evaluation_id, keys in failed.items():
        rows[evaluation_id] = replace(rows[evaluation_id], failed=frozenset(keys))
    return rows


def for_evaluation(
    session: Session, evaluation_id: int, limit_m: float = SPREAD_LIMIT_M
) -> tuple[EvidenceFlag, ...]:
    """The flags of one evaluation (draft or finalised); empty when nothing is in doubt."""
    unit_id = session.scalar(select(Evaluation.unit_id).where(Evaluation.id == evaluation_id))
    if unit_id is None:
        return ()
    own_shas = select(Photo.sha256).where(Photo.evaluation_id == evaluation_id)
    photos = _photo_rows(
        session, or_(Photo.evaluation_id == evaluation_id, Photo.sha256.in_(own_shas))
    )
    involved = {p.evaluation_id for p in photos}
    evaluations = _evaluation_rows(
        session, or_(Evaluation.unit_id == unit_id, Evaluation.id.in_(involved))
    )
    return judge([evaluation_id], evaluations, photos, limit_m).get(evaluation_id, ())


@dataclass(frozen=True)
class EvaluationEvidence:
    """One finalised evaluation with doubtful evidence, for the dashboard's 证据存疑 list."""

    evaluation_id: EvaluationKey
    unit_id: UnitKey
    credit_code: str
    unit_name: str
    station: str
    state: str | None
    visited_on: date
    flags: tuple[EvidenceFlag, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> str:
        """One line: which kinds, e.g. "评价 12（2026-08-20）：重复照片 1 处、无拍摄时间 3 张"."""
        parts: list[str] = []
        for kind in FlagKind:
            flags = [f for f in self.flags if f.kind is kind]
            if not flags:
                continue
            if kind is FlagKind.DUPLICATE:
                parts.append(f"{kind.label} {len(flags)} 处")
            elif kind is FlagKind.SPREAD and flags[0].distance_m is not None:
                parts.append(f"{kind.label} {_distance_text(flags[0].distance_m)}")
            else:
                parts.append(f"{kind.label} {sum(len(f.photo_ids) for f in flags)} 张")
        return f"评价 {self.evaluation_id}（{self.visited_on.isoformat()}）：{'、'.join(parts)}"


@dataclass(frozen=True)
class YearEvidence:
    """What the year's 证据存疑 list is judged from, as plain rows: the desktop store
    (:func:`year_facts`) and the county server each read them from their own tables.

    ``candidates``: the evaluations that may be listed (at least every finalised one visited
    in the year that has a photo in ``photos``); ``evaluations`` and ``photos`` as
    :func:`judge` takes them, ``evaluations`` holding every revision of a candidate. A reader
    may leave out photos that cannot be flagged."""

    candidates: frozenset[EvaluationKey]
    evaluations: Mapping[EvaluationKey, EvaluationRow]
    photos: Sequence[PhotoRow]


def _on_or_before(moment: datetime | None, as_of: date | None) -> bool:
    return moment is not None and (as_of is None or moment.date() <= as_of)


def counted(
    row: EvaluationRow,
    year: int,
    as_of: date | None,
    revisions_of: Mapping[EvaluationKey, Sequence[EvaluationRow]],
) -> bool:
    """Whether the year's list judges ``row``: finalised (by ``as_of``), visited in ``year``,
    and not replaced by a revision finalised by then (services/revisions says the same)."""
    return (
        row.status == EvaluationStatus.FINALIZED
        and row.started_at.year == year
        and _on_or_before(row.finalized_at, as_of)
        and not any(
            r.status == EvaluationStatus.FINALIZED and _on_or_before(r.finalized_at, as_of)
            for r in revisions_of.get(row.id, ())
        )
    )


def judge_year(
    facts: YearEvidence, year: int, as_of: date | None, limit_m: float = SPREAD_LIMIT_M
) -> dict[EvaluationKey, tuple[date, tuple[EvidenceFlag, ...]]]:
    """The flagged evaluations of the year's list (:func:`counted`), each with its visit day and
    flags: the one judgement behind :func:`for_station_year` and the county server's list."""
    evaluations = facts.evaluations
    revisions_of: dict[EvaluationKey, list[EvaluationRow]] = defaultdict(list)
    for row in evaluations.values():
        if row.replaces_id is not None:
            revisions_of[row.replaces_id].append(row)
    involved = {p.evaluation_id for p in facts.photos}
    targets = [
        key
        for key in sorted(involved & facts.candidates, key=key_order)
        if key in evaluations and counted(evaluations[key], year, as_of, revisions_of)
    ]
    if not targets:
        return {}
    family = _Family(evaluations)  # judged with, then asked for each visit's day
    flagged = _judge(family, targets, evaluations, facts.photos, limit_m)
    return {key: (family.visit_day(key), flags) for key, flags in flagged.items()}


def year_facts(
    session: Session, year: int, station_id: int | None = None, as_of: date | None = None
) -> YearEvidence:
    """The desktop store's rows for the year's list: the finalised evaluations visited in
    ``year`` (finalised by ``as_of``) of the station's active units, or the county's, narrowed
    in SQL to the photos that could be flagged, with the evaluations those photos are on and
    every evaluation of their units."""
    start = datetime.combine(date(year, 1, 1), time())
    end = datetime.combine(date(year + 1, 1, 1), time())
    scope = (
        select(Evaluation.id)
        .join(Unit, Unit.id == Evaluation.unit_id)
        .where(
            Evaluation.status == EvaluationStatus.FINALIZED,
            Evaluation.started_at >= start,
            Evaluation.started_at < end,
            or_(Unit.state.is_(None), Unit.state.not_in(_GONE)),
        )
    )
    if as_of is not None:
        cutoff = datetime.combine(as_of + timedelta(days=1), time())
        scope = scope.where(Evaluation.finalized_at < cutoff)
    if station_id is not None:
        scope = scope.where(Unit.station_id == station_id)
    in_scope = scope.scalar_subquery()

    # Only photos that could be flagged: undated or dated another day than their evaluation
    # (every photo of a revision or a follow-up, whose visit day lies elsewhere), those of
    # evaluations whose GPS box is wider than 1 km could be, and those shared with another
    # evaluation (with every other use of them).
    target = aliased(Evaluation)
    loose_boxes = (
        select(Photo.evaluation_id)
        .where(Photo.evaluation_id.in_(in_scope), Photo.gps_lat.is_not(None))
        .group_by(Photo.evaluation_id)
        .having(
            or_(
                func.max(Photo.gps_lat) - func.min(Photo.gps_lat) > _BOX_DEGREES,
                func.max(Photo.gps_lon) - func.min(Photo.gps_lon) > _BOX_DEGREES,
            )
        )
    )
    own_shas = select(Photo.sha256).where(Photo.evaluation_id.in_(in_scope))
    shared = (
        select(Photo.sha256)
        .where(Photo.sha256.in_(own_shas))
        .group_by(Photo.sha256)
        .having(func.count(func.distinct(Photo.evaluation_id)) > 1)
    )
    doubtful = (
        select(Photo.id)
        .join(target, target.id == Photo.evaluation_id)
        .where(
            Photo.evaluation_id.in_(in_scope),
            or_(
                Photo.taken_at.is_(None),
                func.date(Photo.taken_at) != func.date(target.started_at),
                target.replaces_id.is_not(None),
                target.follows_id.is_not(None),
                Photo.evaluation_id.in_(loose_boxes),
            ),
        )
    )
    photos = _photo_rows(session, or_(Photo.id.in_(doubtful), Photo.sha256.in_(shared)))
    if not photos:
        return YearEvidence(frozenset(), {}, ())
    candidates = frozenset(session.scalars(scope))
    involved = {p.evaluation_id for p in photos}
    units = select(Evaluation.unit_id).where(Evaluation.id.in_(involved & candidates))
    evaluations = _evaluation_rows(
        session, or_(Evaluation.unit_id.in_(units), Evaluation.id.in_(involved))
    )
    return YearEvidence(candidates, evaluations, photos)


def for_station_year(
    session: Session,
    year: int,
    station_id: int | None = None,
    as_of: date | None = None,
    limit_m: float = SPREAD_LIMIT_M,
) -> list[EvaluationEvidence]:
    """Every finalised evaluation visited in ``year`` (finalised by ``as_of``, not replaced by a
    finalised revision) of the station's units, or the county's, whose photos are in doubt.

    Removed and closed units are left out, as on every hold-back list. Sorted by station order,
    then unit, then evaluation.
    """
    facts = year_facts(session, year, station_id, as_of)
    flagged = judge_year(facts, year, as_of, limit_m)
    if not flagged:
        return []
    evaluations = facts.evaluations
    places = {
        place.unit_id: place
        for place in session.execute(
            select(
                Unit.id.label("unit_id"),
                Station.name.label("station"),
                Unit.state,
                Station.id.label("station_order"),
            )
            .join(Station, Station.id == Unit.station_id)
            .where(Unit.id.in_({evaluations[e].unit_id for e in flagged}))
        )
    }
    out = []
    for evaluation_id, (visited, flags) in flagged.items():
        row = evaluations[evaluation_id]
        place = places[row.unit_id]
        out.append(
            EvaluationEvidence(
                evaluation_id,
                row.unit_id,
                row.credit_code,
                row.unit_name,
                place.station,
                place.state,
                visited,
                flags,
            )
        )
    out.sort(key=lambda e: (places[e.unit_id].station_order, e.unit_id, key_order(e.evaluation_id)))
    return out
