"""The unit list: which units match a filter, a page of them, and each unit's record.

Search runs as the user types, by name, shop name, credit code or address, and finds exactly
the units whose field contains the term, ASCII letters in either case (what LIKE '%term%' finds),
from two FTS5 indexes the triggers of migration 0010 keep in step with ``units``:
``unit_bigrams`` (each field's overlapping character bigrams, in order) answers a term of two
characters or more as the phrase of its bigrams; ``unit_chars`` (every character) answers a
one-character term. A query of several terms matches units that contain all.

The conditions on text, station, type and state are SQL written once here (:func:`conditions`):
the window and ``fieldapp units list`` run them on ``sqlite3``; the ORM's
:func:`fieldapp.services.units.filtered` embeds the same text and adds the two filters that need
the evaluation rules (not evaluated this year, rectification due).
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from fieldapp.errors import NotFound

if TYPE_CHECKING:
    from fieldapp.storage.models import Unit


@dataclass(frozen=True)
class UnitFilter:
    search: str = ""
    station: str | None = None
    unit_type: str | None = None
    state: str | None = None
    industry: str | None = None  # an industry code (fieldapp.domain.vocab.INDUSTRIES)
    # Units with no finalized evaluation visited in this year.
    not_evaluated_in: int | None = None
    # Units with a 整改 whose deadline has come (``as_of``, default today) and not yet passed.
    rectification_due: bool = False
    as_of: date | None = None

    @property
    def plain(self) -> bool:
        """Whether only text, station, type, state and industry filter (no evaluation rule is
        needed)."""
        return self.not_evaluated_in is None and not self.rectification_due


class UnitRow(NamedTuple):
    """One row of the unit list; unit type and state are codes, labelled at display time."""

    id: int
    credit_code: str
    name: str
    station: str
    unit_type: str
    state: str | None
    address: str


@dataclass(frozen=True)
class Page:
    """The answer to a new filter: how many units match, and the first rows."""

    query: UnitFilter
    total: int
    rows: list[UnitRow]


@dataclass(frozen=True)
class UnitRecord:
    """A unit's stored record as ``units list --json`` and ``units show --json`` print it."""

    credit_code: str
    uuid: str
    name: str
    shop_name: str
    address: str
    town: str
    station: str
    unit_type: str
    industry: str | None
    contact_person: str
    contact_phone: str
    online_shop_name: str
    online_platform: str
    online_url: str
    prudent: bool
    state: str | None
    state_since: date | None
    entered_on: date | None
    sticker_posted_on: date | None
    version: int


def terms(query: str) -> list[str]:
    """The search terms, with full-width letters and digits folded (ＭＡ２５ → MA25)."""
    return unicodedata.normalize("NFKC", query).split()


def _token(text: str) -> str:
    """The index token of one or two characters: the hex of their UTF-8 bytes, ASCII letters
    lowered (SQLite's ``hex(lower(...))`` in the triggers of migration 0010)."""
    folded = "".join(c.lower() if "A" <= c <= "Z" else c for c in text)
    return folded.encode("utf-8", "surrogatepass").hex().upper()


def match(term: str) -> tuple[str, str]:
    """The index (``unit_bigrams`` or ``unit_chars``) and the FTS5 query finding ``term``."""
    if len(term) == 1:
        return "unit_chars", _token(term)
    return "unit_bigrams", '"' + " ".join(
        _token(term[i : i + 2]) for i in range(len(term) - 1)
    ) + '"'


def conditions(query: UnitFilter, table: str = "units") -> tuple[list[str], dict[str, Any]]:
    """SQL conditions (over ``table``, the units table or its alias) and their named parameters
    for the text, station, type and state of ``query``; every condition must hold."""
    where: list[str] = []
    params: dict[str, Any] = {}
    for n, term in enumerate(terms(query.search)):
        key = f"term_{n}"
        index, params[key] = match(term)
        where.append(f"{table}.id IN (SELECT rowid FROM {index} WHERE {index} MATCH :{key})")
    if query.station:
        params["station"] = query.station.strip()
        where.append(
            f"{table}.station_id IN (SELECT stations.id FROM stations "
            "WHERE stations.name = :station)"
        )
    if query.unit_type:
        params["unit_type"] = str(query.unit_type)
        where.append(f"{table}.unit_type = :unit_type")
    if query.state:
        params["state"] = str(query.state)
        where.append(f"{table}.state = :state")
    if query.industry:
        params["industry"] = str(query.industry)
        where.append(f"{table}.industry = :industry")
    return where, params


def _plain(query: UnitFilter) -> None:
    if not query.plain:
        raise ValueError("this read needs the evaluation rules: use fieldapp.services.units")


def _where(query: UnitFilter) -> tuple[str, dict[str, Any]]:
    where, params = conditions(query, "u")
    return (" WHERE " + " AND ".join(where) if where else ""), params


_ROW = (
    "SELECT u.id, u.credit_code, u.name, s.name AS station, u.unit_type, u.state, u.address "
    "FROM units AS u JOIN stations AS s ON s.id = u.station_id"
)


def _rows(found: Iterable[sqlite3.Row]) -> list[UnitRow]:
    return [
        UnitRow(
            r["id"],
            r["credit_code"],
            r["name"],
            r["station"],
            r["unit_type"],
            r["state"],
            r["address"],
        )
        for r in found
    ]


def count(connection: sqlite3.Connection, query: UnitFilter) -> int:
    _plain(query)
    where, params = _where(query)
    return int(connection.execute(f"SELECT count(*) FROM units AS u{where}", params).fetchone()[0])


def rows(
    connection: sqlite3.Connection,
    query: UnitFilter,
    *,
    limit: int | None = 100,
    after_id: int = 0,
) -> list[UnitRow]:
    """Matching units in id order after id ``after_id`` (the last one already shown): unlike
    OFFSET it does not re-scan every earlier match, so the last page of 50,000 costs the same
    as the first. ``limit`` None: all of them."""
    _plain(query)
    where, params = _where(query)
    params["after_id"] = after_id
    where = (where + " AND" if where else " WHERE") + " u.id > :after_id"
    params["limit"] = -1 if limit is None else limit
    sql = f"{_ROW}{where} ORDER BY u.id LIMIT :limit"
    return _rows(connection.execute(sql, params))


def first_page(connection: sqlite3.Connection, query: UnitFilter, limit: int) -> Page:
    """Count and first rows in one read transaction, so both describe the same moment."""
    connection.execute("BEGIN")
    try:
        return Page(query, count(connection, query), rows(connection, query, limit=limit))
    finally:
        connection.rollback()


def station_names(connection: sqlite3.Connection) -> list[str]:
    """Every station (所、分局), in the order they were first imported."""
    return [r["name"] for r in connection.execute("SELECT name FROM stations ORDER BY id")]


def check_station(connection: sqlite3.Connection, name: str) -> None:
    """Raise :class:`NotFound` naming the stations there are if ``name`` is not one of them."""
    if connection.execute("SELECT 1 FROM stations WHERE name = ?", (name.strip(),)).fetchone():
        return
    names = "、".join(sorted(station_names(connection)))
    raise NotFound(
        f"没有名为「{name}」的所（分局）。已有：{names or '（无，请先导入单位或任务表）'}"
    )


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value[:10])


def records(
    connection: sqlite3.Connection, query: UnitFilter, *, limit: int | None = 100
) -> list[UnitRecord]:
    """The stored records of the matching units, in id order."""
    _plain(query)
    where, params = _where(query)
    params["limit"] = -1 if limit is None else limit
    found = connection.execute(
        "SELECT u.*, s.name AS station FROM units AS u JOIN stations AS s ON s.id = u.station_id"
        f"{where} ORDER BY u.id LIMIT :limit",
        params,
    )
    return [
        UnitRecord(
            credit_code=r["credit_code"],
            uuid=r["uuid"],
            name=r["name"],
            shop_name=r["shop_name"],
            address=r["address"],
            town=r["town"],
            station=r["station"],
            unit_type=r["unit_type"],
            industry=r["industry"],
            contact_person=r["contact_person"],
            contact_phone=r["contact_phone"],
            online_shop_name=r["online_shop_name"],
            online_platform=r["online_platform"],
            online_url=r["online_url"],
            prudent=bool(r["prudent"]),
            state=r["state"],
            state_since=_day(r["state_since"]),
            entered_on=_day(r["entered_on"]),
            sticker_posted_on=_day(r["sticker_posted_on"]),
            version=r["version"],
        )
        for r in found
    ]


def row_from(unit: Unit) -> UnitRow:
    """The list row of a unit the ORM loaded (the filters that need the evaluation rules)."""
    return UnitRow(
        unit.id,
        unit.credit_code,
        unit.name,
        unit.station.name,
        unit.unit_type,
        unit.state,
        unit.address,
    )


def record_from(unit: Unit) -> UnitRecord:
    """The record of a unit the ORM loaded (``units show``, ``units list`` with the evaluation
    filters): the same fields and types as :func:`records` reads."""
    return UnitRecord(
        credit_code=unit.credit_code,
        uuid=unit.uuid,
        name=unit.name,
        shop_name=unit.shop_name,
        address=unit.address,
        town=unit.town,
        station=unit.station.name,
        unit_type=str(unit.unit_type),
        industry=unit.industry,
        contact_person=unit.contact_person,
        contact_phone=unit.contact_phone,
        online_shop_name=unit.online_shop_name,
        online_platform=unit.online_platform,
        online_url=unit.online_url,
        prudent=bool(unit.prudent),
        state=None if unit.state is None else str(unit.state),
        state_since=unit.state_since,
        entered_on=unit.entered_on,
        sticker_posted_on=unit.sticker_posted_on,
        version=unit.version,
    )


@dataclass(frozen=True)
class EventRecord:
    """One dated change in a unit's history, as the unit page and ``units show`` show it."""

    kind: str  # domain.events.EventKind
    from_state: str | None
    to_state: str | None
    field: str | None  # a field change: which field, its old and new value
    old_value: str | None
    new_value: str | None
    exit_reason: str | None  # 移出: the coded reason (domain ExitReason)
    county_confirmed: bool  # 县局确认
    occurred_on: date
    actor: str
    reason: str
    source: str  # the file and row, sync or window that made it
    photo_sha256: str | None  # the sticker photo (标识张贴), if one was taken
    what: str  # the core's one-line account of the change (unit_changes.event_summary)


def event_records(unit: Unit) -> list[EventRecord]:
    """The history of an ORM ``Unit`` (read inside its session), oldest first."""
    from fieldapp.services.unit_changes import event_summary

    return [
        EventRecord(
            kind=e.kind,
            from_state=e.from_state,
            to_state=e.to_state,
            field=e.field,
            old_value=e.old_value,
            new_value=e.new_value,
            exit_reason=e.exit_reason,
            county_confirmed=bool(e.county_confirmed),
            occurred_on=e.occurred_on,
            actor=e.actor,
            reason=e.reason,
            source=e.source,
            photo_sha256=e.photo_sha256,
            what=event_summary(e),
        )
        for e in unit.events
    ]
