"""The unit list: which units match a filter, a page of them, and each unit's record.

Search runs as the user types, by name, shop name, credit code or address, and finds exactly
the units with a field containing each term, ASCII letters in either case: what LIKE '%term%'
finds. Every term is a lookup in ``unit_grams``, the FTS5 index migration 0010 keeps in step with
``units`` by triggers, holding the three characters from each position of each field, in order:
a term of three characters or more is the phrase of its three-character pieces, a shorter term
a prefix query (see the migration for why both are exact). All the terms of a query are one FTS5
query, so the index intersects them and yields rowids in order: the first page reads 100 units
whatever the number of matches, and a count of matches alone never reads ``units``.

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


SEARCH_COLUMNS = ("name", "shop_name", "credit_code", "address")
SEARCH_INDEX = "unit_grams"
PIECE = 3  # characters in the index's pieces (migration 0010)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _indexable(term: str) -> bool:
    """Whether the index can answer ``term``: its tokenizer separates tokens at control
    characters (and whitespace, which a term never holds); such a rare term is matched by LIKE."""
    return not any(ord(c) < 0x20 or ord(c) == 0x7F for c in term)


def match_query(search: str) -> str | None:
    """The FTS5 query over ``unit_grams`` finding the units that contain every indexable term of
    ``search`` (None if it has none): 「五云街道 超市」 → ``"五云街 云街道" AND "超市"*``."""
    parts = []
    for term in filter(_indexable, terms(search)):
        if len(term) < PIECE:
            parts.append(_quoted(term) + "*")
        else:
            pieces = (term[i : i + PIECE] for i in range(len(term) - PIECE + 1))
            parts.append(_quoted(" ".join(pieces)))
    return " AND ".join(parts) or None


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filters(query: UnitFilter, table: str = "units") -> tuple[list[str], dict[str, Any]]:
    """SQL conditions over ``table`` and their parameters for everything in ``query`` but the
    index lookup (:func:`match_query`): station, type, state, industry, and any term it cannot
    answer."""
    where: list[str] = []
    params: dict[str, Any] = {}
    for n, term in enumerate(t for t in terms(query.search) if not _indexable(t)):
        key = f"term_{n}"
        params[key] = f"%{_escape_like(term)}%"
        alternatives = " OR ".join(
            f"{table}.{column} LIKE :{key} ESCAPE '\\'" for column in SEARCH_COLUMNS
        )
        where.append(f"({alternatives})")
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


def conditions(query: UnitFilter, table: str = "units") -> tuple[list[str], dict[str, Any]]:
    """Every condition of ``query`` over ``table`` (the units table or its alias), the index
    lookup as an ``IN``, and their named parameters: for a statement built around ``units``."""
    where, params = filters(query, table)
    found = match_query(query.search)
    if found is not None:
        params["search"] = found
        where.insert(
            0,
            f"{table}.id IN (SELECT rowid FROM {SEARCH_INDEX} WHERE {SEARCH_INDEX} MATCH :search)",
        )
    return where, params


def _plain(query: UnitFilter) -> None:
    if not query.plain:
        raise ValueError("this read needs the evaluation rules: use fieldapp.services.units")


class _Read(NamedTuple):
    """A plain filter as SQL: the units it reads (``u``, joined to the index ``g`` when there
    is a search), the conditions, their parameters, the key that orders them, and for a search
    the index's own condition (``match``) and whether it alone decides (``index_only``: no
    condition needs the unit's row, so a count reads only the index)."""

    source: str
    where: list[str]
    params: dict[str, Any]
    key: str
    match: str | None = None
    index_only: bool = False


FACET_MARK = "\u2126"  # OHM SIGN, which no NFKC-normalised term holds (migration 0013)


def _facets(query: UnitFilter) -> str:
    """SQL for the index's tokens of ``query``'s station, type, state and industry, joined with
    AND after the search (migration 0013 keeps them in the ``facets`` column)."""
    parts = []
    if query.station:
        station = "(SELECT stations.id FROM stations WHERE stations.name = :station)"
        parts.append(f"' AND \"{FACET_MARK}st' || coalesce({station}, 0) || '\"'")
    for prefix, value in (
        ("ty", query.unit_type),
        ("sa", query.state),
        ("in", query.industry),
    ):
        if value:
            token = _quoted(f"{FACET_MARK}{prefix}{value}").replace("'", "''")
            parts.append(f"' AND {token}'")
    return "".join(f" || {part}" for part in parts)


def _read(query: UnitFilter) -> _Read:
    _plain(query)
    where, params = filters(query, "u")
    found = match_query(query.search)
    if found is None:
        return _Read("units AS u", where, params, "u.id")
    params["search"] = found
    match = f"g.{SEARCH_INDEX} MATCH (:search{_facets(query)})"
    # The index drives (CROSS JOIN keeps it the outer loop): it yields matching rowids in order,
    # so ORDER BY ... LIMIT stops early. The station, type, state and industry are in the index
    # too, so it gives only the units that match them; the conditions on ``u`` stay, checked on
    # those alone. Left to itself the planner may walk a filter's index and ask FTS5 about each
    # unit in turn, several times slower.
    index_only = not any(not _indexable(t) for t in terms(query.search))
    return _Read(
        f"{SEARCH_INDEX} AS g CROSS JOIN units AS u ON u.id = g.rowid",
        [match, *where],
        params,
        "g.rowid",
        match,
        index_only,
    )


def _clause(where: list[str]) -> str:
    return " WHERE " + " AND ".join(where) if where else ""


_ROW = "u.id, u.credit_code, u.name, s.name AS station, u.unit_type, u.state, u.address"


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
    read = _read(query)
    if read.index_only:
        # The index decides alone (terms and filters): it counts its own rows, no unit is read.
        sql = f"SELECT count(*) FROM {SEARCH_INDEX} AS g WHERE {read.match}"
    else:
        sql = f"SELECT count(*) FROM {read.source}{_clause(read.where)}"
    return int(connection.execute(sql, read.params).fetchone()[0])


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
    read = _read(query)
    params = {**read.params, "after_id": after_id, "limit": -1 if limit is None else limit}
    sql = (
        f"SELECT {_ROW} FROM {read.source} JOIN stations AS s ON s.id = u.station_id"
        f"{_clause([*read.where, f'{read.key} > :after_id'])} ORDER BY {read.key} LIMIT :limit"
    )
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
    read = _read(query)
    found = connection.execute(
        f"SELECT u.*, s.name AS station FROM {read.source} "
        f"JOIN stations AS s ON s.id = u.station_id{_clause(read.where)} "
        f"ORDER BY {read.key} LIMIT :limit",
        {**read.params, "limit": -1 if limit is None else limit},
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
