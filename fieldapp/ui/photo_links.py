"""One photo for several items: the 同时用于其他条目 dialog, and dragging a thumbnail onto a row
of the item table (moves it there; with Ctrl held, the photo is on both).

A photo used by several items is one stored file with one record per item
(:func:`fieldapp.services.evaluations.link_photo`); the jobs run on the writer thread through
:mod:`fieldapp.ui.operations`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QByteArray, QEvent, QMimeData, QObject, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.strings import tr
from fieldapp.views.evaluation import ItemRecord

PHOTO_MIME = "application/x-fieldapp-photo-ids"


def photo_mime(photo_ids: Sequence[int]) -> QMimeData:
    """What a dragged thumbnail carries: the photo records' ids."""
    mime = QMimeData()
    mime.setData(PHOTO_MIME, QByteArray(",".join(str(i) for i in photo_ids).encode("ascii")))
    return mime


def photo_ids(mime: QMimeData | None) -> list[int]:
    if mime is None or not mime.hasFormat(PHOTO_MIME):
        return []
    text = bytes(mime.data(PHOTO_MIME).data()).decode("ascii", "replace")
    return [int(part) for part in text.split(",") if part.isdigit()]


class LinkPhotoDialog(QDialog):
    """Tick the other items the photo also shows (same place: the counter, the licence wall)."""

    def __init__(
        self, items: Sequence[ItemRecord], current: ItemRecord, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("linkPhotoDialog")
        self.setWindowTitle(tr("photo_link.title"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("photo_link.explain", code=current.code)))
        self.list = QListWidget()
        self.list.setObjectName("linkPhotoItems")
        for item in items:
            if item.key == current.key or item.linked:
                continue
            entry = QListWidgetItem(f"{item.code}  {item.text}")
            entry.setData(Qt.ItemDataRole.UserRole, item.ref)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Unchecked)
            if item.photo_required and not item.photos:
                entry.setToolTip(tr("eval.needs_photo"))
            self.list.addItem(entry)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, 420)

    def refs(self) -> list[str]:
        found = []
        for number in range(self.list.count()):
            entry = self.list.item(number)
            if entry.checkState() == Qt.CheckState.Checked:
                found.append(str(entry.data(Qt.ItemDataRole.UserRole)))
        return found


def ask_link(parent: QWidget, items: Sequence[ItemRecord], current: ItemRecord) -> list[str]:
    """The refs ticked in the dialog; empty if cancelled."""
    dialog = LinkPhotoDialog(items, current, parent)
    return dialog.refs() if dialog.exec() == QDialog.DialogCode.Accepted else []


Dropped = Callable[[list[int], int, bool], None]  # photo ids, table row, keep it where it was


class PhotoDrops(QObject):
    """Lets a table's rows take dragged thumbnails; other drops (files) go on to the window."""

    def __init__(self, table: QTableView, dropped: Dropped, enabled: Callable[[], bool]) -> None:
        super().__init__(table)
        self._table = table
        self._dropped = dropped
        self._enabled = enabled
        table.setAcceptDrops(True)
        table.viewport().setAcceptDrops(True)
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(
            event, QDragEnterEvent | QDragMoveEvent
        ):
            if self._enabled() and photo_ids(event.mimeData()):
                row = self._table.indexAt(event.position().toPoint()).row()
                if row >= 0 or kind == QEvent.Type.DragEnter:
                    event.acceptProposedAction()
                    return True
            event.ignore()
            return False
        if kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            ids = photo_ids(event.mimeData())
            row = self._table.indexAt(event.position().toPoint()).row()
            if not ids or row < 0 or not self._enabled():
                event.ignore()
                return False
            copy = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            event.acceptProposedAction()
            self._dropped(ids, row, copy)
            return True
        return False
