"""Sync with the county server from the window: a status indicator and the sync dialog.

The indicator in the status bar shows how many finalised evaluations wait to be synced, when the
last sync was, and whether the last attempt failed; its button opens the dialog, which runs
``fieldapp.sync.client.run_sync`` on a worker thread with progress and cancel, shows the summary
and the ledger of batches ("23 份评价，412 张照片，3 张待传") and the evaluations the station or
county returned with their comments.

The sync job runs on the read pool, not the single writer thread: it can take minutes, and the
inspector's own edits must not queue behind it. Its writes are short transactions (a receipt, a
page of pulled units), which SQLite serialises with the writer's.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.store import Store
from fieldapp.ui.errors import describe
from fieldapp.ui.operations import SyncStatus, read_status
from fieldapp.ui.plain_errors import has_details, plain
from fieldapp.ui.strings import tr
from fieldapp.ui.tasks import Changes, TaskRunner

if TYPE_CHECKING:
    # The sync client (and requests behind it) loads at the first sync, not at window start.
    from fieldapp.sync.client import SyncReport

OK_COLOUR, WAITING_COLOUR, ERROR_COLOUR = "#2e7d32", "#d9822b", "#b03a2e"


def _when(moment: datetime | None) -> str:
    if moment is None:
        return tr("sync.never")
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class SyncIndicator(QWidget):
    """Status-bar widget: a coloured dot, the pending count and last sync, and a sync button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncIndicator")
        self.dot = QLabel("●")
        self.text = QLabel(tr("sync.unknown"))
        self.text.setObjectName("syncText")
        self.button = QPushButton(tr("sync.button"))
        self.button.setObjectName("syncButton")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.dot)
        layout.addWidget(self.text)
        layout.addWidget(self.button)
        self.error = ""

    def show_status(self, status: SyncStatus) -> None:
        if not status.configured:
            colour, text = WAITING_COLOUR, tr("sync.not_configured")
        else:
            colour = WAITING_COLOUR if status.pending else OK_COLOUR
            text = tr("sync.status", pending=status.pending, last=_when(status.last_sync))
        if status.returned:
            text += tr("sync.returned_count", n=len(status.returned))
        if self.error:
            colour, text = ERROR_COLOUR, text + tr("sync.last_error")
            self.text.setToolTip(self.error)
        self.dot.setStyleSheet(f"color:{colour}")
        self.text.setText(text)


class _SyncSignals(QObject):
    progressed = Signal(str, int, int)


class SyncDialog(QDialog):
    """Run a sync with progress and cancel; show the summary, the ledger and returned work."""

    finishedSync = Signal(object)  # the SyncReport, or the error

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncDialog")
        self.setWindowTitle(tr("sync.title"))
        self._store = store
        self._runner = runner
        self._cancel = threading.Event()
        self._signals = _SyncSignals(self)
        self._signals.progressed.connect(self._progressed)
        self.running = False
        self.report: SyncReport | None = None
        self.server = QLabel()
        self.server.setObjectName("server")
        self.server.setWordWrap(True)
        self.stage = QLabel()
        self.stage.setObjectName("stage")
        self.progress = QProgressBar()
        self.progress.setObjectName("progress")
        self.progress.hide()
        self.summary = QPlainTextEdit()
        self.summary.setObjectName("summary")
        self.summary.setReadOnly(True)
        self.summary.setMaximumHeight(120)
        # HTTP codes and record ids stay out of the summary; 详细信息 shows the whole text.
        self.details_button = QPushButton(tr("sync.details"))
        self.details_button.setObjectName("syncDetails")
        self.details_button.setCheckable(True)
        self.details_button.hide()
        self.details = QPlainTextEdit()
        self.details.setObjectName("syncDetailsText")
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(80)
        self.details.hide()
        self.details_button.toggled.connect(self.details.setVisible)
        self.returned = QPlainTextEdit()
        self.returned.setObjectName("returned")
        self.returned.setReadOnly(True)
        self.returned.setMaximumHeight(90)
        self.ledger = QTableWidget(0, 4)
        self.ledger.setObjectName("ledger")
        self.ledger.setHorizontalHeaderLabels(
            [
                tr("sync.col_time"),
                tr("sync.col_source"),
                tr("sync.col_content"),
                tr("sync.col_result"),
            ]
        )
        self.ledger.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.ledger.verticalHeader().hide()
        self.ledger.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.ledger.horizontalHeader().setStretchLastSection(True)
        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton(
            tr("sync.start"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.start_button.setObjectName("startSync")
        self.cancel_button = self.buttons.addButton(
            tr("sync.cancel"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.cancel_button.setEnabled(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.server)
        layout.addWidget(self.stage)
        layout.addWidget(self.progress)
        layout.addWidget(QLabel(tr("sync.summary")))
        layout.addWidget(self.summary)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.details)
        layout.addWidget(QLabel(tr("sync.returned")))
        layout.addWidget(self.returned)
        layout.addWidget(QLabel(tr("sync.ledger")))
        layout.addWidget(self.ledger, 1)
        layout.addWidget(self.buttons)
        self.resize(720, 560)
        self.refresh()

    def refresh(self) -> None:
        store = self._store
        self._runner.submit(lambda: read_status(store), self.show_status)

    def show_status(self, status: SyncStatus) -> None:
        if status.configured:
            self.server.setText(
                tr(
                    "sync.server",
                    server=status.server,
                    pending=status.pending,
                    last=_when(status.last_sync),
                )
            )
        else:
            self.server.setText(tr("sync.not_configured_long"))
        self.start_button.setEnabled(status.configured and not self.running)
        self.returned.setPlainText(
            "\n".join(
                tr("sync.returned_line", id=r.evaluation_id, unit=r.unit, comment=r.comment)
                for r in status.returned
            )
            or tr("sync.none_returned")
        )
        self.ledger.setRowCount(len(status.ledger))
        for row, entry in enumerate(status.ledger):
            result = tr(f"sync.batch_{entry.status}")
            if entry.error:
                result += f"：{plain(entry.error)}"
            values = (
                _when(entry.started_at),
                tr(f"sync.source_{entry.source}"),
                entry.text(),
                result,
            )
            for column, value in enumerate(values):
                self.ledger.setItem(row, column, QTableWidgetItem(value))

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self._cancel.clear()
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.stage.setText(tr("sync.connecting"))
        store, signals, cancel = self._store, self._signals, self._cancel

        def work() -> SyncReport:
            from fieldapp.sync.client import run_sync

            return run_sync(
                store,
                progress=lambda stage, done, total: signals.progressed.emit(stage, done, total),
                cancelled=cancel.is_set,
            )

        # A long job of its own: the read pool and the writer stay free for the inspector, and
        # closing the window sets ``cancel``. The tabs refresh from the runner's ``changed``.
        self._runner.submit_long(
            work, self._done, self._failed, cancel=cancel, changes=Changes.everything()
        )

    def _progressed(self, stage: str, done: int, total: int) -> None:
        self.stage.setText(tr("sync.stage", stage=stage, done=done, total=total))
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _finish(self) -> None:
        self.running = False
        self.cancel_button.setEnabled(False)
        self.progress.hide()
        self.refresh()

    def _done(self, report: SyncReport) -> None:
        self.report = report
        self.stage.setText(tr("sync.done"))
        self.summary.setPlainText(report.summary())
        self._finish()
        self.finishedSync.emit(report)

    def _failed(self, error: Exception) -> None:
        from fieldapp.sync.client import SyncCancelled

        cancelled = isinstance(error, SyncCancelled)
        self.stage.setText(tr("sync.cancelled") if cancelled else tr("sync.failed"))
        text = describe(error)
        self.summary.setPlainText(plain(text))
        self.details.setPlainText(text)
        self.details_button.setVisible(has_details(text))
        self._finish()
        self.finishedSync.emit(error)

    def cancel(self) -> None:
        if self.running:
            self._cancel.set()
            self.stage.setText(tr("sync.cancelling"))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel()  # a running sync stops at its next step; confirmed work is kept
        super().closeEvent(event)


__all__ = ["SyncDialog", "SyncIndicator", "SyncStatus", "read_status"]
