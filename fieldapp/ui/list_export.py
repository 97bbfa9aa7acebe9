"""导出 Excel for any list of the window: ask where (non-blocking), read the rows and write the
workbook off the UI thread (:mod:`fieldapp.reports.list_export`), then open it.

A list the window holds whole (a worklist, hold-backs, refused sync records) passes its rows as
shown (:func:`table_rows`); the unit list passes a job that reads every matching unit, since only
the rows scrolled to so far are loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QTableView, QWidget

from fieldapp.store import Store
from fieldapp.ui import printing
from fieldapp.ui.strings import tr
from fieldapp.ui.tasks import TaskRunner

Rows = list[list[str]]


def table_rows(table: QTableView) -> tuple[list[str], Rows]:
    """A table's visible headers and every row's cells, as shown."""
    model = table.model()
    columns = [c for c in range(model.columnCount()) if not table.isColumnHidden(c)]
    headers = [
        str(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
        for c in columns
    ]
    rows = [
        [str(model.index(r, c).data(Qt.ItemDataRole.DisplayRole) or "") for c in columns]
        for r in range(model.rowCount())
    ]
    return headers, rows


def ask_export(
    parent: QWidget,
    store: Store,
    runner: TaskRunner,
    name: str,
    headers: Sequence[str],
    rows: Callable[[], Rows] | Rows,
) -> QFileDialog:
    """Ask where to save ``name``-date.xlsx; ``rows`` is the rows, or a job that reads them."""
    suggested = printing.reports_folder(store) / f"{name}-{date.today().isoformat()}.xlsx"
    shown = list(headers)

    def write(out: Path) -> Path:
        from fieldapp.reports.list_export import write_list_xlsx

        found = rows() if callable(rows) else rows
        return write_list_xlsx(out, name, shown, found)

    return printing.ask_save_pdf(
        parent,
        tr("export.title", name=name),
        suggested,
        lambda path: runner.submit_long(lambda: write(Path(path)), printing.open_document),
        kind="xlsx",
    )


def export_table(
    parent: QWidget, store: Store, runner: TaskRunner, name: str, table: QTableView
) -> QFileDialog:
    """导出 Excel for a table the window holds whole."""
    headers, rows = table_rows(table)
    return ask_export(parent, store, runner, name, headers, rows)
