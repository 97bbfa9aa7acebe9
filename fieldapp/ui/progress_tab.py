"""The 进度 tab, the station head's dashboard: the task table against what each station has
achieved (table and bar chart), the days left to 30 June and 30 November, and the units that hold
each station back (seed 002's 防止失真失实失察: not evaluated this year, rectification overdue, no
sticker or no photo of it, no change for a long time, evidence in doubt).

A few dozen rows at most (stations × unit types), so QTableWidgets are the simple choice here;
everything is computed by the core (``services.progress``, ``services.worklists``) on a worker
thread. The list of held-back units shows at most :data:`UNIT_LIMIT` rows and says how many more.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain.holdbacks import Reason
from fieldapp.domain.vocab import GROUP_LABELS
from fieldapp.store import Store
from fieldapp.ui import operations
from fieldapp.ui.bar_chart import Bar, BarChart
from fieldapp.ui.strings import (
    group_label,
    last_pull_text,
    reason_label,
    state_label,
    tr,
    unit_type_label,
)
from fieldapp.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from fieldapp.services.progress import Cell, Deadline, Progress
    from fieldapp.services.worklists import HoldBack

COLUMNS = (
    "station",
    "unit_type",
    "target",
    "achieved",
    "stock",
    "new",
    "ratio",
    "carried",
    "committed_by_june",
    "entry_ratio",
    "confirmed",
    "stickers",
)
NUMERIC = set(COLUMNS[2:])
TOTAL_BACKGROUND = QColor("#eef2f7")
UNIT_LIMIT = 500
UNIT_COLUMNS = ("credit_code", "name", "state", "detail")


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


class ProgressTab(QWidget):
    showUnit = Signal(str)  # a held-back unit was double-clicked: its credit code

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
        self.last_pull = QLabel()
        self.last_pull.setObjectName("lastPull")
        self.last_pull.setToolTip(tr("pulled.tip"))
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("progress")
        self.table.setHorizontalHeaderLabels([tr(f"pcol.{c}") for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.totals = QLabel()
        self.totals.setObjectName("totals")
        self.totals.setStyleSheet("font-weight: bold")
        self.deadlines = QLabel()
        self.deadlines.setObjectName("deadlines")
        self.deadlines.setTextFormat(Qt.TextFormat.PlainText)

        self.chart = BarChart()
        self.holdback_table = QTableWidget(0, len(Reason) + 1)
        self.holdback_table.setObjectName("holdbacks")
        self.holdback_table.setHorizontalHeaderLabels(
            [tr("pcol.station"), *(reason_label(r) for r in Reason)]
        )
        evidence_column = list(Reason).index(Reason.EVIDENCE) + 1
        evidence_header = self.holdback_table.horizontalHeaderItem(evidence_column)
        assert evidence_header is not None  # the labels were set just above
        evidence_header.setToolTip(tr("holdback.evidence_tip"))
        self.holdback_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.holdback_table.setTabKeyNavigation(False)
        self.holdback_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.holdback_table.verticalHeader().hide()
        self.holdback_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.holdback_table.setToolTip(tr("holdback.hint"))
        self.unit_list = QTableWidget(0, len(UNIT_COLUMNS))
        self.unit_list.setObjectName("holdbackUnits")
        self.unit_list.setHorizontalHeaderLabels([tr(f"hcol.{c}") for c in UNIT_COLUMNS])
        self.unit_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.unit_list.setTabKeyNavigation(False)
        self.unit_list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.unit_list.verticalHeader().hide()
        self.unit_list.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.unit_list.horizontalHeader().setStretchLastSection(True)
        self.unit_caption = QLabel(tr("holdback.pick"))
        self.unit_caption.setObjectName("holdbackCaption")
        self.export_progress = QPushButton(tr("export.button"))
        self.export_progress.setObjectName("exportProgress")
        self.export_units = QPushButton(tr("export.button"))
        self.export_units.setObjectName("exportHoldbackUnits")

        top = QHBoxLayout()
        top.addWidget(QLabel(tr("progress.year")))
        top.addWidget(self.year)
        top.addSpacing(16)
        top.addWidget(self.summary, 1)
        top.addWidget(self.last_pull)
        top.addWidget(self.export_progress)
        upper = QSplitter(Qt.Orientation.Horizontal)
        upper.addWidget(self.table)
        upper.addWidget(self.chart)
        upper.setStretchFactor(0, 3)
        upper.setStretchFactor(1, 2)
        upper.setSizes([760, 520])
        held = QGroupBox(tr("holdback.title"))
        held_layout = QVBoxLayout(held)
        held_layout.addWidget(self.holdback_table, 2)
        caption_row = QHBoxLayout()
        caption_row.addWidget(self.unit_caption, 1)
        caption_row.addWidget(self.export_units)
        held_layout.addLayout(caption_row)
        held_layout.addWidget(self.unit_list, 3)
        lower = QSplitter(Qt.Orientation.Vertical)
        lower.addWidget(upper)
        lower.addWidget(held)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.totals)
        layout.addWidget(self.deadlines)
        layout.addWidget(lower, 1)

        self.year.valueChanged.connect(self._year_changed)
        self.holdback_table.cellClicked.connect(self._holdback_clicked)
        self.unit_list.activated.connect(lambda index: self._unit_chosen(index.row(), 0))
        self.export_progress.clicked.connect(
            lambda _checked=False: self.export(self.table, tr("progress.export_name"))
        )
        self.export_units.clicked.connect(
            lambda _checked=False: self.export(self.unit_list, tr("holdback.export_name"))
        )

    def export(self, table: QTableWidget, name: str) -> QFileDialog:
        """导出 Excel: the list as shown (progress by station, or the held-back units)."""
        from fieldapp.ui.list_export import export_table

        return export_table(self, self._store, self._runner, name, table)

    def _year_changed(self, _year: int) -> None:
        self.load()

    def load(self) -> None:
        """Compute the chosen year's progress and hold-backs in the background."""
        self._generation += 1
        generation, store, year = self._generation, self._store, self.year.value()
        self._runner.submit(
            lambda: operations.progress(store, year),
            lambda result: self._show(generation, result),
        )
        self._runner.submit(
            lambda: operations.hold_back_counts(store, year),
            lambda result: self._show_holdbacks(generation, result),
        )
        self._runner.submit(
            lambda: operations.last_pull(store),
            lambda when: self._show_last_pull(generation, when),
        )

    def _show_last_pull(self, generation: int, when: datetime | None) -> None:
        if generation == self._generation:
            self.last_pull.setText(last_pull_text(when, date.today()))

    def _show_holdbacks(self, generation: int, counts: dict[str, dict[Reason, int]]) -> None:
        if generation != self._generation:
            return
        self.holdback_table.setRowCount(len(counts))
        for row, (station, by_reason) in enumerate(counts.items()):
            self.holdback_table.setItem(row, 0, QTableWidgetItem(station))
            for column, reason in enumerate(Reason, start=1):
                count = by_reason.get(reason, 0)
                item = QTableWidgetItem(str(count))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setData(Qt.ItemDataRole.UserRole, (station, reason.value))
                if count:
                    item.setForeground(QBrush(QColor("#b03a2e")))
                self.holdback_table.setItem(row, column, item)
        self.unit_list.setRowCount(0)
        self.unit_caption.setText(tr("holdback.pick"))

    def _holdback_clicked(self, row: int, column: int) -> None:
        item = self.holdback_table.item(row, column)
        chosen = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if chosen:
            self.show_units(chosen[0], Reason(chosen[1]))

    def show_units(self, station: str, reason: Reason) -> None:
        """List the units of ``station`` held back for ``reason`` (worker thread)."""
        generation, store, year = self._generation, self._store, self.year.value()
        self.unit_caption.setText(tr("holdback.loading"))
        self._runner.submit(
            lambda: operations.hold_backs(store, year, station, reason, UNIT_LIMIT),
            lambda found: self._show_units(generation, station, reason, found),
        )

    def _show_units(
        self, generation: int, station: str, reason: Reason, found: tuple[int, list[HoldBack]]
    ) -> None:
        if generation != self._generation:
            return
        total, units = found
        self.unit_caption.setText(
            tr("holdback.caption", station=station, reason=reason_label(reason), n=total)
            + (tr("holdback.limited", shown=len(units)) if total > len(units) else "")
        )
        self.unit_list.setRowCount(len(units))
        for row, unit in enumerate(units):
            values = (unit.credit_code, unit.name, state_label(unit.state) or "", unit.detail)
            for column, value in enumerate(values):
                self.unit_list.setItem(row, column, QTableWidgetItem(value))

    def _unit_chosen(self, row: int, _column: int) -> None:
        item = self.unit_list.item(row, 0)
        if item is not None:
            self.showUnit.emit(item.text())

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
        self.chart.set_bars(tr("chart.title", year=progress.year), _station_bars(progress))

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
            str(cell.carried),
            str(cell.committed_by_june),
            percent(cell.entry_ratio),
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


def _station_bars(progress: Progress) -> list[Bar]:
    """Per station, the 单位 group (一般 + 无理由 + 放心工厂): target against achieved."""
    totals: dict[str, list[int]] = {}
    for cell in progress.cells:
        if cell.unit_type.group == "units":
            entry = totals.setdefault(cell.station, [0, 0])
            entry[0] += cell.target
            entry[1] += cell.achieved
    return [Bar(station, target, achieved) for station, (target, achieved) in totals.items()]


def _total_text(group: str, total: Cell) -> str:
    return tr(
        "progress.total_line",
        label=group_label(group),
        target=total.target,
        achieved=total.achieved,
        ratio=percent(total.ratio),
        stock=total.stock,
        new=total.new,
    )


def _deadline_text(deadline: Deadline) -> str:
    name, due, days = deadline.name, deadline.due, deadline.days_left
    if days >= 0:
        return tr("progress.days_left", name=name, due=due, days=days)
    return tr("progress.days_over", name=name, due=due, days=-days)
