"""The 村级联络站's case ledger (台账) in the window: record and correct a 联络站's cases.

:class:`CasesDialog` lists a year's cases with its totals and edits one at a time; every read
and write is a job of the task runner (``operations.case_ledger`` on the read pool,
``operations.write_case`` on the writer thread), and a refusal of the core's rule is shown in the
dialog, which stays open. :class:`LedgerButton` is the 联络站 page's button (the year's count and
挽回经济损失 on it); :class:`LedgerLink` puts the same count under the evaluation's 有台账记录 item,
as a link that opens the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from fieldapp import settings
from fieldapp.domain import cases as rule
from fieldapp.domain.vocab import UnitType
from fieldapp.ui import operations
from fieldapp.ui.strings import tr

if TYPE_CHECKING:  # the services (and SQLAlchemy) load with the first job, not with the window
    from fieldapp.services.cases import CaseRow, Ledger
    from fieldapp.store import Store
    from fieldapp.ui.tasks import TaskRunner

COLUMNS = ("type", "consultant", "consulted", "description", "handled", "result", "recovered")
LEDGER_ITEM = "有台账记录"  # the 六有 item of the 联络站 module that the ledger stands behind
TIME_FORMAT = "yyyy-MM-dd HH:mm"


def _money(fen: int) -> str:
    return rule.yuan(fen)


class CaseTableModel(QAbstractTableModel):
    """A year's cases, as read (a few dozen rows a year)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: tuple[CaseRow, ...] = ()

    def set_rows(self, rows: tuple[CaseRow, ...]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return tr(f"cases.col.{COLUMNS[section]}")
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            synced = tr("cases.synced_yes") if row.synced else tr("cases.synced_no")
            return "\n".join(x for x in (synced, row.sync_conflict or "", row.description) if x)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        column = COLUMNS[index.column()]
        values = {
            "type": row.case_type.label,
            "consultant": row.consultant,
            "consulted": f"{row.consulted_at:%Y-%m-%d %H:%M}",
            "description": row.description.replace("\n", " "),
            "handled": f"{row.handled_at:%Y-%m-%d %H:%M}"
            if row.handled_at
            else tr("cases.not_handled"),
            "result": row.result.replace("\n", " "),
            "recovered": _money(row.recovered_fen),
        }
        return values[column]


def _qt(value: datetime) -> QDateTime:
    return QDateTime(value.replace(tzinfo=None, second=0, microsecond=0))


@dataclass(frozen=True)
class Form:
    """What the form holds, before the rule has looked at it."""

    fields: rule.CaseFields | None
    problem: str = ""


class CasesDialog(QDialog):
    """A 联络站's ledger for a year: the list, its totals and a form for one case."""

    saved = Signal()

    def __init__(
        self,
        store: Store,
        runner: TaskRunner,
        unit_id: int,
        unit_name: str,
        parent: QWidget | None = None,
        year: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("casesDialog")
        self.setWindowTitle(tr("cases.title", unit=unit_name))
        self._store = store
        self._runner = runner
        self.unit_id = unit_id
        self.editing: int | None = None  # the case in the form (None: a new one)
        self.ledger: Ledger | None = None

        self.totals = QLabel()
        self.totals.setObjectName("caseTotals")
        self.year = QSpinBox()
        self.year.setObjectName("caseYear")
        self.year.setRange(rule.EARLIEST_YEAR, 2200)
        self.year.setValue(year or date.today().year)
        self.model = CaseTableModel(self)
        self.table = QTableView()
        self.table.setObjectName("cases")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)

        self.case_type = QComboBox()
        self.case_type.setObjectName("caseType")
        for case_type in rule.CaseType:
            self.case_type.addItem(case_type.label, case_type.value)
        self.consultant = QLineEdit()
        self.consultant.setObjectName("caseConsultant")
        self.consulted = QDateTimeEdit()
        self.consulted.setObjectName("caseConsulted")
        self.handled = QCheckBox(tr("cases.handled_check"))
        self.handled.setObjectName("caseHandled")
        self.handled_at = QDateTimeEdit()
        self.handled_at.setObjectName("caseHandledAt")
        for edit in (self.consulted, self.handled_at):
            edit.setDisplayFormat(TIME_FORMAT)
            edit.setCalendarPopup(True)
        self.description = QPlainTextEdit()
        self.description.setObjectName("caseDescription")
        self.result_text = QPlainTextEdit()
        self.result_text.setObjectName("caseResult")
        for box in (self.description, self.result_text):
            box.setTabChangesFocus(True)
            box.setFixedHeight(self.fontMetrics().height() * 4)
        self.recovered = QLineEdit()
        self.recovered.setObjectName("caseRecovered")
        self.recovered.setPlaceholderText("0.00")
        self.error = QLabel()
        self.error.setObjectName("caseError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color:#c62828")
        self.new_button = QPushButton(tr("cases.new"))
        self.new_button.setObjectName("caseNew")
        self.save_button = QPushButton(tr("cases.save"))
        self.save_button.setObjectName("caseSave")
        self.save_button.setDefault(True)
        self._layout()
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._pick())
        self.year.valueChanged.connect(lambda _v: self.reload())
        self.handled.toggled.connect(self.handled_at.setEnabled)
        self.new_button.clicked.connect(lambda _c=False: self.clear_form())
        self.save_button.clicked.connect(lambda _c=False: self.save())
        self.resize(900, 620)
        self.clear_form()
        self.reload()

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.totals, 1)
        top.addWidget(QLabel(tr("cases.year")))
        top.addWidget(self.year)
        form = QFormLayout()
        form.addRow(tr("cases.col.type"), self.case_type)
        form.addRow(tr("cases.col.consultant"), self.consultant)
        form.addRow(tr("cases.col.consulted"), self.consulted)
        form.addRow(tr("cases.col.description"), self.description)
        handled = QHBoxLayout()
        handled.addWidget(self.handled)
        handled.addWidget(self.handled_at, 1)
        form.addRow(tr("cases.col.handled"), handled)
        form.addRow(tr("cases.col.result"), self.result_text)
        form.addRow(tr("cases.col.recovered"), self.recovered)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)

    # --- reading --------------------------------------------------------------------------------

    def reload(self) -> None:
        store, unit_id, year = self._store, self.unit_id, self.year.value()
        self._runner.submit(lambda: operations.case_ledger(store, unit_id, year), self.show_ledger)

    def show_ledger(self, ledger: Ledger) -> None:
        if not isValid(self):  # closed before the read came back
            return
        self.ledger = ledger
        totals = ledger.totals
        self.totals.setText(
            tr(
                "cases.totals",
                year=totals.year,
                n=totals.cases,
                handled=totals.handled,
                money=totals.recovered,
            )
        )
        self.model.set_rows(ledger.rows)
        self.table.resizeColumnsToContents()

    # --- the form -------------------------------------------------------------------------------

    def clear_form(self) -> None:
        self.editing = None
        self.table.clearSelection()
        self.case_type.setCurrentIndex(0)
        self.consultant.clear()
        now = datetime.now()
        self.consulted.setDateTime(_qt(now))
        self.description.clear()
        self.handled.setChecked(False)
        self.handled_at.setDateTime(_qt(now))
        self.handled_at.setEnabled(False)
        self.result_text.clear()
        self.recovered.clear()
        self.error.clear()
        self.consultant.setFocus()

    def _pick(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        row = self.model.rows[rows[0].row()]
        self.editing = row.id
        self.case_type.setCurrentIndex(self.case_type.findData(row.case_type.value))
        self.consultant.setText(row.consultant)
        self.consulted.setDateTime(_qt(row.consulted_at))
        self.description.setPlainText(row.description)
        self.handled.setChecked(row.handled_at is not None)
        self.handled_at.setDateTime(_qt(row.handled_at or datetime.now()))
        self.handled_at.setEnabled(row.handled_at is not None)
        self.result_text.setPlainText(row.result)
        self.recovered.setText(_money(row.recovered_fen) if row.recovered_fen else "")
        self.error.setText(row.sync_conflict or "")

    def form(self) -> Form:
        try:
            recovered = rule.parse_yuan(self.recovered.text())
        except ValueError as refused:
            return Form(None, str(refused))
        consulted: datetime = self.consulted.dateTime().toPython()  # type: ignore[assignment]
        handled: datetime = self.handled_at.dateTime().toPython()  # type: ignore[assignment]
        return Form(
            rule.CaseFields(
                case_type=rule.CaseType(self.case_type.currentData()),
                consultant=self.consultant.text(),
                consulted_at=consulted,
                description=self.description.toPlainText(),
                handled_at=handled if self.handled.isChecked() else None,
                result=self.result_text.toPlainText(),
                recovered_fen=recovered,
            )
        )

    def save(self) -> None:
        """Check the form with the domain's rule here (to say at once what is wrong), then
        write it on the writer thread, where the rule holds again."""
        form = self.form()
        if form.fields is None:
            self.error.setText(form.problem)
            return
        problems = rule.problems(form.fields, UnitType.VILLAGE_STATION)
        if problems:
            self.error.setText("；".join(problems))
            return
        store, unit_id, case_id, fields = self._store, self.unit_id, self.editing, form.fields
        by = settings.load(store.folder).inspector_name
        year = self.year.value()
        self.save_button.setEnabled(False)
        self._runner.submit_write(
            lambda: operations.write_case(store, unit_id, case_id, fields, by, year),
            self._saved,
            self._refused,
        )

    def _saved(self, ledger: Ledger) -> None:
        if not isValid(self):  # saved; closed before it could say so
            return
        self.save_button.setEnabled(True)
        self.show_ledger(ledger)
        self.clear_form()
        self.error.setText(tr("cases.saved"))
        self.saved.emit()

    def _refused(self, error: Exception) -> None:
        if not isValid(self):
            return
        self.save_button.setEnabled(True)
        self.error.setText(str(error))


class LedgerButton(QPushButton):
    """The 联络站 page's button: the year's count and 挽回经济损失 on it; a click opens the
    ledger. Hidden for a unit of another type."""

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(tr("cases.button"), parent)
        self.setObjectName("caseLedger")
        self._store = store
        self._runner = runner
        self._unit: tuple[int, str] | None = None
        self._asked = 0
        self.dialog: CasesDialog | None = None
        self.setVisible(False)
        self.clicked.connect(lambda _c=False: self.open())

    def show_for(self, unit_id: int | None, unit_type: str = "", name: str = "") -> None:
        self._asked += 1
        if unit_id is None or unit_type != UnitType.VILLAGE_STATION:
            self._unit = None
            self.setVisible(False)
            return
        self._unit = (unit_id, name)
        self.setText(tr("cases.button"))
        self.setVisible(True)
        asked, store, year = self._asked, self._store, date.today().year
        self._runner.submit(
            lambda: operations.case_ledger(store, unit_id, year),
            lambda ledger: self._counted(asked, ledger),
        )

    def _counted(self, asked: int, ledger: Ledger) -> None:
        if not isValid(self) or asked != self._asked:
            return
        totals = ledger.totals
        self.setText(
            tr("cases.button_counts", year=totals.year, n=totals.cases, money=totals.recovered)
        )

    def open(self) -> CasesDialog | None:
        if self._unit is None:
            return None
        unit_id, name = self._unit
        dialog = CasesDialog(self._store, self._runner, unit_id, name, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda: self.show_for(unit_id, UnitType.VILLAGE_STATION, name))
        self.dialog = dialog
        dialog.show()
        return dialog


class LedgerLink(QObject):
    """The ledger behind an evaluation's 有台账记录 item: its count as a link in the item's
    detail, which opens the ledger."""

    changed = Signal()

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._parent = parent
        self.ledger: Ledger | None = None
        self._code = ""
        self.dialog: CasesDialog | None = None

    def load(self, credit_code: str) -> None:
        """Read the evaluated unit's ledger (nothing shows for a unit that is no 联络站)."""
        if credit_code == self._code and self.ledger is not None:
            return
        self._code = credit_code
        store, year = self._store, date.today().year
        self._runner.submit(
            lambda: operations.case_ledger(store, None, year, credit_code), self._loaded
        )

    def _loaded(self, ledger: Ledger) -> None:
        if isValid(self):  # its evaluation's tab may have closed meanwhile
            self.ledger = ledger
            self.changed.emit()

    def html(self, item_text: str) -> str:
        """The link for the item ``item_text`` ("" unless it is 有台账记录 of a 联络站)."""
        ledger = self.ledger
        if ledger is None or ledger.unit_id is None or LEDGER_ITEM not in item_text:
            return ""
        totals = ledger.totals
        text = tr("cases.eval_link", n=totals.cases, money=totals.recovered)
        return f"<a href='ledger'>{escape(text)}</a>"

    def open(self, _link: str = "") -> CasesDialog | None:
        ledger = self.ledger
        if ledger is None or ledger.unit_id is None:
            return None
        dialog = CasesDialog(
            self._store, self._runner, ledger.unit_id, ledger.unit_name, self._parent.window()
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda: self._refresh())
        self.dialog = dialog
        dialog.show()
        return dialog

    def _refresh(self) -> None:
        code, self._code = self._code, ""
        self.load(code)
