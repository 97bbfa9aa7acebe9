"""文件 → 备份/恢复, and the automatic backup that runs while the window is open.

Backups and the checking of a restore archive run on the task runner, never on the UI thread.
Restoring from the window closes the store first: once the archive is fully verified (in a
staging folder beside the data folder) and the inspector confirms, the window closes its
evaluation tabs, waits for running jobs, closes the store, swaps the folders (see
:mod:`fieldapp.backup`) and asks :func:`fieldapp.ui.app.run` to open the restored data in a new
window. The data from before the restore stays beside it as ``<data>.before-restore-<time>``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp import backup, settings
from fieldapp.backup import BackupInfo, StagedRestore
from fieldapp.errors import FieldappError
from fieldapp.store import Store
from fieldapp.ui.errors import describe, show_error
from fieldapp.ui.strings import tr
from fieldapp.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from fieldapp.ui.main_window import MainWindow

log = logging.getLogger(__name__)

CHECK_EVERY_MS = 10 * 60 * 1000
"""How often the window checks whether an automatic backup is due (the interval is in hours)."""


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


class BackupDialog(QDialog):
    """Back up now to a file of the user's choice, or restore from one."""

    backupWritten = Signal(str)
    restoreReady = Signal(object)  # a verified StagedRestore the inspector confirmed

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backupDialog")
        self.setWindowTitle(tr("backup.title"))
        self.store = store
        self.runner = runner
        self.confirm_box: QMessageBox | None = None
        current = settings.load(store.folder)
        auto = (
            tr(
                "backup.auto_on",
                folder=current.backup_folder,
                hours=current.backup_interval_hours,
                keep=current.backup_keep,
            )
            if current.backup_folder
            else tr("backup.auto_off")
        )
        intro = QLabel(tr("backup.intro") + "\n\n" + auto)
        intro.setWordWrap(True)
        self.create_button = QPushButton(tr("backup.create"))
        self.create_button.setObjectName("backupCreate")
        self.create_button.clicked.connect(self.create_backup)
        self.restore_button = QPushButton(tr("backup.restore"))
        self.restore_button.setObjectName("backupRestore")
        self.restore_button.clicked.connect(self.restore_backup)
        self.status = QLabel("")
        self.status.setObjectName("backupStatus")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.create_button)
        layout.addWidget(self.restore_button)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(520, 300)

    # File choosers: replaced in tests.
    def choose_target(self) -> str:
        name = f"fieldapp-备份-{datetime.now():%Y%m%d-%H%M}.zip"
        path, _ = QFileDialog.getSaveFileName(
            self, tr("backup.create"), str(Path.home() / name), tr("backup.filter")
        )
        return path

    def choose_archive(self) -> str:
        path, _ = QFileDialog.getOpenFileName(
            self, tr("backup.restore"), str(Path.home()), tr("backup.filter")
        )
        return path

    def _busy(self, busy: bool, message: str = "") -> None:
        self.create_button.setEnabled(not busy)
        self.restore_button.setEnabled(not busy)
        if message:
            self.status.setText(message)

    def create_backup(self) -> None:
        target = self.choose_target()
        if not target:
            return
        self._busy(True, tr("backup.working"))
        folder = self.store.folder
        self.runner.submit(lambda: backup.create(folder, Path(target)), self._written, self._failed)

    def _written(self, info: BackupInfo) -> None:
        self._busy(
            False, tr("backup.done", path=info.path, files=info.files, size=_size(info.size))
        )
        self.backupWritten.emit(str(info.path))

    def _failed(self, error: Exception) -> None:
        message = describe(error)  # once: it logs an unexpected error's traceback
        self._busy(False, message)
        show_error(self, message)

    def restore_backup(self) -> None:
        archive = self.choose_archive()
        if not archive:
            return
        self._busy(True, tr("backup.verifying"))
        folder = self.store.folder
        self.runner.submit(
            lambda: backup.prepare_restore(Path(archive), folder), self._verified, self._failed
        )

    def _verified(self, staged: StagedRestore) -> None:
        self._busy(False, tr("backup.verified", files=len(staged.manifest["files"])))
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            tr("backup.restore"),
            tr(
                "backup.confirm",
                created=staged.manifest.get("created_at", "?"),
                files=len(staged.manifest["files"]),
                folder=staged.data_folder,
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("restoreConfirm")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(result: int) -> None:
            self.confirm_box = None
            if result == QMessageBox.StandardButton.Yes:
                self.restoreReady.emit(staged)
                self.accept()
            else:  # removing the extracted copy (photos included) is slow: off the UI thread
                self.runner.submit(staged.discard, lambda _none: None)
                self.status.setText(tr("backup.cancelled"))

        box.finished.connect(answered)
        self.confirm_box = box
        box.open()


def apply_restore(window: MainWindow, staged: StagedRestore) -> None:
    """Close the store, swap the verified data in, and ask ``app.run`` for a fresh window."""
    for view in window.evaluation_views():
        window.close_tab(window.tabs.indexOf(view))
    window.shutdown()  # waits for running jobs, so nothing holds the database
    window.store.close()
    try:
        result = staged.swap()
    except (FieldappError, OSError) as exc:
        window.restore_notice = str(exc)
        window.restore_failed = True
    else:
        window.restore_notice = tr(
            "backup.restored", folder=result.data_folder, previous=result.previous or "—"
        )
        window.restore_failed = False
    window.restart_requested = True
    window.close()


class AutoBackup(QObject):
    """Checks every few minutes whether an automatic backup is due and writes it on the runner.

    Failures (the USB stick is out) are logged and shown once in the status bar, never as a
    dialog: the inspector may be in the middle of an evaluation.
    """

    finished = Signal(object)  # the BackupInfo, or the exception

    def __init__(self, store: Store, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.runner = runner
        self.running = False
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_EVERY_MS)
        self.timer.timeout.connect(self.check)

    def start(self) -> None:
        self.timer.start()
        QTimer.singleShot(0, self.check)

    def stop(self) -> None:
        self.timer.stop()

    def check(self) -> bool:
        """Start a backup if one is due; True if one was started."""
        if self.running:
            return False
        chosen = settings.load(self.store.folder)
        if not chosen.backup_folder:
            return False
        folder = Path(chosen.backup_folder)
        data = self.store.folder

        def work() -> BackupInfo | None:
            if not backup.auto_due(folder, chosen.backup_interval_hours):
                return None
            info, _removed = backup.create_auto(data, folder, chosen.backup_keep)
            return info

        self.running = True
        self.runner.submit_long(work, self._done, self._failed)  # never holds the read pool
        return True

    def _done(self, info: BackupInfo | None) -> None:
        self.running = False
        if info is not None:
            log.info("automatic backup written: %s", info.path)
            self.finished.emit(info)

    def _failed(self, error: Exception) -> None:
        self.running = False
        log.warning("automatic backup failed: %s", error)
        self.finished.emit(error)
