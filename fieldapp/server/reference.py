"""Reference data going down: units, checklists, targets, assignments and review outcomes, and
for a client that asks, summaries of the evaluations other laptops of its scope synced.

Every row carries the change number (``seq``) of the transaction that last wrote it; a pull
returns what changed after the client's cursor, in the caller's scope, and the new cursor. The
county loads its reference data from its desktop store with ``fieldapp-server publish``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import ValidationError
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from fieldapp.domain import text
from fieldapp.domain.events import Role
from fieldapp.domain.records import ConflictKind, Published
from fieldapp.domain.review import ReviewStatus
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller, checked
from fieldapp.server.db import current_seq, next_seq
from fieldapp.server.ingest import merged_update, new_unit_row, unit_row_data
from fieldapp.server.review import wire_review
from fieldapp.sync import history, wire

log = logging.getLogger(__name__)

PULL_LIMIT = 5000
SEQ_CHUNK = 1000  # units published under one change number
# Evaluation summaries a page asks for: a page ends with a whole change number, and a pushed batch
# (up to MAX_EVALUATIONS_PER_BATCH evaluations) is one, so a page stays within the wire's bound.
SUMMARY_PAGE = wire.MAX_SUMMARIES_PER_PULL - wire.MAX_EVALUATIONS_PER_BATCH


def pull(
    session: Session,
    caller: Caller,
    cursor: int,
    limit: int = PULL_LIMIT,
    summaries: bool = False,
    cases: bool = False,
) -> wire.Pull:
    """What changed after ``cursor`` in the caller's scope, at most about ``limit`` rows.

    With ``summaries`` (a client that asks for them), the page also carries a summary of every
    evaluation received in the caller's scope (a station's accounts: the station's; the county:
    all) changed after the cursor, at most :data:`wire.MAX_SUMMARIES_PER_PULL` of them. With
    ``cases``, it carries the 联络站 cases (台账) of the scope changed after the cursor."""
    top = current_seq(session)  # read first: rows at or below it are committed
    county = caller.role == Role.COUNTY

    def in_scope(model: Any) -> ColumnElement[bool] | None:
        if county or model is m.Checklist:
            return None
        if model is m.Target or model is m.RatioTarget:  # the county's own go to every station
            return or_(model.station == caller.station, model.station.is_(None))
        if model is m.PlanYear:  # the county's deadlines hold for every station
            return None
        return cast(ColumnElement[bool], model.station == caller.station)

    models: tuple[Any, ...] = (
        m.Unit,
        m.Target,
        m.PlanYear,
        m.RatioTarget,
        m.Assignment,
        m.Evaluation,
        m.Checklist,
        *((m.Case,) if cases else ()),
    )
    upper = top
    more = False
    for model in models:
        statement = select(model.seq).where(model.seq > cursor, model.seq <= top)
        if (scope := in_scope(model)) is not None:
            statement = statement.where(scope)
        most = limit
        if model is m.Evaluation:
            if summaries:  # every evaluation travels, reviewed or not: a page stops at
                # SUMMARY_PAGE of them, plus the rest of the batch (one change number) it ends in
                most = min(limit, SUMMARY_PAGE)
            else:  # only reviews
                statement = statement.where(m.Evaluation.review_status != ReviewStatus.PENDING)
        seqs = list(session.scalars(statement.order_by(model.seq).limit(most + 1)))
        if len(seqs) > most:
            upper = min(upper, seqs[most - 1])
            more = True

    def rows(model: Any) -> list[Any]:
        statement = select(model).where(model.seq > cursor, model.seq <= upper)
        if (scope := in_scope(model)) is not None:
            statement = statement.where(scope)
        if model is m.Evaluation and not summaries:
            statement = statement.where(m.Evaluation.review_status != ReviewStatus.PENDING)
        return list(session.scalars(statement.order_by(model.seq)))

    evaluations = rows(m.Evaluation)
    reviews = [wire_review(e) for e in evaluations if e.review_status != ReviewStatus.PENDING]
    found = wire.Pull(
        cursor=upper,
        units=[wire.WireUnit.model_validate_json(u.data_json) for u in rows(m.Unit)],
        checklists=[
            wire.WireChecklist(
                checklist_id=c.checklist_id,
                version=c.version,
                sha256=c.sha256,
                content_json=c.content_json,
            )
            for c in rows(m.Checklist)
        ],
        targets=[wire.WireTarget.model_validate_json(t.data_json) for t in rows(m.Target)],
        plan_years=[
            wire.WirePlanYear(
                year=p.year, first_due=p.first_due, final_due=p.final_due, source=p.source
            )
            for p in rows(m.PlanYear)
        ],
        ratios=[wire.WireRatioTarget.model_validate_json(r.data_json) for r in rows(m.RatioTarget)],
        assignments=[
            wire.WireAssignment(unit_uuid=a.unit_uuid, inspector=a.inspector, year=a.year)
            for a in rows(m.Assignment)
        ],
        reviews=reviews,
        more=more,
    )
    if cases:
        found = found.model_copy(
            update={
                "cases": [wire.WireCase.model_validate_json(c.content_json) for c in rows(m.Case)]
            }
        )
    if not summaries:
        return found
    return found.model_copy(update={"summaries": _summaries(evaluations)})


def _summaries(evaluations: list[m.Evaluation]) -> list[wire.WireEvaluationSummary]:
    """Each evaluation as a summary. One whose stored content the summary refuses (a kind or
    verdict the domain does not know: the push does not check them) is left out and logged:
    the laptops could not count it, and one bad record must not stop every station head's pull."""
    out = []
    for row in evaluations:
        data = json.loads(row.content_json)
        try:
            out.append(
                wire.WireEvaluationSummary(
                    uuid=data["uuid"],
                    unit_uuid=row.unit_uuid,
                    station=row.station,
                    kind=data["kind"],
                    inspector=data["inspector"],
                    started_at=data["started_at"],
                    finalized_at=data["finalized_at"],
                    verdict=data["verdict"],
                    replaces_uuid=data.get("replaces_uuid"),
                    follows_uuid=data.get("follows_uuid"),
                    checklists=data.get("checklists") or [],
                    answers=[
                        {
                            "checklist_id": a["checklist_id"],
                            "item_code": a["item_code"],
                            "result": a["result"],
                            "rectify": a.get("rectify"),
                            "due": a.get("due"),
                        }
                        for a in data.get("answers") or []
                    ],
                )
            )
        except ValidationError as refused:
            log.warning("评价 %s 的摘要未下发：%s", row.uuid, refused.errors()[0].get("msg", ""))
    return out


PUBLISHER = "县局"


def upsert_unit(session: Session, unit: wire.WireUnit, seq: int) -> Published:
    """Publish a unit from the county's master list, its history merged into the server's.

    A history the domain refuses, or one that does not continue what the field has sent since,
    is not published: it is held as a conflict for the county, and the server's copy stays.
    """
    row = session.get(m.Unit, unit.uuid)
    if row is None:
        other = session.scalar(select(m.Unit).where(m.Unit.credit_code == unit.credit_code))
        if other is not None:
            return Published.UNCHANGED  # the same business under another id; the county resolves it
        refusal = (
            history.chain_refusal(unit.events, start=None, start_on=None, end=unit.state)
            if unit.events
            else None
        )
        if refusal is not None:
            _held(session, unit, refusal)
            return Published.CONFLICT
        session.add(new_unit_row(unit, seq))
        return Published.CREATED
    current = wire.WireUnit.model_validate_json(row.data_json)
    behind = bool(unit.events) and not history.new_events(current.events, unit.events)
    if behind and history.new_events(unit.events, current.events):
        return Published.UNCHANGED  # the field changed it since; the county's copy is behind
    data, refusal = merged_update(current, unit, who=PUBLISHER, reason="", on=m.utc_now().date())
    if refusal is not None:
        _held(session, unit, refusal)
        return Published.CONFLICT
    if current.model_copy(update={"version": 1}) == data.model_copy(update={"version": 1}):
        return Published.UNCHANGED
    row.version += 1
    row.station, row.name, row.credit_code = data.station, data.name, data.credit_code
    row.data_json = unit_row_data(data.model_copy(update={"version": row.version}))
    row.seq = seq
    return Published.UPDATED


def _held(session: Session, unit: wire.WireUnit, refusal: str) -> None:
    session.add(
        m.Conflict(
            kind=ConflictKind.UNIT_PUBLISH,
            subject=unit.uuid,
            station=unit.station,
            message=(
                f"发布单位「{unit.name}」（{unit.credit_code}）未更新服务器上的记录——{refusal}。"
                "请县局先同步拉取该单位的变更，核对后再发布"
            ),
            detail_json=wire.canonical_json(unit.model_dump(mode="json")),
            batch_id="publish",
        )
    )


def upsert_target(session: Session, target: wire.WireTarget, seq: int) -> bool:
    """Publish a task-table figure, found by what it counts; True if it is new or changed."""
    return _upsert_keyed(session, m.Target, target.key(), target, seq)


Keyed = TypeVar("Keyed", m.Target, m.RatioTarget)


def _upsert_keyed(
    session: Session,
    model: type[Keyed],
    key: str,
    item: wire.WireTarget | wire.WireRatioTarget,
    seq: int,
) -> bool:
    """Store ``item`` as canonical JSON under ``key`` (a task row, a ratio target); True if it
    is new or changed, False if the stored JSON is the same."""
    data = wire.canonical_json(item.model_dump(mode="json"))
    row = session.scalar(select(model).where(model.key == key))
    if row is None:
        session.add(model(key=key, year=item.year, station=item.station, data_json=data, seq=seq))
        return True
    if row.data_json == data:
        return False
    row.data_json, row.seq = data, seq
    return True


def upsert_plan_year(session: Session, plan_year: wire.WirePlanYear, seq: int) -> bool:
    """Publish a task year's deadlines; True if they are new or changed."""
    row = session.get(m.PlanYear, plan_year.year)
    values = (plan_year.first_due, plan_year.final_due, plan_year.source)
    if row is None:
        session.add(
            m.PlanYear(
                year=plan_year.year,
                first_due=plan_year.first_due,
                final_due=plan_year.final_due,
                source=plan_year.source,
                seq=seq,
            )
        )
        return True
    if (row.first_due, row.final_due, row.source) == values:
        return False
    row.first_due, row.final_due, row.source = values
    row.seq = seq
    return True


def upsert_ratio(session: Session, ratio: wire.WireRatioTarget, seq: int) -> bool:
    """Publish a ratio target, found by year, station and kind; True if it is new or changed."""
    return _upsert_keyed(session, m.RatioTarget, ratio.key(), ratio, seq)


def publish_store(session: Session, folder: Path) -> dict[str, int]:
    """Load units, targets (with each year's deadlines and the ratio targets) and checklists
    from a fieldapp data folder (the county's master)."""
    from fieldapp.storage import models as local
    from fieldapp.store import Store
    from fieldapp.sync.mapping import wire_plan_year, wire_ratio, wire_target, wire_unit

    counts = {"units": 0, "targets": 0, "checklists": 0, "conflicts": 0}
    seq = next_seq(session)
    # Opened for writing on purpose: loading records the snapshot of a county checklist file
    # that is new since the store was last opened, and snapshots are what is published. The
    # read-only check in the publish command has already refused a missing or older store.
    with Store.open(folder) as store, store.read() as source:
        units = (
            select(local.Unit)
            .options(selectinload(local.Unit.events), selectinload(local.Unit.station))
            .order_by(local.Unit.id)
        )
        for number, unit in enumerate(source.scalars(units)):
            if number and number % SEQ_CHUNK == 0:
                seq = next_seq(session)  # pulls come down in pages of about this many
            published = upsert_unit(session, wire_unit(unit), seq)
            counts["units"] += published in (Published.CREATED, Published.UPDATED)
            counts["conflicts"] += published is Published.CONFLICT
        for target in source.scalars(select(local.Target).order_by(local.Target.id)):
            counts["targets"] += upsert_target(session, wire_target(target), seq)
        for plan_year in source.scalars(select(local.PlanYear).order_by(local.PlanYear.year)):
            counts["targets"] += upsert_plan_year(session, wire_plan_year(plan_year), seq)
        ratios = select(local.RatioTarget).options(selectinload(local.RatioTarget.station))
        for ratio in source.scalars(ratios.order_by(local.RatioTarget.id)):
            counts["targets"] += upsert_ratio(session, wire_ratio(ratio), seq)
        for snap in source.scalars(select(local.ChecklistSnapshot)):
            if session.get(m.Checklist, (snap.checklist_id, snap.version)) is None:
                session.add(
                    m.Checklist(
                        checklist_id=snap.checklist_id,
                        version=snap.version,
                        sha256=snap.sha256,
                        content_json=snap.content_json,
                        seq=seq,
                    )
                )
                counts["checklists"] += 1
    return counts


def assign(session: Session, unit_uuid: str, inspector: str, year: int) -> m.Assignment:
    """Assign a unit to an inspector for a year; it comes down to the station's devices."""
    from fieldapp.server.accounts import Missing

    checked(inspector, text.NAME, "检查人员姓名")
    unit = session.get(m.Unit, unit_uuid)
    if unit is None:
        raise Missing(f"服务器上没有单位 {unit_uuid}")
    seq = next_seq(session)
    row = session.scalar(
        select(m.Assignment).where(m.Assignment.unit_uuid == unit_uuid, m.Assignment.year == year)
    )
    if row is None:
        row = m.Assignment(
            unit_uuid=unit_uuid, year=year, station=unit.station, inspector="", seq=seq
        )
        session.add(row)
    row.inspector, row.station, row.seq = inspector, unit.station, seq
    return row
