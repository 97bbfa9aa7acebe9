"""Finding units: search as the user types, by name, shop name, credit code or address.

Terms of three characters or more use the FTS5 trigram index. Shorter terms (most Chinese
queries: "超市", "壶镇") cannot: SQLite's trigram tokenizer returns nothing for them, so they are
matched with LIKE over the same columns. A query of several terms matches units that contain all.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, text
from sqlalchemy.orm import Session, aliased, joinedload

from fieldapp.domain import uscc
from fieldapp.domain.lifecycle import State
from fieldapp.domain.records import EvaluationStatus
from fieldapp.domain.verdict import Answer
from fieldapp.errors import InvalidInput, NotFound, Problem
from fieldapp.services import unit_changes
from fieldapp.services.unit_changes import Change
from fieldapp.storage.models import AnswerRow, Evaluation, Station, Unit

SEARCH_COLUMNS = (Unit.name, Unit.shop_name, Unit.credit_code, Unit.address)


@dataclass(frozen=True)
class UnitFilter:
    search: str = ""
    station: str | None = None
    unit_type: str | None = None
    state: str | None = None
    # Units with no finalized evaluation visited in this year.
    not_evaluated_in: int | None = None
    # Units with a 整改 whose deadline has come (``as_of``, default today) and not yet passed.
    rectification_due: bool = False
    as_of: date | None = None


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


def _evaluated_between(start: date, end: date) -> Select[Any]:
    """Ids of units with a finalized evaluation started (visited) from ``start`` to ``end``
    (inclusive)."""
    return select(Evaluation.unit_id).where(
        Evaluation.status == EvaluationStatus.FINALIZED,
        Evaluation.started_at >= datetime.combine(start, time()),
        Evaluation.started_at < datetime.combine(end + timedelta(days=1), time()),
    )


def _evaluated_in(year: int) -> Select[Any]:
    """Ids of units with a finalized evaluation started (visited) in ``year``."""
    return _evaluated_between(date(year, 1, 1), date(year, 12, 31))


def _superseded(cutoff: datetime | None = None) -> ColumnElement[bool]:
    """Whether a later finalized answer to the same item (of the same unit) exists than the
    ``AnswerRow`` of the ``Evaluation`` in the enclosing query; with ``cutoff``, only answers of
    evaluations finalized before it count."""
    later = aliased(Evaluation)
    later_answer = aliased(AnswerRow)
    conditions: list[ColumnElement[bool]] = [
        later.unit_id == Evaluation.unit_id,
        later.status == EvaluationStatus.FINALIZED,
    ]
    if cutoff is not None:
        conditions.append(later.finalized_at < cutoff)
    conditions += [
        later_answer.checklist_id == AnswerRow.checklist_id,
        later_answer.item_code == AnswerRow.item_code,
        or_(
            later.finalized_at > Evaluation.finalized_at,
            and_(later.finalized_at == Evaluation.finalized_at, later.id > Evaluation.id),
        ),
    ]
    return exists(
        select(later_answer.id)
        .join(later, later.id == later_answer.evaluation_id)
        .where(*conditions)
    )


def _rectification_due(as_of: date) -> Select[Any]:
    """Ids of units where an item's most recent finalized answer is 不符合 with its deadline
    on or before ``as_of``: a later finalized follow-up (or evaluation) answering the item
    closes it if it passes, or sets a new deadline if it fails again."""
    return (
        select(Evaluation.unit_id)
        .join(AnswerRow, AnswerRow.evaluation_id == Evaluation.id)
        .where(
            Evaluation.status == EvaluationStatus.FINALIZED,
            AnswerRow.result == Answer.FAIL,
            AnswerRow.due <= as_of,
            ~_superseded(),
        )
    )


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
    if query.not_evaluated_in is not None:
        conditions.append(Unit.id.not_in(_evaluated_in(query.not_evaluated_in).scalar_subquery()))
    if query.rectification_due:
        due = _rectification_due(query.as_of or date.today())
        conditions.append(Unit.id.in_(due.scalar_subquery()))
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


ADD_REASON = "现场发现，新增"


def add_unit(
    session: Session, values: dict[str, Any], actor: str, today: date | None = None
) -> Unit:
    """A unit found on site, checked like an import row; it starts in 选育池 (candidate).

    ``values`` maps field names (``credit_code``, ``name``, ``station``, ``unit_type``,
    ``industry``, ``address``, ``contact_person``, ``contact_phone`` …) to text. The station must
    already exist, so a typing slip does not create a new one.
    """
    from fieldapp.imports.units import COLUMNS, FIELD_LABELS, validate_values

    where = "新增单位"
    unknown = sorted(set(values) - set(COLUMNS))
    if unknown:
        raise ValueError(f"unknown unit fields: {unknown}")
    for name in ("state", "state_date", "entered_on"):
        if values.get(name):
            raise InvalidInput(f"{where}：新增单位一律进入选育池，不能指定「{FIELD_LABELS[name]}」")
    actor = actor.strip()
    if not actor:
        raise InvalidInput(f"{where}：请填写经办人")
    today = today or date.today()
    raw = {name: "" if value is None else str(value) for name, value in values.items()}
    parsed, errors, _warnings = validate_values(raw, where, today)
    if parsed is None:
        raise InvalidInput(f"{where}：有 {len(errors)} 处填写有误，单位未保存", errors)
    fields = dict(parsed.values)
    code = fields["credit_code"]
    existing = session.scalar(select(Unit).where(Unit.credit_code == code))
    if existing is not None:
        raise InvalidInput(
            f"{where}：信用代码 {code} 已有单位「{existing.name}」（{existing.station.name}），"
            "不能重复新增；请用 fieldapp units show 查看"
        )
    station_name = fields.pop("station")
    station = session.scalar(select(Station).where(Station.name == station_name))
    if station is None:
        names = "、".join(session.scalars(select(Station.name).order_by(Station.name)))
        problem = Problem(
            where,
            f"没有名为「{station_name}」的所（分局）；已有：{names or '（无）'}",
            column=FIELD_LABELS["station"],
        )
        raise InvalidInput(f"{where}：所属所不存在，单位未保存", [problem])
    fields.pop("entered_on", None)
    fields["station"] = station.name
    change = Change(actor, source="新增单位", today=today)
    unit = unit_changes.create(session, fields, change, state=State.CANDIDATE, reason=ADD_REASON)
    return unit
