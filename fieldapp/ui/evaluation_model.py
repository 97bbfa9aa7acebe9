"""Plain data for the evaluation screen, the read and write jobs that produce it, and its table model.

Every job opens its own session and returns an :class:`EvaluationData` snapshot copied out of the
ORM objects before the session closes, so nothing bound to a session reaches the UI thread. A
write job commits first and then reads the snapshot back: what the screen shows is what is saved.
The snapshot carries the unit's 审慎培育 flag and the evidence flags of the photos
(:mod:`fieldapp.services.evidence`); finalising a 后评价 also returns what it proposes for the
unit (:func:`fieldapp.services.unit_changes.propose`), which :func:`write_accept_proposal` carries
out when the inspector confirms it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from sqlalchemy.orm import Session

from fieldapp import settings
from fieldapp.domain.verdict import Answer
from fieldapp.errors import NotFound
from fieldapp.services import evaluations as service
from fieldapp.services import unit_changes
from fieldapp.services.evidence import EvidenceFlag
from fieldapp.services.unit_changes import Change, Proposal
from fieldapp.store import Store
from fieldapp.sync import state as sync_state
from fieldapp.ui.strings import tr
from fieldapp.views import evaluation as view
from fieldapp.views.evaluation import ItemRecord as ItemRow
from fieldapp.views.evaluation import PreviousAnswer

DRAFT, FINALIZED = service.DRAFT, service.FINALIZED

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class SignatureRow:
    role: str
    name: str


@dataclass(frozen=True)
class EvaluationData:
    id: int
    unit_name: str
    credit_code: str
    kind: str
    inspector: str
    status: str
    replaces: int | None
    outcome: str
    verdict_text: str
    items: list[ItemRow]
    general_photos: tuple[str, ...] = ()
    signatures: list[SignatureRow] = field(default_factory=list)
    follows: int | None = None  # the evaluation this one follows up
    review: str = ""  # the county's review (已接收 / 已退回 with its comment), if pulled
    prudent: bool = False  # the unit is 审慎培育: 命名 waits for the county's confirmation
    evidence: tuple[EvidenceFlag, ...] = ()  # doubts about the photos (shown, never blocking)

    @property
    def locked(self) -> bool:
        return self.status != DRAFT

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


def kind_label(kind: str) -> str:
    return tr(f"kind.{kind}")


def result_label(result: str | None) -> str:
    return tr(f"result.{result}") if result else tr("result.none")


def previous_label(previous: PreviousAnswer | None) -> str:
    """The 上次 cell: last time's result and, for a 不符合, what had to be rectified."""
    if previous is None:
        return ""
    text = result_label(previous.result)
    if previous.rectify:
        text = tr(
            "eval.previous_cell",
            result=text,
            rectify=tr("eval.rectify_note", rectify=previous.rectify, due=previous.due),
        )
    return text


def status_label(status: str) -> str:
    return tr(f"status.{status}")


# --- jobs (run on worker threads) ------------------------------------------------------------


def load_evaluation(store: Store, evaluation_id: int) -> EvaluationData:
    """Everything the screen shows about one evaluation, with the live verdict."""
    with store.read() as session:
        record = view.read(session, store.library, service.get(session, evaluation_id))
        review = _review_text(session, evaluation_id)
    return EvaluationData(
        id=record.id,
        unit_name=record.unit_name,
        credit_code=record.credit_code,
        kind=record.kind,
        inspector=record.inspector,
        status=record.status,
        replaces=record.replaces,
        outcome=record.outcome,
        verdict_text=record.outcome_text,
        items=record.items,
        general_photos=record.general_photos(),
        signatures=[SignatureRow(s.role, s.name) for s in record.signatures],
        follows=record.follows,
        review=review,
        prudent=record.prudent,
        evidence=record.evidence,
    )


def _review_text(session: Session, evaluation_id: int) -> str:
    """The station's or county's review, as pulled at the last sync ("" if none yet)."""
    review = sync_state.review_of(session, evaluation_id)
    if review is None:
        return ""
    text = tr("eval.review", label=review.label)
    if review.comment:
        text += tr("eval.review_comment", comment=review.comment)
    return text


def start_evaluation(
    store: Store,
    unit_id: int,
    kind: str,
    inspector: str,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> int:
    from fieldapp.storage.models import Unit

    with store.session() as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(tr("eval.unit_gone"))
        evaluation = service.start(
            session, store.library, unit, kind, inspector, add=add, remove=remove
        )
        return evaluation.id


def write_answer(
    store: Store,
    evaluation_id: int,
    item_ref: str,
    result: str,
    note: str = "",
    rectify: str | None = None,
    due: date | None = None,
) -> EvaluationData:
    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        service.answer(
            session, store.library, evaluation, item_ref, result, note, rectify=rectify, due=due
        )
    return load_evaluation(store, evaluation_id)


def write_photos(
    store: Store,
    evaluation_id: int,
    paths: Sequence[str | os.PathLike[str]],
    item_ref: str | None,
) -> EvaluationData:
    """Attach photos (resizing and hashing happen here, on the writer thread)."""
    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        service.attach(
            session,
            store.photos,
            evaluation,
            paths,
            item_ref,
            library=store.library,
            max_side=settings.load(store.folder).photo_long_side,
        )
    return load_evaluation(store, evaluation_id)


def write_remove_photo(store: Store, evaluation_id: int, photo_id: int) -> EvaluationData:
    """Take one photo off the draft; its file goes after the commit unless still used."""
    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        service.remove_photo(session, evaluation, photo_id, store.photos)
    return load_evaluation(store, evaluation_id)


def write_signature(
    store: Store, evaluation_id: int, role: str, name: str, png_path: str
) -> EvaluationData:
    try:
        with store.session() as session:
            evaluation = service.get(session, evaluation_id)
            service.sign(session, store.signatures, evaluation, role, name, png_path)
    finally:
        with contextlib.suppress(OSError):
            os.remove(png_path)
    return load_evaluation(store, evaluation_id)


@dataclass(frozen=True)
class Finalized:
    """A finalised evaluation's snapshot and, for a 后评价, the next state it proposes."""

    data: EvaluationData
    proposal: Proposal | None


def write_finalize(store: Store, evaluation_id: int) -> Finalized:
    """Finalise (one transaction), then read back the snapshot and the proposal."""
    with store.session() as session:
        service.finalize(session, store.library, service.get(session, evaluation_id))
    with store.read() as session:
        proposal = unit_changes.propose(session, service.get(session, evaluation_id))
    return Finalized(load_evaluation(store, evaluation_id), proposal)


PROPOSAL_SOURCE = "评价定稿"


def proposal_change(store: Store, inspector: str) -> Change:
    """Who confirms a proposal: the inspector of the settings (else the evaluation's), in the
    settings' role (an inspector unless set otherwise)."""
    chosen = settings.load(store.folder)
    actor = chosen.inspector_name.strip() or inspector
    return Change(actor=actor, role=chosen.role, source=PROPOSAL_SOURCE)


def write_accept_proposal(store: Store, proposal: Proposal, inspector: str) -> str:
    """Carry out a confirmed proposal through the unit's one write path; return what changed."""
    change = proposal_change(store, inspector)
    with store.session() as session:
        event = unit_changes.accept_proposal(session, proposal, change)
        return unit_changes.event_summary(event)


def write_revision(store: Store, evaluation_id: int, inspector: str) -> EvaluationData:
    with store.session() as session:
        revision = service.revise(session, service.get(session, evaluation_id), inspector)
        new_id = revision.id
    return load_evaluation(store, new_id)


@dataclass(frozen=True)
class EvaluationSummary:
    id: int
    kind: str
    status: str
    verdict: str | None
    started_on: date


def unit_evaluations(store: Store, unit_id: int) -> list[EvaluationSummary]:
    from fieldapp.storage.models import Unit

    with store.read() as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            return []
        return [
            EvaluationSummary(e.id, e.kind, e.status, e.verdict, e.started_at.date())
            for e in service.list_evaluations(session, unit)
        ]


# --- the table model -------------------------------------------------------------------------

# "previous" (上次) is last in the model; the view moves it beside "result" and shows it only in
# a follow-up.
COLUMNS = ("checklist", "code", "text", "result", "photos", "note", "previous")
RESULT_COLOURS = {
    Answer.PASS.value: QColor("#1b7f3b"),
    Answer.FAIL.value: QColor("#c62828"),
    Answer.NA.value: QColor("#666666"),
}


class ItemsModel(QAbstractTableModel):
    """The items of one evaluation, one row each; updated in place from fresh snapshots."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[ItemRow] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def item(self, row: int) -> ItemRow:
        return self._rows[row]

    @property
    def items(self) -> list[ItemRow]:
        return list(self._rows)

    def set_items(self, rows: list[ItemRow]) -> None:
        """Replace the rows: in place (keeping selection) when the items are the same ones."""
        if [r.key for r in rows] == [r.key for r in self._rows]:
            old, self._rows = self._rows, list(rows)
            for number, (before, after) in enumerate(zip(old, rows, strict=True)):
                if before != after:
                    self.dataChanged.emit(
                        self.index(number, 0), self.index(number, len(COLUMNS) - 1)
                    )
            return
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == "checklist":
                return row.checklist_title
            if column == "code":
                return row.code
            if column == "text":
                return row.text
            if column == "result":
                return result_label(row.result)
            if column == "photos":
                return str(len(row.photos)) if row.photos else ""
            if column == "note":
                if row.rectify:
                    return tr("eval.rectify_note", rectify=row.rectify, due=row.due)
                return row.note
            if column == "previous":
                return previous_label(row.previous)
        if role == Qt.ItemDataRole.ForegroundRole and column == "previous":
            before = row.previous.result if row.previous else None
            return QBrush(RESULT_COLOURS[before]) if before else None
        if role == Qt.ItemDataRole.ForegroundRole and column == "result" and row.result:
            return QBrush(RESULT_COLOURS[row.result])
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "photos":
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return tr(f"ecol.{COLUMNS[section]}")
        return None
