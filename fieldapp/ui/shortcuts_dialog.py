"""帮助 → 快捷键: every key of the window in one list (the user guide's 快捷键 page says the same)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.strings import tr

# (section, keys, what they do): the keys as the keyboard shows them (a string key where the
# letter is the language's own mnemonic), the action a string key.
SHORTCUTS: tuple[tuple[str, str, str], ...] = (
    ("keys.section_window", "Ctrl+1 … Ctrl+4", "keys.tabs"),
    ("keys.section_window", "Ctrl+F", "keys.find"),
    ("keys.section_window", "F1", "keys.help"),
    ("keys.section_window", "Tab / Shift+Tab", "keys.tab"),
    ("keys.section_window", "keys.alt_keys", "keys.alt"),
    ("keys.section_units", "↓", "keys.search_down"),
    ("keys.section_units", "Enter", "keys.open_unit"),
    ("keys.section_units", "Ctrl+N", "keys.new_evaluation"),
    ("keys.section_eval", "1 / 2 / 3", "keys.answer"),
    ("keys.section_eval", "↑ / ↓ / Enter", "keys.move"),
    ("keys.section_eval", "N", "keys.note"),
    ("keys.section_eval", "Ctrl+Shift+P", "keys.photo"),
    ("keys.section_eval", "Ctrl+V", "keys.paste"),
    ("keys.section_eval", "Ctrl+M", "keys.next_missing"),
    ("keys.section_eval", "keys.section_pass_keys", "keys.section_pass"),
    ("keys.section_eval", "Ctrl+Z", "keys.undo"),
    ("keys.section_eval", "keys.signatures_keys", "keys.signatures"),
    ("keys.section_eval", "keys.finalize_keys", "keys.finalize"),
    ("keys.section_eval", "Ctrl+P", "keys.print"),
    ("keys.section_eval", "Ctrl+Shift+S", "keys.save_pdf"),
    ("keys.section_eval", "← / →", "keys.turn_photo"),
    ("keys.section_lists", "Enter", "keys.open_row"),
)


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle(tr("keys.title"))
        intro = QLabel(tr("keys.intro"))
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setObjectName("shortcuts")
        self.table.setHorizontalHeaderLabels([tr("keys.col_keys"), tr("keys.col_action")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        section = ""
        for group, keys, action in SHORTCUTS:
            if group != section:
                section = group
                self._add_row(tr(group), "", heading=True)
            self._add_row(tr(keys) if keys.startswith("keys.") else keys, tr(action))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(680, 560)

    def _add_row(self, keys: str, action: str, heading: bool = False) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        first = QTableWidgetItem(keys)
        second = QTableWidgetItem(action)
        if heading:
            font = first.font()
            font.setBold(True)
            first.setFont(font)
            self.table.setSpan(row, 0, 1, 2)
        first.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.setItem(row, 0, first)
        self.table.setItem(row, 1, second)
