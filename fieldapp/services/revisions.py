"""Which evaluations count: a finalised evaluation that a finalised revision replaces does not.

One rule for naming (services/unit_changes), the evidence check (services/evidence) and the
monthly bulletin (services/worklists).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import aliased

from fieldapp.domain.records import EvaluationStatus
from fieldapp.storage.models import Evaluation


def replaced(cutoff: datetime | None = None) -> ColumnElement[bool]:
    """Whether a finalised revision replaces the ``Evaluation`` of the enclosing query; with
    ``cutoff``, only revisions finalised before it count."""
    revision = aliased(Evaluation)
    conditions = [
        revision.replaces_id == Evaluation.id,
        revision.status == EvaluationStatus.FINALIZED,
    ]
    if cutoff is not None:
        conditions.append(revision.finalized_at < cutoff)
    return exists(select(revision.id).where(*conditions))
