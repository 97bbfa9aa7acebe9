"""The evaluation screen: answer items by keyboard, add photos, sign, finalize.

Every change is its own write job on the runner's single writer thread (one short transaction
through ``store.session()``); the job returns a fresh snapshot read after the commit, and only then
does the screen show the change. Closing the screen therefore never loses anything: what is shown
is what is saved.

Keyboard, with the item table focused: 1 符合, 2 不符合 (asks for 整改要求 and 期限), 3 不适用, each
moving to the next item; Up/Down/Enter move; N edits the item's note.

The header shows a 审慎培育 badge for such a unit, the verdict in full (a failed warn gate reads
"通过（审慎培育，待县局确认）：…") and, under it, the evidence notice: the doubts about the photos
(reused, undated, of another day, far apart) that never block finalising. Finalising a 后评价
asks once what it proposes for the unit (命名 / 转入预警库, or why the unit stays); a confirmed
proposal is written through the unit's one write path on the writer thread.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from html import escape
from pathlib import Path

from PySide6.QtCore import QDate, QEvent, QMimeData, QPoint, QPointF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
    QShortcut,
    QTabletEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from fieldapp.checklists import Library
from fieldapp.checklists.loader import in_display_order
from fieldapp.domain.lifecycle import State
from fieldapp.domain.verdict import PRUDENT_PENDING, Answer, ChecklistKind, Outcome
from fieldapp.domain.vocab import UnitType
from fieldapp.errors import InvalidInput, NotFound
from fieldapp.photos.ingest import IMAGE_SUFFIXES
from fieldapp.services.evaluations import FOLLOW_KINDS, Kind, Role
from fieldapp.services.evidence import EvidenceFlag, photo_doubts
from fieldapp.services.unit_changes import Proposal
from fieldapp.store import Store
from fieldapp.ui import evaluation_model as em
from fieldapp.ui import geometry, notice_action, operations, print_preview, printing
from fieldapp.ui.cases_dialog import LedgerLink
from fieldapp.ui.errors import describe, show_error
from fieldapp.ui.evaluation_model import ItemRow, ItemsModel
from fieldapp.ui.group_pass import GroupPass
from fieldapp.ui.operations import EvaluationData, Finalized
from fieldapp.ui.photo_links import PhotoDrops, ask_link, photo_mime
from fieldapp.ui.photo_preview import PhotoPreview
from fieldapp.ui.review_banner import ReviewBanner
from fieldapp.ui.strings import state_label, tr
from fieldapp.ui.tasks import TaskRunner

RECTIFY_DAYS = 30
THUMB_SIZE = 96
# Starting widths of the item table's columns; 内容 (text) takes the rest.
COLUMN_WIDTHS = {
    "checklist": 110,
    "code": 56,
    "result": 64,
    "photos": 64,
    "note": 150,
    "previous": 150,
}
SIGNATURES_SHOWN = "evaluation/signatures_shown"
VERDICT_COLOURS = {
    Outcome.PASS.value: "#1b7f3b",
    Outcome.RECTIFY.value: "#e67e00",
    Outcome.FAIL.value: "#c62828",
    Outcome.INCOMPLETE.value: "#555555",
}
PHOTO_ID_ROLE = Qt.ItemDataRole.UserRole + 1
PRUDENT_STYLE = (
    "background:#fff3e0;color:#a84d00;border:1px solid #e6a23c;border-radius:3px;"
    "padding:1px 8px;font-weight:bold"
)
DOUBT_COLOUR = "#b03a2e"  # a thumbnail named by an evidence flag
EVIDENCE_STYLE = "background:#fff8e1;border:1px solid #f0c36d;padding:4px 8px;color:#4e3b00"
KEY_ANSWERS = {Qt.Key.Key_1: Answer.PASS, Qt.Key.Key_2: Answer.FAIL, Qt.Key.Key_3: Answer.NA}

Rectification = tuple[str, date]


# --- small dialogs -----------------------------------------------------------------------------


class NewEvaluationDialog(QDialog):
    """Choose the kind of evaluation, who inspects, and which checklists to use.

    The checklists composed for the unit's type and industry are ticked; 八有八无 and the "1"
    general standard are always used (ticked and greyed); any other module can be ticked or
    unticked. A 回头看 / 复查 re-checks the last evaluation's checklists, so the list is greyed.
    """

    def __init__(
        self,
        unit_name: str,
        inspector: str,
        parent: QWidget | None = None,
        library: Library | None = None,
        unit_type: str | None = None,
        industry: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("newEvaluationDialog")
        self.setWindowTitle(tr("eval.new_title"))
        self.kind = QComboBox()
        self.kind.setObjectName("kind")
        for kind in Kind:
            self.kind.addItem(em.kind_label(kind.value), kind.value)
        self.inspector = QLineEdit(inspector)
        self.inspector.setObjectName("inspector")
        self.checklists = QListWidget()
        self.checklists.setObjectName("checklists")
        self._composed: list[str] = []
        if library is not None and unit_type is not None:
            self._fill_checklists(library, unit_type, industry)
        self.follow_note = QLabel(tr("eval.follow_same_checklists"))
        self.follow_note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel(f"<b>{escape(unit_name)}</b>"))
        form.addRow(tr("eval.kind"), self.kind)
        form.addRow(tr("eval.inspector"), self.inspector)
        if self.checklists.count():
            form.addRow(tr("eval.checklists"), self.checklists)
            form.addRow(self.follow_note)
        form.addRow(buttons)
        self.setMinimumWidth(620)  # checklist titles are long; keep them readable
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    def _fill_checklists(self, library: Library, unit_type: str, industry: str | None) -> None:
        composed = library.compose(UnitType(unit_type), industry)
        self._composed = [c.id for c in composed]
        others = [library.latest(cid) for cid in library.ids() if cid not in self._composed]
        for checklist in [
            *composed,
            *in_display_order(c for c in others if c.kind is ChecklistKind.MODULE),
        ]:
            entry = QListWidgetItem(
                f"{checklist.title}（{checklist.id} 第 {checklist.version} 版）"
            )
            entry.setData(Qt.ItemDataRole.UserRole, checklist.id)
            flags = Qt.ItemFlag.ItemIsEnabled
            if checklist.kind is ChecklistKind.MODULE:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            entry.setFlags(flags)
            entry.setCheckState(
                Qt.CheckState.Checked if checklist.id in self._composed else Qt.CheckState.Unchecked
            )
            self.checklists.addItem(entry)
        rows = min(self.checklists.count(), 8)
        self.checklists.setMinimumHeight(rows * self.checklists.sizeHintForRow(0) + 6)

    def _kind_changed(self) -> None:
        follow = Kind(self.chosen_kind()) in FOLLOW_KINDS
        self.checklists.setEnabled(not follow)
        self.follow_note.setVisible(follow and self.checklists.count() > 0)

    def chosen_kind(self) -> str:
        return str(self.kind.currentData())

    def _ticked(self) -> list[str]:
        return [
            str(self.checklists.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.checklists.count())
            if self.checklists.item(i).checkState() == Qt.CheckState.Checked
        ]

    def adjustments(self) -> tuple[list[str], list[str]]:
        """(added, left out) checklist ids against the composition; none for a follow-up."""
        if not self.checklists.isEnabled():
            return [], []
        ticked = self._ticked()
        added = [cid for cid in ticked if cid not in self._composed]
        left_out = [cid for cid in self._composed if cid not in ticked]
        return added, left_out


class RectificationDialog(QDialog):
    """A 不符合 needs a 整改要求 and a 期限; cancelling leaves the item unanswered."""

    def __init__(self, item: ItemRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rectificationDialog")
        self.setWindowTitle(tr("eval.rectify_title", code=item.code))
        self.requirement = QPlainTextEdit(item.rectify or "")
        self.requirement.setObjectName("requirement")
        self.requirement.setTabChangesFocus(True)
        self.due = QDateEdit()
        self.due.setObjectName("due")
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        today = date.today()
        self.due.setMinimumDate(QDate(today.year, today.month, today.day))
        default = item.due or today + timedelta(days=RECTIFY_DAYS)
        self.due.setDate(QDate(default.year, default.month, default.day))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        text = QLabel(f"{escape(item.code)} {escape(item.text)}")
        text.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(text)
        form.addRow(tr("eval.rectify"), self.requirement)
        form.addRow(tr("eval.due"), self.due)
        form.addRow(self.buttons)

    def accept(self) -> None:
        if not self.requirement.toPlainText().strip():
            self.requirement.setFocus()
            self.requirement.setPlaceholderText(tr("eval.rectify_needed"))
            return
        super().accept()

    def value(self) -> Rectification:
        due = self.due.date()
        return self.requirement.toPlainText().strip(), date(due.year(), due.month(), due.day())


def ask_rectification(parent: QWidget, item: ItemRow) -> Rectification | None:
    dialog = RectificationDialog(item, parent)
    try:
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None
    finally:
        dialog.deleteLater()


def pick_photos(parent: QWidget) -> list[str]:
    """The photo files the inspector chooses (Qt's file dialog, in Chinese under zh_CN)."""
    paths, _filter = QFileDialog.getOpenFileNames(
        parent,
        tr("eval.choose_photos"),
        "",
        tr("eval.image_filter") + " (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ")",
    )
    return list(paths)


def ask_note(parent: QWidget, item: ItemRow) -> str | None:
    text, ok = QInputDialog.getMultiLineText(
        parent, tr("eval.note_title", code=item.code), tr("eval.note"), item.note
    )
    return text if ok else None


def ask_remove_photo(parent: QWidget, name: str) -> bool:
    """Ask before a photo is taken off the evaluation."""
    answer = QMessageBox.question(
        parent,
        tr("eval.remove_photo_title"),
        tr("eval.remove_photo_question", name=name),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class PhotoList(QListWidget):
    """Thumbnails; Delete (or Backspace) on a selected one asks to remove it; a thumbnail dragged
    onto a row of the item table goes to that item (:mod:`fieldapp.ui.photo_links`)."""

    deleteKey = Signal()

    def mimeData(self, items: Sequence[QListWidgetItem]) -> QMimeData:
        ids = [int(i.data(PHOTO_ID_ROLE)) for i in items if i.data(PHOTO_ID_ROLE) is not None]
        return photo_mime(ids)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.currentItem():
            self.deleteKey.emit()
            event.accept()
            return
        super().keyPressEvent(event)


def _thumbnail_list(name: str) -> QListWidget:
    photos = PhotoList() if name == "photos" else QListWidget()
    photos.setObjectName(name)
    photos.setViewMode(QListWidget.ViewMode.IconMode)
    photos.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
    photos.setResizeMode(QListWidget.ResizeMode.Adjust)
    photos.setMovement(QListWidget.Movement.Static)
    photos.setFixedHeight(THUMB_SIZE + 36)
    if name == "photos":
        photos.setDragEnabled(True)
        photos.setDragDropMode(QListWidget.DragDropMode.DragOnly)
    return photos


# --- the signature pad -------------------------------------------------------------------------


class SignaturePad(QWidget):
    """Strokes from a mouse, pen or finger, painted into a white image that saves as PNG.

    Touch and tablet input reach ``mouse*Event`` as synthesized mouse events unless accepted,
    and pen pressure (``tabletEvent``) makes the line thicker.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self._image = QImage(QSize(640, 240), QImage.Format.Format_ARGB32)
        self._image.fill(QColor("white"))
        self._last: QPointF | None = None
        self._empty = True

    def is_empty(self) -> bool:
        return self._empty

    def clear(self) -> None:
        self._image.fill(QColor("white"))
        self._empty = True
        self._last = None
        self.update()
        self.changed.emit()

    def to_png(self, path: str | os.PathLike[str]) -> None:
        if not self._image.save(str(path), "PNG"):  # type: ignore[call-overload]
            raise OSError(tr("eval.signature_save_failed", path=path))

    def image(self) -> QImage:
        return self._image.copy()

    def _stroke_to(self, point: QPointF, width: float = 2.5) -> None:
        if self._last is None:
            self._last = point
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(
            QPen(
                QColor("black"),
                width,
                Qt.PenStyle.SolidLine,
                Qt.PenCapStyle.RoundCap,
                Qt.PenJoinStyle.RoundJoin,
            )
        )
        if point == self._last:
            painter.drawPoint(point)
        else:
            painter.drawLine(self._last, point)
        painter.end()
        self._last = point
        if self._empty:
            self._empty = False
            self.changed.emit()
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = None
            self._stroke_to(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._stroke_to(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._stroke_to(event.position())
            self._last = None

    def tabletEvent(self, event: QTabletEvent) -> None:
        kind = event.type()
        if kind == QEvent.Type.TabletPress:
            self._last = None
        if kind in (QEvent.Type.TabletPress, QEvent.Type.TabletMove) and event.pressure() > 0:
            self._stroke_to(event.position(), 1.5 + 3.0 * event.pressure())
        if kind == QEvent.Type.TabletRelease:
            self._last = None
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        size = event.size()
        if size.width() > self._image.width() or size.height() > self._image.height():
            bigger = QImage(
                QSize(
                    max(size.width(), self._image.width()), max(size.height(), self._image.height())
                ),
                QImage.Format.Format_ARGB32,
            )
            bigger.fill(QColor("white"))
            painter = QPainter(bigger)
            painter.drawImage(QPoint(0, 0), self._image)
            painter.end()
            self._image = bigger
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.drawImage(event.rect(), self._image, event.rect())
        painter.setPen(QPen(QColor("#999999")))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()


class SignatureBox(QGroupBox):
    """One signer: a pad, the signer's name, 清除 and 确认签名."""

    def __init__(self, role: Role, parent: QWidget | None = None) -> None:
        super().__init__(tr(f"role.{role.value}"), parent)
        self.role = role
        self.setObjectName(f"signature_{role.value}")
        self.pad = SignaturePad()
        self.pad.setObjectName(f"pad_{role.value}")
        self.name = QLineEdit()
        self.name.setObjectName(f"signer_{role.value}")
        self.name.setPlaceholderText(tr("eval.signer_name"))
        # Each box has its own letters: two 确认签名 buttons on one letter would fire neither.
        self.clear_button = QPushButton(tr(f"eval.clear_{role.value}"))
        self.clear_button.clicked.connect(self.pad.clear)
        self.confirm = QPushButton(tr(f"eval.confirm_signature_{role.value}"))
        self.confirm.setObjectName(f"confirm_{role.value}")
        self.state = QLabel()
        self.state.setObjectName(f"signed_{role.value}")
        row = QHBoxLayout()
        row.addWidget(self.name, 1)
        row.addWidget(self.clear_button)
        row.addWidget(self.confirm)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pad, 1)
        layout.addLayout(row)
        layout.addWidget(self.state)


# --- the item table ----------------------------------------------------------------------------


class ItemsTable(QTableView):
    """A table that answers with 1/2/3, edits notes with N and moves with Enter; Tab leaves it
    for the buttons (it does not walk the cells)."""

    answerKey = Signal(str)
    noteKey = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabKeyNavigation(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            event.ignore()  # the evaluation view pastes photos
            return
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers == Qt.KeyboardModifier.NoModifier:
            if key in KEY_ANSWERS:
                self.answerKey.emit(KEY_ANSWERS[Qt.Key(key)].value)
                return
            if key == Qt.Key.Key_N:
                self.noteKey.emit()
                return
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.move_to(self.current_row() + 1)
                return
        super().keyPressEvent(event)

    def current_row(self) -> int:
        index = self.currentIndex()
        return index.row() if index.isValid() else -1

    def move_to(self, row: int) -> None:
        model = self.model()
        if model is None or model.rowCount() == 0:
            return
        row = max(0, min(row, model.rowCount() - 1))
        self.selectRow(row)
        self.setCurrentIndex(model.index(row, 0))
        self.scrollTo(model.index(row, 0))


# --- the 后评价 proposal ------------------------------------------------------------------------


def proposal_box(
    parent: QWidget, proposal: Proposal, unit: str, outcome: str
) -> tuple[QMessageBox, QPushButton | None]:
    """The one question a finalised 后评价 asks: 命名? 转入预警库? or why the unit stays.

    Returns the box and its confirm button (None when there is nothing to confirm).
    """
    current = state_label(proposal.current.value) if proposal.current else tr("proposal.no_state")
    reason = proposal.reason
    box = QMessageBox(parent)
    box.setObjectName("proposalBox")
    box.setWindowTitle(tr("proposal.title"))
    # Verdicts are long: wide lines, not a narrow column (Qt's own names for the two labels).
    box.setStyleSheet(
        "QLabel#qt_msgbox_label, QLabel#qt_msgbox_informativelabel {min-width: 440px}"
    )
    confirm: QPushButton | None = None
    if proposal.actionable and proposal.target is State.WARNING:
        due = proposal.due.isoformat() if proposal.due else tr("proposal.no_due")
        box.setIcon(QMessageBox.Icon.Question)
        box.setText(tr("proposal.warning_question", due=due))
        box.setInformativeText(
            tr("proposal.warning_detail", unit=unit, reason=reason, current=current)
        )
        confirm = box.addButton(tr("proposal.confirm"), QMessageBox.ButtonRole.AcceptRole)
    elif proposal.actionable:
        box.setIcon(QMessageBox.Icon.Question)
        box.setText(tr("proposal.name_question"))
        box.setInformativeText(
            tr("proposal.name_detail", unit=unit, reason=reason, current=current)
        )
        confirm = box.addButton(tr("proposal.confirm_name"), QMessageBox.ButtonRole.AcceptRole)
    elif proposal.needs_county:
        box.setIcon(QMessageBox.Icon.Information)
        box.setText(tr("proposal.needs_county", unit=unit))
        box.setInformativeText(reason)
    elif proposal.refusal:
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(tr("proposal.refusal", unit=unit, refusal=proposal.refusal))
        box.setInformativeText(reason)
    elif outcome == Outcome.FAIL.value:
        box.setIcon(QMessageBox.Icon.Information)
        box.setText(tr("proposal.fail", unit=unit, current=current))
        box.setInformativeText(tr("proposal.reasons", reason=reason))
    else:
        box.setIcon(QMessageBox.Icon.Information)
        box.setText(tr("proposal.stays", unit=unit, reason=reason))
    if confirm is not None:
        later = box.addButton(tr("proposal.later"), QMessageBox.ButtonRole.RejectRole)
        later.setObjectName("proposalLater")
        confirm.setObjectName("proposalConfirm")
        box.setDefaultButton(later)  # 命名 is a deliberate step: Enter does not take it
    else:
        box.addButton(QMessageBox.StandardButton.Ok)
    return box, confirm


def evidence_html(flags: tuple[EvidenceFlag, ...]) -> str:
    """The evidence notice: a heading and one line per flag."""
    lines = [f"<b>{escape(tr('eval.evidence_title', n=len(flags)))}</b>"]
    lines.extend(f"· <b>{escape(f.label)}</b>：{escape(f.message)}" for f in flags)
    return "<br>".join(lines)


# --- the 定稿 check -----------------------------------------------------------------------------

SIGNATURE_ROLE = Qt.ItemDataRole.UserRole + 2  # a missing signature's role, on its list entry


class MissingDialog(QDialog):
    """What still stops 定稿, one line each; Enter or a double-click on a line goes to it."""

    chosenRow = Signal(int)  # an item's row in the table
    chosenSignature = Signal(str)  # a missing signature's role

    def __init__(self, summary: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("missingDialog")
        self.setWindowTitle(tr("eval.cannot_finalize"))
        self.summary = QLabel(summary)
        self.summary.setObjectName("missingSummary")
        self.summary.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("missingList")
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        hint = QLabel(tr("eval.missing_hint"))
        hint.setStyleSheet("color:#666")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.go_button = buttons.addButton(
            tr("eval.missing_go"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.go_button.setObjectName("missingGo")
        self.go_button.clicked.connect(lambda _checked=False: self._go(self.list.currentItem()))
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.list.itemActivated.connect(self._go)
        self.resize(560, 420)

    def add_item(self, text: str, row: int) -> None:
        entry = QListWidgetItem(text)
        entry.setData(Qt.ItemDataRole.UserRole, row)
        entry.setToolTip(text)
        self.list.addItem(entry)

    def add_signature(self, text: str, role: str) -> None:
        entry = QListWidgetItem(text)
        entry.setData(SIGNATURE_ROLE, role)
        self.list.addItem(entry)

    def add_line(self, text: str) -> None:
        self.list.addItem(QListWidgetItem(text))

    def _go(self, entry: QListWidgetItem | None) -> None:
        if entry is None:
            return
        row = entry.data(Qt.ItemDataRole.UserRole)
        role = entry.data(SIGNATURE_ROLE)
        if row is None and role is None:
            return
        self.accept()
        if row is not None:
            self.chosenRow.emit(int(row))
        else:
            self.chosenSignature.emit(str(role))


# --- the view ---------------------------------------------------------------------------------


class EvaluationView(QWidget):
    """One evaluation, loaded through the runner; every change is written at once."""

    loaded = Signal(int)  # the evaluation id, after each snapshot arrives
    titleChanged = Signal(str)
    missing = Signal()  # the evaluation is not in the store (any more)
    unitChanged = Signal(str)  # a confirmed proposal changed the unit: its credit code

    def __init__(
        self,
        store: Store,
        runner: TaskRunner,
        evaluation_id: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("evaluationView")
        self._store = store
        self._runner = runner
        self.evaluation_id = evaluation_id
        self.data: EvaluationData | None = None
        # Injectable so tests (and later a touch UI) can answer without modal dialogs.
        self.ask_rectification: Callable[[QWidget, ItemRow], Rectification | None] = (
            ask_rectification
        )
        self.ask_note: Callable[[QWidget, ItemRow], str | None] = ask_note
        self.confirm_remove: Callable[[QWidget, str], bool] = ask_remove_photo
        self.pick_photos: Callable[[QWidget], list[str]] = pick_photos
        self.ask_link: Callable[[QWidget, list[ItemRow], ItemRow], list[str]] = ask_link
        self.missing_dialog: MissingDialog | None = None
        self.proposal_dialog: QMessageBox | None = None
        self.finalize_dialog: QDialog | None = None
        self.print_dialog: QDialog | None = None  # the print preview, once shown
        self.setAcceptDrops(True)
        self._build()
        self._connect()
        self.reload()

    # --- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel()
        self.title.setObjectName("evalTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.info = QLabel()
        self.info.setObjectName("evalInfo")
        self.verdict = QLabel()
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prudent_badge = QLabel(tr("eval.prudent_badge"))
        self.prudent_badge.setObjectName("prudentBadge")
        self.prudent_badge.setStyleSheet(PRUDENT_STYLE)
        self.prudent_badge.setToolTip(tr("eval.prudent_tip"))
        self.prudent_badge.hide()
        self.evidence_notice = QLabel()
        self.evidence_notice.setObjectName("evidenceNotice")
        self.evidence_notice.setTextFormat(Qt.TextFormat.RichText)
        self.evidence_notice.setWordWrap(True)
        self.evidence_notice.setStyleSheet(EVIDENCE_STYLE)
        self.evidence_notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.evidence_notice.hide()
        self.review_banner = ReviewBanner()
        self.next_step = QLabel()
        self.next_step.setObjectName("nextStep")
        self.next_step.setStyleSheet("color:#1b7f3b;font-weight:bold")
        self.next_step.hide()

        self.model = ItemsModel(self)
        self.table = ItemsTable()
        self.table.setObjectName("items")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)  # the whole text is the tooltip
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for name, width in COLUMN_WIDTHS.items():
            self.table.setColumnWidth(em.COLUMNS.index(name), width)
        # The item's text takes what the other columns leave, so the table never scrolls
        # sideways (at 1024×768 with 上次 shown too); long texts are cut with … and shown whole
        # in the tooltip and under the table.
        header.setSectionResizeMode(em.COLUMNS.index("text"), QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # 上次 (follow-ups only) sits beside 结果.
        previous = em.COLUMNS.index("previous")
        header.moveSection(previous, em.COLUMNS.index("result") + 1)
        self.table.setColumnHidden(previous, True)

        self.item_detail = QLabel()
        self.item_detail.setObjectName("itemDetail")
        self.item_detail.setWordWrap(True)
        self.item_detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.item_detail.setTextFormat(Qt.TextFormat.RichText)
        # a 联络站's 有台账记录 item links to its ledger (台账), with the year's count
        self.ledger = LedgerLink(self._store, self._runner, self)
        self.item_detail.linkActivated.connect(self.ledger.open)
        self.ledger.changed.connect(self._show_item)
        self.hint = QLabel(tr("eval.keys_hint"))
        self.hint.setObjectName("keysHint")
        self.hint.setStyleSheet("color:#666")
        self.pass_section_button = QPushButton(tr("group.pass"))
        self.pass_section_button.setObjectName("passSection")
        self.undo_button = QPushButton(tr("group.undo"))
        self.undo_button.setObjectName("undoPassSection")
        self.group_pass = GroupPass(
            self, self._store, self._runner, self.pass_section_button, self.undo_button
        )

        self.photos = _thumbnail_list("photos")
        self.remove_photo_action = QAction(tr("eval.remove_photo"), self.photos)
        self.remove_photo_action.setObjectName("removePhotoAction")
        self.photos.addAction(self.remove_photo_action)
        self.link_photo_action = QAction(tr("photo_link.action"), self.photos)
        self.link_photo_action.setObjectName("linkPhotoAction")
        self.photos.addAction(self.link_photo_action)
        self.photos.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.remove_photo_button = QPushButton(tr("eval.remove_photo"))
        self.remove_photo_button.setObjectName("removePhoto")
        self.previous_photos = _thumbnail_list("previousPhotos")
        self.previous_photos_label = QLabel(tr("eval.previous_photos"))
        self.previous_photos_label.setObjectName("previousPhotosLabel")
        self.previous_box = QWidget()
        self.previous_box.setObjectName("previousBox")
        previous_layout = QVBoxLayout(self.previous_box)
        previous_layout.setContentsMargins(0, 0, 0, 0)
        previous_layout.addWidget(self.previous_photos_label)
        previous_layout.addWidget(self.previous_photos)
        self.previous_box.hide()
        self.add_item_photo = QPushButton(tr("eval.add_item_photo"))
        self.add_item_photo.setObjectName("addItemPhoto")
        self.add_general_photo = QPushButton(tr("eval.add_general_photo"))
        self.add_general_photo.setObjectName("addGeneralPhoto")
        self.general_count = QLabel()
        self.general_count.setObjectName("generalPhotos")

        self.inspector_box = SignatureBox(Role.INSPECTOR)
        self.unit_box = SignatureBox(Role.UNIT)
        self.missing_button = QPushButton()
        self.missing_button.setObjectName("missingCounter")
        self.missing_button.setFlat(True)
        self.missing_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.missing_button.setToolTip(tr("eval.missing_tip"))
        self.signatures_button = QPushButton(tr("eval.signatures"))
        self.signatures_button.setObjectName("signaturesToggle")
        self.signatures_button.setCheckable(True)
        self.signatures_button.setToolTip(tr("eval.signatures_tip"))
        self.finalize_button = QPushButton(tr("eval.finalize"))
        self.finalize_button.setObjectName("finalize")
        self.revise_button = QPushButton(tr("eval.revise"))
        self.revise_button.setObjectName("revise")
        self.revise_button.hide()
        self.print_button = QPushButton(tr("print.sheet"))
        self.print_button.setObjectName("printSheet")
        self.print_button.setToolTip(tr("eval.print_tip"))
        self.save_pdf_button = QPushButton(tr("print.save_pdf"))
        self.save_pdf_button.setObjectName("saveSheetPdf")
        self.save_pdf_button.setToolTip(tr("print.save_pdf_tip"))
        self.notice_button = QPushButton(tr("notice.button"))
        self.notice_button.setObjectName("printNotice")
        self.notice_button.setToolTip(tr("notice.tip"))
        self.notice_button.hide()

        header_box = QVBoxLayout()
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.prudent_badge)
        top.addStretch(1)
        top.addWidget(self.missing_button)
        top.addWidget(self.signatures_button)
        top.addWidget(self.print_button)
        top.addWidget(self.save_pdf_button)
        top.addWidget(self.notice_button)
        top.addWidget(self.finalize_button)
        top.addWidget(self.revise_button)
        header_box.addLayout(top)
        header_box.addWidget(self.info)
        header_box.addWidget(self.review_banner)
        header_box.addWidget(self.verdict)
        header_box.addWidget(self.evidence_notice)
        header_box.addWidget(self.next_step)

        photo_buttons = QHBoxLayout()
        photo_buttons.addWidget(self.add_item_photo)
        photo_buttons.addWidget(self.add_general_photo)
        photo_buttons.addWidget(self.remove_photo_button)
        photo_buttons.addWidget(self.general_count, 1)
        # The item's text beside its photos, not above them: on a 768-pixel screen the rows of
        # the table are what the inspector needs most.
        detail_scroll = QScrollArea()
        detail_scroll.setObjectName("itemDetailScroll")
        detail_scroll.setWidget(self.item_detail)
        detail_scroll.setWidgetResizable(True)
        detail_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        detail_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        detail_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        detail_scroll.setFixedHeight(THUMB_SIZE + 36)
        below = QHBoxLayout()
        below.addWidget(detail_scroll, 3)
        below.addWidget(self.photos, 2)
        below.addWidget(self.previous_box, 2)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addLayout(photo_buttons)
        lower_layout.addLayout(below)
        left = QSplitter(Qt.Orientation.Vertical)
        left.setObjectName("itemsSplitter")
        left.setChildrenCollapsible(False)
        table_box = QWidget()
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.table, 1)
        below_table = QHBoxLayout()
        below_table.addWidget(self.hint, 1)
        below_table.addWidget(self.pass_section_button)
        below_table.addWidget(self.undo_button)
        table_layout.addLayout(below_table)
        left.addWidget(table_box)
        left.addWidget(lower)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 1)

        # The signature pads are needed at the end of a visit: a panel shown by 签名 (its
        # state remembered), not a third of the width all the time.
        self.signatures = QWidget()
        self.signatures.setObjectName("signaturesPanel")
        signatures_layout = QVBoxLayout(self.signatures)
        signatures_layout.setContentsMargins(0, 0, 0, 0)
        signatures_layout.addWidget(self.inspector_box)
        signatures_layout.addWidget(self.unit_box)
        main = QSplitter(Qt.Orientation.Horizontal)
        main.setObjectName("evaluationSplitter")
        main.setChildrenCollapsible(False)
        main.addWidget(left)
        main.addWidget(self.signatures)
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 1)
        main.setSizes([900, 340])
        folder = self._store.folder
        geometry.remember_splitter(left, folder, "evaluation_items")
        geometry.remember_splitter(main, folder, "evaluation")
        shown = str(geometry.value(folder, SIGNATURES_SHOWN, "false")).lower() == "true"
        self.signatures.setVisible(shown)
        self.signatures_button.setChecked(shown)

        for keys, slot in (
            ("Ctrl+Shift+P", lambda: self.choose_photos(for_item=True)),
            ("Ctrl+M", self.jump_to_missing),
            (QKeySequence.StandardKey.Undo, self.group_pass.undo),
            (QKeySequence.StandardKey.Print, self.ask_print),
            (QKeySequence.StandardKey.SaveAs, self.ask_save_pdf),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        layout = QVBoxLayout(self)
        layout.addLayout(header_box)
        layout.addWidget(main, 1)

    def _connect(self) -> None:
        self.table.answerKey.connect(self._answer_key)
        self.table.noteKey.connect(self.edit_note)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.doubleClicked.connect(lambda _index: self.edit_note())
        self.add_item_photo.clicked.connect(lambda: self.choose_photos(for_item=True))
        self.add_general_photo.clicked.connect(lambda: self.choose_photos(for_item=False))
        # Activated: a double-click, or Enter on a thumbnail (the keyboard's way to the preview).
        self.photos.itemActivated.connect(self._preview)
        self.previous_photos.itemActivated.connect(self._preview)
        self.photos.currentItemChanged.connect(lambda *_args: self._update_remove())
        self.remove_photo_action.triggered.connect(lambda _checked=False: self.remove_photo())
        self.link_photo_action.triggered.connect(lambda _checked=False: self.link_photo())
        PhotoDrops(self.table, self.photos_dropped, lambda: not self.locked)  # the table's child
        self.remove_photo_button.clicked.connect(lambda _checked=False: self.remove_photo())
        if isinstance(self.photos, PhotoList):
            self.photos.deleteKey.connect(self.remove_photo)
        for box in (self.inspector_box, self.unit_box):
            box.confirm.clicked.connect(lambda _checked=False, b=box: self.confirm_signature(b))
        self.missing_button.clicked.connect(lambda _checked=False: self.jump_to_missing())
        self.signatures_button.toggled.connect(self.show_signatures)
        self.finalize_button.clicked.connect(self.finalize)
        self.revise_button.clicked.connect(self.revise)
        self.print_button.clicked.connect(self.ask_print)
        self.notice_button.clicked.connect(lambda _checked=False: self.ask_notice())
        self.save_pdf_button.clicked.connect(lambda _checked=False: self.ask_save_pdf())

    # --- loading -----------------------------------------------------------------------------

    def reload(self) -> None:
        store, evaluation_id = self._store, self.evaluation_id
        self._runner.submit(
            lambda: operations.load_evaluation(store, evaluation_id), self._show, self._load_failed
        )

    def _load_failed(self, error: Exception) -> None:
        if not isValid(self):
            return
        if isinstance(error, NotFound):
            self.missing.emit()
        else:
            show_error(self, describe(error))

    def _show(self, data: EvaluationData) -> None:
        # A write may finish after its tab was closed: it is saved; there is just nothing to show.
        if isValid(self):
            self.show_data(data)

    def show_data(self, data: EvaluationData) -> None:
        """Show a snapshot read after a commit (or on opening)."""
        first = self.data is None or self.data.id != data.id
        self.data = data
        self.ledger.load(data.credit_code)
        self.evaluation_id = data.id
        self.model.set_items(data.items)
        self.title.setText(
            f"<b style='font-size:15px'>{escape(data.unit_name)}</b>"
            f"&nbsp;&nbsp;{escape(data.credit_code)}"
        )
        revision = tr("eval.revision_of", id=data.replaces) if data.replaces else ""
        if data.follows is not None:
            revision += tr("eval.follows", kind=data.kind_label, id=data.follows)
        self.table.setColumnHidden(em.COLUMNS.index("previous"), data.follows is None)
        self.info.setText(
            tr(
                "eval.info",
                id=data.id,
                kind=data.kind_label,
                inspector=data.inspector,
                status=em.status_label(data.status),
            )
            + revision
        )
        self.review_banner.show_review(data.review, data.id, data.locked)
        colour = VERDICT_COLOURS.get(data.outcome, "#555555")
        if PRUDENT_PENDING in data.verdict_text:  # passed, but 命名 waits for the county
            colour = VERDICT_COLOURS[Outcome.RECTIFY.value]
        self.verdict.setText(data.verdict_text)  # whole: a 审慎培育 warning is never cut off
        self.verdict.setStyleSheet(f"color:{colour};font-weight:bold")
        self.prudent_badge.setVisible(data.prudent)
        self.evidence_notice.setText(evidence_html(data.evidence) if data.evidence else "")
        self.evidence_notice.setVisible(bool(data.evidence))
        if first:
            self.next_step.hide()
        self.general_count.setText(tr("eval.general_photos", n=len(data.general_photos)))
        signed = {s.role: s.name for s in data.signatures}
        for box in (self.inspector_box, self.unit_box):
            name = signed.get(box.role.value)
            box.state.setText(tr("eval.signed_by", name=name) if name else tr("eval.not_signed"))
            if name and not box.name.text():
                box.name.setText(name)
        self._apply_lock(data.locked)
        self._update_missing()
        if first and self.model.rowCount():
            # Open where the work is: the first item still to check (a follow-up's first
            # failed item, a reopened draft's next item), or the top when all are answered.
            todo = next((n for n, i in enumerate(data.items) if i.result is None), 0)
            self.table.move_to(todo)
        self._show_item()
        self.titleChanged.emit(tr("eval.tab_title", id=data.id, unit=data.unit_name))
        self.loaded.emit(data.id)

    def _apply_lock(self, locked: bool) -> None:
        for widget in (self.add_item_photo, self.add_general_photo, self.finalize_button):
            widget.setEnabled(not locked)
        self.missing_button.setVisible(not locked)
        for box in (self.inspector_box, self.unit_box):
            box.setEnabled(not locked)
        self.finalize_button.setVisible(not locked)
        self.revise_button.setVisible(locked)
        self.notice_button.setVisible(notice_action.can_print_notice(self.data))
        self.setAcceptDrops(not locked)
        self.hint.setText(tr("eval.locked_hint") if locked else tr("eval.keys_hint"))
        self._update_remove()

    def _update_remove(self) -> None:
        self.group_pass.update()
        enabled = not self.locked and self.photos.currentItem() is not None
        self.remove_photo_button.setEnabled(enabled)
        self.remove_photo_action.setEnabled(enabled)
        self.link_photo_action.setEnabled(enabled)

    @property
    def locked(self) -> bool:
        return self.data is None or self.data.locked

    # --- the selected item -------------------------------------------------------------------

    def current_item(self) -> ItemRow | None:
        row = self.table.current_row()
        return self.model.item(row) if 0 <= row < self.model.rowCount() else None

    def _current_changed(self, *_args: object) -> None:
        self._show_item()

    def _show_item(self) -> None:
        item = self.current_item()
        self.photos.clear()
        self.previous_photos.clear()
        self.previous_box.setVisible(bool(item and item.previous and item.previous.photos))
        if item is None:
            self.item_detail.clear()
            self._update_remove()
            return
        parts = [f"<b>{escape(item.code)}</b> {escape(item.text)}"]
        if item.same_as:
            parts.append(f"<b>{escape(tr('eval.same_as', same=item.same_as))}</b>")
        elif item.not_applicable and item.result != Answer.NA:
            parts.append(escape(tr("eval.not_applicable_overridden", reason=item.not_applicable)))
        if item.guidance:
            parts.append(f"<b>{escape(tr('eval.guidance'))}</b>{escape(item.guidance)}")
        if item.evidence:
            parts.append(f"<b>{escape(tr('eval.evidence'))}</b>{escape(item.evidence)}")
        if item.photo_required:
            parts.append(f"<span style='color:#c62828'>{escape(tr('eval.photo_required'))}</span>")
        if item.gate:
            parts.append(f"<span style='color:#c62828'>{escape(tr('eval.gate'))}</span>")
        if item.rectify:
            parts.append(escape(tr("eval.rectify_note", rectify=item.rectify, due=item.due)))
        if item.note:
            parts.append(f"<b>{escape(tr('eval.note'))}</b>：{escape(item.note)}")
        if item.source:
            parts.append(f"<b>{escape(tr('eval.source'))}</b>{escape(item.source)}")
        if item.previous is not None:
            colour = (
                VERDICT_COLOURS[Outcome.FAIL.value] if item.previous.result == Answer.FAIL else ""
            )
            style = f" style='color:{colour}'" if colour else ""
            before = tr("eval.previous_result", result=em.previous_label(item.previous))
            parts.append(f"<b{style}>{escape(before)}</b>")
        if link := self.ledger.html(item.text):
            parts.append(link)
        self.item_detail.setText("<br>".join(parts))
        ids = item.photo_ids if len(item.photo_ids) == len(item.photos) else ()
        doubts = photo_doubts(self.data.evidence) if self.data else {}
        times = item.photo_times if len(item.photo_times) == len(item.photos) else ()
        for number, sha in enumerate(item.photos):
            when = times[number] if times else None
            caption = f"{item.code} {when:%H:%M}" if when else item.code
            entry = self._thumbnail(sha, caption)
            if ids:
                entry.setData(PHOTO_ID_ROLE, ids[number])
                labels = doubts.get(ids[number])
                if labels:  # this photo is named by an evidence flag: red, and says why
                    entry.setForeground(QColor(DOUBT_COLOUR))
                    entry.setToolTip(f"{sha}\n{tr('eval.photo_doubts', labels='、'.join(labels))}")
            self.photos.addItem(entry)
        if item.previous is not None:
            for sha in item.previous.photos:
                self.previous_photos.addItem(self._thumbnail(sha))
        self._update_remove()

    def _thumbnail(self, sha: str, caption: str | None = None) -> QListWidgetItem:
        icon = QIcon(QPixmap(str(self._store.photos.thumb_path(sha))))
        entry = QListWidgetItem(icon, caption or sha[:8])
        entry.setData(Qt.ItemDataRole.UserRole, sha)
        entry.setToolTip(sha)
        return entry

    def remove_photo(self) -> bool:
        """Ask, then take the selected thumbnail's photo off the draft (writer thread)."""
        entry = self.photos.currentItem()
        if entry is None or self.locked:
            return False
        photo_id = entry.data(PHOTO_ID_ROLE)
        if photo_id is None:
            return False
        confirmed = self.confirm_remove(self, entry.text())
        self.focus_items()
        if not confirmed:
            return False
        number = int(photo_id)
        self._write(lambda store, eid: operations.write_remove_photo(store, eid, number))
        return True

    def link_photo(self) -> list[str]:
        """同时用于其他条目: the selected photo on the items ticked, without a second copy."""
        entry = self.photos.currentItem()
        item = self.current_item()
        if entry is None or item is None or self.locked or entry.data(PHOTO_ID_ROLE) is None:
            return []
        refs = self.ask_link(self, self.model.items, item)
        self.focus_items()
        if refs:
            number = int(entry.data(PHOTO_ID_ROLE))
            self._write(lambda store, eid: operations.write_link_photo(store, eid, number, refs))
        return refs

    def photos_dropped(self, photo_ids: list[int], row: int, keep: bool) -> None:
        """Thumbnails dropped on a row: moved to that item, or (Ctrl) on both."""
        if self.locked or not 0 <= row < self.model.rowCount():
            return
        ref = self.model.item(row).ref
        self.table.move_to(row)

        def job(store: Store, evaluation_id: int) -> EvaluationData:
            data: EvaluationData | None = None
            for number in photo_ids:
                if keep:
                    data = operations.write_link_photo(store, evaluation_id, number, [ref])
                else:
                    data = operations.write_move_photo(store, evaluation_id, number, ref)
            assert data is not None
            return data

        if photo_ids:
            self._write(job)

    def _preview(self, entry: QListWidgetItem) -> None:
        self.preview_photo(entry)

    def preview_photo(self, entry: QListWidgetItem) -> QDialog:
        """The photo large; on a draft's own photo, 向左转/向右转 and 另存为转正的照片."""
        sha = str(entry.data(Qt.ItemDataRole.UserRole))
        photo_id = entry.data(PHOTO_ID_ROLE)
        item = self.current_item()
        caption = f"{item.code} {item.text}" if item else entry.text()
        turnable = photo_id is not None and not self.locked and entry.listWidget() is self.photos
        dialog = PhotoPreview(
            self._store.photos.path(sha),
            caption,
            self,
            photo_id=int(photo_id) if turnable else None,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.rotateChosen.connect(self.save_upright)
        dialog.finished.connect(lambda _result: self.focus_items())
        dialog.open()
        return dialog

    def save_upright(self, photo_id: int, quarter_turns: int) -> None:
        """Attach an upright copy of the photo beside it (writer thread); the original stays."""
        self._write(
            lambda store, eid: operations.write_upright_photo(store, eid, photo_id, quarter_turns)
        )

    # --- answering ---------------------------------------------------------------------------

    def _answer_key(self, result: str) -> None:
        item = self.current_item()
        if item is None or self.locked:
            return
        if self.answer(item, result) or item.linked:  # a 同 item is passed over
            self.table.move_to(self.table.current_row() + 1)
        self.focus_items()

    def answer(self, item: ItemRow, result: str, note: str | None = None) -> bool:
        """Write one answer; False if the inspector cancelled the 整改 dialog, or if the item
        is answered through others (read-only: the hint says which to answer)."""
        if item.linked:
            self.hint.setText(tr("eval.same_as_hint", code=item.code, same=item.same_as))
            return False
        rectify: str | None = None
        due: date | None = None
        if result == Answer.FAIL.value:
            asked = self.ask_rectification(self, item)
            if asked is None:
                return False
            rectify, due = asked
        self._write(
            lambda store, eid: operations.write_answer(
                store,
                eid,
                item.ref,
                result,
                item.note if note is None else note,
                rectify=rectify,
                due=due,
            )
        )
        return True

    def edit_note(self) -> None:
        item = self.current_item()
        if item is None or self.locked:
            return
        if item.linked:
            self.hint.setText(tr("eval.same_as_hint", code=item.code, same=item.same_as))
            return
        if item.result is None:
            show_error(self, tr("eval.note_needs_result", code=item.code))
            return
        note = self.ask_note(self, item)
        self.focus_items()
        if note is None:
            return
        result = item.result
        self._write(
            lambda store, eid: operations.write_answer(
                store, eid, item.ref, result, note, item.rectify, item.due
            )
        )

    def _write(self, job: Callable[[Store, int], EvaluationData]) -> None:
        store, evaluation_id = self._store, self.evaluation_id
        self._runner.submit_write(lambda: job(store, evaluation_id), self._show)

    # --- photos ------------------------------------------------------------------------------

    def choose_photos(self, for_item: bool) -> None:
        if self.locked or (for_item and self.current_item() is None):
            return
        paths = self.pick_photos(self)
        self.focus_items()  # the next Ctrl+V or key goes to the item, not to the button
        if paths:
            self.attach(paths, for_item=for_item)

    def attach(self, paths: list[str], for_item: bool = True) -> None:
        """Attach photos to the selected item (or the whole evaluation) on the writer thread."""
        item = self.current_item() if for_item else None
        if for_item and item is None:
            show_error(self, tr("eval.select_item_first"))
            return
        ref = item.ref if item else None
        self._write(lambda store, eid: operations.write_photos(store, eid, paths, ref))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            event.accept()
            self.paste_photos()
            return
        super().keyPressEvent(event)

    def paste_photos(self) -> bool:
        """Attach image files, or a copied image, from the clipboard to the selected item."""
        if self.locked:
            return False
        clipboard = QApplication.clipboard()
        mime = clipboard.mimeData()
        paths = _image_paths(mime.urls()) if mime is not None and mime.hasUrls() else []
        if paths:
            self.attach(paths, for_item=True)
            return True
        image = clipboard.image()
        if image.isNull():
            return False
        item = self.current_item()
        if item is None:
            show_error(self, tr("eval.select_item_first"))
            return False
        handle, png = tempfile.mkstemp(prefix="fieldapp-paste-", suffix=".png")
        os.close(handle)
        if not image.save(png, "PNG"):  # type: ignore[call-overload]
            os.remove(png)
            show_error(self, tr("eval.paste_failed"))
            return False
        ref = item.ref

        def job(store: Store, evaluation_id: int) -> EvaluationData:
            try:
                return operations.write_photos(store, evaluation_id, [png], ref)
            finally:
                with contextlib.suppress(OSError):
                    os.remove(png)

        self._write(job)
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if not self.locked and _image_paths(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _image_paths(event.mimeData().urls())
        if paths and not self.locked:
            event.acceptProposedAction()
            self.attach(paths, for_item=True)

    # --- signatures ---------------------------------------------------------------------------

    def confirm_signature(self, box: SignatureBox) -> None:
        handle, png = tempfile.mkstemp(prefix="fieldapp-signature-", suffix=".png")
        os.close(handle)
        try:
            box.pad.to_png(png)
        except OSError as exc:
            os.remove(png)
            show_error(self, describe(exc))
            return
        role, name = box.role.value, box.name.text()
        self._write(lambda store, eid: operations.write_signature(store, eid, role, name, png))

    # --- finishing ----------------------------------------------------------------------------

    def finalize(self) -> None:
        """定稿: first the check on what is shown (a clickable list of what is missing), then a
        confirmation with the verdict and what it locks, then the write, which checks again in
        the store."""
        if self.data is None or self.locked:
            return
        if self.missing_count():
            self.show_missing()
            return
        from fieldapp.ui.finalize_dialog import FinalizeDialog

        dialog = FinalizeDialog(self.data, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.finalize_now)
        dialog.rejected.connect(self.focus_items)
        self.finalize_dialog = dialog
        dialog.open()

    def finalize_now(self) -> None:
        """定稿 as confirmed: the store checks again and locks (writer thread)."""
        if self.data is None or self.locked:
            return
        store, evaluation_id = self._store, self.evaluation_id
        self._runner.submit_write(
            lambda: operations.write_finalize(store, evaluation_id), self._finalized, self._refused
        )

    def _finalized(self, result: Finalized) -> None:
        if not isValid(self):
            return  # saved; the tab was closed meanwhile
        self.show_data(result.data)
        if result.proposal is not None:
            self.show_proposal(result.proposal)

    def show_proposal(self, proposal: Proposal) -> QMessageBox:
        """Ask once what the finalised 后评价 proposes (window-modal, not blocking)."""
        unit = self.data.unit_name if self.data else ""
        outcome = self.data.outcome if self.data else ""
        box, confirm = proposal_box(self, proposal, unit, outcome)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if confirm is not None:
            confirm.clicked.connect(lambda _checked=False: self.accept_proposal(proposal))
        self.proposal_dialog = box
        box.finished.connect(lambda _result: self.focus_items())
        box.open()
        return box

    def accept_proposal(self, proposal: Proposal) -> None:
        """Carry out the confirmed proposal on the writer thread."""
        if self.data is None:
            return
        store, inspector = self._store, self.data.inspector
        code = self.data.credit_code
        self._runner.submit_write(
            lambda: operations.write_accept_proposal(store, proposal, inspector),
            lambda summary: self._accepted(summary, code),
        )

    def _accepted(self, summary: str, code: str) -> None:
        if not isValid(self):
            return
        self.next_step.setText(tr("proposal.done", summary=summary))
        self.next_step.show()
        self.unitChanged.emit(code)
        self.reload()

    def _refused(self, error: Exception) -> None:
        if not isValid(self):
            return
        if isinstance(error, InvalidInput) and error.problems:
            # The store found gaps the snapshot did not show (another window's change): list
            # them, an item's line going to its row.
            dialog = self._missing_dialog(error.summary)
            rows = {item.code: n for n, item in enumerate(self.model.items)}
            for problem in error.problems:
                code = problem.message.partition("：")[2].partition(" ")[0]
                if code in rows:
                    dialog.add_item(problem.message, rows[code])
                else:
                    dialog.add_line(problem.message)
            dialog.open()
            return
        show_error(self, describe(error))

    # --- what is missing ----------------------------------------------------------------------

    def missing_signatures(self) -> list[SignatureBox]:
        signed = {s.role for s in self.data.signatures} if self.data else set()
        return [b for b in (self.inspector_box, self.unit_box) if b.role.value not in signed]

    def missing_count(self) -> int:
        """What still stops 定稿, counted as the store counts it: items and signatures."""
        if self.data is None:
            return 0
        return len(em.missing_rows(self.model.items)) + len(self.missing_signatures())

    def _update_missing(self) -> None:
        count = self.missing_count()
        self.missing_button.setVisible(not self.locked)
        if count:
            self.missing_button.setText(tr("eval.missing_counter", n=count))
            self.missing_button.setStyleSheet("color:#c62828;font-weight:bold")
        else:
            self.missing_button.setText(tr("eval.missing_none"))
            self.missing_button.setStyleSheet("color:#1b7f3b")

    def jump_to_missing(self) -> None:
        """Go to the next item that stops 定稿 (after the current one, round to the top); with
        every item done, to the first missing signature."""
        if self.data is None:
            return
        row = em.next_missing(self.model.items, self.table.current_row())
        if row is not None:
            self.table.move_to(row)
            self.focus_items()
            return
        unsigned = self.missing_signatures()
        if unsigned and not self.locked:
            self.go_to_signature(unsigned[0].role.value)

    def go_to_signature(self, role: str) -> None:
        self.signatures_button.setChecked(True)
        box = self.inspector_box if role == self.inspector_box.role.value else self.unit_box
        box.name.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_signatures(self, shown: bool) -> None:
        """Show or hide the signature panel (remembered for the next evaluation)."""
        self.signatures.setVisible(shown)
        if self.signatures_button.isChecked() != shown:
            self.signatures_button.setChecked(shown)
        geometry.set_value(self._store.folder, SIGNATURES_SHOWN, shown)
        if shown and not self.locked:
            first = (self.missing_signatures() or [self.inspector_box])[0]
            first.name.setFocus(Qt.FocusReason.OtherFocusReason)
        elif not shown:
            self.focus_items()

    def _missing_dialog(self, summary: str) -> MissingDialog:
        earlier = self.missing_dialog
        if earlier is not None and isValid(earlier):
            earlier.close()  # one list at a time, the newest
        dialog = MissingDialog(summary, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosenRow.connect(self._go_to_row)
        dialog.chosenSignature.connect(self.go_to_signature)
        dialog.rejected.connect(self.focus_items)
        self.missing_dialog = dialog
        return dialog

    def show_missing(self) -> MissingDialog:
        """The 定稿 check: every item and signature still missing, each line going to it."""
        name = self.data.unit_name if self.data else ""
        dialog = self._missing_dialog(tr("eval.missing_summary", unit=name, n=self.missing_count()))
        for row in em.missing_rows(self.model.items):
            dialog.add_item(em.missing_reason(self.model.item(row)), row)
        for box in self.missing_signatures():
            dialog.add_signature(tr("eval.missing_signature", role=box.title()), box.role.value)
        dialog.list.setCurrentRow(0)
        dialog.open()
        return dialog

    def _go_to_row(self, row: int) -> None:
        self.table.move_to(row)
        self.focus_items()

    def focus_items(self) -> None:
        """Give the keyboard back to the item table (after a dialog or a button)."""
        if isValid(self) and isValid(self.table):
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def ask_print(self) -> int | None:
        """打印: the sheet in Qt's print preview, whose 打印 opens Qt's print dialog (the
        sheet is written to the data folder's 报表 first, off the UI thread)."""
        if self.data is None:
            return None
        name = tr("print.sheet_name", id=self.data.id, unit=self.data.unit_name)
        out = printing.reports_folder(self._store) / name
        store, evaluation_id = self._store, self.data.id

        def write() -> Path:
            from fieldapp.reports import batch  # ReportLab loads on the first print

            return batch.write_sheets(store, [evaluation_id], out)[0]

        def shown(dialog: QDialog) -> None:
            self.print_dialog = dialog
            dialog.finished.connect(lambda _result: self.focus_items())

        return print_preview.print_pdf(self, self._runner, name, write, shown)

    def ask_save_pdf(self) -> QFileDialog | None:
        """另存为 PDF: save this evaluation's sheet where the inspector chooses, then open it."""
        if self.data is None:
            return None
        name = tr("print.sheet_name", id=self.data.id, unit=self.data.unit_name)
        suggested = printing.reports_folder(self._store) / name
        store, runner, evaluation_id = self._store, self._runner, self.data.id
        dialog = printing.ask_save_pdf(
            self,
            tr("print.sheet_title"),
            suggested,
            lambda path: printing.print_sheet(store, runner, evaluation_id, Path(path)),
        )
        if dialog is not None:
            dialog.finished.connect(lambda _result: self.focus_items())
        return dialog

    def ask_notice(self) -> QFileDialog | None:
        """整改通知书: save the notice where the inspector chooses, then open it."""
        if not notice_action.can_print_notice(self.data) or self.data is None:
            return None
        dialog = notice_action.ask_notice(self, self._store, self._runner, self.data)
        dialog.finished.connect(lambda _result: self.focus_items())
        return dialog

    def revise(self) -> None:
        if self.data is None:
            return
        store, evaluation_id = self._store, self.evaluation_id
        inspector = self.data.inspector
        self._runner.submit_write(
            lambda: operations.write_revision(store, evaluation_id, inspector), self._revised
        )

    def _revised(self, data: EvaluationData) -> None:
        if not isValid(self):
            return
        for box in (self.inspector_box, self.unit_box):
            box.pad.clear()
        self.show_data(data)


def _image_paths(urls: list[QUrl]) -> list[str]:
    return [
        url.toLocalFile()
        for url in urls
        if url.isLocalFile() and url.toLocalFile().lower().endswith(IMAGE_SUFFIXES)
    ]


__all__ = [
    "EvaluationView",
    "NewEvaluationDialog",
    "RectificationDialog",
    "SignaturePad",
    "ask_note",
    "ask_rectification",
]
