"""SQLAlchemy 2.x typed models of the local store.

Every schema change goes through an Alembic migration in ``migrations/versions``; these models
describe the current head and must match it (a test compares them).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from fieldapp.domain.cases import CaseType
from fieldapp.domain.events import EventKind
from fieldapp.domain.lifecycle import ExitReason, State
from fieldapp.domain.records import (
    BatchSource,
    BatchStatus,
    EvaluationKind,
    EvaluationStatus,
    SignerRole,
)
from fieldapp.domain.targets import RatioKind, TargetKind
from fieldapp.domain.verdict import Answer, Outcome
from fieldapp.domain.vocab import UnitType

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def domain_enum(enum: type[StrEnum], length: int = 32) -> Enum:
    """A column holding a domain enum's values: stored as plain text (VARCHAR), read back as the
    enum; a value the domain does not know is refused when it is written."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


def local_now() -> datetime:
    """This moment on the laptop's clock: timezone-aware with the local offset, to the second.

    Deliberately not UTC (docs/architecture.md, "Time"): SQLite keeps a ``DateTime(timezone=True)``
    value as its wall-clock digits without the offset, and every reader (day and year boundaries,
    ``func.date`` against photos' camera times, the UTC conversion before an evaluation is
    hashed) takes a stored value as the laptop's local time.
    """
    return datetime.now().astimezone().replace(microsecond=0)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Station(Base):
    """A 市场监管所 or 分局 (e.g. 五云所, 壶镇分局)."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    county: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)

    units: Mapped[list[Unit]] = relationship(back_populates="station")


class Unit(Base):
    """A 放心消费 unit: a shop, restaurant, market, factory, online shop, district or village."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    shop_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    town: Mapped[str] = mapped_column(String(64), default="")
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"), index=True)
    unit_type: Mapped[UnitType] = mapped_column(domain_enum(UnitType), index=True)
    industry: Mapped[str | None] = mapped_column(String(32), nullable=True)
    category: Mapped[str] = mapped_column(String(100), default="")
    contact_person: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str] = mapped_column(String(32), default="")
    online_shop_name: Mapped[str] = mapped_column(String(200), default="")
    online_platform: Mapped[str] = mapped_column(String(64), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    return_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    return_goods: Mapped[str] = mapped_column(Text, default="")
    return_terms: Mapped[str] = mapped_column(Text, default="")
    cross_store_return: Mapped[bool] = mapped_column(Boolean, default=False)
    compensation_fund: Mapped[bool] = mapped_column(Boolean, default=False)
    prudent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[State | None] = mapped_column(domain_enum(State), nullable=True, index=True)
    state_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    entered_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # 入库日期
    sticker_posted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)

    station: Mapped[Station] = relationship(back_populates="units")
    events: Mapped[list[UnitEvent]] = relationship(
        back_populates="unit", order_by="UnitEvent.id", cascade="all, delete-orphan"
    )


class UnitEvent(Base):
    """One dated change of a unit, with who, when, the old and the new value, and why.

    Written only by :mod:`fieldapp.services.unit_changes`. ``kind`` says what changed (a
    lifecycle move keeps its states in ``from_state``/``to_state``; a field change keeps the old
    and new text in ``old_value``/``new_value``, station changes by station name); ``source``
    says which file and row, sync or window made it; ``county_confirmed`` marks a 县局确认.
    """

    __tablename__ = "unit_events"
    __table_args__ = (Index("ix_unit_events_unit_on", "unit_id", "occurred_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(domain_enum(EventKind, 16))
    from_state: Mapped[State | None] = mapped_column(domain_enum(State), nullable=True)
    to_state: Mapped[State | None] = mapped_column(domain_enum(State), nullable=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)
    # 标识张贴: SHA-256 of the photo of the posted sticker in the photo store (None: no photo).
    photo_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    field: Mapped[str | None] = mapped_column(String(32), nullable=True)
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    exit_reason: Mapped[ExitReason | None] = mapped_column(
        domain_enum(ExitReason, 16), nullable=True
    )
    county_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(300), default="")
    # 命名: the passing 后评价 it rests on (None: a county confirmation, or history from before).
    evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", ondelete="SET NULL"), nullable=True
    )

    unit: Mapped[Unit] = relationship(back_populates="events")


class Target(Base):
    """One figure of a task table: year × org unit × what is counted → count (DOMAIN.md C).

    ``station_id`` None: the county itself (县局/全县), for figures a plan does not split by
    station (seed 002's 19 村级联络站). ``kind`` says what is counted (:class:`TargetKind`: a unit
    type, all 放心消费单位, a category such as 放心农贸市场, or an industry demonstration type named
    in ``industry`` with its 行业领域 ``sector`` and 责任单位 ``responsible_dept``). ``parent_id``:
    a 其中 subset of that row (seed 000's 无理由 5700 of 17000), never added to a total.
    ``count`` None: no figure yet (景区 "按省下达的任务指标另行分解"), ``note`` says why.
    ``plan_id``: one target of a multi-year plan, due at the end of ``year``. Only components
    are stored; every total is derived. Written by :mod:`fieldapp.imports.targets` only (and sync).
    """

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), nullable=True)
    kind: Mapped[TargetKind] = mapped_column(domain_enum(TargetKind), default=TargetKind.UNIT_TYPE)
    unit_type: Mapped[UnitType | None] = mapped_column(domain_enum(UnitType), nullable=True)
    industry: Mapped[str] = mapped_column(String(100), default="")
    sector: Mapped[str] = mapped_column(String(100), default="")
    responsible_dept: Mapped[str] = mapped_column(String(200), default="")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("targets.id", ondelete="CASCADE"), nullable=True
    )
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("task_plans.id"), nullable=True)
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)

    station: Mapped[Station | None] = relationship()
    parent: Mapped[Target | None] = relationship(remote_side=[id])
    plan: Mapped[TaskPlan | None] = relationship()


class ChecklistSnapshot(Base):
    """The exact content of every checklist version the store has seen.

    Evaluations pin (checklist_id, version); the snapshot keeps that version readable even if its
    file is later removed or edited in place.
    """

    __tablename__ = "checklist_snapshots"

    checklist_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    content_json: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)


class Evaluation(Base):
    """One visit's evaluation of a unit: pinned checklists, answers, photos and two signatures.

    A draft can be changed; once finalized it is locked and a correction is a new revision that
    points at the one it replaces (``replaces_id``).
    """

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[EvaluationKind] = mapped_column(domain_enum(EvaluationKind, 32))
    status: Mapped[EvaluationStatus] = mapped_column(
        domain_enum(EvaluationStatus, 16), default=EvaluationStatus.DRAFT
    )
    inspector: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)
    finalized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    verdict: Mapped[Outcome | None] = mapped_column(domain_enum(Outcome, 16), nullable=True)
    verdict_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    replaces_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id"), nullable=True, index=True
    )
    content_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # 审慎培育: the verdict carries a warn gate (G4) or the unit is flagged; 命名 waits for 县局确认.
    needs_confirmation: Mapped[bool] = mapped_column(Boolean, default=False)
    # 回头看 / 暗访整改复查: the finalized evaluation whose failed items this visit re-checks.
    follows_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id"), nullable=True, index=True
    )

    unit: Mapped[Unit] = relationship()
    checklists: Mapped[list[EvaluationChecklist]] = relationship(
        order_by="EvaluationChecklist.position", cascade="all, delete-orphan"
    )
    answers: Mapped[list[AnswerRow]] = relationship(
        order_by="AnswerRow.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list[Photo]] = relationship(order_by="Photo.id", cascade="all, delete-orphan")
    signatures: Mapped[list[Signature]] = relationship(
        order_by="Signature.role", cascade="all, delete-orphan"
    )


class EvaluationChecklist(Base):
    """A checklist id and version an evaluation is pinned to, in display order."""

    __tablename__ = "evaluation_checklists"

    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True
    )
    checklist_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)


class AnswerRow(Base):
    """The inspector's answer to one checklist item (符合/不符合/不适用), with 整改 if it failed."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("evaluation_id", "checklist_id", "item_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    checklist_id: Mapped[str] = mapped_column(String(64))
    item_code: Mapped[str] = mapped_column(String(20))
    result: Mapped[Answer] = mapped_column(domain_enum(Answer, 8))
    note: Mapped[str] = mapped_column(Text, default="")
    rectify: Mapped[str | None] = mapped_column(Text, nullable=True)
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)


class Photo(Base):
    """A photo of an evaluation (``item_code`` None: of the whole visit), stored by its hash."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), index=True
    )
    checklist_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    item_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    gps_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    gps_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)


class Signature(Base):
    """The inspector's or the unit's signature: who, when, and the PNG's hash."""

    __tablename__ = "signatures"
    __table_args__ = (UniqueConstraint("evaluation_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    role: Mapped[SignerRole] = mapped_column(domain_enum(SignerRole, 16))
    name: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)
    image_sha256: Mapped[str] = mapped_column(String(64))


class PlanYear(Base):
    """A task year's deadlines (seed 002: 6月底 and 11月底; "上级如有要求按要求执行")."""

    __tablename__ = "plan_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_due: Mapped[date] = mapped_column(Date)  # 培育、承诺公示、系统录入率100%
    final_due: Mapped[date] = mapped_column(Date)  # 后评价、标识张贴
    source: Mapped[str] = mapped_column(String(200), default="")


class TaskPlan(Base):
    """A multi-year plan (seed 001, 温政办〔2017〕54号: targets due by 2020, "2017年要完成…总任务的
    三分之一"): its targets fall due at the end of ``end_year``; ``first_share_num`` /
    ``first_share_den`` is the share due by the end of ``start_year`` (None: no such share)."""

    __tablename__ = "task_plans"
    __table_args__ = (UniqueConstraint("start_year", "end_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int] = mapped_column(Integer)
    first_share_num: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_share_den: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(200), default="")


class RatioTarget(Base):
    """A share to reach (seed 000: 放心消费单位 ≥5% of 市场有效主体; ≥70% of key industries; 100%
    of 乡镇): for a year and a station (None: the county), the ``threshold`` (0–1; None on a
    station row: the county's applies) and the ``denominator`` the county enters (None: not yet
    entered; the county's is then the sum of its stations'). The numerator is counted from units."""

    __tablename__ = "ratio_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), nullable=True)
    kind: Mapped[RatioKind] = mapped_column(domain_enum(RatioKind))
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    denominator: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)

    station: Mapped[Station | None] = relationship()


# --- sync with the county server (migration 0006) -----------------------------------------------


class SyncState(Base):
    """One value of the client's sync state: device id, pull cursor, last sync time."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SyncEvaluation(Base):
    """An evaluation's sync record: confirmed by which receipt, and the county's review of it."""

    __tablename__ = "sync_evaluations"

    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True
    )
    wire_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    clock_skewed: Mapped[bool] = mapped_column(Boolean, default=False)
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    batch_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    conflict: Mapped[str | None] = mapped_column(Text, nullable=True)
    review_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str] = mapped_column(String(64), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SyncBlob(Base):
    """A photo or signature the server has confirmed it holds (resume skips it)."""

    __tablename__ = "sync_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)


class SyncBatch(Base):
    """The sync ledger: one row per batch sent (online or as a bundle), with its outcome."""

    __tablename__ = "sync_batches"

    batch_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[BatchSource] = mapped_column(
        domain_enum(BatchSource, 16), default=BatchSource.ONLINE
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    evaluations: Mapped[int] = mapped_column(Integer, default=0)
    blobs_uploaded: Mapped[int] = mapped_column(Integer, default=0)
    bytes_uploaded: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[BatchStatus] = mapped_column(
        domain_enum(BatchStatus, 16), default=BatchStatus.STARTED
    )
    error: Mapped[str] = mapped_column(Text, default="")
    manifest_json: Mapped[str | None] = mapped_column(Text, nullable=True)


class SyncUnit(Base):
    """The unit version the server last confirmed; a higher local version is a change to send."""

    __tablename__ = "sync_units"

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    server_version: Mapped[int] = mapped_column(Integer)
    local_version: Mapped[int] = mapped_column(Integer)
    conflict: Mapped[str | None] = mapped_column(Text, nullable=True)


class SyncAssignment(Base):
    """Which inspector the station assigned a unit to, for a year (from the server)."""

    __tablename__ = "sync_assignments"

    unit_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspector: Mapped[str] = mapped_column(String(64))


# --- evaluations other laptops synced, as pulled (migration 0009) -------------------------------


class PulledEvaluation(Base):
    """An evaluation another laptop synced to the county server, as a pull summarises it: who
    visited which unit when, the verdict, and (in ``answers``) each item's result with the 整改
    of a 不符合. No notes, photos or signatures: the record stays on the server.

    A station head's 进度 and 工作清单 count these beside the store's own evaluations. One whose
    uuid is an evaluation of this store is never kept (the store's own record wins). Times are
    local, as every stamp of the store (``sync.mapping.local``)."""

    __tablename__ = "pulled_evaluations"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_uuid: Mapped[str] = mapped_column(String(36), index=True)
    station: Mapped[str] = mapped_column(String(64))
    kind: Mapped[EvaluationKind] = mapped_column(domain_enum(EvaluationKind, 32))
    inspector: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    finalized_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verdict: Mapped[Outcome] = mapped_column(domain_enum(Outcome, 16))
    replaces_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    follows_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)

    answers: Mapped[list[PulledAnswer]] = relationship(
        order_by="PulledAnswer.id", cascade="all, delete-orphan"
    )


class PulledAnswer(Base):
    """One answer of a pulled evaluation; ``version``: of its checklist, as the evaluation pinned
    it (0: not pinned), for the item's text."""

    __tablename__ = "pulled_answers"
    __table_args__ = (UniqueConstraint("evaluation_uuid", "checklist_id", "item_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_uuid: Mapped[str] = mapped_column(
        ForeignKey("pulled_evaluations.uuid", ondelete="CASCADE")
    )
    checklist_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str] = mapped_column(String(20))
    result: Mapped[Answer] = mapped_column(domain_enum(Answer, 8))
    rectify: Mapped[str | None] = mapped_column(Text, nullable=True)
    due: Mapped[date | None] = mapped_column(Date, nullable=True)


# --- the 村级联络站's case ledger (migration 0011) ---------------------------------------------


class Case(Base):
    """One case of a 村级消费维权联络站's ledger (台账): 投诉问题类型, 咨询人, 咨询时间, 问题描述,
    处理时间, 处理结果 and 挽回经济损失 in whole 分 (never a float).

    Written only by :mod:`fieldapp.services.cases` (the window, the command line) and by a sync
    pull, both through :func:`fieldapp.domain.cases.check`. ``unit_uuid`` names the 联络站: a
    case pulled before its unit still keeps. ``version`` counts its changes; ``synced_version``
    is the one the county server's receipt confirmed (None: never), so a higher ``version``
    is a change to send; ``sync_conflict`` is why the server refused the last one sent."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_unit_consulted", "unit_uuid", "consulted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    unit_uuid: Mapped[str] = mapped_column(String(36))
    case_type: Mapped[CaseType] = mapped_column(domain_enum(CaseType, 32))
    consultant: Mapped[str] = mapped_column(String(64))
    consulted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    description: Mapped[str] = mapped_column(Text)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result: Mapped[str] = mapped_column(Text, default="")
    recovered_fen: Mapped[int] = mapped_column(Integer, default=0)
    recorded_by: Mapped[str] = mapped_column(String(64), default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=local_now)
    version: Mapped[int] = mapped_column(Integer, default=1)
    synced_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sync_conflict: Mapped[str | None] = mapped_column(Text, nullable=True)


# --- figures kept between counts (migration 0012; kept by triggers and services.progress_kept) ---


class ChangeClock(Base):
    """One row whose ``n`` every write to a table a kept figure reads moves on (triggers)."""

    __tablename__ = "change_clock"  # the migration also checks id = 1

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer)


class UnitMark(Base):
    """The clock of a unit's last change that can move its progress (triggers)."""

    __tablename__ = "unit_marks"

    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, index=True)


class ProgressShare(Base):
    """What one unit adds to a year's figures, counted at clock ``seq``, holding for the
    reference dates from ``since`` up to (not including) ``until``."""

    __tablename__ = "progress_shares"
    __table_args__ = (
        Index("ix_progress_shares_until", "year", "until"),
        Index("ix_progress_shares_since", "year", "since"),
    )

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date, nullable=True)
    share: Mapped[str] = mapped_column(Text)


class ProgressTotal(Base):
    """How many units have a share, per year."""

    __tablename__ = "progress_totals"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    share: Mapped[str] = mapped_column(Text, primary_key=True)
    units: Mapped[int] = mapped_column(Integer)


class ProgressYear(Base):
    """What a year's shares were counted under, and the clock they are up to date with."""

    __tablename__ = "progress_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    context: Mapped[str] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)


class KeptFigure(Base):
    """A figure kept whole (e.g. the bulletin's hold-back counts) with the day and the clock it
    was counted at."""

    __tablename__ = "kept_figures"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    today: Mapped[date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
