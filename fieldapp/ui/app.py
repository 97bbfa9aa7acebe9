"""Start the desktop app: ``fieldapp`` with no subcommand ends up in :func:`run`.

Language is chosen before any widget exists (the strings are read when widgets are built). A store
that cannot be opened is reported in a message box naming the folder, since an inspector who
started the app from a shortcut never sees a terminal.
"""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QLibraryInfo, QTranslator
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QDialog

from fieldapp import paths, settings
from fieldapp.store import Store
from fieldapp.ui import first_run, strings
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


_qt_translators: list[QTranslator] = []


def remove_qt_translations(app: QApplication) -> None:
    for old in _qt_translators:
        app.removeTranslator(old)
    _qt_translators.clear()


def install_qt_translations(app: QApplication) -> None:
    """Qt's own buttons (OK, Cancel) in Chinese when the window is in Chinese."""
    remove_qt_translations(app)
    if strings.language() != "zh_CN":
        return
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load("qtbase_zh_CN", folder):
        app.installTranslator(translator)
        _qt_translators.append(translator)


def data_folder_name(args: argparse.Namespace) -> str:
    """The folder the store would use, for the error message (without creating it)."""
    return str(paths.resolve_data_dir(args.data_dir))


def exec_dialog(dialog: QDialog) -> int:
    """Run a start-up dialog modally; replaced in tests, which fill and accept it instead."""
    return dialog.exec()


def ask_first_run(store: Store) -> bool:
    """Ask who is using this copy and save it; False if the inspector cancelled."""
    dialog = first_run.settings_dialog(store, first_run=True)
    try:
        if exec_dialog(dialog) != QDialog.DialogCode.Accepted:
            return False
        first_run.save_from(store, dialog)
        return True
    finally:
        dialog.deleteLater()


def run(args: argparse.Namespace) -> int:
    """Open the store and show the window; return the exit code (1 if the store cannot open).

    With no inspector name saved yet, the first-run dialog comes first; cancelling it quits
    (code 0) without writing anything.
    """
    chosen_language = getattr(args, "lang", None)
    strings.set_language(chosen_language)
    app = application()
    try:
        store = Store.open(args.data_dir)
    except Exception as exc:
        message = strings.tr("error.store_open", folder=data_folder_name(args), error=exc)
        show_error(None, message, wait=True)
        return 1
    with store:
        saved = settings.load(store.folder)
        if chosen_language is None:  # --lang wins over the saved choice
            strings.set_language(saved.language)
        install_qt_translations(app)
        try:
            if not saved.inspector_name.strip() and not ask_first_run(store):
                return 0
            window = MainWindow(store)
            window.show()
            code = app.exec()
            window.shutdown()
        finally:
            remove_qt_translations(app)
    return code
