"""The one way an error reaches the user: :func:`show_error`.

Worker failures, failed callbacks and a store that will not open all end here, so no error is
swallowed and every message box looks the same. Messages from the core (``FieldappError``) are
already written for an inspector; anything else is a bug and is shown with its type and the log
file's location, and logged with its traceback. (Errors nobody caught at all go to the error
dialog in :mod:`fieldapp.ui.error_dialog`.)
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from fieldapp import logs
from fieldapp.errors import FieldappError
from fieldapp.ui.strings import tr

log = logging.getLogger(__name__)

_open_boxes: set[QMessageBox] = set()


def describe(error: BaseException) -> str:
    """The text to show for ``error``; unexpected errors are logged with their traceback."""
    if isinstance(error, FieldappError):
        return str(error)
    log.error("unexpected error", exc_info=(type(error), error, error.__traceback__))
    message = tr("error.unexpected", kind=type(error).__name__, error=error)
    log_file = logs.current_path()
    return f"{message}\n\n{tr('crash.log_at', path=log_file)}" if log_file else message


def show_error(parent: QWidget | None, message: str, *, wait: bool = False) -> QMessageBox:
    """Show ``message`` in an error box.

    By default the box is window-modal but does not block, so a worker's error never stalls the
    event loop (or a test). ``wait=True`` blocks until it is closed: for errors at start-up,
    before there is an event loop to return to.
    """
    box = QMessageBox(QMessageBox.Icon.Critical, tr("error.title"), message, parent=parent)
    box.setObjectName("errorBox")
    if wait:
        box.exec()
        return box
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    # A box without a parent belongs to Python: keep it alive until the user closes it.
    _open_boxes.add(box)
    box.finished.connect(lambda _result: _open_boxes.discard(box))
    box.open()
    return box
