"""From the local store's rows to wire models (and back, for units that come down).

Timestamps go out in UTC: SQLite hands timezone-aware columns back without their offset, as the
laptop's local wall time, so a naive value is read as local time before it is converted. That
keeps an evaluation's wire form, and so its hash, the same at every send. A time that comes down
(a review's) is stored as local time like every other (:func:`local`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from fieldapp.storage.models import Evaluation, PlanYear, RatioTarget, Target, Unit, UnitEvent
from fieldapp.sync import wire


def utc(value: datetime) -> datetime:
    """A time from the store, in UTC for the wire (naive: the laptop's local wall time)."""
    aware = value if value.tzinfo is not None else value.astimezone()
    return aware.astimezone(UTC)


def local(value: datetime) -> datetime:
    """A time from the wire, as the store keeps its times: the laptop's local time, aware. A naive
    value is UTC (an older server sent its SQLite's stamps without their offset)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone()


def wire_event(event: UnitEvent) -> wire.WireUnitEvent:
    """One event of a unit's history as it travels (its local row ids stay here)."""
    return wire.WireUnitEvent(
        uuid=event.uuid,
        kind=event.kind,
        from_state=event.from_state,
        to_state=event.to_state,
        occurred_on=event.occurred_on,
        actor=event.actor,
        reason=event.reason or "",
        field=event.field,
        old_value=event.old_value,
        new_value=event.new_value,
        exit_reason=event.exit_reason,
        county_confirmed=bool(event.county_confirmed),
        source=event.source or "",
        photo_sha256=event.photo_sha256,
    )


def wire_unit(unit: Unit) -> wire.WireUnit:
    """The unit as it travels, with its whole dated history (oldest first)."""
    return wire.WireUnit(
        uuid=unit.uuid,
        credit_code=unit.credit_code,
        name=unit.name,
        shop_name=unit.shop_name or "",
        address=unit.address or "",
        town=unit.town or "",
        station=unit.station.name,
        unit_type=unit.unit_type,
        industry=unit.industry,
        category=unit.category or "",
        contact_person=unit.contact_person or "",
        contact_phone=unit.contact_phone or "",
        prudent=bool(unit.prudent),
        state=unit.state,
        state_since=unit.state_since,
        entered_on=unit.entered_on,
        sticker_posted_on=unit.sticker_posted_on,
        events=[wire_event(e) for e in unit.events],
        version=max(1, unit.version),
    )


def wire_target(target: Target) -> wire.WireTarget:
    """A task-table figure as it travels; a 其中 row names its parent by the parent's key."""
    plan = target.plan
    return wire.WireTarget(
        year=target.year,
        station=target.station.name if target.station is not None else None,
        kind=target.kind,
        unit_type=target.unit_type,
        industry=target.industry or "",
        sector=target.sector or "",
        responsible_dept=target.responsible_dept or "",
        count=target.count,
        note=target.note or "",
        parent=wire_target(target.parent).key() if target.parent is not None else None,
        plan=(
            wire.WireTargetPlan(
                start_year=plan.start_year,
                end_year=plan.end_year,
                first_share_num=plan.first_share_num,
                first_share_den=plan.first_share_den,
            )
            if plan is not None
            else None
        ),
    )


def wire_plan_year(row: PlanYear) -> wire.WirePlanYear:
    """A task year's deadlines as they travel."""
    return wire.WirePlanYear(
        year=row.year, first_due=row.first_due, final_due=row.final_due, source=row.source or ""
    )


def wire_ratio(ratio: RatioTarget) -> wire.WireRatioTarget:
    """A ratio target as it travels, its station by name (None: the county's own)."""
    return wire.WireRatioTarget(
        year=ratio.year,
        station=ratio.station.name if ratio.station is not None else None,
        kind=ratio.kind,
        threshold=ratio.threshold,
        denominator=ratio.denominator,
        source=ratio.source or "",
    )


def wire_evaluation(session: Session, evaluation: Evaluation, skewed: bool) -> wire.WireEvaluation:
    """The finalised evaluation as it travels, its content hash computed over exactly that."""
    assert evaluation.finalized_at is not None and evaluation.verdict is not None

    def uuid_of(local_id: int | None) -> str | None:
        if local_id is None:
            return None
        other = session.get(Evaluation, local_id)
        return other.uuid if other is not None else None

    draft = wire.WireEvaluation.model_construct(
        uuid=evaluation.uuid,
        unit_uuid=evaluation.unit.uuid,
        unit_credit_code=evaluation.unit.credit_code,
        station=evaluation.unit.station.name,
        kind=evaluation.kind,
        inspector=evaluation.inspector,
        started_at=utc(evaluation.started_at),
        finalized_at=utc(evaluation.finalized_at),
        checklists=[
            wire.WirePin(checklist_id=p.checklist_id, version=p.version)
            for p in evaluation.checklists
        ],
        answers=[
            wire.WireAnswer(
                checklist_id=a.checklist_id,
                item_code=a.item_code,
                result=a.result,
                note=a.note or "",
                rectify=a.rectify,
                due=a.due,
            )
            for a in sorted(evaluation.answers, key=lambda a: (a.checklist_id, a.item_code))
        ],
        photos=[
            wire.WirePhoto(
                sha256=p.sha256,
                checklist_id=p.checklist_id,
                item_code=p.item_code,
                width=p.width,
                height=p.height,
                taken_at=p.taken_at,
                gps_lat=p.gps_lat,
                gps_lon=p.gps_lon,
                original_name=p.original_name or "",
            )
            for p in evaluation.photos
        ],
        signatures=[
            wire.WireSignature(
                role=s.role,
                name=s.name,
                signed_at=utc(s.signed_at),
                image_sha256=s.image_sha256,
            )
            for s in sorted(evaluation.signatures, key=lambda s: s.role)
        ],
        verdict=evaluation.verdict,
        verdict_text=evaluation.verdict_text or "",
        replaces_uuid=uuid_of(evaluation.replaces_id),
        follows_uuid=uuid_of(evaluation.follows_id),
        clock_skewed=skewed,
        content_sha256="0" * 64,
    )
    data = draft.model_dump(mode="json")
    data["content_sha256"] = wire.evaluation_hash(draft)
    return wire.WireEvaluation.model_validate(data)
