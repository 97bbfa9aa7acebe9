"""The main window: three tabs over one open store.

The store and the task runner are passed in (no global app object); closing the window waits for
running jobs, so none outlives the store it reads from.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QMainWindow, QTabWidget, QWidget

from fieldapp.store import Store
from fieldapp.ui import window_state
from fieldapp.ui.checklists_tab import ChecklistsTab
from fieldapp.ui.evaluation_view import EvaluationView
from fieldapp.ui.first_run import SettingsDialog, save_from, settings_dialog
from fieldapp.ui.progress_tab import ProgressTab
from fieldapp.ui.strings import tr
from fieldapp.ui.tasks import TaskRunner
from fieldapp.ui.units_tab import UnitsTab


class MainWindow(QMainWindow):
    def __init__(
        self, store: Store, runner: TaskRunner | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.runner = runner or TaskRunner(self)
        self.setWindowTitle(tr("app.title"))
        self.resize(1280, 800)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("tabs")
        self.units_tab = UnitsTab(store, self.runner)
        self.progress_tab = ProgressTab(store, self.runner)
        self.checklists_tab = ChecklistsTab(store.library)
        self.tabs.addTab(self.units_tab, tr("tab.units"))
        self.tabs.addTab(self.progress_tab, tr("tab.progress"))
        self.tabs.addTab(self.checklists_tab, tr("tab.checklists"))
        self.tabs.setTabsClosable(True)
        for fixed in range(self.tabs.count()):  # the three main tabs stay
            self.tabs.tabBar().setTabButton(
                fixed, self.tabs.tabBar().ButtonPosition.RightSide, None
            )
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.units_tab.openEvaluation.connect(self.open_evaluation)
        self.setCentralWidget(self.tabs)

        self.settings_action = QAction(tr("settings.action"), self)
        self.settings_action.setObjectName("settingsAction")
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        self.menuBar().addAction(self.settings_action)

        for number in range(self.tabs.count()):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number + 1}"), self)
            shortcut.activated.connect(lambda n=number: self.tabs.setCurrentIndex(n))
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.activated.connect(self._focus_search)
        self.tabs.currentChanged.connect(self._tab_changed)

        self.units_tab.load()
        self.progress_tab.load()
        self._restore_open_evaluations()

    def evaluation_views(self) -> list[EvaluationView]:
        views = (self.tabs.widget(i) for i in range(self.tabs.count()))
        return [v for v in views if isinstance(v, EvaluationView)]

    def open_evaluation(self, evaluation_id: int) -> EvaluationView:
        """Show the evaluation in its own tab (the existing one if it is open already)."""
        for view in self.evaluation_views():
            if view.evaluation_id == evaluation_id:
                self.tabs.setCurrentWidget(view)
                return view
        view = EvaluationView(self.store, self.runner, evaluation_id)
        index = self.tabs.addTab(view, tr("eval.tab_loading", id=evaluation_id))
        view.titleChanged.connect(
            lambda title, v=view: self.tabs.setTabText(self.tabs.indexOf(v), title)
        )
        view.loaded.connect(lambda _id: self.units_tab.load_evaluations())
        view.missing.connect(lambda v=view: self._drop_missing(v))
        self.tabs.setCurrentIndex(index)
        view.table.setFocus()
        self._save_open_evaluations()
        return view

    def _restore_open_evaluations(self) -> None:
        """Reopen the evaluation tabs that were open when the app last stopped (or was killed)."""
        for evaluation_id in window_state.open_evaluations(self.store.folder):
            self.open_evaluation(evaluation_id)
        self.tabs.setCurrentWidget(self.units_tab)
        views = self.evaluation_views()
        if views:
            self.tabs.setCurrentWidget(views[-1])

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
        dialog = settings_dialog(self.store, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                save_from(self.store, dialog)

        dialog.finished.connect(chosen)
        dialog.open()
        return dialog

    def close_tab(self, index: int) -> None:
        view = self.tabs.widget(index)
        if isinstance(view, EvaluationView):
            self.tabs.removeTab(index)
            view.deleteLater()
            self._save_open_evaluations()

    def _focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.units_tab)
        self.units_tab.search.setFocus()
        self.units_tab.search.selectAll()

    def _tab_changed(self, index: int) -> None:
        # Progress may have moved since it was computed; it is cheap to compute again.
        if self.tabs.widget(index) is self.progress_tab:
            self.progress_tab.load()

    def shutdown(self) -> None:
        """Wait for background jobs; call before closing the store."""
        self.runner.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
