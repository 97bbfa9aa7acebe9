"""SQLAlchemy models of the county server's own database (SQLite or PostgreSQL).

Separate from the desktop store: the server keeps what arrived (evaluations as the JSON that
travelled, checked against its hash), who sent it, and the reference data it hands out. Every row
that clients pull carries ``seq``, a number taken from one counter row inside the writing
transaction, so a pull cursor never skips a change committed late. Schema changes go through the
server's own Alembic migrations (``fieldapp/server/migrations``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import event as orm_event
from sqlalchemy.orm import DeclarativeBase, Mapped, attributes, mapped_column

from fieldapp.domain.events import EventKind, Role
from fieldapp.domain.review import ReviewStatus

# The same constraint names as the desktop store, so both schemas read alike in migrations; the
# domain's vocabularies stored as their text values, as there.
from fieldapp.storage.models import NAMING, domain_enum


def utc_now() -> datetime:
    """This moment in UTC: the server's own stamps (received, reviewed, revoked, last seen)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC time. A naive value is taken as UTC already: SQLite gives the
    server's stamps back without their offset, and every time on the wire is in UTC. An aware one
    (a laptop's local time) is converted, so SQLite, which keeps only the digits, stores UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Counter(Base):
    """The change counter behind pull cursors (one row, ``name`` "seq")."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Account(Base):
    """A person with a token: an inspector, a station head or county staff."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    station: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(domain_enum(Role, 16))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Device(Base):
    """A laptop that syncs, with what it last reported about its unsynced work."""

    __tablename__ = "devices"

    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    label: Mapped[str] = mapped_column(String(64), default="")
    unsynced: Mapped[int] = mapped_column(Integer, default=0)
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    clock_offset_seconds: Mapped[float] = mapped_column(Float, default=0.0)


class Unit(Base):
    __tablename__ = "units"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    station: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    data_json: Mapped[str] = mapped_column(Text)  # the WireUnit, canonical JSON
    # What the figures fold reads of it (figures.unit_facts), kept beside it on every write
    facts_json: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


# What the progress fold reads of a unit (``Unit.facts_json``), and nothing else: a JSON list of
# station, unit_type, entered_on, the record fields 系统录入 checks (RECORD), category, town and
# the history events the fold reads, each [order, kind, occurred_on, to_state, old, new]. Counting
# a province then reads a few hundred bytes per unit with json.loads instead of validating every
# WireUnit with pydantic (fieldapp/server/figures.py).
RECORD = ("name", "address", "industry", "contact_person", "contact_phone")
FOLDED = frozenset(
    kind.value
    for kind in (EventKind.STATE, EventKind.STATION, EventKind.UNIT_TYPE, EventKind.STICKER)
)


def unit_facts(data: Mapping[str, Any]) -> str:
    """The facts column of a unit from its WireUnit as JSON (``model_dump(mode="json")``)."""
    history = [
        [n, e["kind"], e["occurred_on"], e.get("to_state"), e.get("old_value"), e.get("new_value")]
        for n, e in enumerate(data.get("events") or ())  # oldest first, as recorded
        if e["kind"] in FOLDED
    ]
    row = [data["station"], data["unit_type"], data.get("entered_on")]
    row += [data.get(name) for name in RECORD]
    row += [data.get("category") or "", data.get("town") or "", history]
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _facts_follow_data(_mapper: Any, _connection: Any, unit: Unit) -> None:
    """Every write of a unit through the ORM keeps its facts with its data (a new row, or a
    changed ``data_json``): no write path can leave the figures reading an older copy."""
    fresh = unit.facts_json is None or attributes.get_history(unit, "data_json").has_changes()
    if fresh:
        unit.facts_json = unit_facts(json.loads(unit.data_json))


orm_event.listen(Unit, "before_insert", _facts_follow_data)
orm_event.listen(Unit, "before_update", _facts_follow_data)


class Checklist(Base):
    __tablename__ = "checklists"

    checklist_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    content_json: Mapped[str] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class Target(Base):
    """One figure of the county's task tables: the WireTarget in ``data_json``, found by ``key``
    (what it counts, :meth:`WireTarget.key`); ``station`` None is the county's own figure."""

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    station: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    data_json: Mapped[str] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class PlanYear(Base):
    """A task year's two deadlines as the county set them on its desktop (published with the
    task tables); a year without a row keeps the defaults (``plan.default_deadlines``)."""

    __tablename__ = "plan_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_due: Mapped[date] = mapped_column(Date)
    final_due: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200), default="")
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class RatioTarget(Base):
    """One ratio target of the county's task tables: the WireRatioTarget in ``data_json``,
    found by ``key`` (year, station, kind); ``station`` None is the county's own."""

    __tablename__ = "ratio_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    station: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    data_json: Mapped[str] = mapped_column(Text)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class Assignment(Base):
    """Which inspector is to evaluate which unit in a year (set by the station)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("unit_uuid", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_uuid: Mapped[str] = mapped_column(String(36))
    station: Mapped[str] = mapped_column(String(64), index=True)
    inspector: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class Blob(Base):
    """A photo or signature image stored on disk under its SHA-256."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class PendingUpload(Base):
    """A photo or signature an account uploaded that no committed batch references yet.

    Rows go when a batch referencing the file commits, or when the sweep removes the file; what
    is left is the account's unreferenced upload volume, which the server bounds.
    """

    __tablename__ = "pending_uploads"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Evaluation(Base):
    """A finalised evaluation as received, and its review."""

    __tablename__ = "evaluations"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    content_json: Mapped[str] = mapped_column(Text)
    station: Mapped[str] = mapped_column(String(64), index=True)
    unit_uuid: Mapped[str] = mapped_column(String(36), index=True)
    inspector: Mapped[str] = mapped_column(String(64), index=True)
    # The content's kind and verdict as columns, for the review queue's filters (review_page)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    verdict: Mapped[str] = mapped_column(String(64), index=True)
    finalized_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    replaces_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)
    clock_skewed: Mapped[bool] = mapped_column(Boolean, default=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    device_id: Mapped[str] = mapped_column(String(36))
    batch_id: Mapped[str] = mapped_column(String(36), index=True)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utc_now, index=True
    )
    review_status: Mapped[ReviewStatus] = mapped_column(
        domain_enum(ReviewStatus, 16), default=ReviewStatus.PENDING, index=True
    )
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by: Mapped[str] = mapped_column(String(64), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)


class FigureCache(Base):
    """A year's county-wide figures as last folded (figures.figures), for the day they were
    counted on and the state of the data they were counted from (``stamp``: the newest change
    number and the row count of units, task rows, deadlines and ratio targets). Kept in the
    database, so every worker answers from the same copy and none holds figures of its own."""

    __tablename__ = "figure_cache"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    today: Mapped[date] = mapped_column(Date, primary_key=True)
    stamp: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)


class HoldBackCount(Base):
    """How many units each reason holds back per station, for a year on the day they were
    counted (holdback_counts), with the state of the data they were counted from: the 总览 page
    reads these instead of folding every record on every request."""

    __tablename__ = "holdback_counts"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    today: Mapped[date] = mapped_column(Date, primary_key=True)
    stamp: Mapped[str] = mapped_column(String(200))
    counted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[str] = mapped_column(Text)


class UnitShare(Base):
    """What one unit adds to a year's figures (figures.shared), counted by the desktop's own
    per-unit code from the unit as it was at change number ``seq``, for every reference date
    from ``since`` until the day before ``until`` (its next dated event; None: for good)."""

    __tablename__ = "unit_shares"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    since: Mapped[date] = mapped_column(Date, index=True)
    until: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    share: Mapped[str] = mapped_column(Text)


class ShareTotal(Base):
    """How many units of a year give each share (``key``: the share's SHA-256), kept with
    ``unit_shares``: the figures sum a few thousand rows, not every unit."""

    __tablename__ = "share_totals"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    share: Mapped[str] = mapped_column(Text)
    units: Mapped[int] = mapped_column(Integer)


class ShareYear(Base):
    """A year's kept shares: counted under ``context`` (a digest of the counting code, the
    year's first deadline and the plan's targets and ratios), every unit changed up to change
    number ``seq`` counted, ``units`` units in all. One row a year, locked while it is brought
    up to date, so workers take turns."""

    __tablename__ = "share_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    context: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    units: Mapped[int] = mapped_column(Integer)


class EvaluationBlob(Base):
    __tablename__ = "evaluation_blobs"

    evaluation_uuid: Mapped[str] = mapped_column(
        ForeignKey("evaluations.uuid", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)


class Batch(Base):
    """A committed push: its manifest's hash and the receipt returned (again) on re-send."""

    __tablename__ = "batches"

    batch_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    device_id: Mapped[str] = mapped_column(String(36))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    receipt_json: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="online")  # or "bundle"
    committed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class UnitChange(Base):
    """A unit change from the field: applied, or held as a conflict for the station."""

    __tablename__ = "unit_changes"

    change_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_uuid: Mapped[str] = mapped_column(String(36), index=True)
    station: Mapped[str] = mapped_column(String(64), index=True)
    base_version: Mapped[int] = mapped_column(Integer)
    payload_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # applied / conflict
    result_version: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class Conflict(Base):
    """Something the server refused to overwrite, kept for a person to resolve."""

    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(36), index=True)
    station: Mapped[str] = mapped_column(String(64), index=True)
    message: Mapped[str] = mapped_column(Text)
    detail_json: Mapped[str] = mapped_column(Text, default="")
    batch_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)


class Login(Base):
    """An account's password for the web console, apart from its devices' token: setting or
    resetting a password never touches the token a laptop syncs with. ``failures`` counts wrong
    passwords in a row; after too many the account is locked until ``locked_until``."""

    __tablename__ = "logins"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)


class WebSession(Base):
    """A signed-in browser: the cookie's SHA-256 (the cookie itself is never stored), the CSRF
    token every form must carry back, and when it ends. Kept in the database, so any worker
    of a multi-worker server knows it."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Case(Base):
    """A case of a 村级联络站's ledger (台账) as received: the WireCase in ``content_json`` at its
    newest ``version``, with the columns the bulletin and the pull read. ``station`` is its
    联络站's station on the server when it was received."""

    __tablename__ = "cases"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_uuid: Mapped[str] = mapped_column(String(36), index=True)
    station: Mapped[str] = mapped_column(String(64), index=True)
    consulted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    recovered_fen: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    content_json: Mapped[str] = mapped_column(Text)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    device_id: Mapped[str] = mapped_column(String(36))
    batch_id: Mapped[str] = mapped_column(String(36))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
