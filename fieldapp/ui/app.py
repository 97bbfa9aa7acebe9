"""Start the desktop app: ``fieldapp`` with no subcommand ends up in :func:`run`.

Language is chosen before any widget exists (the strings are read when widgets are built). A store
that cannot be opened is reported in a message box naming the folder, since an inspector who
started the app from a shortcut never sees a terminal.
"""

from __future__ import annotations

import argparse
import sys

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication

from fieldapp import paths
from fieldapp.store import Store
from fieldapp.ui import strings
from fieldapp.ui.errors import show_error
from fieldapp.ui.main_window import MainWindow

FONT_SUFFIXES = (".ttf", ".ttc", ".otf")


def application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("fieldapp")
    app.setOrganizationName("fieldapp")
    load_bundled_fonts()
    return app


def load_bundled_fonts() -> None:
    """Register fonts shipped in ``resources/fonts`` so Chinese renders on a bare Windows or Linux."""
    folder = paths.resource_path("fonts")
    if folder.is_dir():
        for font in sorted(folder.iterdir()):
            if font.suffix.lower() in FONT_SUFFIXES:
                QFontDatabase.addApplicationFont(str(font))


def data_folder_name(args: argparse.Namespace) -> str:
    """The folder the store would use, for the error message (without creating it)."""
    return str(paths.resolve_data_dir(args.data_dir))


def run(args: argparse.Namespace) -> int:
    """Open the store and show the window; return the exit code (1 if the store cannot open)."""
    strings.set_language(getattr(args, "lang", None))
    app = application()
    try:
        store = Store.open(args.data_dir)
    except Exception as exc:
        message = strings.tr("error.store_open", folder=data_folder_name(args), error=exc)
        show_error(None, message, wait=True)
        return 1
    with store:
        window = MainWindow(store)
        window.show()
        code = app.exec()
        window.shutdown()
    return code
