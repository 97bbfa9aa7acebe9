"""The 进度 tab: the year's task table against what each station has achieved, and the deadlines.

A few dozen rows at most (stations × unit types), so a QTableWidget is the simple choice here;
the numbers are computed by ``services.progress`` on a worker thread.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.vocab import GROUP_LABELS
from fieldapp.services.progress import Cell, Deadline, Progress
from fieldapp.store import Store
from fieldapp.ui import queries
from fieldapp.ui.strings import group_label, tr, unit_type_label
from fieldapp.ui.tasks import TaskRunner

COLUMNS = (
    "station",
    "unit_type",
    "target",
    "achieved",
    "stock",
    "new",
    "ratio",
    "confirmed",
    "stickers",
)
NUMERIC = set(COLUMNS[2:])
TOTAL_BACKGROUND = QColor("#eef2f7")


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


class ProgressTab(QWidget):
    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._generation = 0
        self.progress: Progress | None = None

        self.year = QSpinBox()
        self.year.setObjectName("year")
        self.year.setRange(2000, 2100)
        self.year.setValue(date.today().year)
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("progress")
        self.table.setHorizontalHeaderLabels([tr(f"pcol.{c}") for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        for column, name in enumerate(COLUMNS):
            mode = (
                QHeaderView.ResizeMode.Stretch
                if name in NUMERIC
                else QHeaderView.ResizeMode.ResizeToContents
            )
            header.setSectionResizeMode(column, mode)
        self.totals = QLabel()
        self.totals.setObjectName("totals")
        self.totals.setStyleSheet("font-weight: bold")
        self.deadlines = QLabel()
        self.deadlines.setObjectName("deadlines")
        self.deadlines.setTextFormat(Qt.TextFormat.PlainText)

        top = QHBoxLayout()
        top.addWidget(QLabel(tr("progress.year")))
        top.addWidget(self.year)
        top.addSpacing(16)
        top.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.totals)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.deadlines)

        self.year.valueChanged.connect(self._year_changed)

    def _year_changed(self, _year: int) -> None:
        self.load()

    def load(self) -> None:
        """Compute the chosen year's progress in the background."""
        self._generation += 1
        generation, store, year = self._generation, self._store, self.year.value()
        self._runner.submit(
            lambda: queries.progress(store, year),
            lambda result: self._show(generation, result),
        )

    def _show(self, generation: int, progress: Progress) -> None:
        if generation != self._generation:
            return
        self.progress = progress
        rows: list[tuple[list[str], bool]] = [
            (self._cells(c, c.station), False) for c in progress.cells
        ]
        totals: list[str] = []
        for group in GROUP_LABELS:
            total = progress.total(group)
            if total.target or total.achieved:
                rows.append((self._cells(total, group_label(group), unit_type=""), True))
                totals.append(_total_text(group, total))
        self.totals.setText("    ".join(totals))
        self.totals.setVisible(bool(totals))
        self.table.setRowCount(len(rows))
        for row, (values, is_total) in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, self._item(value, COLUMNS[column], is_total))
        if progress.cells:
            self.summary.setText(tr("progress.as_of", date=progress.as_of))
        else:
            self.summary.setText(tr("progress.empty", year=progress.year))
        self.deadlines.setText("\n".join(_deadline_text(d) for d in progress.deadlines))

    @staticmethod
    def _cells(cell: Cell, station: str, unit_type: str | None = None) -> list[str]:
        return [
            station,
            unit_type_label(cell.unit_type.value) if unit_type is None else unit_type,
            str(cell.target),
            str(cell.achieved),
            str(cell.stock),
            str(cell.new),
            percent(cell.ratio),
            str(cell.confirmed),
            str(cell.stickers),
        ]

    @staticmethod
    def _item(text: str, column: str, is_total: bool) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        if column in NUMERIC:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if is_total:
            font = QFont(item.font())
            font.setBold(True)
            item.setFont(font)
            item.setBackground(QBrush(TOTAL_BACKGROUND))
        return item


def _total_text(group: str, total: Cell) -> str:
    return tr(
        "progress.total_line",
        label=group_label(group),
        target=total.target,
        achieved=total.achieved,
        ratio=percent(total.ratio),
    )


def _deadline_text(deadline: Deadline) -> str:
    name, due, days = deadline.name, deadline.due, deadline.days_left
    if days >= 0:
        return tr("progress.days_left", name=name, due=due, days=days)
    return tr("progress.days_over", name=name, due=due, days=-days)
