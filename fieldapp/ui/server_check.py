"""测试连接 beside the server's address and token (the settings dialog and the wizard).

The check runs off the UI thread (a long job: the network may take its time) and its answer
shows under the fields: whose token it is, for which station, and whether the laptop's clock is
off; a failure shows the sync's own Chinese message. ``stationFound`` tells the station field
the county's answer, so the station is chosen from what the server says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget
from shiboken6 import isValid

from fieldapp.ui.errors import describe
from fieldapp.ui.plain_errors import plain
from fieldapp.ui.strings import tr
from fieldapp.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from fieldapp.sync.probe import ServerAnswer

OK_STYLE = "color:#1b7f3b"
FAILED_STYLE = "color:#c62828"


class ServerCheck(QObject):
    """The button and its answer; ``ca_bundle`` reads the CA field when there is one."""

    stationFound = Signal(str)
    checked = Signal(bool)  # whether the server answered and took the token

    def __init__(
        self,
        url: QLineEdit,
        token: QLineEdit,
        runner: TaskRunner,
        ca_bundle: QLineEdit | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._url, self._token, self._ca = url, token, ca_bundle
        self._runner = runner
        self.button = QPushButton(tr("server.test"))
        self.button.setObjectName("testConnection")
        self.answer = QLabel()
        self.answer.setObjectName("connectionAnswer")
        self.answer.setWordWrap(True)
        self.button.clicked.connect(lambda _checked=False: self.start())
        self.row = QWidget()
        layout = QHBoxLayout(self.row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)
        layout.addWidget(self.answer, 1)

    def start(self) -> None:
        # Loaded when asked: the probe brings requests and the wire models (0.25 s), which the
        # window's start (the wizard and settings modules are imported with it) must not pay.
        from fieldapp.sync.probe import check_server

        url, token = self._url.text(), self._token.text()
        ca = self._ca.text().strip() if self._ca is not None else ""
        self.button.setEnabled(False)
        self.answer.setStyleSheet("")
        self.answer.setText(tr("server.testing"))
        self._runner.submit_long(lambda: check_server(url, token, ca), self._ok, self._failed)

    def _ok(self, answer: ServerAnswer) -> None:
        if not isValid(self.answer):
            return
        self.button.setEnabled(True)
        text = tr("server.ok", name=answer.name, station=answer.station, role=answer.role)
        if answer.clock_skewed:
            text += tr("server.clock_off", seconds=round(abs(answer.clock_offset_seconds)))
        self.answer.setStyleSheet(OK_STYLE)
        self.answer.setText(text)
        if answer.station:
            self.stationFound.emit(answer.station)
        self.checked.emit(True)

    def _failed(self, error: Exception) -> None:
        if not isValid(self.answer):
            return
        self.button.setEnabled(True)
        self.answer.setStyleSheet(FAILED_STYLE)
        text = describe(error)
        self.answer.setText(tr("server.failed", error=plain(text)))
        self.answer.setToolTip(text)  # the HTTP code, for a message to the county
        self.checked.emit(False)
