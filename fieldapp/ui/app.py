"""Start the desktop app: ``fieldapp`` with no subcommand ends up in :func:`run`.

Language is chosen before any widget exists (the strings are read when widgets are built). A store
that cannot be opened is reported in a message box naming the folder, since an inspector who
started the app from a shortcut never sees a terminal.

The log goes to ``<data>/logs/fieldapp.log`` (:mod:`fieldapp.logs`); any error nobody caught
shows the error dialog (:mod:`fieldapp.ui.error_dialog`) and the work goes on. While the window
is open, :class:`~fieldapp.ui.backup_dialog.AutoBackup` writes the automatic backups. A restore
from the window closes the store; :func:`run` then opens the restored data in a new window.

The window creates its data folder at the first start (the first-run wizard then asks who works
on it). A minute after the window is shown, :func:`start_sweep` deletes, in the background on the
writer thread, photo and signature files no record uses that are older than a day (left by a crash or a
removed photo): opening the store never deletes anything.

``FIELDAPP_SMOKE_EXIT=1`` closes the window as soon as it is shown (exit code 0): the frozen
build's test uses it to prove that Qt, its platform plugin and the window start.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from PySide6.QtCore import QLibraryInfo, QTimer, QTranslator
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from fieldapp import __version__, logs, paths, settings
from fieldapp.store import Store
from fieldapp.ui import error_dialog, first_run, strings
from fieldapp.ui.backup_dialog import AutoBackup
from fieldapp.ui.errors import describe, show_error
from fieldapp.ui.main_window import MainWindow

log = logging.getLogger(__name__)
SMOKE_EXIT_ENV = "FIELDAPP_SMOKE_EXIT"
SWEEP_DELAY_MS = 60_000

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


# Labels whose English source Qt changed after qtbase_zh_CN.qm was last translated: the file
# shipped with PySide6-Essentials (6.12) has "Look in:" and "Files of type:", but the file dialog
# now asks for "&Look in:" and "Files of &type:", which then showed in English.
QT_MISSING_ZH: dict[tuple[str, str], str] = {
    ("QFileDialog", "&Look in:"): "查找范围(&L)：",
    ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
}


class MissingQtStrings(QTranslator):
    """The few strings of Qt's own dialogs that qtbase_zh_CN.qm lacks."""

    def translate(self, context: str, source: str, *_rest: object) -> str | None:
        return QT_MISSING_ZH.get((context, source))  # None: not this translator's string

    def isEmpty(self) -> bool:
        return False


def install_qt_translations(app: QApplication) -> None:
    """Qt's own dialogs (file dialog, OK, Cancel, Yes, No) in Chinese when the window is."""
    remove_qt_translations(app)
    if strings.language() != "zh_CN":
        return
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load("qtbase_zh_CN", folder):
        app.installTranslator(translator)
        _qt_translators.append(translator)
    else:
        log.warning("Qt's Chinese translations (qtbase_zh_CN.qm) are not in %s", folder)
    missing = MissingQtStrings(app)
    app.installTranslator(missing)
    _qt_translators.append(missing)


def data_folder_name(args: argparse.Namespace) -> str:
    """The folder the store would use, for the error message (without creating it)."""
    return str(paths.resolve_data_dir(args.data_dir))


def exec_dialog(dialog: QDialog) -> int:
    """Run a start-up dialog modally; replaced in tests, which fill and accept it instead."""
    return dialog.exec()


def ask_first_run(store: Store) -> bool | None:
    """Run the first-run wizard and save its answers.

    Returns None if the inspector cancelled, else whether demo data was asked for.
    """
    wizard = first_run.first_run_wizard(store)
    try:
        if exec_dialog(wizard) != QDialog.DialogCode.Accepted:
            return None
        return first_run.finish_first_run(store, wizard)
    finally:
        wizard.deleteLater()


def start_demo(window: MainWindow) -> None:
    """Load the training data on the writer thread; refresh the lists when it is in."""
    bar = window.statusBar()
    bar.showMessage(strings.tr("wizard.demo_loading"))

    def loaded(created: int) -> None:
        bar.showMessage(strings.tr("wizard.demo_loaded", n=created), 15000)
        window.units_tab.load()
        if window.tabs.currentWidget() is window.progress_tab:  # otherwise it loads when shown
            window.progress_tab.load()

    first_run.start_demo(window.store, window.runner, loaded, window)


def start_auto_backup(window: MainWindow) -> AutoBackup:
    auto = AutoBackup(window.store, window.runner, window)

    def done(outcome: object) -> None:
        if isinstance(outcome, Exception):
            text = strings.tr("backup.auto_failed", error=describe(outcome))
        else:
            text = strings.tr("backup.auto_done", path=getattr(outcome, "path", ""))
        window.statusBar().showMessage(text, 30000)

    auto.finished.connect(done)
    auto.start()
    return auto


def start_sweep(window: MainWindow) -> int:
    """Sweep orphan photo and signature files on the writer thread, so no photo this window is
    attaching is between its file and its record; the outcome goes to the log only."""

    def done(removed: int) -> None:
        if removed:
            log.info("swept %d photo or signature files no record uses", removed)

    def failed(exc: Exception) -> None:
        log.warning("sweeping unused photo files failed: %s", exc, exc_info=exc)

    return window.runner.submit_write(window.store.sweep_orphans, done, failed)


def start_keeping_figures(window: MainWindow) -> int:
    """Bring the year's kept progress shares up to date in the background (after an upgrade, or
    a new day whose dated events move some units), so the progress tab and the bulletin read
    them at once; it writes in short transactions, so an answer saved meanwhile hardly waits."""
    from datetime import date

    from fieldapp.services import progress_kept

    store = window.store

    def done(counted: int) -> None:
        if counted:
            log.info("counted %d units' progress shares again", counted)

    def failed(exc: Exception) -> None:
        log.warning("keeping the progress figures failed: %s", exc, exc_info=exc)

    return window.runner.submit_long(
        lambda: progress_kept.refresh(store, date.today().year), done, failed
    )


_active_window: MainWindow | None = None


def _window_once(
    app: QApplication, store: Store, saved: settings.Settings, notice: tuple[str, bool] | None
) -> MainWindow | None:
    """Show one main window over ``store`` until it closes; None if the first run was cancelled."""
    global _active_window
    demo = False
    if not saved.inspector_name.strip():
        asked = ask_first_run(store)
        if asked is None:
            return None
        demo = asked
    window = MainWindow(store)
    _active_window = window
    try:
        auto = start_auto_backup(window)
        window.show()
        # Maintenance waits until the first minute of work is over: the first page of units, a
        # search and an evaluation come first, and the sweep (with the ORM and Pillow behind it)
        # never competes with them.
        QTimer.singleShot(SWEEP_DELAY_MS, window, lambda: start_sweep(window))
        QTimer.singleShot(SWEEP_DELAY_MS, window, lambda: start_keeping_figures(window))
        if demo:
            start_demo(window)
        if notice is not None:
            text, failed = notice
            icon = QMessageBox.Icon.Critical if failed else QMessageBox.Icon.Information
            box = QMessageBox(icon, strings.tr("backup.title"), text, parent=window)
            box.setObjectName("restoreNotice")
            box.open()
        if os.environ.get(SMOKE_EXIT_ENV):
            log.info("smoke run: window shown, closing")
            QTimer.singleShot(0, window.close)
        app.exec()
        auto.stop()
        window.shutdown()
    finally:
        _active_window = None
    return window


def run(args: argparse.Namespace) -> int:
    """Open the store and show the window; return the exit code (1 if the store cannot open).

    With no inspector name saved yet, the first-run wizard comes first; cancelling it quits
    (code 0) without writing anything. After a restore from the window, the restored data is
    opened in a new window.
    """
    chosen_language = getattr(args, "lang", None)
    strings.set_language(chosen_language)
    app = application()
    error_dialog.install(lambda: _active_window)
    notice: tuple[str, bool] | None = None
    try:
        while True:
            try:
                store = Store.open(args.data_dir, create=True)  # the first start makes it
            except Exception as exc:
                log.exception("cannot open the data folder")
                message = strings.tr("error.store_open", folder=data_folder_name(args), error=exc)
                show_error(None, message, wait=True)
                return 1
            logs.setup(store.folder)
            log.info("fieldapp %s window started on %s", __version__, store.folder)
            with store:
                saved = settings.load(store.folder)
                if chosen_language is None:  # --lang wins over the saved choice
                    strings.set_language(saved.language)
                install_qt_translations(app)
                try:
                    window = _window_once(app, store, saved, notice)
                finally:
                    remove_qt_translations(app)
            if window is None or not window.restart_requested:
                return 0
            notice = (window.restore_notice, window.restore_failed)
    finally:
        error_dialog.uninstall()
