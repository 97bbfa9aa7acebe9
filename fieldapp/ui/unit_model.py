"""The unit list as a lazy table model: a county's 50,000 units without 50,000 of anything.

The model keeps the total count and the rows fetched so far, a page at a time (Anki's browser
keeps only ids and fills a cache the same way). ``rowCount`` grows as the view scrolls: the view
calls ``fetchMore`` when it reaches the last loaded row, and the next page is read on a worker
thread. A new filter counts and reads the first page in one job; answers to an older filter or
page are dropped by a generation number, so a fast typist never sees stale rows.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from fieldapp.store import Store
from fieldapp.ui import operations
from fieldapp.ui.operations import Page, UnitRow
from fieldapp.ui.strings import state_label, tr, unit_type_label
from fieldapp.ui.tasks import TaskRunner
from fieldapp.views.units import UnitFilter

UNIT_ID_ROLE = Qt.ItemDataRole.UserRole + 1

COLUMNS = ("credit_code", "name", "station", "unit_type", "state", "address")

AnyIndex = QModelIndex | QPersistentModelIndex


class UnitTableModel(QAbstractTableModel):
    """Units matching a :class:`UnitFilter`, fetched in pages as the view scrolls."""

    refreshed = Signal()  # a new filter's count and first page are in
    loadingChanged = Signal(bool)

    def __init__(
        self,
        store: Store,
        runner: TaskRunner,
        *,
        page_size: int = 200,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._page_size = page_size
        self._query = UnitFilter()
        self._rows: list[UnitRow] = []
        self._total = 0
        self._generation = 0
        self._loading = False
        self._fetching_at: int | None = None  # offset of the page being read, if any
        # A column sort (header click): every matching row is read and sorted off the UI
        # thread; (-1, …) is the id order, read a page at a time.
        self._sort: tuple[int, Qt.SortOrder] = (-1, Qt.SortOrder.AscendingOrder)

    # --- state the window shows -------------------------------------------------------------

    @property
    def query(self) -> UnitFilter:
        return self._query

    @property
    def total(self) -> int:
        """How many units match the filter (rowCount is only how many are loaded)."""
        return self._total

    @property
    def loading(self) -> bool:
        return self._loading

    def unit_id(self, row: int) -> int:
        return self._rows[row].id

    def row_data(self, row: int) -> UnitRow:
        return self._rows[row]

    def update_row(self, row: UnitRow) -> None:
        """Show a unit's changed fields in place (it stays listed until the next filter)."""
        for number, shown in enumerate(self._rows):
            if shown.id == row.id:
                self._rows[number] = row
                last = self.columnCount() - 1
                self.dataChanged.emit(self.index(number, 0), self.index(number, last))
                return

    # --- filtering ----------------------------------------------------------------------------

    def set_filter(self, query: UnitFilter) -> None:
        """Count and read the first page for ``query`` in the background; rows stay until then."""
        self._query = query
        self._generation += 1
        self._fetching_at = None
        generation = self._generation
        self._set_loading(True)
        store, limit = self._store, self._page_size
        column, order = self._sort
        if column >= 0:
            name, descending = COLUMNS[column], order == Qt.SortOrder.DescendingOrder
            self._runner.submit(
                lambda: sorted_page(store, query, name, descending),
                lambda page: self._first_page_arrived(generation, page),
                lambda error: self._failed(generation, error),
            )
            return
        self._runner.submit(
            lambda: operations.first_page(store, query, limit),
            lambda page: self._first_page_arrived(generation, page),
            lambda error: self._failed(generation, error),
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by a column (the header's click): the whole filtered list, read again."""
        column = column if 0 <= column < len(COLUMNS) else -1
        if (column, order) == self._sort:
            return
        self._sort = (column, order)
        self.refresh()

    @property
    def sort_column(self) -> int:
        return self._sort[0]

    def refresh(self) -> None:
        self.set_filter(self._query)

    def _first_page_arrived(self, generation: int, page: Page) -> None:
        if generation != self._generation:
            return
        self.beginResetModel()
        self._rows = list(page.rows)
        self._total = max(page.total, len(page.rows))
        self.endResetModel()
        self._set_loading(False)
        self.refreshed.emit()

    def _failed(self, generation: int, error: Exception) -> None:
        if generation == self._generation:
            self._fetching_at = None
            self._set_loading(False)
        self._runner.report(error)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loadingChanged.emit(loading)

    # --- lazy loading -------------------------------------------------------------------------

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._fetching_at is not None or not self.canFetchMore():
            return
        offset, generation = len(self._rows), self._generation
        self._fetching_at = offset
        store, query, limit = self._store, self._query, self._page_size
        after_id = self._rows[-1].id if self._rows else 0
        self._runner.submit(
            lambda: operations.fetch_units(store, query, after_id, limit),
            lambda rows: self._page_arrived(generation, offset, rows),
            lambda error: self._failed(generation, error),
        )

    def _page_arrived(self, generation: int, offset: int, rows: list[UnitRow]) -> None:
        if generation != self._generation or offset != len(self._rows):
            return
        self._fetching_at = None
        if not rows:
            # Units were removed since the count: stop asking for more.
            self._total = len(self._rows)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(rows)
        self._total = max(self._total, len(self._rows))
        self.endInsertRows()

    # --- QAbstractTableModel ------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == UNIT_ID_ROLE:
            return row.id
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return display(row, COLUMNS[index.column()])
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return tr(f"col.{COLUMNS[section]}")
        return super().headerData(section, orientation, role)


def sorted_page(store: Store, query: UnitFilter, column: str, descending: bool) -> Page:
    """Every unit matching ``query``, sorted by what ``column`` shows (type and state by their
    labels), ties in id order (a worker-thread job)."""
    rows = operations.all_units(store, query)
    rows.sort(key=lambda r: r.id)
    rows.sort(key=lambda r: display(r, column), reverse=descending)
    return Page(query, len(rows), rows)


def display(row: UnitRow, column: str) -> str:
    """A cell as the list shows it (type and state by their labels)."""
    if column == "unit_type":
        return unit_type_label(row.unit_type)
    if column == "state":
        return state_label(row.state)
    return str(getattr(row, column))
