"""Loading the demo data in a progress dialog over the window (not in a status bar that may be
off-screen): the units as they are imported, then the evaluations; the dialog closes itself when
the data is in. The load runs on the writer thread and cannot be cancelled half-way (units and
targets are one transaction), so the dialog has no cancel button.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget
from shiboken6 import isValid

from fieldapp.ui.strings import tr

T = TypeVar("T")


class DemoProgress(QProgressDialog):
    """Window-modal, no cancel; ``stage`` is emitted from the worker thread (queued by Qt)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tr("wizard.demo_loading"), "", 0, 0, parent)
        self.setObjectName("demoProgress")
        self.setWindowTitle(tr("wizard.demo_title"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setCancelButton(None)
        self.setMinimumDuration(0)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setMinimumWidth(420)
        self.relay = _Relay(self)
        self.relay.stage.connect(self._show_stage)

    def _show_stage(self, key: str, done: int, total: int) -> None:
        if not isValid(self):
            return
        self.setLabelText(tr(key, done=done, total=total))
        self.setRange(0, max(total, 1))
        self.setValue(min(done, total))

    def units(self, done: int, total: int) -> None:
        """Worker thread: units imported so far."""
        self.relay.stage.emit("demo.units", done, total)

    def evaluations(self, done: int, total: int) -> None:
        """Worker thread: evaluations made so far."""
        self.relay.stage.emit("demo.evaluations", done, total)


class _Relay(QObject):
    stage = Signal(str, int, int)


def finished(dialog: DemoProgress, then: Callable[[T], None]) -> Callable[[T], None]:
    """``then(outcome)`` (units created, or the error) after the dialog has closed."""

    def done(outcome: T) -> None:
        if isValid(dialog):
            dialog.close()
            dialog.deleteLater()
        then(outcome)

    return done
