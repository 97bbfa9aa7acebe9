"""The hold-back counts of a year and day, kept between bulletins.

The monthly bulletin (每月一通报) prints per station how many units each reason holds back. Counting
them reads the facts of nearly every unit of the store (:func:`worklists.holdback_facts`: about
half a second for 50,000 units) although nothing may have changed since the last bulletin. As the
county server keeps its counts (:mod:`fieldapp.server.holdback_counts`), the desktop keeps them
in ``kept_figures`` (one row per scope and year: ``holdbacks:all`` for the county,
``holdbacks:<station id>`` for one station) with the day they were counted for and the store's
change clock (``change_clock.n``, moved by triggers on every write to a table the facts read)
read before the facts.

Kept counts hold while both are unchanged: any write to units, their history, stations,
evaluations, answers, photos, the pulled evaluations, the task tables or the cases moves the
clock, and another day moves the dates the rules judge by (deadlines, 长期未变化), so either makes
:func:`kept_counts` answer None and the caller count afresh with :func:`keep`. Counts kept by
other code (:data:`RULES` changed: an upgrade) are counted afresh too. The counts are
:func:`holdback_fold.counts` of the same facts, so they equal the lists' counts; the bulletin
then reads only the units with a 不符合 answer, for its list of open 整改. A read-only store keeps
nothing: its bulletin counts in full.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from fieldapp.domain import holdbacks, lifecycle
from fieldapp.domain.holdbacks import Reason
from fieldapp.services import evidence, holdback_fold, progress, worklists
from fieldapp.services.progress_kept import clock
from fieldapp.storage.models import KeptFigure

if TYPE_CHECKING:
    from fieldapp.store import Store

Counts = dict[str, dict[Reason, int]]  # station -> reason -> units, as holdback_fold.counts
# The code that reads the facts and counts them: counts kept by other code are counted again.
RULES = (holdbacks, lifecycle, holdback_fold, evidence, worklists)


def figure_name(station_id: int | None) -> str:
    """The ``kept_figures`` name of the counts of ``station_id`` (None: the county's)."""
    return "holdbacks:all" if station_id is None else f"holdbacks:{station_id}"


@cache
def _code() -> str:
    return progress.code_digest(*RULES, sys.modules[__name__])


def _body(counts: Counts) -> str:
    stations = {
        name: {reason.value: n for reason, n in line.items()} for name, line in counts.items()
    }
    return json.dumps(
        {"code": _code(), "stations": stations},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _counts(body: str) -> Counts | None:
    """The counts of ``body`` in their stations' order, None when other code kept them."""
    kept = json.loads(body)
    if kept.get("code") != _code():
        return None
    return {
        name: {reason: line.get(reason.value, 0) for reason in Reason}
        for name, line in kept["stations"].items()
    }


def kept_counts(session: Session, year: int, today: date, station_id: int | None) -> Counts | None:
    """The counts kept for ``year`` as of ``today`` in the scope of ``station_id`` (None: the
    county), when they were counted for that day and nothing has changed since; else None."""
    row = session.get(KeptFigure, (figure_name(station_id), year))
    if row is None or row.today != today or row.seq != clock(session):
        return None
    return _counts(row.body)


def keep(store: Store, year: int, today: date, station_id: int | None) -> Counts:
    """Count afresh (:func:`holdback_fold.counts` of :func:`worklists.holdback_facts`) and keep
    the counts with the clock read before the facts, so what is kept is never newer than its
    stamp (a write meanwhile leaves the row stale, to be counted again). A read-only store only
    counts."""
    with store.read() as session:
        seq = clock(session)
        counts = holdback_fold.counts(worklists.holdback_facts(session, year, today, station_id))
    if store.readonly:
        return counts
    values = {"today": today, "seq": seq, "body": _body(counts)}
    statement = insert(KeptFigure).values(name=figure_name(station_id), year=year, **values)
    with store.session() as session:
        session.execute(
            statement.on_conflict_do_update(index_elements=["name", "year"], set_=values)
        )
    return counts


def current(store: Store, year: int, today: date, station_id: int | None) -> Counts:
    """The counts of ``year`` as of ``today``: as kept when they are current, else counted (and
    kept, on a writable store)."""
    with store.read() as session:
        kept = kept_counts(session, year, today, station_id)
    return kept if kept is not None else keep(store, year, today, station_id)


def refresh(store: Store, year: int, today: date, station_id: int | None) -> None:
    """Make the kept counts of ``year`` as of ``today`` current: count and keep them unless they
    are. A read-only store keeps nothing, so nothing is counted here."""
    if not store.readonly:
        current(store, year, today, station_id)
