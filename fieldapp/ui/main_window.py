"""The main window: three tabs over one open store.

The store and the task runner are passed in (no global app object); closing the window waits for
running jobs, so none outlives the store it reads from.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QMainWindow, QTabWidget, QWidget

from fieldapp.ui import geometry, window_state
from fieldapp.ui.checklists_tab import ChecklistsTab
from fieldapp.ui.errors import describe
from fieldapp.ui.operations import read_status as read_sync_status
from fieldapp.ui.progress_tab import ProgressTab
from fieldapp.ui.strings import tr
from fieldapp.ui.sync_panel import SyncIndicator
from fieldapp.ui.tasks import Changes, TaskRunner
from fieldapp.ui.units_tab import UnitsTab
from fieldapp.ui.worklists_tab import WorklistsTab

if TYPE_CHECKING:
    from fieldapp.store import Store
    from fieldapp.ui.evaluation_view import EvaluationView
    from fieldapp.ui.first_run import SettingsDialog
    from fieldapp.ui.printing import BatchPrintDialog
    from fieldapp.ui.sync_panel import SyncDialog

# The evaluation screen (with the ORM, Pillow and the checklist rules behind it) is imported
# when the first evaluation opens, not at start.
EVALUATION_VIEW_MODULE = "fieldapp.ui.evaluation_view"


class MainWindow(QMainWindow):
    def __init__(
        self, store: Store, runner: TaskRunner | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.runner = runner or TaskRunner(self)
        self.runner.changed.connect(self._changed)
        self.setWindowTitle(tr("app.title"))
        geometry.place(self, store.folder)  # the saved size and place, or one that fits

        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.units_tab = UnitsTab(store, self.runner)
        self.progress_tab = ProgressTab(store, self.runner)
        self.worklists_tab = WorklistsTab(store, self.runner)
        self.checklists_tab = ChecklistsTab()  # the library is read when the tab is first shown
        self.tabs.addTab(self.units_tab, tr("tab.units"))
        self.tabs.addTab(self.progress_tab, tr("tab.progress"))
        self.tabs.addTab(self.worklists_tab, tr("tab.worklists"))
        self.tabs.addTab(self.checklists_tab, tr("tab.checklists"))
        self.tabs.setTabsClosable(True)
        for fixed in range(self.tabs.count()):  # the main tabs stay
            self.tabs.tabBar().setTabButton(
                fixed, self.tabs.tabBar().ButtonPosition.RightSide, None
            )
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.units_tab.openEvaluation.connect(self.open_evaluation)
        self.progress_tab.showUnit.connect(self.show_unit)
        self.worklists_tab.showUnit.connect(self.show_unit)
        geometry.remember_splitter(self.units_tab.splitter, store.folder, "units")
        self.setCentralWidget(self.tabs)
        self.sync_indicator = SyncIndicator()
        self.sync_indicator.button.clicked.connect(self.open_sync)
        self.statusBar().addPermanentWidget(self.sync_indicator)

        # 文件 → 备份/恢复 and 帮助 → 关于 (fieldapp/ui/backup_dialog.py, about_dialog.py).
        self.restart_requested = False  # set by a restore: app.run opens the restored data
        self.restore_notice = ""
        self.restore_failed = False
        file_menu = self.menuBar().addMenu(tr("menu.file"))
        self.backup_action = file_menu.addAction(tr("menu.backup"))
        self.backup_action.setObjectName("backupAction")
        self.backup_action.triggered.connect(self.open_backup)
        reports_menu = self.menuBar().addMenu(tr("menu.reports"))
        self.batch_print_action = reports_menu.addAction(tr("print.batch"))
        self.batch_print_action.setObjectName("batchPrintAction")
        self.batch_print_action.triggered.connect(self.open_batch_print)
        help_menu = self.menuBar().addMenu(tr("menu.help"))
        self.shortcuts_action = help_menu.addAction(tr("menu.shortcuts"))
        self.shortcuts_action.setObjectName("shortcutsAction")
        self.shortcuts_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        self.shortcuts_action.triggered.connect(self.open_shortcuts)
        self.about_action = help_menu.addAction(tr("menu.about"))
        self.about_action.setObjectName("aboutAction")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.open_about)

        self.settings_action = QAction(tr("settings.action"), self)
        self.settings_action.setObjectName("settingsAction")
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        self.menuBar().insertAction(help_menu.menuAction(), self.settings_action)

        for number in range(self.tabs.count()):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number + 1}"), self)
            shortcut.activated.connect(lambda n=number: self.tabs.setCurrentIndex(n))
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.activated.connect(self._focus_search)
        self.tabs.currentChanged.connect(self._tab_changed)

        # The first page of units comes first; the sync indicator (which needs the ORM) is read
        # once it is in. The progress tab loads when it is first shown (_tab_changed).
        self.units_tab.model.refreshed.connect(self._first_page_in)
        self.units_tab.load()
        self._restore_open_evaluations()

    def _first_page_in(self) -> None:
        self.units_tab.model.refreshed.disconnect(self._first_page_in)
        self.refresh_sync_status()

    def evaluation_views(self) -> list[EvaluationView]:
        module = sys.modules.get(EVALUATION_VIEW_MODULE)
        if module is None:  # never imported: no evaluation has been opened
            return []
        views = (self.tabs.widget(i) for i in range(self.tabs.count()))
        return [v for v in views if isinstance(v, module.EvaluationView)]

    def open_evaluation(self, evaluation_id: int) -> EvaluationView:
        """Show the evaluation in its own tab (the existing one if it is open already)."""
        for view in self.evaluation_views():
            if view.evaluation_id == evaluation_id:
                self.tabs.setCurrentWidget(view)
                return view
        view = self._add_view(evaluation_id)
        self._save_open_evaluations()
        return view

    def _add_view(self, evaluation_id: int) -> EvaluationView:
        from fieldapp.ui.evaluation_view import EvaluationView

        view = EvaluationView(self.store, self.runner, evaluation_id)
        index = self.tabs.addTab(view, tr("eval.tab_loading", id=evaluation_id))
        view.titleChanged.connect(
            lambda title, v=view: self.tabs.setTabText(self.tabs.indexOf(v), title)
        )
        view.loaded.connect(lambda _id: self.units_tab.load_evaluations())
        view.unitChanged.connect(self.units_tab.refresh_unit)
        view.missing.connect(lambda v=view: self._drop_missing(v))
        self.tabs.setCurrentIndex(index)
        view.table.setFocus()
        return view

    def _restore_open_evaluations(self) -> None:
        """Reopen the evaluation tabs that were open when the app last stopped (or was killed)."""
        for evaluation_id in dict.fromkeys(window_state.open_evaluations(self.store.folder)):
            self._add_view(evaluation_id)  # the list is unchanged: nothing to save
        views = self.evaluation_views()
        self.tabs.setCurrentWidget(views[-1] if views else self.units_tab)

    def _save_open_evaluations(self) -> None:
        ids = [v.evaluation_id for v in self.evaluation_views()]
        with contextlib.suppress(OSError):  # losing the tab list must never stop the work
            window_state.save_open_evaluations(self.store.folder, ids)

    def _drop_missing(self, view: EvaluationView) -> None:
        """An evaluation that no longer exists (e.g. after a restore) closes its tab quietly."""
        index = self.tabs.indexOf(view)
        if index >= 0:
            self.close_tab(index)

    def open_settings(self) -> SettingsDialog:
        """Show the first-run dialog again to change the inspector, station or language."""
        from fieldapp import settings
        from fieldapp.ui.first_run import SettingsDialog, save_from

        dialog = SettingsDialog(  # station names from the units tab: no query on the UI thread
            settings.load(self.store.folder),
            self.units_tab.station_list(),
            self,
            runner=self.runner,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                save_from(self.store, dialog)
                # A server just set (or changed) shows in the status bar at once.
                self.sync_indicator.error = ""
                self.refresh_sync_status()

        dialog.finished.connect(chosen)
        dialog.open()
        return dialog

    def open_backup(self) -> QDialog:
        from fieldapp.ui.backup_dialog import BackupDialog, apply_restore

        dialog = BackupDialog(self.store, self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.restoreReady.connect(lambda staged: apply_restore(self, staged))
        dialog.open()
        return dialog

    def open_shortcuts(self) -> QDialog:
        from fieldapp.ui.shortcuts_dialog import ShortcutsDialog

        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_about(self) -> QDialog:
        from fieldapp.ui.about_dialog import AboutDialog

        dialog = AboutDialog(self.store, self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def close_tab(self, index: int) -> None:
        view = self.tabs.widget(index)
        if view in self.evaluation_views():
            self.tabs.removeTab(index)
            view.deleteLater()
            self._save_open_evaluations()

    def open_batch_print(self) -> BatchPrintDialog:
        """Print the sheets of a day, a range, a station or a unit (progress, cancel)."""
        from fieldapp.ui.printing import BatchPrintDialog

        unit = self.units_tab.selected_unit
        dialog = BatchPrintDialog(
            self.store,
            self.runner,
            self.units_tab.station_list(),
            self,
            unit_code=unit.credit_code if unit is not None else "",
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def refresh_sync_status(self) -> None:
        """Update the status bar's sync indicator (pending count, last sync) in the background."""
        store = self.store
        self.runner.submit(
            lambda: read_sync_status(store, ledger=False), self.sync_indicator.show_status
        )

    def open_sync(self) -> SyncDialog:
        """The sync dialog: run a sync with progress and cancel, see the ledger and returns."""
        from fieldapp.ui.sync_panel import SyncDialog

        dialog = SyncDialog(self.store, self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finishedSync.connect(self._synced)
        dialog.open()
        return dialog

    def _synced(self, outcome: object) -> None:
        self.sync_indicator.error = describe(outcome) if isinstance(outcome, Exception) else ""
        self.refresh_sync_status()

    def _changed(self, changes: Changes) -> None:
        """A job changed data other tabs show (the runner's broadcast): each refreshes."""
        if changes.sync:
            self.refresh_sync_status()
        if changes.units:
            self.units_tab.load()  # pulled units and reviews may have changed what is shown
        if changes.checklists and self.checklists_tab.shown is not None:
            self.checklists_tab.show_library(self.store.library)  # checklists the county sent
        if changes.evaluations:
            for view in self.evaluation_views():
                view.reload()
        if changes.units and self.tabs.currentWidget() is self.progress_tab:
            self.progress_tab.load()

    def show_unit(self, credit_code: str) -> None:
        """Go to the units tab with ``credit_code`` searched for and its row selected and
        focused (from the dashboard's and the worklists' rows, by Enter or double-click)."""
        self.tabs.setCurrentWidget(self.units_tab)
        self.units_tab.show_code(credit_code)

    def _focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.units_tab)
        self.units_tab.search.setFocus()
        self.units_tab.search.selectAll()

    def _tab_changed(self, index: int) -> None:
        # Progress may have moved since it was computed; it is cheap to compute again.
        self.refresh_sync_status()
        if self.tabs.widget(index) is self.progress_tab:
            self.progress_tab.load()
        elif self.tabs.widget(index) is self.worklists_tab:
            self.worklists_tab.set_stations(self.units_tab.station_list())
            self.worklists_tab.load()
        elif self.tabs.widget(index) is self.checklists_tab and self.checklists_tab.shown is None:
            store = self.store
            self.runner.submit(lambda: store.library, self.checklists_tab.show_library)

    def shutdown(self) -> None:
        """Wait for background jobs; call before closing the store."""
        self.runner.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        geometry.save(self, self.store.folder)
        self.shutdown()
        super().closeEvent(event)
