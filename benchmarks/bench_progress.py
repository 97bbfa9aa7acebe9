"""Progress against the task tables over N units: what the progress tab computes when opened.

fieldapp's side is ``operations.progress``: ``progress_kept.refresh`` (the kept per-unit shares
brought up to date: the units marked since the last count are counted again) and
``progress_kept.compute`` (the kept totals summed into the station × type cells with the June
milestone). Three figures: the tab opened with nothing changed since the last count; opened
right after one unit changed (its share counted again and written); and the first count of a
year (every unit's dated history folded and its share written: after an upgrade, or when the
counting code, the year's first deadline or a station's name changed; the window does it in the
background a minute after it starts). The fold of every unit that progress was before the kept
shares, ``services.progress.compute``, is the check: every figure must equal it.

The baseline is bare sqlite3 reading the same facts (the same unit columns joined to their
station, the same history events in order) and counting units by station, type and current state
with GROUP BY: what a figure counted from the records each time cannot avoid reading.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from sqlalchemy import select

from benchmarks.common import Result, connect, log, median_time, stopwatch
from fieldapp import paths
from fieldapp.services import progress as progress_service
from fieldapp.services.progress import HISTORY_KINDS, Progress
from fieldapp.storage.models import ProgressYear, Unit
from fieldapp.store import Store
from fieldapp.ui import operations

UNITS = (
    "SELECT u.id, s.name, u.unit_type, u.entered_on, u.name, u.address, u.industry, "
    "u.contact_person, u.contact_phone FROM units AS u JOIN stations AS s ON s.id = u.station_id"
)
EVENTS = (
    "SELECT unit_id, id, kind, occurred_on, to_state, old_value, new_value FROM unit_events "
    "WHERE kind IN ({kinds}) ORDER BY id"
)
COUNT = (
    "SELECT s.name, u.unit_type, u.state, count(*) FROM units AS u "
    "JOIN stations AS s ON s.id = u.station_id GROUP BY s.name, u.unit_type, u.state"
)


def fieldapp_progress(store: Store, year: int) -> Progress:
    """The year's progress as the progress tab computes it."""
    return operations.progress(store, year)


def _forget(store: Store, year: int) -> None:
    """Drop the year's kept shares, as an upgrade or a new counting code would."""
    with store.session() as session:
        kept = session.get(ProgressYear, year)
        if kept is not None:
            kept.context = ""


def change_one(store: Store, flip: list[bool]) -> None:
    """One unit's record changes (its phone blanked or restored: 系统录入 moves)."""
    with store.session() as session:
        unit = session.scalars(select(Unit).order_by(Unit.id).limit(1)).one()
        unit.contact_phone = "" if flip[0] else "13857800001"
    flip[0] = not flip[0]


def bare_progress(connection: sqlite3.Connection) -> int:
    """The same facts read and the units counted by station, type and state, on sqlite3."""
    kinds = ", ".join(f"'{kind}'" for kind in HISTORY_KINDS)
    units = connection.execute(UNITS).fetchall()
    connection.execute(EVENTS.format(kinds=kinds)).fetchall()
    counted = sum(row[3] for row in connection.execute(COUNT))
    if counted != len(units):
        raise RuntimeError(f"GROUP BY counted {counted} units of {len(units)}")
    return len(units)


def run(store_dir: Path, units: int, repeat: int) -> list[Result]:
    """``store_dir`` already holds ``units`` units (the import figure leaves it behind)."""
    year = date.today().year
    store = Store.open(store_dir)
    flip = [True]
    try:
        with connect(paths.database_path(store_dir)) as connection:
            theirs = bare_progress(connection)
            _forget(store, year)
            with stopwatch() as first:
                ours = fieldapp_progress(store, year)
            with store.read() as session:
                folded = progress_service.compute(session, year)
            if ours.cells != folded.cells or theirs != units:
                raise RuntimeError("kept progress differs from the fold of every unit")
            log(f"progress: {year} over {units} units, median of {repeat} …")
            kept = median_time(lambda: fieldapp_progress(store, year), repeat)

            def after_change() -> float:
                change_one(store, flip)
                with stopwatch() as elapsed:
                    fieldapp_progress(store, year)
                return elapsed[0]

            changed = sorted(after_change() for _ in range(repeat))[repeat // 2]
            ours = fieldapp_progress(store, year)
            with store.read() as session:
                if ours.cells != progress_service.compute(session, year).cells:
                    raise RuntimeError("kept progress differs from the fold after a change")
            baseline = median_time(lambda: bare_progress(connection), repeat)
    finally:
        store.close()
    log(
        f"progress: kept {kept * 1000:.0f} ms, after a change {changed * 1000:.0f} ms, first "
        f"count {first[0] * 1000:.0f} ms, sqlite3 {baseline * 1000:.0f} ms"
    )
    bare = "vs sqlite3 reading the same facts + GROUP BY station, type, state"
    return [
        Result(
            "progress_compute",
            kept * 1000,
            baseline * 1000,
            "ms",
            units,
            f"the progress tab's figures from the kept shares, nothing changed since; {bare}; "
            f"median of {repeat}",
        ),
        Result(
            "progress_after_change",
            changed * 1000,
            baseline * 1000,
            "ms",
            units,
            f"the same right after one unit changed (its share counted again); {bare}; "
            f"median of {repeat}",
        ),
        Result(
            "progress_first_count",
            first[0] * 1000,
            baseline * 1000,
            "ms",
            units,
            f"the year's first count (every unit folded, its share kept); {bare}; one run",
        ),
    ]
