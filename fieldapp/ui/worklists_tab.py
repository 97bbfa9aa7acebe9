"""The 工作清单 tab: the seed's routine "每天网上巡、每周回头看、每月一通报".

Today's changed units, this week's follow-ups due (overdue ones first, in red), and the month's
bulletin as PDF or Excel. The lists come from ``services.worklists`` on a worker thread; the
bulletin is written by ``reports.bulletin`` and opened in the system's viewer.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import Store
from fieldapp.ui import operations
from fieldapp.ui.strings import last_pull_text, tr
from fieldapp.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from fieldapp.services.worklists import ChangedUnit, Rectification

OVERDUE = QColor("#b03a2e")


def _table(name: str, headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setTabKeyNavigation(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _caption_row(caption: QLabel, button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(caption, 1)
    row.addWidget(button)
    return row


class WorklistsTab(QWidget):
    showUnit = Signal(str)  # a row was opened (Enter or double-click): the unit's credit code

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._generation = 0
        self.today = date.today()
        self.changed = _table(
            "changedToday",
            [tr("hcol.credit_code"), tr("hcol.name"), tr("col.station"), tr("work.changes")],
        )
        self.followups = _table(
            "followupsDue",
            [
                tr("work.due"),
                tr("hcol.credit_code"),
                tr("hcol.name"),
                tr("col.station"),
                tr("work.item"),
                tr("work.rectify"),
            ],
        )
        self.changed_caption = QLabel()
        self.changed_caption.setObjectName("changedCaption")
        self.followups_caption = QLabel()
        self.followups_caption.setObjectName("followupsCaption")
        today = self.today
        self.month = QDateEdit(QDate(today.year, today.month, 1))
        self.month.setObjectName("month")
        self.month.setDisplayFormat("yyyy-MM")
        self.month.setCalendarPopup(False)
        self.station = QComboBox()
        self.station.setObjectName("bulletinStation")
        self.station.addItem(tr("work.whole_county"), None)
        self.bulletin_pdf = QPushButton(tr("work.bulletin_pdf"))
        self.bulletin_pdf.setObjectName("bulletinPdf")
        self.bulletin_xlsx = QPushButton(tr("work.bulletin_xlsx"))
        self.bulletin_xlsx.setObjectName("bulletinXlsx")
        self.refresh = QPushButton(tr("work.refresh"))
        self.last_pull = QLabel()
        self.last_pull.setObjectName("lastPull")
        self.last_pull.setToolTip(tr("pulled.tip"))

        self.export_changed = QPushButton(tr("export.button"))
        self.export_changed.setObjectName("exportChanged")
        self.export_followups = QPushButton(tr("export.button"))
        self.export_followups.setObjectName("exportFollowups")
        self.all_open = QCheckBox(tr("work.all_open"))
        self.all_open.setObjectName("allOpen")
        self.all_open.setToolTip(tr("work.all_open_tip"))
        self.all_open.setChecked(True)

        daily = QGroupBox(tr("work.daily"))
        daily_layout = QVBoxLayout(daily)
        daily_layout.addLayout(_caption_row(self.changed_caption, self.export_changed))
        daily_layout.addWidget(self.changed)
        weekly = QGroupBox(tr("work.weekly"))
        weekly_layout = QVBoxLayout(weekly)
        weekly_row = _caption_row(self.followups_caption, self.export_followups)
        weekly_row.insertWidget(1, self.all_open)
        weekly_layout.addLayout(weekly_row)
        weekly_layout.addWidget(self.followups)
        monthly = QGroupBox(tr("work.monthly"))
        monthly_layout = QHBoxLayout(monthly)
        monthly_layout.addWidget(QLabel(tr("work.month")))
        monthly_layout.addWidget(self.month)
        monthly_layout.addWidget(self.station)
        monthly_layout.addStretch(1)
        monthly_layout.addWidget(self.bulletin_pdf)
        monthly_layout.addWidget(self.bulletin_xlsx)
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("work.intro")), 1)
        top.addWidget(self.last_pull)
        top.addWidget(self.refresh)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(daily, 2)
        layout.addWidget(weekly, 3)
        layout.addWidget(monthly)

        self.refresh.clicked.connect(self.load)
        self.all_open.toggled.connect(lambda _on: self.load())
        # activated: Enter on the current row, or a double-click
        self.changed.activated.connect(lambda index: self._open(self.changed, index.row(), 0))
        self.followups.activated.connect(lambda index: self._open(self.followups, index.row(), 1))
        self.export_changed.clicked.connect(
            lambda _checked=False: self.export(self.changed, tr("work.changed_name"))
        )
        self.export_followups.clicked.connect(
            lambda _checked=False: self.export(self.followups, tr("work.followups_name"))
        )
        self.bulletin_pdf.clicked.connect(lambda: self.ask_bulletin(".pdf"))
        self.bulletin_xlsx.clicked.connect(lambda: self.ask_bulletin(".xlsx"))

    def _open(self, table: QTableWidget, row: int, code_column: int) -> None:
        item = table.item(row, code_column)
        if item is not None and item.text():
            self.showUnit.emit(item.text())

    def export(self, table: QTableWidget, name: str) -> QFileDialog:
        """导出 Excel: the list as shown."""
        from fieldapp.ui.list_export import export_table

        return export_table(self, self._store, self._runner, name, table)

    def set_stations(self, names: list[str]) -> None:
        current = self.station.currentData()
        self.station.clear()
        self.station.addItem(tr("work.whole_county"), None)
        for name in names:
            self.station.addItem(name, name)
        self.station.setCurrentIndex(max(self.station.findData(current), 0))

    def load(self) -> None:
        self._generation += 1
        generation, store, today = self._generation, self._store, date.today()
        self.today = today
        later = self.all_open.isChecked()
        self._runner.submit(
            lambda: operations.load_lists(store, today, later),
            lambda found: self._show(generation, found),
        )
        self._runner.submit(
            lambda: operations.last_pull(store),
            lambda when: self._show_last_pull(generation, when),
        )

    def _show_last_pull(self, generation: int, when: datetime | None) -> None:
        if generation == self._generation:
            self.last_pull.setText(last_pull_text(when, self.today))

    def _show(self, generation: int, found: tuple[list[ChangedUnit], list[Rectification]]) -> None:
        if generation != self._generation:
            return
        changed, due = found
        self.changed_caption.setText(tr("work.changed_caption", day=self.today, n=len(changed)))
        self.changed.setRowCount(len(changed))
        for row, unit in enumerate(changed):
            values: tuple[str, ...] = (
                unit.credit_code,
                unit.name,
                unit.station,
                "；".join(unit.changes),
            )
            for column, value in enumerate(values):
                self.changed.setItem(row, column, QTableWidgetItem(value))
        overdue = sum(1 for r in due if r.due is not None and r.due < self.today)
        key = "work.open_caption" if self.all_open.isChecked() else "work.followups_caption"
        self.followups_caption.setText(tr(key, n=len(due), overdue=overdue))
        self.followups.setRowCount(len(due))
        for row, item in enumerate(due):
            late = item.due is not None and item.due < self.today
            values = (
                str(item.due or ""),
                item.credit_code,
                item.name,
                item.station,
                f"{item.code} {item.text}",
                item.rectify,
            )
            for column, value in enumerate(values):
                cell = QTableWidgetItem(value)
                if late:
                    cell.setForeground(QBrush(OVERDUE))
                self.followups.setItem(row, column, cell)

    def chosen_month(self) -> str:
        return self.month.date().toString("yyyy-MM")

    def ask_bulletin(self, suffix: str) -> None:
        from fieldapp.ui import printing

        month, station = self.chosen_month(), self.station.currentData()
        name = tr("work.bulletin_name", month=month, scope=station or tr("work.whole_county"))
        suggested = printing.reports_folder(self._store) / f"{name}{suffix}"
        printing.ask_save_pdf(
            self,
            tr("work.bulletin_title"),
            suggested,
            lambda path: self.write_bulletin(Path(path), month, station),
            kind=suffix.lstrip("."),
        )

    def write_bulletin(self, out: Path, month: str, station: str | None) -> None:
        """Write the month's bulletin (PDF or XLSX by ``out``'s suffix) and open it."""
        from fieldapp.reports.bulletin import write_bulletin
        from fieldapp.ui import printing

        store = self._store
        self._runner.submit(
            lambda: write_bulletin(store, month, out, station=station), printing.open_document
        )
