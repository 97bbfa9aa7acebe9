"""The main window: three tabs over one open store.

The store and the task runner are passed in (no global app object); closing the window waits for
running jobs, so none outlives the store it reads from.
"""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

from fieldapp.store import Store
from fieldapp.ui.checklists_tab import ChecklistsTab
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
        self.setCentralWidget(self.tabs)

        for number in range(self.tabs.count()):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number + 1}"), self)
            shortcut.activated.connect(lambda n=number: self.tabs.setCurrentIndex(n))
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.activated.connect(self._focus_search)
        self.tabs.currentChanged.connect(self._tab_changed)

        self.units_tab.load()
        self.progress_tab.load()

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
