"""Where the window sits on the screen, and how its splitters are divided, across restarts.

Kept with :class:`QSettings` as ``window.ini`` in the data folder, not in ``settings.json``:

- it is the laptop's screen, not the inspector's choice: a restore onto another laptop, or a
  backup, must not carry a 1920×1080 layout to a 1024×768 screen (the backup leaves it out, as it
  leaves out ``window-state.json``);
- Qt's own ``saveGeometry``/``restoreGeometry`` blob already holds the size, position, maximised
  state and the screen it was on, and restores it onto whatever screens exist now; the checked
  dataclass of :mod:`fieldapp.settings` is for values an inspector reads and edits in 设置;
- beside the data it follows ``--data-dir`` (each test and each training folder has its own),
  where the platform's default place (the registry, ``~/.config``) would be shared by all.

A window with no saved geometry, or one saved on a screen that is gone, opens at its preferred
1280×800 shrunk to the screen's available geometry (without the task bar) and centred on it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QByteArray, QMargins, QRect, QSettings, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSplitter, QWidget

GEOMETRY_FILE = "window.ini"
PREFERRED = QSize(1280, 800)
# What the frame (title bar, borders) of a window manager takes around the client area: left
# out of the first size so the frame fits too.
FRAME = QMargins(8, 32, 8, 8)


def store(folder: Path) -> QSettings:
    return QSettings(str(folder / GEOMETRY_FILE), QSettings.Format.IniFormat)


def available(widget: QWidget) -> QRect:
    """The available geometry (no task bar) of the screen the widget is on, or the primary's."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1024, 768)


def first_geometry(room: QRect, preferred: QSize = PREFERRED) -> QRect:
    """The client area of a window opened for the first time: preferred size, within ``room``."""
    across, down = FRAME.left() + FRAME.right(), FRAME.top() + FRAME.bottom()
    width = max(min(preferred.width(), room.width() - across), 200)
    height = max(min(preferred.height(), room.height() - down), 200)
    framed = QRect(0, 0, width + across, height + down)
    framed.moveCenter(room.center())
    return framed.marginsRemoved(FRAME)


def place(window: QWidget, folder: Path) -> None:
    """Restore the saved geometry when it fits a screen that exists now; else the first one."""
    saved = store(folder).value("main/geometry")
    if isinstance(saved, QByteArray) and not saved.isEmpty() and window.restoreGeometry(saved):
        if window.isMaximized() or window.isFullScreen():
            return
        room = available(window)
        frame = window.frameGeometry()
        if room.contains(window.geometry()) and room.intersects(frame):
            return
    room = available(window)
    window.setGeometry(first_geometry(room))


def save(window: QWidget, folder: Path) -> None:
    with contextlib.suppress(OSError):  # losing the layout must never stop closing the window
        settings = store(folder)
        settings.setValue("main/geometry", window.saveGeometry())
        settings.sync()


def restore_splitter(splitter: QSplitter, folder: Path, name: str) -> None:
    saved = store(folder).value(f"splitters/{name}")
    if isinstance(saved, QByteArray) and not saved.isEmpty():
        splitter.restoreState(saved)


def remember_splitter(splitter: QSplitter, folder: Path, name: str) -> None:
    """Restore the splitter's division now, and save it whenever the inspector drags it."""
    restore_splitter(splitter, folder, name)

    def moved(_pos: int, _index: int) -> None:
        settings = store(folder)
        settings.setValue(f"splitters/{name}", splitter.saveState())

    splitter.splitterMoved.connect(moved)


def value(folder: Path, key: str, default: object) -> object:
    return store(folder).value(key, default)


def set_value(folder: Path, key: str, data: object) -> None:
    store(folder).setValue(key, data)
