"""Progress against the task tables over N units: what the progress tab computes when opened.

fieldapp's side is ``operations.progress``: a read session and ``services.progress.compute`` for
the year (every unit's station, type, 入库 and record, every unit's dated history folded to the
reference date, counted into the station × type cells with the June milestone). The baseline is
bare sqlite3 reading the same facts (the same unit columns joined to their station, the same
history events in order) and counting units by station, type and current state with GROUP BY:
the reads the figure cannot avoid, so the ratio is the price of folding histories as of a date.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from benchmarks.common import Result, connect, log, median_time
from fieldapp import paths
from fieldapp.services import progress as progress_service
from fieldapp.services.progress import HISTORY_KINDS
from fieldapp.store import Store

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


def fieldapp_progress(store: Store, year: int) -> int:
    """The year's progress as the progress tab computes it; the units it counted."""
    with store.read() as session:
        report = progress_service.compute(session, year)
    return len(report.snapshots)


def bare_progress(connection: sqlite3.Connection) -> int:
    """The same facts read and the units counted by station, type and state, on sqlite3."""
    kinds = ", ".join(f"'{kind}'" for kind in HISTORY_KINDS)
    units = connection.execute(UNITS).fetchall()
    connection.execute(EVENTS.format(kinds=kinds)).fetchall()
    counted = sum(row[3] for row in connection.execute(COUNT))
    if counted != len(units):
        raise RuntimeError(f"GROUP BY counted {counted} units of {len(units)}")
    return len(units)


def run(store_dir: Path, units: int, repeat: int) -> Result:
    """``store_dir`` already holds ``units`` units (the import figure leaves it behind)."""
    year = date.today().year
    store = Store.open(store_dir)
    try:
        with connect(paths.database_path(store_dir)) as connection:
            ours, theirs = fieldapp_progress(store, year), bare_progress(connection)
            if ours != theirs or ours != units:
                raise RuntimeError(f"progress counted {ours} units, sqlite3 {theirs}")
            log(f"progress: {year} over {units} units, median of {repeat} …")
            value = median_time(lambda: fieldapp_progress(store, year), repeat)
            baseline = median_time(lambda: bare_progress(connection), repeat)
    finally:
        store.close()
    log(f"progress: fieldapp {value * 1000:.0f} ms, sqlite3 {baseline * 1000:.0f} ms")
    note = (
        f"services.progress.compute for {year} (histories folded, cells counted) vs sqlite3 "
        f"reading the same facts + GROUP BY station, type, state; median of {repeat}"
    )
    return Result("progress_compute", value * 1000, baseline * 1000, "ms", units, note)
