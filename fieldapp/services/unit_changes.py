"""The one write path of a unit: every change is checked by the domain and kept as a dated event.

The window, the command line, imports, sync pulls and the server's copy of the rules all change a
unit through here: its lifecycle state (:func:`move`), its station, address, type, industry,
审慎培育 flag and other record fields (:func:`update_fields`), its 标识张贴 (:func:`post_sticker`)
and its creation (:func:`create`). Each writes a :class:`UnitEvent` with who, when, the old and
the new value, why, and where the change came from (``Change.source``: a file and row, sync, the
window). Figures for an earlier date are folded from these events (:mod:`fieldapp.services.
progress`), so nothing here may change a unit without its event. A test fails if any other module
assigns a unit's state or station.

命名 (放心消费单位 or 星级库 for year Y) rests on a finalised, passing 后评价 of the unit in Y
(:func:`naming_evidence`); without one, or when the unit is 审慎培育, only a county account with a
reason may confirm it, and the event is marked 县局确认.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain import lifecycle, text
from fieldapp.domain.events import COUNTY_CONFIRMED, FIELD_KINDS, EventKind, Role
from fieldapp.domain.lifecycle import ExitReason, NamingEvidence, State
from fieldapp.domain.records import EvaluationStatus
from fieldapp.domain.verdict import Answer, Outcome
from fieldapp.domain.vocab import UnitType, industry_label
from fieldapp.errors import IllegalTransition, InvalidInput, NotFound
from fieldapp.photos import PhotoStore, prepare_all
from fieldapp.photos.ingest import DEFAULT_MAX_SIDE
from fieldapp.services import revisions
from fieldapp.storage.models import Evaluation, Station, Unit, UnitEvent, local_now

POST_EVALUATION = "post_evaluation"  # services.evaluations.Kind.POST_EVALUATION (no import cycle)


@dataclass(frozen=True)
class Change:
    """Who makes a change, in which role, from where, and on which day."""

    actor: str
    role: Role = Role.INSPECTOR
    source: str = ""
    today: date = field(default_factory=date.today)

    def __post_init__(self) -> None:
        if not self.actor.strip():
            raise InvalidInput("请填写经办人")
        refuse_text(self.actor, text.NAME, "经办人")


# Record fields a change may set, with the label its event and messages use.
FIELD_LABELS: dict[str, str] = {
    "credit_code": "统一社会信用代码",
    "name": "单位名称",
    "shop_name": "门店名称",
    "address": "经营地址",
    "town": "乡镇(街道)",
    "station": "所属所",
    "unit_type": "单位类型",
    "industry": "行业",
    "category": "经营类别",
    "contact_person": "负责人",
    "contact_phone": "联系电话",
    "online_shop_name": "网店名称",
    "online_platform": "平台",
    "online_url": "链接",
    "return_days": "退货期限",
    "return_goods": "适用商品",
    "return_terms": "退货约定",
    "cross_store_return": "异地异店",
    "compensation_fund": "先行赔付金",
    "prudent": "审慎培育",
    "entered_on": "入库日期",
}
EDITABLE = frozenset(FIELD_LABELS) - {"credit_code"}
# The text record fields and their kinds: the sizes of the store's columns and the wire's fields.
TEXT_KINDS: dict[str, text.TextKind] = {
    "credit_code": text.CREDIT_CODE,
    "name": text.TITLE,
    "shop_name": text.TITLE,
    "address": text.ADDRESS,
    "town": text.NAME,
    "station": text.NAME,
    "industry": text.INDUSTRY,
    "category": text.CATEGORY,
    "contact_person": text.NAME,
    "contact_phone": text.PHONE,
    "online_shop_name": text.TITLE,
    "online_platform": text.NAME,
    "online_url": text.URL,
    "return_goods": text.NOTE,
    "return_terms": text.NOTE,
}


def refuse_text(value: str, kind: text.TextKind, label: str) -> None:
    """InvalidInput naming ``label`` if ``value`` breaks the text policy (:mod:`domain.text`)."""
    message = text.problem(value, kind, label)
    if message is not None:
        raise InvalidInput(message)


def check_text(values: dict[str, Any], reason: str = "") -> None:
    """Refuse record values (and a reason) the store, the wire or the server could not keep:
    a control character or more characters than the field holds."""
    for name, value in values.items():
        kind = TEXT_KINDS.get(name)
        if kind is not None and isinstance(value, str):
            refuse_text(value, kind, FIELD_LABELS[name])
    refuse_text(reason, text.NOTE, "原因")


def event_text(value: Any) -> str | None:
    """An event's old or new value as text (是/否 for flags)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def unchanged(old: Any, new: Any) -> bool:
    """No change: equal, or both empty text (a flag or a number is never "empty")."""
    return old == new or (not old and not new and not isinstance(new, bool | int))


def date_refusal(on: date, since: date | None, today: date) -> str | None:
    """Why a lifecycle move dated ``on`` is out of order (``since``: the last move), or None."""
    if on > today:
        return f"变更日期 {on} 晚于今天"
    if since and on < since:
        return f"变更日期 {on} 早于上次变更（{since}），历史记录必须按时间先后"
    return None


def display_value(name: str | None, value: str | None) -> str:
    """An event's old or new value as a person reads it (type and industry by their labels)."""
    if value is None or value == "":
        return "（空）"
    if name == "unit_type":
        try:
            return UnitType(value).label
        except ValueError:
            return value
    if name == "industry":
        return industry_label(value)
    return value


def _check_date(unit: Unit, on: date, change: Change, what: str) -> None:
    if on > change.today:
        raise IllegalTransition(f"{unit.name}：{what}日期 {on} 晚于今天")


def _touch(unit: Unit) -> None:
    unit.version = (unit.version or 0) + 1
    unit.updated_at = local_now()


# --- 命名 and its evidence ----------------------------------------------------------------------


def naming_evidence(session: Session, unit: Unit, year: int) -> NamingEvidence:
    """The newest finalised, passing 后评价 of ``unit`` visited in ``year`` that no finalised
    revision replaces, and whether it (or the unit) asks for the county's confirmation."""
    found = session.scalar(
        select(Evaluation)
        .where(
            Evaluation.unit_id == unit.id,
            Evaluation.kind == POST_EVALUATION,
            Evaluation.status == EvaluationStatus.FINALIZED,
            Evaluation.verdict == Outcome.PASS,
            Evaluation.started_at >= datetime.combine(date(year, 1, 1), time()),
            Evaluation.started_at < datetime.combine(date(year + 1, 1, 1), time()),
            ~revisions.replaced(),
        )
        .order_by(Evaluation.finalized_at.desc(), Evaluation.id.desc())
        .limit(1)
    )
    if found is None:
        return NamingEvidence(year, None, bool(unit.prudent))
    return NamingEvidence(year, found.id, bool(found.needs_confirmation or unit.prudent))


# --- lifecycle ----------------------------------------------------------------------------------


def move(
    session: Session,
    unit: Unit,
    target: State,
    change: Change,
    *,
    reason: str = "",
    exit_reason: ExitReason | None = None,
    on: date | None = None,
    county_confirm: bool = False,
) -> UnitEvent:
    """Move ``unit`` to ``target``; raise IllegalTransition saying what is missing if refused.

    ``county_confirm`` asks for 县局确认 of a 命名 (role county and a reason required).
    """
    on = on or change.today
    reason = reason.strip()
    refuse_text(reason, text.NOTE, "原因")
    current = State(unit.state) if unit.state else None
    refusal = lifecycle.check_transition(current, target, reason, exit_reason)
    if refusal:
        raise IllegalTransition(f"{unit.name}（{unit.credit_code}）：{refusal}")
    refusal = date_refusal(on, unit.state_since, change.today)
    if refusal:
        raise IllegalTransition(f"{unit.name}：{refusal}")
    evaluation_id: int | None = None
    confirmed = False
    if target in lifecycle.NAMED_STATES:
        if county_confirm:
            if change.role is not Role.COUNTY:
                raise IllegalTransition(
                    f"{unit.name}：县局确认只能由县局账号进行（当前为{change.role.label}）"
                )
            if not reason:
                raise IllegalTransition(f"{unit.name}：县局确认必须写明原因")
        evidence = naming_evidence(session, unit, on.year)
        refusal = lifecycle.naming_refusal(evidence, county_override=county_confirm)
        if refusal:
            raise IllegalTransition(f"{unit.name}（{unit.credit_code}）：{refusal}")
        evaluation_id = evidence.passing_evaluation
        confirmed = county_confirm
    elif county_confirm:
        raise IllegalTransition(f"{unit.name}：县局确认只用于命名放心消费单位或星级库")
    return _state_event(
        session,
        unit,
        target,
        change,
        on=on,
        reason=reason,
        exit_reason=exit_reason,
        evaluation_id=evaluation_id,
        county_confirmed=confirmed,
    )


def _state_event(
    session: Session,
    unit: Unit,
    target: State,
    change: Change,
    *,
    on: date,
    reason: str,
    exit_reason: ExitReason | None = None,
    evaluation_id: int | None = None,
    county_confirmed: bool = False,
) -> UnitEvent:
    event = UnitEvent(
        unit=unit,
        kind=EventKind.STATE,
        from_state=unit.state,
        to_state=target,
        occurred_on=on,
        actor=change.actor,
        reason=reason,
        exit_reason=exit_reason,
        county_confirmed=county_confirmed,
        evaluation_id=evaluation_id,
        source=change.source,
    )
    session.add(event)
    entering = lifecycle.enters_pool(unit.state, target)
    unit.state = target
    unit.state_since = on
    if entering:
        unit.entered_on = on  # 入库: the unit (re-)enters the pool
    _touch(unit)
    session.flush()
    return event


def post_sticker(
    session: Session,
    unit: Unit,
    change: Change,
    *,
    note: str = "",
    on: date | None = None,
    photo_sha256: str | None = None,
) -> UnitEvent:
    """Record the year's 放心消费 sticker (标识张贴): only on a unit named 放心消费单位/星级库.

    ``photo_sha256`` names the photo of the posted sticker, already in the photo store
    (:func:`store_sticker_photo`); the dashboard lists stickers without one.
    """
    on = on or change.today
    refuse_text(note, text.NOTE, "说明")
    if unit.state not in lifecycle.NAMED_STATES:
        here = State(unit.state).label if unit.state else "（无状态）"
        raise IllegalTransition(
            f"{unit.name}：只有「放心消费单位」或「星级库」的单位才能张贴标识，当前为「{here}」。"
            "请先完成后评价并命名"
        )
    _check_date(unit, on, change, "张贴")
    if unit.state_since and on < unit.state_since:
        raise IllegalTransition(f"{unit.name}：张贴日期 {on} 早于命名日期 {unit.state_since}")
    event = UnitEvent(
        unit=unit,
        kind=EventKind.STICKER,
        from_state=unit.state,
        to_state=unit.state,
        occurred_on=on,
        actor=change.actor,
        reason=note.strip(),
        photo_sha256=photo_sha256,
        source=change.source,
    )
    session.add(event)
    unit.sticker_posted_on = on
    _touch(unit)
    session.flush()
    return event


def store_sticker_photo(
    photos: PhotoStore, path: str | os.PathLike[str], max_side: int = DEFAULT_MAX_SIDE
) -> str:
    """Ingest the photo of a posted sticker like any evidence photo; return its SHA-256.

    Refuses what is not a whole image (``InvalidInput`` naming the file) before anything is stored.
    An unreferenced file left by a failure later is swept at start-up like other orphan photos.
    """
    return photos.put(prepare_all([path], max_side)[0])  # the image work in a worker process


# --- record fields ------------------------------------------------------------------------------


def _station(session: Session, name: str) -> Station:
    station = session.scalar(select(Station).where(Station.name == name))
    if station is None:
        names = "、".join(session.scalars(select(Station.name).order_by(Station.name)))
        raise NotFound(f"没有名为「{name}」的所（分局）；已有：{names or '（无）'}")
    return station


def current_value(unit: Unit, name: str) -> Any:
    if name == "station":
        return unit.station.name if unit.station is not None else None
    value = getattr(unit, name)
    if name == "unit_type" and value is not None:
        return UnitType(value)
    return value


def update_fields(
    session: Session,
    unit: Unit,
    values: dict[str, Any],
    change: Change,
    *,
    reason: str = "",
    on: date | None = None,
) -> list[UnitEvent]:
    """Set record fields (``station`` by name, ``unit_type`` as a :class:`UnitType`, the others
    as stored); one event per field that really changes. Returns the events written."""
    on = on or change.today
    unknown = sorted(set(values) - EDITABLE)
    if unknown:
        raise ValueError(f"fields not editable through update_fields: {unknown}")
    _check_date(unit, on, change, "变更")
    check_text(values, reason)
    events: list[UnitEvent] = []
    for name, new in values.items():
        if name == "unit_type" and new is not None:
            new = UnitType(new)
        old = current_value(unit, name)
        if unchanged(old, new):
            continue
        if name == "station":
            unit.station = _station(session, str(new))
        else:
            setattr(unit, name, new)
        event = UnitEvent(
            unit=unit,
            kind=FIELD_KINDS.get(name, EventKind.DETAILS),
            from_state=unit.state,
            to_state=unit.state,
            occurred_on=on,
            actor=change.actor,
            reason=reason.strip(),
            field=name,
            old_value=event_text(old),
            new_value=event_text(new),
            source=change.source,
        )
        session.add(event)
        events.append(event)
    if events:
        _touch(unit)
        session.flush()
    return events


def recode(session: Session, unit: Unit, credit_code: str, change: Change) -> UnitEvent:
    """The county corrected the credit code (a pull): a DETAILS event like any field change.

    Not an :data:`EDITABLE` field: on a laptop the code names the unit and is never edited."""
    event = UnitEvent(
        unit=unit,
        kind=EventKind.DETAILS,
        from_state=unit.state,
        to_state=unit.state,
        occurred_on=change.today,
        actor=change.actor,
        reason="",
        field="credit_code",
        old_value=unit.credit_code,
        new_value=credit_code,
        source=change.source,
    )
    session.add(event)
    unit.credit_code = credit_code
    return event


def create(
    session: Session,
    values: dict[str, Any],
    change: Change,
    *,
    state: State = State.CANDIDATE,
    on: date | None = None,
    reason: str = "",
    county_confirm: bool = False,
) -> Unit:
    """A new unit with its first state event. ``values`` holds record fields (``station`` by
    name, which must exist). A first state of 放心消费单位/星级库 in the current year needs the
    county's confirmation, as any 命名 does; an earlier year's is history from the county's
    list and is recorded as such."""
    on = on or change.today
    _check_date_plain(on, change)
    check_text(values, reason)
    fields = dict(values)
    station = _station(session, str(fields.pop("station")))
    entered_on = fields.pop("entered_on", None)
    unit = Unit(station=station, **fields)
    if unit.unit_type is not None:
        unit.unit_type = UnitType(unit.unit_type)
    unit.state = None
    unit.version = 0
    session.add(unit)
    session.flush()
    if state in lifecycle.EXITS:
        raise IllegalTransition(f"{unit.name}：新单位不能以「{state.label}」开始")
    confirmed = False
    if state in lifecycle.NAMED_STATES and on.year >= change.today.year:
        if not county_confirm or change.role is not Role.COUNTY or not reason.strip():
            raise IllegalTransition(
                f"{unit.name}（{unit.credit_code}）：今年命名的单位须有已定稿且通过的后评价；"
                "请以「后评价」状态建档，评价通过后再命名，或由县局账号确认并写明原因"
            )
        confirmed = True
    _state_event(session, unit, state, change, on=on, reason=reason, county_confirmed=confirmed)
    if entered_on is not None and state in lifecycle.ACTIVE_STATES:
        unit.entered_on = entered_on
    return unit


def _check_date_plain(on: date, change: Change) -> None:
    if on > change.today:
        raise IllegalTransition(f"日期 {on} 晚于今天")


def event_summary(event: UnitEvent) -> str:
    """What an event did, in one line for the history (the window, ``units show``, exports)."""
    kind = EventKind(event.kind)
    if kind is EventKind.STICKER:
        return "标识张贴"
    if kind is EventKind.STATE:
        before = State(event.from_state).label if event.from_state else "（新建）"
        after = State(event.to_state).label if event.to_state else ""
        text = f"{before} → {after}"
        if event.exit_reason:
            text += f"（{ExitReason(event.exit_reason).label}）"
        if event.county_confirmed:
            text += f"［{COUNTY_CONFIRMED}］"
        return text
    label = FIELD_LABELS.get(event.field or "", kind.label)
    old = display_value(event.field, event.old_value)
    new = display_value(event.field, event.new_value)
    return f"{label}：{old} → {new}"


# --- what a finalised 后评价 proposes -----------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """The next state a finalised 后评价 proposes, for the inspector to confirm in one step.

    ``target`` None: the unit stays where it is (不通过, or already there); ``reasons`` say why.
    ``county_confirm``: 命名 must wait for the county (审慎培育); ``due``: the 整改 deadline.
    """

    evaluation_id: int
    current: State | None
    target: State | None
    reason: str
    due: date | None = None
    needs_county: bool = False
    refusal: str | None = None

    @property
    def actionable(self) -> bool:
        return self.target is not None and self.refusal is None and not self.needs_county


def propose(session: Session, evaluation: Evaluation) -> Proposal | None:
    """What finalising ``evaluation`` proposes for its unit (None for kinds other than 后评价).

    通过 → 命名 (放心消费单位); 需整改 → 预警库 with the earliest rectification deadline;
    不通过 → the unit stays, with the reasons. 审慎培育 → 命名 waits for 县局确认.
    """
    if evaluation.kind != POST_EVALUATION or evaluation.status != EvaluationStatus.FINALIZED:
        return None
    unit = evaluation.unit
    current = State(unit.state) if unit.state else None
    verdict = evaluation.verdict or ""
    text = evaluation.verdict_text or ""
    if verdict == Outcome.PASS:
        target = State.CONFIRMED
        if current in lifecycle.NAMED_STATES:
            return Proposal(
                evaluation.id, current, None, f"后评价通过，单位已是「{current.label}」"
            )
        on = evaluation.started_at.date()
        evidence = naming_evidence(session, unit, on.year)
        needs_county = evidence.needs_confirmation
        refusal = lifecycle.check_transition(current, target, text)
        if refusal is None and current in (State.CANDIDATE, State.CULTIVATING, State.COMMITTED):
            refusal = f"单位当前为「{current.label}」，须先进入「后评价」再命名"
        return Proposal(evaluation.id, current, target, text, None, needs_county, refusal)
    if verdict == Outcome.RECTIFY:
        dues = [a.due for a in evaluation.answers if a.result == Answer.FAIL and a.due is not None]
        due = min(dues) if dues else None
        target = State.WARNING
        if current is State.WARNING:
            return Proposal(evaluation.id, current, None, text, due)
        refusal = lifecycle.check_transition(current, target, text)
        return Proposal(evaluation.id, current, target, text, due, False, refusal)
    return Proposal(evaluation.id, current, None, text)


def accept_proposal(
    session: Session, proposal: Proposal, change: Change, *, on: date | None = None
) -> UnitEvent:
    """Carry out a proposal the inspector confirmed, through :func:`move`."""
    if proposal.target is None:
        raise IllegalTransition("这次后评价不需要变更单位状态")
    evaluation = session.get(Evaluation, proposal.evaluation_id)
    if evaluation is None:
        raise NotFound(f"没有编号为 {proposal.evaluation_id} 的评价")
    reason = f"后评价 {proposal.evaluation_id}：{proposal.reason}"
    if proposal.due is not None:
        reason += f"；整改期限 {proposal.due}"
    return move(session, evaluation.unit, proposal.target, change, reason=reason, on=on)
