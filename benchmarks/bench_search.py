"""Searching N units as the user types: fieldapp's ``search()`` + ``count()`` vs the same SQL.

Both sides read the same database file. The baseline runs the SQL fieldapp's query amounts to:
LIKE over name, shop_name, credit_code and address for terms under three characters, the FTS5
trigram table ``unit_search`` for longer ones, the first 100 units with their station, and the
count. The ratio is the cost of building the query and the ORM objects.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from benchmarks.common import Result, connect, log, median_time
from fieldapp import paths
from fieldapp.services.units import UnitFilter, count, search, terms
from fieldapp.store import Store

# figure name -> the query typed into the search box
QUERIES = {
    "search_short": "超市",  # two characters: LIKE
    "search_long": "好又多",  # three characters: trigram index
    "search_street": "解放街",
    "search_code": "MA25",  # part of a credit code
    "search_two_terms": "壶镇 便利店",  # LIKE and trigram together
}
LIMIT = 100
LIKE = "(u.name LIKE ? ESCAPE '\\' OR u.shop_name LIKE ? ESCAPE '\\' "
LIKE += "OR u.credit_code LIKE ? ESCAPE '\\' OR u.address LIKE ? ESCAPE '\\')"
MATCH = "u.id IN (SELECT rowid FROM unit_search WHERE unit_search MATCH ?)"
PAGE = (
    "SELECT u.*, s.id, s.name, s.county, s.created_at FROM units AS u "
    "JOIN stations AS s ON s.id = u.station_id WHERE {where} ORDER BY u.id LIMIT ?"
)
COUNT = "SELECT count(*) FROM units AS u WHERE {where}"


def equivalent_sql(query: str) -> tuple[str, list[str]]:
    """The WHERE clause and its parameters for ``query``, written by hand."""
    clauses: list[str] = []
    params: list[str] = []
    for term in terms(query):
        if len(term) >= 3:
            clauses.append(MATCH)
            params.append('"' + term.replace('"', '""') + '"')
        else:
            escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            clauses.append(LIKE)
            params.extend([f"%{escaped}%"] * 4)
    return " AND ".join(clauses) or "1", params


def _baseline(connection: sqlite3.Connection, query: str) -> tuple[list[int], int]:
    where, params = equivalent_sql(query)
    page = connection.execute(PAGE.format(where=where), [*params, LIMIT]).fetchall()
    total = connection.execute(COUNT.format(where=where), params).fetchone()[0]
    return [row[0] for row in page], total


def _fieldapp(store: Store, query: str) -> tuple[list[int], int]:
    """One keystroke's work: a read session, the first page and the total."""
    unit_filter = UnitFilter(search=query)
    with store.read() as session:
        units = search(session, unit_filter, limit=LIMIT)
        total = count(session, unit_filter)
        return [unit.id for unit in units], total


def run(store_dir: Path, n: int, repeat: int) -> list[Result]:
    """Median time of each query over ``repeat`` runs, on a store already holding ``n`` units."""
    results = []
    store = Store.open(store_dir)
    try:
        with connect(paths.database_path(store_dir)) as connection:
            for name, query in QUERIES.items():
                ours, theirs = _fieldapp(store, query), _baseline(connection, query)
                if ours != theirs:
                    raise RuntimeError(f"{query!r}: fieldapp found {ours[1]}, sqlite3 {theirs[1]}")
                value = median_time(lambda q=query: _fieldapp(store, q), repeat)
                baseline = median_time(lambda q=query: _baseline(connection, q), repeat)
                note = f"「{query}」: {ours[1]} hits, first {LIMIT} + count, median of {repeat}"
                log(f"{name}: fieldapp {value * 1e3:.2f} ms, sqlite3 {baseline * 1e3:.2f} ms")
                results.append(Result(name, value * 1e3, baseline * 1e3, "ms", n, note))
    finally:
        store.close()
    return results
