"""The 单位 tab: search and filter the county's units, and read one unit's record and history.

Typing waits for a 250 ms pause before searching (one query per pause, not per keystroke);
the combos apply at once. All reads run through the task runner; this widget only arranges what
comes back.
"""

from __future__ import annotations

import getpass
from datetime import date
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from fieldapp import settings
from fieldapp.domain.events import EventKind, Role
from fieldapp.domain.lifecycle import CONFIRMED_STATES, ExitReason, State, allowed_from
from fieldapp.domain.vocab import INDUSTRIES, UnitType, industry_label
from fieldapp.store import Store
from fieldapp.ui import operations
from fieldapp.ui.cases_dialog import LedgerButton
from fieldapp.ui.errors import describe, show_error
from fieldapp.ui.operations import UnitDetail, UnitRow
from fieldapp.ui.strings import exit_reason_label, state_label, tr, unit_type_label
from fieldapp.ui.tasks import TaskRunner
from fieldapp.ui.unit_model import COLUMNS, UnitTableModel, display
from fieldapp.views.units import UnitFilter

if TYPE_CHECKING:
    from fieldapp.ui.evaluation_view import NewEvaluationDialog
    from fieldapp.ui.lifecycle_dialog import LifecycleDialog, StickerDialog
    from fieldapp.ui.unit_form import AddUnitDialog

SEARCH_DELAY_MS = 250

# Starting widths in pixels; the address column takes what is left.
COLUMN_WIDTHS = {"credit_code": 165, "name": 260, "station": 75, "unit_type": 165, "state": 95}


class ElideLeftDelegate(QStyledItemDelegate):
    """Addresses all start with 浙江省丽水市缙云县: when one is cut, keep its end (street, number)."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideLeft


class UnitsTab(QWidget):
    openEvaluation = Signal(int)  # an evaluation id: new, or chosen from the unit's list

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._detail_generation = 0
        self._unit: UnitDetail | None = None
        self._select_after_refresh: int | str | None = None  # a unit id or a credit code
        self._focus_after_detail = False  # Enter on a row: focus the unit's actions once read
        self._drafts: tuple[int, list[int]] = (0, [])  # (unit id, its drafts' ids), as listed

        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(tr("units.search_placeholder"))
        self.search.setClearButtonEnabled(True)
        self.station_combo = QComboBox()
        self.station_combo.setObjectName("station")
        self.station_combo.addItem(tr("units.all_stations"), None)
        self.type_combo = QComboBox()
        self.type_combo.setObjectName("unitType")
        self.type_combo.addItem(tr("units.all_types"), None)
        for unit_type in UnitType:
            self.type_combo.addItem(unit_type_label(unit_type.value), unit_type.value)
        self.state_combo = QComboBox()
        self.state_combo.setObjectName("state")
        self.state_combo.addItem(tr("units.all_states"), None)
        for state in State:
            self.state_combo.addItem(state_label(state.value), state.value)
        self.industry_combo = QComboBox()
        self.industry_combo.setObjectName("industry")
        self.industry_combo.addItem(tr("units.all_industries"), None)
        for industry in INDUSTRIES:
            self.industry_combo.addItem(industry_label(industry.code), industry.code)
        self.not_evaluated = QCheckBox(tr("units.not_evaluated"))
        self.not_evaluated.setObjectName("notEvaluated")
        self.not_evaluated.setToolTip(tr("units.not_evaluated_tip"))
        self.rectification_due = QCheckBox(tr("units.rectification_due"))
        self.rectification_due.setObjectName("rectificationDue")
        self.rectification_due.setToolTip(tr("units.rectification_due_tip"))
        self.add_unit = QPushButton(tr("units.add_unit"))
        self.add_unit.setObjectName("addUnit")

        self.model = UnitTableModel(store, runner, parent=self)
        self.table = QTableView()
        self.table.setObjectName("units")
        self.table.setModel(self.model)
        self._setup_table()
        self.detail = QTextBrowser()
        self.detail.setObjectName("detail")
        self.detail.setPlaceholderText(tr("detail.empty"))
        self.status = QLabel()
        self.status.setObjectName("status")
        self.export_button = QPushButton(tr("units.export"))
        self.export_button.setObjectName("exportUnits")
        self.export_button.setToolTip(tr("units.export_tip"))
        self.new_evaluation = QPushButton(tr("units.new_evaluation"))
        self.new_evaluation.setObjectName("newEvaluation")
        self.new_evaluation.setEnabled(False)
        self.change_state = QPushButton(tr("units.change_state"))
        self.change_state.setObjectName("changeState")
        self.change_state.setEnabled(False)
        self.post_sticker = QPushButton(tr("units.post_sticker"))
        self.post_sticker.setObjectName("postSticker")
        self.post_sticker.setEnabled(False)
        self.print_blank = QPushButton(tr("print.blank"))
        self.print_blank.setObjectName("printBlank")
        self.print_blank.setToolTip(tr("print.blank_tip"))
        self.print_blank.setEnabled(False)
        self.ledger = LedgerButton(store, runner, self)  # a 联络站's 台账, with the year's counts
        self.evaluations = QListWidget()
        self.evaluations.setObjectName("evaluations")
        self.open_evaluation = QPushButton(tr("units.open_evaluation"))
        self.open_evaluation.setObjectName("openEvaluation")
        self.open_evaluation.setEnabled(False)

        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._layout()
        self._connect()

    def _setup_table(self) -> None:
        table = self.table
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setTabKeyNavigation(False)  # Tab leaves the table for the unit's actions
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 10)
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, name in enumerate(COLUMNS):
            if name in COLUMN_WIDTHS:
                table.setColumnWidth(column, COLUMN_WIDTHS[name])
        # A header click sorts the whole filtered list (read again, off the UI thread); a third
        # click goes back to the import order, read a page at a time.
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        table.setSortingEnabled(True)
        table.setItemDelegateForColumn(COLUMNS.index("address"), ElideLeftDelegate(table))

    def _layout(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        # Each combo as wide as a few characters (a long type or industry is cut, its popup
        # shows it whole), so at 1024×768 the search keeps a readable width.
        for combo, chars in (
            (self.station_combo, 4),
            (self.type_combo, 7),
            (self.state_combo, 4),
            (self.industry_combo, 6),
        ):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(chars)
            _fit_popup(combo)
            filters.addWidget(combo)
        filters.addWidget(self.not_evaluated)
        filters.addWidget(self.rectification_due)
        filters.addWidget(self.add_unit)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("unitsSplitter")
        self.splitter = splitter  # its division is remembered (fieldapp/ui/geometry.py)
        splitter.addWidget(self.table)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.detail, 3)
        moves = QHBoxLayout()
        moves.addWidget(self.print_blank)
        moves.addWidget(self.ledger)
        moves.addStretch(1)
        moves.addWidget(self.change_state)
        moves.addWidget(self.post_sticker)
        side_layout.addLayout(moves)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(tr("units.evaluations")), 1)
        buttons.addWidget(self.new_evaluation)
        buttons.addWidget(self.open_evaluation)
        side_layout.addLayout(buttons)
        side_layout.addWidget(self.evaluations, 1)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([960, 400])
        splitter.setChildrenCollapsible(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        self.search.textChanged.connect(self._text_changed)
        self.search.returnPressed.connect(self.apply_filter)
        self.search.installEventFilter(self)
        self.table.activated.connect(self._open_unit)  # Enter or a double-click on a row
        new = QShortcut(QKeySequence.StandardKey.New, self)
        new.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        new.activated.connect(self.ask_new_evaluation)
        self._debounce.timeout.connect(self.apply_filter)
        for combo in (self.station_combo, self.type_combo, self.state_combo, self.industry_combo):
            combo.currentIndexChanged.connect(self._combo_changed)
        self.export_button.clicked.connect(lambda _checked=False: self.ask_export())
        for check in (self.not_evaluated, self.rectification_due):
            check.toggled.connect(lambda _on: self.apply_filter())
        self.add_unit.clicked.connect(self.ask_add_unit)
        self.model.loadingChanged.connect(self._update_status)
        self.model.refreshed.connect(self._update_status)
        self.model.refreshed.connect(self._select_pending)
        self.model.modelReset.connect(self._clear_detail)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.new_evaluation.clicked.connect(self.ask_new_evaluation)
        self.change_state.clicked.connect(self.ask_change_state)
        self.post_sticker.clicked.connect(self.ask_sticker)
        self.print_blank.clicked.connect(self.ask_print_blank)
        self.open_evaluation.clicked.connect(self._open_chosen)
        self.evaluations.itemActivated.connect(lambda _item: self._open_chosen())
        self.evaluations.currentRowChanged.connect(
            lambda row: self.open_evaluation.setEnabled(row >= 0)
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """↓ in the search box moves into the results."""
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and self.model.rowCount() > 0
        ):
            self.apply_filter()
            self.table.setFocus(Qt.FocusReason.TabFocusReason)
            row = self.table.currentIndex().row()
            self.table.selectRow(max(row, 0))
            return True
        return super().eventFilter(watched, event)

    def _open_unit(self, index: QModelIndex) -> None:
        """Enter or a double-click on a unit: its record shows, and the focus goes to its
        evaluations (or 新建评价) as soon as they are read."""
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        if self._unit is not None and self._unit.id == self.model.unit_id(index.row()):
            self._focus_actions()
        else:
            self._focus_after_detail = True

    def _focus_actions(self) -> None:
        self._focus_after_detail = False
        if self.evaluations.count():
            if self.evaluations.currentRow() < 0:
                self.evaluations.setCurrentRow(0)
            self.evaluations.setFocus(Qt.FocusReason.OtherFocusReason)
        elif self.new_evaluation.isEnabled():
            self.new_evaluation.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- loading ------------------------------------------------------------------------------

    def load(self) -> None:
        """Read the station list and the first page of units (both in the background)."""
        store = self._store
        self._runner.submit(lambda: operations.station_names(store), self._set_stations)
        self.model.set_filter(self.current_filter())

    def _set_stations(self, names: list[str]) -> None:
        chosen = self.station_combo.currentData()
        self.station_combo.blockSignals(True)
        try:
            self.station_combo.clear()
            self.station_combo.addItem(tr("units.all_stations"), None)
            for name in names:
                self.station_combo.addItem(name, name)
            index = self.station_combo.findData(chosen) if chosen else 0
            self.station_combo.setCurrentIndex(max(index, 0))
            _fit_popup(self.station_combo)
        finally:
            self.station_combo.blockSignals(False)

    def current_filter(self) -> UnitFilter:
        return UnitFilter(
            search=self.search.text().strip(),
            station=self.station_combo.currentData(),
            unit_type=self.type_combo.currentData(),
            state=self.state_combo.currentData(),
            industry=self.industry_combo.currentData(),
            not_evaluated_in=date.today().year if self.not_evaluated.isChecked() else None,
            rectification_due=self.rectification_due.isChecked(),
        )

    def apply_filter(self) -> None:
        self._debounce.stop()
        query = self.current_filter()
        if query != self.model.query:
            self.model.set_filter(query)

    def _text_changed(self, _text: str) -> None:
        self._debounce.start()

    def _combo_changed(self, _index: int) -> None:
        self.apply_filter()

    def _update_status(self, *_args: object) -> None:
        if self.model.loading:
            self.status.setText(tr("units.loading"))
        elif self.model.total == 0 and not _filtering(self.model.query):
            # A new store: say how to get units in rather than show an empty list.
            self.status.setText(tr("units.empty_store"))
        else:
            self.status.setText(tr("units.count", n=self.model.total))

    # --- detail -------------------------------------------------------------------------------

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self._clear_detail()
            return
        unit_id = self.model.unit_id(rows[0].row())
        self._detail_generation += 1
        generation, store = self._detail_generation, self._store
        self.detail.setPlainText(tr("detail.loading"))
        self._runner.submit(
            lambda: operations.unit_detail(store, unit_id),
            lambda detail: self._show_detail(generation, detail),
        )

    def _show_detail(self, generation: int, detail: UnitDetail | None) -> None:
        if generation != self._detail_generation:
            return
        if detail is None:
            self._clear_detail()
            return
        self._unit = detail
        self.new_evaluation.setEnabled(True)
        self.print_blank.setEnabled(True)
        state = State(detail.state) if detail.state else None
        self.change_state.setEnabled(bool(allowed_from(state)))
        self.post_sticker.setEnabled(state in CONFIRMED_STATES)
        self.detail.setHtml(render_detail(detail))
        self.ledger.show_for(detail.id, detail.unit_type, detail.name)
        self.load_evaluations()

    def _clear_detail(self) -> None:
        self._focus_after_detail = False
        self._detail_generation += 1
        self._unit = None
        self.new_evaluation.setEnabled(False)
        self.print_blank.setEnabled(False)
        self.change_state.setEnabled(False)
        self.post_sticker.setEnabled(False)
        self.ledger.show_for(None)
        self.evaluations.clear()
        self._drafts = (0, [])
        self.detail.clear()

    # --- evaluations of the selected unit ----------------------------------------------------

    @property
    def selected_unit(self) -> UnitDetail | None:
        return self._unit

    def load_evaluations(self) -> None:
        """Read the selected unit's evaluations again (after one was started or changed)."""

        unit = self._unit
        if unit is None:
            return
        generation, store = self._detail_generation, self._store
        self._runner.submit(
            lambda: operations.unit_evaluations(store, unit.id),
            lambda found: self._show_evaluations(generation, found),
        )

    def _show_evaluations(self, generation: int, found: list[operations.EvaluationSummary]) -> None:
        from fieldapp.ui import evaluation_model as em

        if generation != self._detail_generation:
            return
        self.evaluations.clear()
        unit = self._unit
        drafts = [s.id for s in found if s.status == em.DRAFT]
        self._drafts = (unit.id if unit else 0, drafts)
        for summary in reversed(found):  # newest first
            verdict = tr(f"verdict.{summary.verdict}") if summary.verdict else "—"
            text = tr(
                "units.evaluation_line",
                id=summary.id,
                date=summary.started_on,
                kind=em.kind_label(summary.kind),
                status=em.status_label(summary.status),
                verdict=verdict,
            )
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, summary.id)
            self.evaluations.addItem(item)
        self.open_evaluation.setEnabled(self.evaluations.currentRow() >= 0)
        if self._focus_after_detail:
            self._focus_actions()

    def _open_chosen(self) -> None:
        item = self.evaluations.currentItem()
        if item is not None:
            self.openEvaluation.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def default_inspector(self) -> str:
        return settings.load(self._store.folder).inspector_name or getpass.getuser()

    def ask_new_evaluation(self) -> NewEvaluationDialog | None:
        from fieldapp.ui.evaluation_view import NewEvaluationDialog

        unit = self._unit
        if unit is None:
            return None
        listed_for, drafts = self._drafts
        if listed_for == unit.id and drafts:
            # A draft is open for this unit: go on with it rather than start a second one.
            self.status.setText(tr("units.draft_opened", id=drafts[-1], unit=unit.name))
            self.openEvaluation.emit(drafts[-1])
            return None
        dialog = NewEvaluationDialog(
            unit.name,
            self.default_inspector(),
            self,
            library=self._store.library,
            unit_type=unit.unit_type,
            industry=unit.industry,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                added, left_out = dialog.adjustments()
                self.start_evaluation(
                    dialog.chosen_kind(), dialog.inspector.text(), add=added, remove=left_out
                )

        dialog.finished.connect(chosen)
        dialog.open()
        return dialog

    def start_evaluation(
        self,
        kind: str,
        inspector: str,
        add: list[str] | None = None,
        remove: list[str] | None = None,
    ) -> None:
        """Start an evaluation of the selected unit (on the writer thread), then open it."""

        unit = self._unit
        if unit is None:
            return
        store = self._store

        def started(evaluation_id: int) -> None:
            self.load_evaluations()
            self.openEvaluation.emit(evaluation_id)

        self._runner.submit_write(
            lambda: operations.start_evaluation(
                store, unit.id, kind, inspector, add or [], remove or []
            ),
            started,
        )

    def ask_print_blank(self) -> QFileDialog | None:
        """Save the selected unit's blank form (for a visit without the laptop) and open it."""
        from fieldapp.ui import printing

        unit = self._unit
        if unit is None:
            return None
        suggested = printing.reports_folder(self._store) / tr("print.blank_name", unit=unit.name)
        store, runner, code = self._store, self._runner, unit.credit_code
        return printing.ask_save_pdf(
            self,
            tr("print.blank_title"),
            suggested,
            lambda path: printing.print_blank(store, runner, code, Path(path)),
        )

    def ask_export(self) -> QFileDialog:
        """导出 Excel: every unit the filter lists (not only the rows loaded), as shown."""
        from fieldapp.ui import list_export
        from fieldapp.ui.unit_model import sorted_page

        store, query = self._store, self.model.query
        column = self.model.sort_column
        name = COLUMNS[column] if column >= 0 else "credit_code"
        descending = (
            self.table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        )

        def rows() -> list[list[str]]:
            if column < 0:
                found = operations.all_units(store, query)
            else:
                found = sorted_page(store, query, name, descending).rows
            return [[display(row, c) for c in COLUMNS] for row in found]

        return list_export.ask_export(
            self,
            self._store,
            self._runner,
            tr("units.export_name"),
            [tr(f"col.{c}") for c in COLUMNS],
            rows,
        )

    # --- lifecycle moves of the selected unit -----------------------------------------------

    def ask_change_state(self) -> LifecycleDialog | None:
        """Open the 变更状态 dialog; on OK the core applies (or refuses) the move."""
        from fieldapp.ui.lifecycle_dialog import LifecycleDialog

        unit = self._unit
        if unit is None:
            return None
        dialog = LifecycleDialog(unit, self, role=self.role())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(result: int) -> None:
            target = dialog.chosen()
            if result == QDialog.DialogCode.Accepted and target is not None:
                self.apply_state(
                    target,
                    dialog.reason_text(),
                    dialog.chosen_date(),
                    exit_reason=dialog.chosen_exit_reason(),
                    county_confirm=dialog.county_confirmed(),
                )

        dialog.finished.connect(chosen)
        dialog.open()
        return dialog

    def role(self) -> Role:
        return settings.load(self._store.folder).role

    def apply_state(
        self,
        target: State,
        reason: str,
        on: date,
        *,
        exit_reason: ExitReason | None = None,
        county_confirm: bool = False,
    ) -> None:

        unit = self._unit
        if unit is None:
            return
        store, actor, role = self._store, self.default_inspector(), self.role()
        self._runner.submit_write(
            lambda: operations.write_state(
                store,
                unit.id,
                target,
                actor=actor,
                reason=reason,
                on=on,
                exit_reason=exit_reason,
                county_confirm=county_confirm,
                role=role,
            ),
            self._unit_changed,
        )

    def ask_sticker(self) -> StickerDialog | None:
        """Open the 标识张贴 dialog (date and note) for a confirmed unit."""
        from fieldapp.ui.lifecycle_dialog import StickerDialog

        unit = self._unit
        if unit is None:
            return None
        dialog = StickerDialog(unit, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                self.apply_sticker(dialog.note_text(), dialog.chosen_date(), dialog.photo_path)

        dialog.finished.connect(chosen)
        dialog.open()
        return dialog

    def apply_sticker(self, note: str, on: date, photo: str | None = None) -> None:

        unit = self._unit
        if unit is None:
            return
        store, actor = self._store, self.default_inspector()
        self._runner.submit_write(
            lambda: operations.write_sticker(
                store, unit.id, actor=actor, note=note, on=on, photo=photo
            ),
            self._unit_changed,
        )

    # --- a unit found on site ------------------------------------------------------------------

    def station_list(self) -> list[str]:
        combo = self.station_combo
        return [str(combo.itemData(i)) for i in range(combo.count()) if combo.itemData(i)]

    def ask_add_unit(self) -> AddUnitDialog:
        """Open the 新增单位 form; it stays open until the core accepts the unit."""
        from fieldapp.ui.unit_form import AddUnitDialog

        station = settings.load(self._store.folder).station
        dialog = AddUnitDialog(self.station_list(), station, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.submitted.connect(lambda values: self.add_new_unit(dialog, values))
        dialog.open()
        return dialog

    def add_new_unit(self, dialog: AddUnitDialog, values: dict[str, str]) -> None:

        store, actor = self._store, self.default_inspector()

        def added(detail: UnitDetail) -> None:
            if isValid(dialog):
                dialog.saved()
            self.show_unit(detail)

        def refused(error: Exception) -> None:
            if not isValid(dialog):
                self._runner.report(error)
                return
            dialog.refused()
            show_error(dialog, describe(error))

        self._runner.submit_write(
            lambda: operations.write_new_unit(store, values, actor), added, refused
        )

    def show_unit(self, detail: UnitDetail) -> None:
        """List just this unit (by its credit code) and select it once the list is in."""
        self._search_alone(detail.credit_code, detail.id)

    def show_code(self, credit_code: str) -> None:
        """Search for ``credit_code`` alone, then select and focus its row (a worklist's or a
        hold-back list's row opened by Enter or a double-click)."""
        self._search_alone(credit_code, credit_code)

    def _search_alone(self, credit_code: str, select: int | str) -> None:
        self._select_after_refresh = select
        widgets = (
            self.search,
            self.station_combo,
            self.type_combo,
            self.state_combo,
            self.not_evaluated,
            self.rectification_due,
        )
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.search.setText(credit_code)
            for combo in (self.station_combo, self.type_combo, self.state_combo):
                combo.setCurrentIndex(0)
            self.not_evaluated.setChecked(False)
            self.rectification_due.setChecked(False)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._debounce.stop()
        self.model.set_filter(self.current_filter())  # refresh even if the filter is the same

    def _select_pending(self) -> None:
        wanted, self._select_after_refresh = self._select_after_refresh, None
        if wanted is None:
            return
        for row in range(self.model.rowCount()):
            found = (
                self.model.row_data(row).credit_code == wanted
                if isinstance(wanted, str)
                else self.model.unit_id(row) == wanted
            )
            if found:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
                self.table.setFocus(Qt.FocusReason.OtherFocusReason)
                return

    def refresh_unit(self, credit_code: str) -> None:
        """Another view changed this unit (a confirmed 后评价 proposal): show its new state."""
        store = self._store

        def shown(detail: UnitDetail | None) -> None:
            if detail is not None:
                self._unit_changed(detail)

        self._runner.submit(lambda: operations.unit_detail_by_code(store, credit_code), shown)

    def _unit_changed(self, detail: UnitDetail) -> None:
        """A write's fresh detail: update the list row, and the panel if it still shows the unit."""
        self.model.update_row(
            UnitRow(
                detail.id,
                detail.credit_code,
                detail.name,
                detail.station,
                detail.unit_type,
                detail.state,
                detail.address,
            )
        )
        if self._unit is not None and self._unit.id == detail.id:
            self._show_detail(self._detail_generation, detail)


def _field(label: str, value: object) -> str:
    shown = escape(str(value)) if value not in (None, "") else "—"
    return (
        f"<tr><td style='color:#666;padding-right:12px'>{escape(label)}</td><td>{shown}</td></tr>"
    )


def render_detail(unit: UnitDetail) -> str:
    """The unit's record and history as simple HTML (QTextBrowser's rich-text subset)."""
    state = state_label(unit.state) or "—"
    if unit.state_since:
        state += tr("detail.state_since", date=unit.state_since)
    contact = " ".join(p for p in (unit.contact_person, unit.contact_phone) if p)
    online = " ".join(p for p in (unit.online_shop_name, unit.online_platform) if p)
    fields = [
        _field(tr("col.credit_code"), unit.credit_code),
        _field(tr("detail.shop_name"), unit.shop_name),
        _field(tr("col.station"), unit.station),
        _field(tr("col.unit_type"), unit_type_label(unit.unit_type)),
        _field(tr("detail.industry"), industry_label(unit.industry)),
        _field(tr("col.address"), unit.address),
        _field(tr("detail.town"), unit.town),
        _field(tr("detail.contact"), contact),
        _field(tr("col.state"), state),
        _field(tr("detail.prudent"), tr("detail.prudent_yes") if unit.prudent else ""),
        _field(tr("detail.entered_on"), unit.entered_on),
        _field(tr("detail.sticker"), unit.sticker_posted_on),
    ]
    if online:
        fields.append(_field(tr("detail.online"), online))
    parts = [f"<h3>{escape(unit.name)}</h3>", "<table>", *fields, "</table>"]
    parts.append(f"<h4>{escape(tr('detail.history'))}</h4>")
    if not unit.events:
        parts.append(f"<p>{escape(tr('detail.no_history'))}</p>")
        return "".join(parts)
    heads = ("history.date", "history.change", "history.actor", "history.reason")
    parts.append("<table cellspacing='0' cellpadding='3' border='1' style='border-color:#ccc'>")
    parts.append("<tr>" + "".join(f"<th>{escape(tr(h))}</th>" for h in heads) + "</tr>")
    for event in unit.events:
        if event.kind == EventKind.STICKER:
            change = tr("history.sticker")
            if event.photo_sha256 is None:
                change += tr("history.sticker_no_photo")
        elif event.kind == EventKind.STATE:
            before = state_label(event.from_state) or tr("history.created")
            change = f"{before} → {state_label(event.to_state)}"
            if event.exit_reason:
                change += tr("history.exit_reason", reason=exit_reason_label(event.exit_reason))
            if event.county_confirmed:
                change += tr("history.county_confirmed")
        else:
            change = event.what
        why = event.reason
        if event.source and why and event.source.startswith(why):
            why = event.source  # "导入 名单.csv" said again with its row: once is enough
        elif event.source:
            why += tr("history.source", source=event.source)
        cells = "".join(f"<td>{escape(c)}</td>" for c in (change, event.actor, why))
        thumb = unit.thumbs.get(event.photo_sha256 or "")
        if thumb is not None:
            image = QUrl.fromLocalFile(thumb).toString()
            cells += f"<td><img src='{escape(image)}' height='64'></td>"
        parts.append(f"<tr><td nowrap>{event.occurred_on}</td>{cells}</tr>")
    parts.append("</table>")
    return "".join(parts)


def _fit_popup(combo: QComboBox) -> None:
    """The combo's list as wide as its longest entry, however narrow the combo is."""
    view = combo.view()
    view.setMinimumWidth(view.sizeHintForColumn(0) + 2 * view.frameWidth() + 16)


def _filtering(query: UnitFilter) -> bool:
    return any(
        (
            query.search,
            query.station,
            query.unit_type,
            query.state,
            query.industry,
            query.not_evaluated_in,
            query.rectification_due,
        )
    )
