"""Searching N units as the user types: one keystroke's first page and count.

fieldapp's side is what the units tab runs for each new filter (``operations.first_page``): a
read-only ``sqlite3`` connection opened for it, and ``views.units.first_page`` (the count and the
first 100 units with their station, in one read transaction). The baseline runs the same index
lookup by hand on a connection already open: the FTS5 query over ``unit_grams`` written here
(a term's overlapping three-character pieces as a phrase, a shorter term as a prefix), the
count from the index alone and the page joined to units and stations in rowid order. The ratio is
the cost of the filter object, the query builder, the connection and the row objects; the note
gives the absolute time against the goal (16 ms, one frame, at 50,000 units; 50 ms at 500,000) and what the LIKE scan over every
unit, which the index replaced, takes once.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from benchmarks.common import Result, connect, log, median_time
from fieldapp import paths
from fieldapp.store import Store
from fieldapp.views import units as unit_view
from fieldapp.views.units import UnitFilter, terms

# figure name -> the query typed into the search box
QUERIES = {
    "search_short": "超市",  # two characters: a prefix query
    "search_long": "好又多",  # three characters: one piece
    "search_street": "解放街",
    "search_code": "MA25",  # part of a credit code
    "search_two_terms": "壶镇 便利店",
    "search_one_char": "镇",  # one character: a prefix query
    "search_full_width": "ｍａ２５",  # typed full-width and lower case
    "search_everywhere": "缙云县",  # in every unit's address: the count is the largest there is
}
LIMIT = 100
# A search beside the station filter (the index's facet tokens, migration 0013): figure name and
# query; the station is the first one.
IN_STATION = ("search_one_char_in_station", "镇")


def goal_ms(units: int) -> float:
    """Issue 15's goal: one frame (16 ms) for a county's 50,000 units, 50 ms for 500,000."""
    return 16.0 if units <= 50_000 else 50.0


PAGE = (
    "SELECT u.id, u.credit_code, u.name, s.name, u.unit_type, u.state, u.address "
    "FROM unit_grams AS g JOIN units AS u ON u.id = g.rowid "
    "JOIN stations AS s ON s.id = u.station_id "
    "WHERE g.unit_grams MATCH ? ORDER BY g.rowid LIMIT ?"
)
COUNT = "SELECT count(*) FROM unit_grams WHERE unit_grams MATCH ?"
LIKE = "(u.name LIKE ? OR u.shop_name LIKE ? OR u.credit_code LIKE ? OR u.address LIKE ?)"


def match(query: str) -> str:
    """The FTS5 query for ``query``, written by hand (the benchmark's terms have no quote)."""
    parts = []
    for term in terms(query):
        if len(term) < 3:
            parts.append(f'"{term}"*')
        else:
            parts.append('"' + " ".join(term[i : i + 3] for i in range(len(term) - 2)) + '"')
    return " AND ".join(parts)


def bare(
    connection: sqlite3.Connection, query: str, limit: int = LIMIT, station_id: int | None = None
) -> tuple[list[int], int]:
    """The first ``limit`` unit ids and the count, by the index, on bare sqlite3 (within the
    station ``station_id``: its facet token ANDed to the query)."""
    found = match(query)
    if station_id is not None:
        found += f' AND "{unit_view.FACET_MARK}st{station_id}"'
    page = connection.execute(PAGE, (found, limit)).fetchall()
    total = connection.execute(COUNT, (found,)).fetchone()[0]
    return [row[0] for row in page], total


def like_scan(connection: sqlite3.Connection, query: str) -> float:
    """Seconds LIKE over every unit takes for the same count (what searching cost before)."""
    where = " AND ".join(LIKE for _ in terms(query))
    params = [f"%{t}%" for t in terms(query) for _ in range(4)]
    start = time.perf_counter()
    connection.execute(f"SELECT count(*) FROM units AS u WHERE {where}", params).fetchone()
    return time.perf_counter() - start


def _fieldapp(store: Store, query: str, station: str | None = None) -> tuple[list[int], int]:
    """One keystroke's work as the units tab does it: a read connection, page and total."""
    with store.raw_read() as connection:
        chosen = UnitFilter(search=query, station=station)
        page = unit_view.first_page(connection, chosen, LIMIT)
    return [row.id for row in page.rows], page.total


def run(store_dir: Path, n: int, repeat: int) -> list[Result]:
    """Median time of each query over ``repeat`` runs, on a store already holding ``n`` units."""
    results = []
    store = Store.open(store_dir)
    try:
        with connect(paths.database_path(store_dir)) as connection:
            station_id, station = connection.execute(
                "SELECT id, name FROM stations ORDER BY id LIMIT 1"
            ).fetchone()
            figures = [(name, query, None) for name, query in QUERIES.items()]
            figures.append((*IN_STATION, station))
            for name, query, where in figures:
                among = None if where is None else station_id
                ours, theirs = _fieldapp(store, query, where), bare(connection, query, LIMIT, among)
                if ours != theirs:
                    raise RuntimeError(f"{query!r}: fieldapp found {ours[1]}, sqlite3 {theirs[1]}")
                value = median_time(lambda q=query, w=where: _fieldapp(store, q, w), repeat)
                baseline = median_time(
                    lambda q=query, a=among: bare(connection, q, LIMIT, a), repeat
                )
                scan = like_scan(connection, query)
                goal = goal_ms(n)
                verdict = "within" if value * 1e3 < goal else "OVER"
                scope = "" if where is None else f" in {where}"
                note = (
                    f"「{query}」{scope}: {ours[1]} hits, first {LIMIT} + count by the index, median "
                    f"of {repeat}; {value * 1e3:.1f} ms {verdict} the {goal:.0f} ms goal "
                    f"(LIKE over every unit: {scan * 1e3:.0f} ms)"
                )
                log(
                    f"{name}: fieldapp {value * 1e3:.2f} ms, sqlite3 {baseline * 1e3:.2f} ms, "
                    f"LIKE scan {scan * 1e3:.1f} ms"
                )
                results.append(Result(name, value * 1e3, baseline * 1e3, "ms", n, note))
    finally:
        store.close()
    return results
