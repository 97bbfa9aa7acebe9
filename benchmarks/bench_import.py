"""Importing a demo CSV of N units: fieldapp's ``import_units`` vs csv + sqlite3 executemany.

The baseline writes the same rows (stations, units, one lifecycle event per unit) into a database
with the same schema, pragmas, indexes and FTS triggers, in one transaction, but validates
nothing: the ratio is the price of validation, the ORM and the bookkeeping around them.
"""

from __future__ import annotations

import csv
import sqlite3
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.common import Result, connect, empty_schema_db, log, stopwatch
from fieldapp import paths
from fieldapp.domain.lifecycle import parse_state
from fieldapp.domain.vocab import parse_industry, parse_unit_type
from fieldapp.imports.units import import_units
from fieldapp.services import demo
from fieldapp.store import Store

ACTOR = "benchmark"

UNIT_COLUMNS = (
    "uuid, credit_code, name, shop_name, address, town, station_id, unit_type, industry, "
    "category, contact_person, contact_phone, online_shop_name, online_platform, online_url, "
    "return_days, return_goods, return_terms, cross_store_return, compensation_fund, prudent, "
    "state, state_since, entered_on, sticker_posted_on, version, created_at, updated_at"
)
INSERT_UNIT = f"INSERT INTO units ({UNIT_COLUMNS}) VALUES ({', '.join('?' * 28)})"
INSERT_STATION = "INSERT INTO stations (name, county, created_at) VALUES (?, '', ?)"
INSERT_EVENT = (
    "INSERT INTO unit_events (uuid, unit_id, kind, from_state, to_state, occurred_on, actor, "
    "reason, recorded_at, county_confirmed, source) VALUES (?, ?, 'state', NULL, ?, ?, ?, ?, ?, 0, ?)"
)


def fieldapp_import(csv_path: Path, folder: Path) -> float:
    """Seconds for ``import_units`` into a fresh store, commit included (opening is not timed)."""
    store = Store.open(folder, create=True)
    try:
        with stopwatch() as elapsed, store.session() as session:
            result = import_units(session, csv_path, actor=ACTOR)
        if result.created == 0 or result.skipped:
            raise RuntimeError(f"fieldapp import went wrong: {result}")
    finally:
        store.close()
    return elapsed[0]


def _code(cache: dict[str, str | None], text: str, parse: Callable[[str], Any]) -> str | None:
    """Label -> stored code through a dictionary filled on first sight (a lookup, no checks)."""
    if text not in cache:
        found = parse(text) if text else None
        cache[text] = None if found is None else getattr(found, "code", None) or found.value
    return cache[text]


def baseline_import(csv_path: Path, database: Path) -> float:
    """Seconds for csv.reader + executemany of the same stations, units and events."""
    with connect(database) as connection, stopwatch() as elapsed:
        _baseline_write(connection, csv_path)
    return elapsed[0]


def _baseline_write(connection: sqlite3.Connection, csv_path: Path) -> None:
    now = datetime.now().astimezone().replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S.%f")
    today = now[:10]
    reason = f"导入 {csv_path.name}"
    types: dict[str, str | None] = {}
    industries: dict[str, str | None] = {}
    states: dict[str, str | None] = {}
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = {name: i for i, name in enumerate(next(reader))}
        rows = [(number, row) for number, row in enumerate(reader, start=2) if row]
    col = {key: header[label] for key, label in zip(_FIELDS, demo.HEADERS, strict=True)}
    connection.execute("BEGIN")
    try:
        station_names = list(dict.fromkeys(row[col["station"]] for _, row in rows))
        connection.executemany(INSERT_STATION, [(name, now) for name in station_names])
        stations = dict(connection.execute("SELECT name, id FROM stations").fetchall())
        units = []
        sources = []
        for number, row in rows:
            sources.append(f"{reason} 第 {number} 行")
            state = _code(states, row[col["state"]], parse_state) or "cultivating"
            units.append(
                (
                    str(uuid.uuid4()),
                    row[col["credit_code"]],
                    row[col["name"]],
                    row[col["shop_name"]],
                    row[col["address"]],
                    row[col["town"]],
                    stations[row[col["station"]]],
                    _code(types, row[col["unit_type"]], parse_unit_type),
                    _code(industries, row[col["industry"]], parse_industry),
                    "",
                    row[col["contact_person"]],
                    row[col["contact_phone"]],
                    row[col["online_shop_name"]],
                    row[col["online_platform"]],
                    row[col["online_url"]],
                    int(row[col["return_days"]]) if row[col["return_days"]] else None,
                    "",
                    "",
                    0,
                    0,
                    0,
                    state,
                    row[col["state_date"]] or today,
                    row[col["entered_on"]] or None,
                    None,
                    1,
                    now,
                    now,
                )
            )
        connection.executemany(INSERT_UNIT, units)
        ids = dict(connection.execute("SELECT credit_code, id FROM units").fetchall())
        connection.executemany(
            INSERT_EVENT,
            [
                (str(uuid.uuid4()), ids[u[1]], u[21], u[22], ACTOR, reason, now, source)
                for u, source in zip(units, sources, strict=True)
            ],
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


# Field names for demo.HEADERS, in the same order.
_FIELDS = (
    "credit_code",
    "name",
    "shop_name",
    "address",
    "town",
    "station",
    "unit_type",
    "industry",
    "contact_person",
    "contact_phone",
    "online_shop_name",
    "online_platform",
    "online_url",
    "return_days",
    "state",
    "entered_on",
    "state_date",
)


def _counts(database: Path) -> list[int]:
    """How many stations, units and events ``database`` holds."""
    with connect(database) as connection:
        return [
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("stations", "units", "unit_events")
        ]


def run(n: int, workdir: Path) -> tuple[Result, Path]:
    """The import figure, and the fieldapp data folder it leaves behind (N units, for search)."""
    csv_path = workdir / "units.csv"
    log(f"import: writing a demo CSV of {n} units")
    demo.write_csv(csv_path, n)
    store_dir = workdir / "fieldapp-store"
    log(f"import: fieldapp import_units of {n} units …")
    value = fieldapp_import(csv_path, store_dir)
    log(f"import: fieldapp took {value:.2f} s; bare sqlite3 …")
    database = empty_schema_db(workdir / "baseline-store")
    baseline = baseline_import(csv_path, database)
    log(f"import: bare sqlite3 took {baseline:.2f} s")
    ours, theirs = _counts(paths.database_path(store_dir)), _counts(database)
    if ours != theirs or ours[1] != n:
        raise RuntimeError(f"stations/units/events differ: fieldapp {ours}, baseline {theirs}")
    note = "validate + Core executemany vs csv + executemany, same schema/FTS triggers, 1 txn"
    return Result("import_units", value, baseline, "s", n, note), store_dir
