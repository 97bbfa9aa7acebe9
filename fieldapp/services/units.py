"""Finding units through the ORM, and adding one found on site.

The text, station, type and state conditions are the SQL of :mod:`fieldapp.views.units` (one
definition, which the window and ``units list`` run on ``sqlite3``); this module adds the filters
that need the evaluation rules: not evaluated in a year, rectification due.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, TextClause, and_, exists, func, or_, select, text
from sqlalchemy.orm import Session, aliased, joinedload

from fieldapp.domain import uscc
from fieldapp.domain.lifecycle import State
from fieldapp.domain.records import EvaluationStatus
from fieldapp.domain.verdict import Answer
from fieldapp.errors import InvalidInput, NotFound, Problem
from fieldapp.services import unit_changes
from fieldapp.services.unit_changes import Change
from fieldapp.storage.models import AnswerRow, Evaluation, Station, Unit
from fieldapp.views.units import UnitFilter, conditions, terms

__all__ = ["UnitFilter", "add_unit", "by_code", "count", "filtered", "search", "terms"]


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
    where: list[ColumnElement[bool] | TextClause] = []
    sql, params = conditions(query, Unit.__tablename__)
    if sql:
        where.append(text(" AND ".join(sql)).bindparams(**params))
    if query.not_evaluated_in is not None:
        where.append(Unit.id.not_in(_evaluated_in(query.not_evaluated_in).scalar_subquery()))
    if query.rectification_due:
        due = _rectification_due(query.as_of or date.today())
        where.append(Unit.id.in_(due.scalar_subquery()))
    if where:
        statement = statement.where(and_(*where))
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
