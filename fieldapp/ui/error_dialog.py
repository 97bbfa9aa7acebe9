"""The dialog for an error nobody expected, and the hooks that route every such error to it.

``sys.excepthook`` (errors in Qt slots and event handlers on the UI thread) and
``threading.excepthook`` (errors in plain Python threads) both end in :func:`report`: the
traceback goes to the log file, and the inspector sees a short Chinese message, where the log
is, and a 复制详细信息 button to paste the details into a message to the county.

The handler never exits and never closes the store: every answer of a draft is already
committed when it is shown, so the inspector can simply carry on. Errors that arrive while the
dialog is open are appended to it instead of stacking more dialogs.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp import __version__, logs
from fieldapp.ui.strings import tr

log = logging.getLogger("fieldapp.crash")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def details_text(exc_info: ExcInfo) -> str:
    kind, error, tb = exc_info
    where = threading.current_thread().name
    body = "".join(traceback.format_exception(kind, error, tb))
    return f"fieldapp {__version__}（{sys.platform}，线程 {where}）\n{body}"


class ErrorDialog(QDialog):
    def __init__(self, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setWindowTitle(tr("error.title"))
        log_file = logs.current_path()
        self.message = QLabel(tr("crash.message"))
        self.message.setObjectName("errorMessage")
        self.message.setWordWrap(True)
        self.log_label = QLabel(
            tr("crash.log_at", path=log_file) if log_file else tr("crash.no_log")
        )
        self.log_label.setObjectName("errorLogPath")
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(details)
        self.details.setObjectName("errorDetails")
        self.details.setReadOnly(True)
        self.copy_button = QPushButton(tr("crash.copy"))
        self.copy_button.setObjectName("errorCopy")
        self.copy_button.clicked.connect(self.copy)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.log_label)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.resize(620, 380)

    def add_details(self, details: str) -> None:
        self.details.appendPlainText("\n" + details)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())


class _Reporter(QObject):
    """Lives on the UI thread; a signal carries errors from other threads to it."""

    raised = Signal(str)

    def __init__(self, parent_of: Callable[[], QWidget | None]) -> None:
        super().__init__()
        self._parent_of = parent_of
        self.dialog: ErrorDialog | None = None
        self.shown = 0
        self.raised.connect(self.show, Qt.ConnectionType.QueuedConnection)

    @Slot(str)
    def show(self, details: str) -> None:
        self.shown += 1
        if self.dialog is not None:
            self.dialog.add_details(details)
            return
        dialog = ErrorDialog(details, self._parent_of())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._closed)
        self.dialog = dialog
        dialog.open()

    def _closed(self, _result: int) -> None:
        self.dialog = None


_reporter: _Reporter | None = None
_previous: tuple[object, object] | None = None


def report(exc_info: ExcInfo) -> None:
    """Log an unexpected error and show it; safe from any thread, never raises."""
    try:
        details = details_text(exc_info)
        log.error("unexpected error", exc_info=exc_info)
        if _reporter is None or QApplication.instance() is None:
            sys.stderr.write(details)
            return
        _reporter.raised.emit(details)  # queued: shown by the UI thread's event loop
    except Exception:  # an error while reporting an error: the log is all we can do
        log.exception("could not show an error")


def _excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, tb)
        return
    report((kind, error, tb))


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or issubclass(args.exc_type, SystemExit):
        return
    report((args.exc_type, args.exc_value, args.exc_traceback))


def install(parent_of: Callable[[], QWidget | None] = lambda: None) -> _Reporter:
    """Route uncaught errors of the UI thread and of Python threads to the error dialog."""
    global _reporter, _previous
    if _reporter is None:
        _previous = (sys.excepthook, threading.excepthook)
    _reporter = _Reporter(parent_of)
    sys.excepthook = _excepthook
    threading.excepthook = _thread_hook
    return _reporter


def uninstall() -> None:
    """Put the previous hooks back (when the window has closed, and in tests)."""
    global _reporter, _previous
    if _previous is not None:
        sys.excepthook, threading.excepthook = _previous  # type: ignore[assignment]
    _previous = None
    if _reporter is not None and _reporter.dialog is not None:
        _reporter.dialog.close()
    _reporter = None
