"""The evaluation screen's labels and its item table model.

The snapshots it shows (:class:`fieldapp.ui.operations.EvaluationData`, whose items are the read
model :class:`fieldapp.views.evaluation.ItemRecord`) come from the jobs in
:mod:`fieldapp.ui.operations`, the one UI module that opens sessions.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from fieldapp.domain.verdict import Answer
from fieldapp.services import evaluations as service
from fieldapp.ui.strings import tr
from fieldapp.views.evaluation import ItemRecord as ItemRow
from fieldapp.views.evaluation import PreviousAnswer

DRAFT, FINALIZED = service.DRAFT, service.FINALIZED

Index = QModelIndex | QPersistentModelIndex


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


# --- what still stops finalizing (as services.evaluations.missing counts it) -----------------


def needs_photo(item: ItemRow) -> bool:
    """A required photo is still missing (an item judged 不适用 needs none)."""
    return item.photo_required and not item.photos and item.result != Answer.NA.value


def is_missing(item: ItemRow) -> bool:
    """The item stops 定稿: not checked yet, or its required photo is not there. An item
    answered through others (同 B5a) never does: answering them answers it."""
    return not item.linked and (item.result is None or needs_photo(item))


def missing_rows(items: list[ItemRow]) -> list[int]:
    return [number for number, item in enumerate(items) if is_missing(item)]


def next_missing(items: list[ItemRow], after: int) -> int | None:
    """The next row that stops 定稿 after ``after``, going round to the top; None if none."""
    rows = missing_rows(items)
    if not rows:
        return None
    return next((r for r in rows if r > after), rows[0])


def missing_reason(item: ItemRow) -> str:
    """What the 定稿 check says of an item (the service's wording)."""
    key = "eval.missing_unanswered" if item.result is None else "eval.missing_photo"
    return tr(key, code=item.code, text=item.text)


# --- jobs (run on worker threads) ------------------------------------------------------------


# --- the table model -------------------------------------------------------------------------

# "previous" (上次) is last in the model; the view moves it beside "result" and shows it only in
# a follow-up.
COLUMNS = ("checklist", "code", "text", "result", "photos", "note", "previous")
NEEDS_PHOTO = QColor("#c62828")
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
                return result_cell(row, tooltip=role == Qt.ItemDataRole.ToolTipRole)
            if column == "photos":
                return photo_cell(row, tooltip=role == Qt.ItemDataRole.ToolTipRole)
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
        if role == Qt.ItemDataRole.FontRole and column == "result" and row.linked:
            font = QFont()
            font.setItalic(True)  # read-only: it follows the items it is the same as
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column == "photos" and needs_photo(row):
            return QBrush(NEEDS_PHOTO)
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


def result_cell(row: ItemRow, tooltip: bool = False) -> str:
    """The 结果 cell; an item answered through others says which (不符合 · 同 B5a)."""
    if not row.linked:
        return result_label(row.result)
    if tooltip:
        return tr("ecol.same_as_tip", same=row.same_as)
    return f"{result_label(row.result)} · {row.same_as}" if row.result else row.same_as


def photo_cell(row: ItemRow, tooltip: bool = False) -> str:
    """The 照片 cell: how many photos, and 需拍照 while a required one is missing."""
    count = len(row.photos)
    if tooltip:
        if row.photo_required:
            return tr("eval.photo_cell_required_tip", n=count)
        return tr("eval.photo_cell_tip", n=count)
    if needs_photo(row):
        return tr("eval.needs_photo")
    if count and row.photo_required:
        return tr("eval.photo_count_required", n=count)
    return str(count) if count else ""
