"""Finding units: search as the user types, by name, shop name, credit code or address.

Terms of three characters or more use the FTS5 trigram index. Shorter terms (most Chinese
queries: "超市", "壶镇") cannot: SQLite's trigram tokenizer returns nothing for them, so they are
matched with LIKE over the same columns. A query of several terms matches units that contain all.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, text
from sqlalchemy.orm import Session, joinedload

from fieldapp.domain import uscc
from fieldapp.errors import NotFound
from fieldapp.storage.models import Station, Unit

SEARCH_COLUMNS = (Unit.name, Unit.shop_name, Unit.credit_code, Unit.address)


@dataclass(frozen=True)
class UnitFilter:
    search: str = ""
    station: str | None = None
    unit_type: str | None = None
    state: str | None = None


def terms(query: str) -> list[str]:
    return unicodedata.normalize("NFKC", query).split()


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _term_condition(term: str) -> ColumnElement[bool]:
    if len(term) >= 3:
        match = text("unit_search MATCH :q").bindparams(q=_fts_phrase(term))
        ids = select(text("rowid")).select_from(text("unit_search")).where(match)
        return Unit.id.in_(ids.scalar_subquery())
    pattern = f"%{_escape_like(term)}%"
    return or_(*(column.like(pattern, escape="\\") for column in SEARCH_COLUMNS))


def filtered(query: UnitFilter) -> Select[Any]:
    statement = select(Unit)
    conditions: list[ColumnElement[bool]] = [_term_condition(t) for t in terms(query.search)]
    if query.station:
        statement = statement.join(Station)
        conditions.append(Station.name == query.station.strip())
    if query.unit_type:
        conditions.append(Unit.unit_type == query.unit_type)
    if query.state:
        conditions.append(Unit.state == query.state)
    if conditions:
        statement = statement.where(and_(*conditions))
    return statement


def search(
    session: Session,
    query: UnitFilter,
    *,
    limit: int | None = 100,
    offset: int = 0,
    after_id: int | None = None,
) -> list[Unit]:
    """Matching units in id order. Page with ``after_id`` (the last id already shown): unlike
    OFFSET it does not re-scan every earlier match, so the last page of 50,000 costs the same
    as the first."""
    statement = filtered(query)
    if after_id is not None:
        statement = statement.where(Unit.id > after_id)
    statement = statement.options(joinedload(Unit.station)).order_by(Unit.id).offset(offset)
    if limit:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def count(session: Session, query: UnitFilter) -> int:
    subquery = filtered(query).with_only_columns(Unit.id).subquery()
    return int(session.scalar(select(func.count()).select_from(subquery)) or 0)


def by_code(session: Session, code: str) -> Unit:
    normalized = uscc.normalize(code)
    unit = session.scalar(select(Unit).where(Unit.credit_code == normalized))
    if unit is None:
        raise NotFound(f"没有信用代码为 {normalized} 的单位")
    return unit
