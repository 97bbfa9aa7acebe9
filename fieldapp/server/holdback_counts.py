"""How many units each reason holds back per station, for the 总览 and station pages.

Folding the hold-back lists reads every unit and every evaluation the server holds (about a
second per 50,000 units), while these pages need only the counts. The counts are kept per year
and day in ``holdback_counts`` with the state of the data they were folded from. A page reads
them as they are when nothing has changed since; when something has, it shows the last counts
with the time they were counted, and a background thread folds them afresh for the next request
(one thread per process, year and day; a second worker doing the same at the same moment is
harmless). Only the first page of a day folds while its reader waits. The fold is the desktop's
own (:func:`fieldapp.server.holdbacks.hold_backs`' :func:`holdback_fold.fold`), so the counts
are the lists' counts.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from fieldapp.domain.holdbacks import Reason
from fieldapp.server import holdbacks
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller
from fieldapp.server.db import Database, change_stamp, put_row
from fieldapp.services import holdback_fold

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StationCount:
    station: str
    units: int  # distinct units held back (a unit may have several reasons)
    counts: dict[Reason, int]


@dataclass(frozen=True)
class Counted:
    stations: list[StationCount]
    counted_at: datetime
    fresh: bool  # False: the data changed since; newer counts are being folded

    def units(self) -> dict[str, int]:
        return {line.station: line.units for line in self.stations}


def stamp(session: Session) -> str:
    """The state of what the lists read (:func:`fieldapp.server.db.change_stamp`)."""
    return change_stamp(session, m.Unit, m.Evaluation, m.Target)


def _body(lists: list[holdback_fold.StationHoldBacks]) -> str:
    return json.dumps(
        [
            {
                "station": found.station,
                "units": found.units,
                "counts": {reason.value: n for reason, n in found.counts().items()},
            }
            for found in lists
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _lines(body: str) -> list[StationCount]:
    return [
        StationCount(
            line["station"],
            line["units"],
            {reason: line["counts"].get(reason.value, 0) for reason in Reason},
        )
        for line in json.loads(body)
    ]


def count(db: Database, year: int, today: date) -> m.HoldBackCount:
    """Fold the county's lists for ``year`` as of ``today`` and keep their counts."""
    with db.session() as session:
        current = stamp(session)  # read before the data: the counts are never older than it
        lists = holdback_fold.fold(holdbacks.facts(session, year, today))
        row = m.HoldBackCount(
            year=year, today=today, stamp=current, counted_at=m.utc_now(), body=_body(lists)
        )
        _store(session, row)
        return row


def _store(session: Session, row: m.HoldBackCount) -> None:
    """Keep ``row``'s counts for its year and day, and no other day's."""
    session.execute(delete(m.HoldBackCount).where(m.HoldBackCount.today != row.today))
    values = {"stamp": row.stamp, "counted_at": row.counted_at, "body": row.body}
    put_row(session, m.HoldBackCount, {"year": row.year, "today": row.today}, values)


Later = Callable[..., object]  # runs a function with its arguments after the answer is sent

_busy: set[tuple[int, date]] = set()
_done = threading.Condition()


def _thread(function: Callable[..., object], *args: object) -> None:
    threading.Thread(target=function, args=args, name="holdback-counts", daemon=True).start()


def _refresh_later(db: Database, year: int, today: date, later: Later) -> None:
    key = (year, today)
    with _done:
        if key in _busy:
            return
        _busy.add(key)
    try:
        later(_refresh, db, year, today)
    except BaseException:
        _finished(key)
        raise


def _finished(key: tuple[int, date]) -> None:
    with _done:
        _busy.discard(key)
        _done.notify_all()


def _refresh(db: Database, year: int, today: date) -> None:
    try:
        count(db, year, today)
    except Exception:  # the next page asks again; the counts shown say when they were counted
        log.exception("暂缓清单计数更新失败（%s 年）", year)
    finally:
        _finished((year, today))


def wait_for_refresh() -> None:
    """Wait until the folds this process started have finished (tests, shutdown)."""
    with _done:
        _done.wait_for(lambda: not _busy)


def counts(
    db: Database,
    caller: Caller,
    year: int,
    today: date,
    station: str | None = None,
    later: Later = _thread,
) -> Counted:
    """The counts in the caller's scope (another station's is refused, as for the lists).
    Counts older than the data are folded again through ``later`` (a page passes its
    response's background tasks, so the fold starts once the page is sent)."""
    with db.session() as session:
        chosen = holdbacks.scope(session, caller, station, "所（分局）的暂缓清单")
        current = stamp(session)
        row = session.get(m.HoldBackCount, (year, today))
    if row is None:
        row = count(db, year, today)
        fresh = True
    else:
        fresh = row.stamp == current
        if not fresh:
            _refresh_later(db, year, today, later)
    lines = [line for line in _lines(row.body) if chosen is None or line.station == chosen]
    if chosen is not None and not lines:
        lines = [StationCount(chosen, 0, dict.fromkeys(Reason, 0))]
    return Counted(lines, row.counted_at, fresh)
