"""Printing from the window: one evaluation's sheet, a batch of sheets, a blank form.

The PDFs are made by the core (``fieldapp.reports``) on a worker thread; the window asks where to
save, shows progress with a cancel button for batches, and then opens the PDF in the system's
viewer, from which the inspector prints (Qt cannot print a PDF itself without QtPdf, which is not in
PySide6-Essentials, and the system viewer's print dialog knows the office printer best).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import cast

from PySide6.QtCore import QDate, QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import Store
from fieldapp.ui.errors import describe, show_error
from fieldapp.ui.strings import tr
from fieldapp.ui.tasks import TaskRunner


def open_document(path: Path) -> None:
    """Open a written PDF (or a folder of them) in the system's viewer; with none, say where it
    is and offer 打开所在文件夹."""
    from fieldapp.ui.print_preview import open_or_tell

    open_or_tell(Path(path))


def reports_folder(store: Store) -> Path:
    """Where the save dialogs start: ``<data>/报表``, made on first use."""
    folder = store.folder / tr("print.folder")
    folder.mkdir(exist_ok=True)
    return folder


class JobProgress(QObject):
    """Progress and cancel for one background job: ``report`` and ``cancelled`` are called from
    the worker thread; ``advanced`` is delivered on the UI thread (queued by Qt)."""

    advanced = Signal(int, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cancel_event = threading.Event()

    def report(self, done: int, total: int) -> None:
        self.advanced.emit(done, total)

    def cancel(self) -> None:
        self.cancel_event.set()

    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


def ask_save_pdf(
    parent: QWidget,
    title: str,
    suggested: Path,
    chosen: Callable[[str], object],
    *,
    kind: str = "pdf",
) -> QFileDialog:
    """A non-blocking save dialog for a PDF (or ``kind="xlsx"``); ``chosen(path)`` gets the answer."""
    dialog = QFileDialog(parent, title, str(suggested))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setNameFilter(tr(f"print.{kind}_filter"))
    dialog.setDefaultSuffix(kind)
    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog


def print_sheet(store: Store, runner: TaskRunner, evaluation_id: int, out: Path) -> None:
    """Write one evaluation's sheet to ``out`` in the background, then open it."""

    def work() -> Path:
        from fieldapp.reports import batch  # ReportLab loads on the first print, not at start

        return batch.write_sheets(store, [evaluation_id], out)[0]

    runner.submit_long(work, open_document)  # PDF work never holds the read pool


def print_blank(store: Store, runner: TaskRunner, credit_code: str, out: Path) -> None:
    """Write the blank form of a unit to ``out`` in the background, then open it."""

    def work() -> Path:
        from fieldapp.reports.blank import write_blank

        return write_blank(store, credit_code, out)

    runner.submit_long(work, open_document)


class BatchPrintDialog(QDialog):
    """Print the sheets of a day, a date range, a station or a unit: one PDF or one file each."""

    def __init__(
        self,
        store: Store,
        runner: TaskRunner,
        stations: list[str],
        parent: QWidget | None = None,
        unit_code: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("batchPrintDialog")
        self.setWindowTitle(tr("print.batch_title"))
        self._store = store
        self._runner = runner
        self.job: JobProgress | None = None
        self.written: list[Path] = []
        today = date.today()
        self.since = QDateEdit(QDate(today.year, today.month, today.day))
        self.until = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.station = QComboBox()
        self.station.setObjectName("station")
        self.station.addItem(tr("units.all_stations"), None)
        for name in stations:
            self.station.addItem(name, name)
        self.unit = QLineEdit(unit_code)
        self.unit.setObjectName("unit")
        self.unit.setPlaceholderText(tr("print.unit_hint"))
        self.drafts = QCheckBox(tr("print.include_drafts"))
        self.one_pdf = QRadioButton(tr("print.one_pdf"))
        self.each_file = QRadioButton(tr("print.each_file"))
        self.one_pdf.setChecked(True)
        self.output = QLineEdit(str(reports_folder(store) / tr("print.batch_name", day=today)))
        self.output.setObjectName("output")
        browse = QPushButton(tr("print.browse"))
        browse.clicked.connect(self._browse)
        self.one_pdf.toggled.connect(self._mode_changed)
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.hide()
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.print_button = self.buttons.addButton(
            tr("print.start"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.print_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)

        dates = QHBoxLayout()
        dates.addWidget(self.since)
        dates.addWidget(QLabel("—"))
        dates.addWidget(self.until)
        mode = QHBoxLayout()
        mode.addWidget(self.one_pdf)
        mode.addWidget(self.each_file)
        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(browse)
        form = QFormLayout()
        form.addRow(tr("print.dates"), dates)
        form.addRow(tr("col.station"), self.station)
        form.addRow(tr("print.unit"), self.unit)
        form.addRow("", self.drafts)
        form.addRow(tr("print.mode"), mode)
        form.addRow(tr("print.output"), out_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())

    def _mode_changed(self, one_pdf: bool) -> None:
        path = Path(self.output.text())
        self.output.setText(str(path.with_suffix(".pdf") if one_pdf else path.with_suffix("")))

    def _browse(self) -> None:
        if self.one_pdf.isChecked():
            ask_save_pdf(self, tr("print.output"), Path(self.output.text()), self.output.setText)
        else:
            dialog = QFileDialog(self, tr("print.output"), str(Path(self.output.text()).parent))
            dialog.setFileMode(QFileDialog.FileMode.Directory)
            dialog.fileSelected.connect(self.output.setText)
            dialog.open()

    def start(self) -> None:
        """Select the evaluations and print them on a worker thread, with progress."""
        if self.job is not None:
            return
        store = self._store
        since = cast(date, self.since.date().toPython())  # the stubs say object
        until = cast(date, self.until.date().toPython())
        station = self.station.currentData()
        unit = self.unit.text().strip() or None
        drafts = self.drafts.isChecked()
        each = self.each_file.isChecked()
        out = Path(self.output.text().strip())
        job = self.job = JobProgress(self)
        job.advanced.connect(self._advanced)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.print_button.setEnabled(False)
        self.status.setText(tr("print.selecting"))

        def work() -> list[Path]:
            from fieldapp.reports import batch
            from fieldapp.ui import operations

            ids = operations.select_evaluations(
                store,
                since=since,
                until=until,
                station=station,
                unit_code=unit,
                include_drafts=drafts,
            )
            return batch.write_sheets(
                store,
                ids,
                out,
                one_file_each=each,
                progress=job.report,
                cancelled=job.cancelled,
            )

        # A long job: closing the window sets its cancel event, as the dialog's 取消 does.
        self._runner.submit_long(work, self._done, self._failed, cancel=job.cancel_event)

    def _advanced(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.status.setText(tr("print.progress", done=done, total=total))

    def _done(self, written: list[Path]) -> None:
        self.job = None
        self.written = written
        self.print_button.setEnabled(True)
        self.status.setText(tr("print.done", n=len(written), where=self.output.text()))
        target = written[0] if len(written) == 1 else Path(self.output.text())
        open_document(target)
        self.accept()

    def _failed(self, error: Exception) -> None:
        from fieldapp.reports import batch

        self.job = None
        self.print_button.setEnabled(True)
        self.progress.hide()
        message = describe(error)  # once: it logs an unexpected error's traceback
        self.status.setText(message)
        if not isinstance(error, batch.Cancelled):
            show_error(self, message)

    def cancel(self) -> None:
        """Stop a running batch (nothing half-written is left), or close the dialog."""
        if self.job is not None:
            self.job.cancel()
            self.status.setText(tr("print.cancelling"))
        else:
            self.reject()
