"""帮助 → 关于: version, data folder, schema version, checklist versions and the last sync.

What an inspector reads out over the phone when the county asks "which version do you have?".
The facts are read off the UI thread; the last sync is read defensively (an older database, or a
build without sync, simply shows 从未同步).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp import __version__, logs
from fieldapp.store import Store
from fieldapp.ui.strings import tr
from fieldapp.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


@dataclass
class AboutInfo:
    version: str
    data_folder: str
    schema: str | None
    checklists: list[tuple[str, int, str]] = field(default_factory=list)
    last_sync: datetime | None = None
    log_file: str = ""


def read_info(store: Store) -> AboutInfo:
    from fieldapp.storage import sqlitefile
    from fieldapp.ui.operations import last_sync

    return AboutInfo(
        version=__version__,
        data_folder=str(store.folder),
        schema=sqlitefile.stored_revision(store.database),
        checklists=[
            (e.checklist.id, e.checklist.version, e.checklist.title) for e in store.library.all()
        ],
        last_sync=last_sync(store),
        log_file=str(logs.current_path() or logs.log_path(store.folder)),
    )


def format_info(info: AboutInfo) -> str:
    """The facts as plain text, for the 复制 button and the checklist box."""
    synced = (
        info.last_sync.astimezone().strftime("%Y-%m-%d %H:%M")
        if info.last_sync
        else tr("about.never_synced")
    )
    lines = [
        f"{tr('about.version')}：{info.version}",
        f"{tr('about.data_folder')}：{info.data_folder}",
        f"{tr('about.schema')}：{info.schema or '—'}",
        f"{tr('about.last_sync')}：{synced}",
        f"{tr('about.log_file')}：{info.log_file}",
        f"{tr('about.checklists')}：",
        *(f"  {cid} v{version}  {title}" for cid, version, title in info.checklists),
    ]
    return "\n".join(lines)


class AboutDialog(QDialog):
    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(tr("about.title"))
        self.info: AboutInfo | None = None
        self.version = QLabel(__version__)
        self.version.setObjectName("aboutVersion")
        self.data_folder = QLabel(str(store.folder))
        self.data_folder.setObjectName("aboutDataFolder")
        self.schema = QLabel("…")
        self.schema.setObjectName("aboutSchema")
        self.last_sync = QLabel("…")
        self.last_sync.setObjectName("aboutLastSync")
        self.log_file = QLabel("…")
        self.checklists = QPlainTextEdit()
        self.checklists.setObjectName("aboutChecklists")
        self.checklists.setReadOnly(True)
        for label in (self.data_folder, self.schema, self.last_sync, self.log_file):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)

        title = QLabel(f"<b>{tr('app.title')}</b>")
        form = QFormLayout()
        form.addRow(tr("about.version"), self.version)
        form.addRow(tr("about.data_folder"), self.data_folder)
        form.addRow(tr("about.schema"), self.schema)
        form.addRow(tr("about.last_sync"), self.last_sync)
        form.addRow(tr("about.log_file"), self.log_file)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.copy_button = QPushButton(tr("about.copy"))
        self.copy_button.setObjectName("aboutCopy")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(QLabel(tr("about.checklists")))
        layout.addWidget(self.checklists)
        layout.addWidget(buttons)
        self.resize(560, 460)
        runner.submit(lambda: read_info(store), self.show_info)

    def show_info(self, info: AboutInfo) -> None:
        self.info = info
        self.schema.setText(info.schema or "—")
        self.last_sync.setText(
            info.last_sync.astimezone().strftime("%Y-%m-%d %H:%M")
            if info.last_sync
            else tr("about.never_synced")
        )
        self.log_file.setText(info.log_file)
        self.checklists.setPlainText(
            "\n".join(
                tr("about.checklist_line", id=cid, version=version, title=title)
                for cid, version, title in info.checklists
            )
        )
        self.copy_button.setEnabled(True)

    def copy(self) -> None:
        if self.info is not None:
            with contextlib.suppress(RuntimeError):
                QGuiApplication.clipboard().setText(format_info(self.info))
