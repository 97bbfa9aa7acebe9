"""The client's sync state in the local store: device id, cursor, receipts, ledger, reviews.

Everything here works in the caller's session. The cursor and the synced marks are written in
the same local transaction as the data they vouch for, and only after the server has answered,
so a crash at any point leaves them behind the truth, never ahead of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from fieldapp.domain.records import BatchStatus, EvaluationStatus
from fieldapp.domain.review import ReviewStatus
from fieldapp.storage.models import (
    Evaluation,
    SyncBatch,
    SyncBlob,
    SyncEvaluation,
    SyncState,
    SyncUnit,
    Unit,
    local_now,
)
from fieldapp.sync import wire

DEVICE_ID, CURSOR, LAST_SYNC = "device_id", "cursor", "last_sync_at"
# When a pull last brought everything up to the server's newest change (local time), and whether
# the evaluation summaries this store holds are complete up to the cursor ("1"): a store that
# pulled before summaries existed pulls once more from the beginning (sync/client.py).
LAST_PULL, SUMMARIES = "last_pull_at", "summaries"


def get(session: Session, key: str) -> str | None:
    row = session.get(SyncState, key)
    return row.value if row is not None else None


def put(session: Session, key: str, value: str) -> None:
    row = session.get(SyncState, key)
    if row is None:
        session.add(SyncState(key=key, value=value))
    else:
        row.value = value
    session.flush()


def device_id(session: Session) -> str:
    """This store's device id, made once and kept."""
    value = get(session, DEVICE_ID)
    if value is None:
        value = str(uuid.uuid4())
        put(session, DEVICE_ID, value)
    return value


def cursor(session: Session) -> int:
    return int(get(session, CURSOR) or 0)


def last_sync(session: Session) -> datetime | None:
    """When a sync last finished with a receipt (None: never)."""
    value = get(session, LAST_SYNC)
    return datetime.fromisoformat(value) if value else None


def last_pull(session: Session) -> datetime | None:
    """When a pull last finished, everything the server had in this store's scope received
    (None: never): how fresh the other laptops' evaluations counted here are."""
    value = get(session, LAST_PULL)
    return datetime.fromisoformat(value) if value else None


def record(session: Session, evaluation: Evaluation) -> SyncEvaluation:
    row = session.get(SyncEvaluation, evaluation.id)
    if row is None:
        row = SyncEvaluation(
            evaluation_id=evaluation.id, clock_skewed=False, review_comment="", reviewed_by=""
        )
        session.add(row)
        session.flush()
    return row


def _pending_filter() -> tuple[ColumnElement[bool], ...]:
    """Finalised and not confirmed by the server."""
    synced = select(SyncEvaluation.evaluation_id).where(SyncEvaluation.synced_at.is_not(None))
    return (Evaluation.status == EvaluationStatus.FINALIZED, Evaluation.id.not_in(synced))


def pending(session: Session) -> list[Evaluation]:
    """Finalised evaluations the server has not confirmed, oldest first."""
    return list(
        session.scalars(
            select(Evaluation)
            .where(*_pending_filter())
            .order_by(Evaluation.finalized_at, Evaluation.id)
        )
    )


def pending_count(session: Session) -> int:
    """How many finalised evaluations are still waiting to reach the county server."""
    return int(
        session.scalar(select(func.count()).select_from(Evaluation).where(*_pending_filter())) or 0
    )


def start_batch(session: Session, manifest: wire.Manifest, source: str) -> SyncBatch:
    """Record a batch as started, its manifest kept so an interrupted send can be resumed."""
    row = SyncBatch(
        batch_id=manifest.batch_id,
        source=source,
        started_at=local_now(),
        evaluations=len(manifest.evaluations),
        status=BatchStatus.STARTED,
        error="",
        manifest_json=manifest.model_dump_json(),
    )
    session.add(row)
    return row


def uploaded(session: Session, hashes: list[str]) -> set[str]:
    if not hashes:
        return set()
    return set(session.scalars(select(SyncBlob.sha256).where(SyncBlob.sha256.in_(hashes))))


def mark_uploaded(session: Session, hashes: Iterable[str]) -> None:
    """Record blobs the server confirmed it holds (each once)."""
    wanted = sorted(set(hashes))
    known = uploaded(session, wanted)
    stamp = local_now()
    session.add_all(SyncBlob(sha256=h, uploaded_at=stamp) for h in wanted if h not in known)


@dataclass(frozen=True)
class Review:
    status: str
    label: str
    comment: str
    reviewed_by: str
    reviewed_at: datetime | None


def _review_label(status: str) -> str:
    try:
        return ReviewStatus(status).label
    except ValueError:
        return status


def review_of(session: Session, evaluation_id: int) -> Review | None:
    """The county's review of an evaluation, as last pulled (None: not reviewed yet)."""
    row = session.get(SyncEvaluation, evaluation_id)
    if row is None or row.review_status is None:
        return None
    return Review(
        status=row.review_status,
        label=_review_label(row.review_status),
        comment=row.review_comment,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
    )


def returned(session: Session) -> list[tuple[Evaluation, SyncEvaluation]]:
    """Evaluations the station or county sent back, with their comments."""
    rows = session.execute(
        select(Evaluation, SyncEvaluation)
        .join(SyncEvaluation, SyncEvaluation.evaluation_id == Evaluation.id)
        .where(SyncEvaluation.review_status == ReviewStatus.RETURNED.value)
        .order_by(Evaluation.id)
    )
    return [(e, s) for e, s in rows]


def unit_conflicts(session: Session) -> list[tuple[Unit, str]]:
    """Units whose change the server held for the station, or whose pulled history the domain
    refused here, with the message saying what to do (``fieldapp sync status``, the window)."""
    rows = session.execute(
        select(Unit, SyncUnit.conflict)
        .join(SyncUnit, SyncUnit.unit_id == Unit.id)
        .where(SyncUnit.conflict.is_not(None))
        .order_by(Unit.id)
    )
    return [(unit, message or "") for unit, message in rows]


def ledger(session: Session, limit: int = 50) -> list[SyncBatch]:
    """The most recent batches sent, newest first."""
    return list(
        session.scalars(select(SyncBatch).order_by(SyncBatch.started_at.desc()).limit(limit))
    )
