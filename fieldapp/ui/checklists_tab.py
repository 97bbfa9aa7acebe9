"""The 检查表 tab: every checklist version in the library, with its items.

The store loads the library at its first use (reading the files and recording new versions), so
the window asks for it on a worker thread when this tab is first shown and hands it to
:meth:`ChecklistsTab.show_library`. Files the loader refused are listed above the tree, so a
county's broken checklist is noticed here and not at the first evaluation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fieldapp.domain import links
from fieldapp.domain.verdict import GateEffect
from fieldapp.ui.strings import tr

if TYPE_CHECKING:
    from fieldapp.checklists import Library
    from fieldapp.checklists.schema import Item

COLUMNS = ("title", "id", "version", "items", "origin", "gate")
CENTRED = (2, 3, 4, 5)
GATE_COLOUR = QColor("#b00020")


class ChecklistsTab(QWidget):
    def __init__(self, library: Library | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setObjectName("checklists")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels([tr(f"ccol.{c}") for c in COLUMNS])
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(64)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self._row_size = QSize(0, self.tree.fontMetrics().height() + 10)
        self.problems = QLabel()
        self.problems.setObjectName("checklistProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #b00020")

        layout = QVBoxLayout(self)
        layout.addWidget(self.problems)
        layout.addWidget(self.tree, 1)
        self.shown: Library | None = None
        if library is not None:
            self.show_library(library)

    def show_library(self, library: Library) -> None:
        self.shown = library
        self.tree.clear()
        for index, entry in enumerate(library.all()):
            checklist = entry.checklist
            top = QTreeWidgetItem(
                [
                    checklist.title,
                    checklist.id,
                    str(checklist.version),
                    str(len(checklist.items)),
                    tr(f"origin.{entry.origin}"),
                    "",
                ]
            )
            top.setToolTip(0, checklist.description or checklist.title)
            children = [_item_row(item) for item in checklist.items]
            for row in (top, *children):
                row.setSizeHint(0, self._row_size)
                for column in CENTRED:
                    row.setTextAlignment(column, Qt.AlignmentFlag.AlignCenter)
            top.addChildren(children)
            self.tree.addTopLevelItem(top)
            top.setExpanded(index == 0)  # the base checklist (八有八无) comes first
        problems = library.problems
        self.problems.setVisible(bool(problems))
        self.problems.setText(
            tr("checklists.problems", n=len(problems), problems="\n".join(problems))
            if problems
            else ""
        )


def _item_row(item: Item) -> QTreeWidgetItem:
    gate = ""
    if item.gate:
        gate = tr("gate.veto") if item.gate_effect is GateEffect.VETO else tr("gate.warn")
    row = QTreeWidgetItem([item.text, item.code, "", "", "", gate])
    tip = [item.guidance or item.text, tr("checklists.source", source=item.source)]
    if item.same_as:
        tip.append(tr("checklists.same_as", same="、".join(item.same_as)))
    if item.applies_when is not None:
        tip.append(tr("checklists.applies_when", when=links.condition_text(item.applies_when)))
    row.setToolTip(0, "\n".join(tip))
    if item.gate:
        row.setForeground(5, QBrush(GATE_COLOUR))
    return row
