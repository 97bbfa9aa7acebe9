"""A year's progress from each unit's share, kept in the store, counting again only what changed.

:func:`fieldapp.services.progress.fold` reads and folds every unit's dated history: 1.7 s for
50,000 units and 25 s for 500,000, on every opening of the progress tab and every bulletin. The
store (migration 0012) keeps instead, per year and unit, what the unit adds to the figures
(:func:`fieldapp.services.progress.share`, the one rule) and how many units have each share;
the county server has kept its figures the same way since its migration 0006.

- :func:`refresh` brings a year's kept shares up to date: the units changed since they were
  counted (their ``unit_marks`` clock, kept by triggers on every write to a unit or its history,
  is newer), and those whose share no longer holds at today's reference date (past their next
  dated event) are counted again; everything is counted afresh when the counting code, the
  year's first deadline or a station's name changed. The counting runs in a read session; the
  writes go in short transactions of :data:`CHUNK` rows, so an inspector's answer waits for one
  of them at most.
- :func:`compute` gives the year's progress: the kept totals, with any unit changed since the
  last refresh counted again in memory, and nothing written; it folds every unit, as
  ``progress.compute`` does, when the year was never kept or too much has changed.

Both equal ``progress.compute`` (the tests compare them after every kind of change). The kept
figures carry no unit snapshots (``Progress.snapshots`` is empty): the plan's other targets
fold them when they need them (``plan_progress.compute``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, TypedDict

from sqlalchemy import Select, delete, func, insert, select, union
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from fieldapp.domain import counting, lifecycle, vocab
from fieldapp.domain import events as event_rules
from fieldapp.services import progress
from fieldapp.services.progress import Add, Progress, ProgressFacts, Tally
from fieldapp.storage.models import (
    ChangeClock,
    ProgressShare,
    ProgressTotal,
    ProgressYear,
    Station,
    UnitMark,
)

if TYPE_CHECKING:
    from fieldapp.store import Store

# The code that decides what a unit adds: shares kept by other code are counted again.
RULES = (counting, event_rules, lifecycle, vocab, progress)
CHUNK = 5000  # rows per write transaction
# Past this many changed units (or a fifth of the kept ones), compute folds every unit.
FOLD_ABOVE = 20_000


def clock(session: Session) -> int:
    """The store's change clock (every write to what a kept figure reads moves it on)."""
    return session.scalar(select(ChangeClock.n)) or 0


def context(session: Session, facts: ProgressFacts) -> str:
    """What every share of ``facts.year`` depends on besides its unit and the reference date:
    the counting code, the year, its first deadline, the stations' names."""
    stations = session.execute(select(Station.id, Station.name).order_by(Station.id)).all()
    parts = (
        _code(),
        facts.year,
        facts.deadlines[0].isoformat(),
        [list(row) for row in stations],
    )
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


class ShareRow(TypedDict):
    """A row of ``progress_shares``."""

    year: int
    unit_id: int
    seq: int
    since: date
    until: date | None
    share: str


@cache
def _code() -> str:
    return progress.code_digest(*RULES, sys.modules[__name__])


def _dumped(adds: Iterable[Add]) -> str:
    return json.dumps([list(add) for add in adds], ensure_ascii=False, separators=(",", ":"))


def _loaded(text: str) -> list[Add]:
    return [(station, unit_type, Tally(what)) for station, unit_type, what in json.loads(text)]


def _stale(kept: ProgressYear, as_of: date) -> Select[int]:
    """The ids of the units whose kept share may not hold: changed since, or past its dates."""
    share = ProgressShare
    either = union(
        select(UnitMark.unit_id).where(UnitMark.seq > kept.seq),
        select(share.unit_id).where(share.year == kept.year, share.until <= as_of),
        select(share.unit_id).where(share.year == kept.year, share.since > as_of),
    ).subquery()
    return select(either.c.unit_id)


def compute(session: Session, year: int, today: date | None = None) -> Progress:
    """``year``'s progress counted on ``today`` (default: today), from the kept shares when the
    year is kept under the same context, else folded from every unit."""
    base = progress.facts(session, year, today, units=False)
    as_of, first_due = progress.reference(year, base.today, base.deadlines)
    kept = session.get(ProgressYear, year)
    if kept is None or kept.context != context(session, base):
        return progress.fold(replace(base, units=progress.unit_facts(session)))
    stale = _stale(kept, as_of)
    changed = session.scalar(select(func.count()).select_from(stale.subquery())) or 0
    if changed > max(FOLD_ABOVE, kept.units // 5):
        return progress.fold(replace(base, units=progress.unit_facts(session)))
    counts: Counter[str] = Counter()
    for text, units in session.execute(
        select(ProgressTotal.share, ProgressTotal.units).where(ProgressTotal.year == year)
    ):
        counts[text] = units
    if changed:
        for text in session.scalars(
            select(ProgressShare.share).where(
                ProgressShare.year == year, ProgressShare.unit_id.in_(stale)
            )
        ):
            counts[text] -= 1
        for unit in progress.unit_facts(session, stale):
            counts[_dumped(progress.share(unit, year, as_of, first_due).adds)] += 1
    shares = [(_loaded(text), n) for text, n in counts.items() if n]
    return progress.tallied(base, shares)


def refresh(store: Store, year: int, today: date | None = None) -> int:
    """Bring ``year``'s kept shares up to date for ``today``; the units counted again (none on
    a read-only store, which keeps nothing)."""
    if store.readonly:
        return 0
    with store.read() as session:
        now = clock(session)  # before the units: what is kept is never newer than its clock
        base = progress.facts(session, year, today, units=False)
        as_of, first_due = progress.reference(year, base.today, base.deadlines)
        wanted = context(session, base)
        kept = session.get(ProgressYear, year)
        afresh = kept is None or kept.context != wanted
        ids = None if kept is None or afresh else _stale(kept, as_of)
        units = progress.unit_facts(session, ids)
        gone = set() if ids is None else set(session.scalars(ids)) - {u.key for u in units}
        rows = [
            _row(year, unit.key, now, as_of, progress.share(unit, year, as_of, first_due))
            for unit in units
        ]
    if afresh:
        _restart(store, year)
        for start in range(0, len(rows), CHUNK):
            with store.session() as session:
                _put_shares(session, year, rows[start : start + CHUNK])
        with store.session() as session:
            _settle(session, year, wanted, now)
        return len(rows)
    if not rows and not gone:
        return 0
    for start in range(0, max(len(rows), 1), CHUNK):
        with store.session() as session:
            _move(session, year, rows[start : start + CHUNK], gone if start == 0 else set())
            if start + CHUNK >= len(rows):
                _advance(session, year, now)
    return len(rows)


def _move(session: Session, year: int, rows: list[ShareRow], gone: set[int]) -> None:
    """Replace the units' shares with ``rows`` (unless counted later meanwhile) and take out
    those of the units ``gone``, moving the totals by as many."""
    keys = [row["unit_id"] for row in rows] + list(gone)
    old = {
        row.unit_id: (row.seq, row.share)
        for row in session.execute(
            select(ProgressShare.unit_id, ProgressShare.seq, ProgressShare.share).where(
                ProgressShare.year == year, ProgressShare.unit_id.in_(keys)
            )
        )
    }
    moves: Counter[str] = Counter()
    fresh = []
    for row in rows:
        before = old.get(row["unit_id"])
        if before is not None and before[0] > row["seq"]:
            continue  # counted later by another refresh
        fresh.append(row)
        moves[row["share"]] += 1
        if before is not None:
            moves[before[1]] -= 1
    for key in gone:
        if key in old:
            moves[old[key][1]] -= 1
    if gone:
        session.execute(
            delete(ProgressShare).where(ProgressShare.year == year, ProgressShare.unit_id.in_(gone))
        )
    if fresh:
        _put_shares(session, year, fresh)
    for text, n in moves.items():
        if n:
            statement = sqlite_insert(ProgressTotal).values(year=year, share=text, units=n)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=[ProgressTotal.year, ProgressTotal.share],
                    set_={"units": ProgressTotal.units + statement.excluded.units},
                )
            )
    session.execute(
        delete(ProgressTotal).where(ProgressTotal.year == year, ProgressTotal.units == 0)
    )


def _advance(session: Session, year: int, now: int) -> None:
    """The year's row: its shares are up to date with clock ``now``."""
    kept = session.get(ProgressYear, year)
    if kept is not None:
        kept.seq = max(kept.seq, now)
        kept.units = (
            session.scalar(
                select(func.count()).select_from(ProgressShare).where(ProgressShare.year == year)
            )
            or 0
        )


def _row(year: int, key: object, seq: int, as_of: date, part: progress.Share) -> ShareRow:
    assert isinstance(key, int)  # a desktop unit id
    return {
        "year": year,
        "unit_id": key,
        "seq": seq,
        "since": as_of,
        "until": part.timeline.next_change(as_of),
        "share": _dumped(part.adds),
    }


def _restart(store: Store, year: int) -> None:
    """Forget ``year``'s shares: until :func:`_settle`, :func:`compute` folds every unit."""
    with store.session() as session:
        session.execute(delete(ProgressYear).where(ProgressYear.year == year))
        session.execute(delete(ProgressTotal).where(ProgressTotal.year == year))
        session.execute(delete(ProgressShare).where(ProgressShare.year == year))


def _put_shares(session: Session, year: int, rows: list[ShareRow]) -> None:
    """Store ``rows``, each replacing the unit's share unless that one was counted later."""
    statement = sqlite_insert(ProgressShare)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[ProgressShare.year, ProgressShare.unit_id],
            set_={
                "seq": statement.excluded.seq,
                "since": statement.excluded.since,
                "until": statement.excluded.until,
                "share": statement.excluded.share,
            },
            where=statement.excluded.seq >= ProgressShare.seq,
        ),
        rows,
    )


def _settle(session: Session, year: int, wanted: str, now: int) -> None:
    """The year's totals from its stored shares, and its row: up to date with clock ``now``."""
    session.execute(delete(ProgressTotal).where(ProgressTotal.year == year))
    session.execute(
        insert(ProgressTotal).from_select(
            ["year", "share", "units"],
            select(ProgressShare.year, ProgressShare.share, func.count())
            .where(ProgressShare.year == year)
            .group_by(ProgressShare.year, ProgressShare.share),
        )
    )
    units = session.scalar(
        select(func.count()).select_from(ProgressShare).where(ProgressShare.year == year)
    )
    kept = session.get(ProgressYear, year)
    if kept is None:
        session.add(ProgressYear(year=year, context=wanted, seq=now, units=units or 0))
    else:
        kept.context, kept.seq, kept.units = wanted, max(kept.seq, now), units or 0
