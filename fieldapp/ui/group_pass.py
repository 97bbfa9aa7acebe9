"""本节全部符合 and its 撤销 for the evaluation screen.

A section is the current item's group within its checklist (八有八无's 八有, the general standard's
chapters) or, for a checklist without groups, the whole checklist. 本节全部符合 answers 符合 to the
section's items that are still unchecked, in one write; an item already answered (a 不符合 with
its 整改要求, a 不适用) is left as it is. 撤销 (Ctrl+Z) takes back the last such action in one
write: every answer it made, unless the inspector has changed that answer since.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QPushButton
from shiboken6 import isValid

from fieldapp.domain.verdict import Answer
from fieldapp.ui import operations
from fieldapp.ui.strings import tr

if TYPE_CHECKING:
    from fieldapp.store import Store
    from fieldapp.ui.evaluation_model import ItemRow
    from fieldapp.ui.evaluation_view import EvaluationView
    from fieldapp.ui.operations import EvaluationData
    from fieldapp.ui.tasks import TaskRunner


@dataclass(frozen=True)
class Section:
    label: str
    refs: list[str]  # every item of the section, in table order
    unchecked: int


def section_of(items: list[ItemRow], current: ItemRow) -> Section:
    """The section the current item belongs to."""
    members = [  # not an item answered through others: it follows them
        i
        for i in items
        if i.checklist_id == current.checklist_id and i.group == current.group and not i.linked
    ]
    label = current.group or current.checklist_title
    return Section(label, [i.ref for i in members], sum(1 for i in members if i.result is None))


class GroupPass:
    """The two buttons' behaviour; the undo history lives as long as the screen."""

    def __init__(
        self,
        view: EvaluationView,
        store: Store,
        runner: TaskRunner,
        pass_button: QPushButton,
        undo_button: QPushButton,
    ) -> None:
        self._view = view
        self._store = store
        self._runner = runner
        self.pass_button = pass_button
        self.undo_button = undo_button
        self.history: list[list[str]] = []  # refs answered by each 本节全部符合, last one last
        pass_button.clicked.connect(lambda _checked=False: self.pass_section())
        undo_button.clicked.connect(lambda _checked=False: self.undo())

    def update(self) -> None:
        """Name the section and how many items it would answer; enable what can be done."""
        view = self._view
        item = view.current_item()
        locked = view.locked
        if item is None or locked:
            self.pass_button.setEnabled(False)
            self.pass_button.setToolTip("")
        else:
            section = section_of(view.model.items, item)
            self.pass_button.setEnabled(section.unchecked > 0)
            self.pass_button.setToolTip(
                tr("group.pass_tip", section=section.label, n=section.unchecked)
            )
        self.undo_button.setEnabled(bool(self.history) and not locked)
        last = len(self.history[-1]) if self.history else 0
        self.undo_button.setToolTip(tr("group.undo_tip", n=last) if last else "")

    def pass_section(self) -> bool:
        """Answer 符合 to the current section's unchecked items (writer thread)."""
        view = self._view
        item = view.current_item()
        if item is None or view.locked:
            return False
        section = section_of(view.model.items, item)
        if not section.unchecked:
            return False
        store, evaluation_id, refs = self._store, view.evaluation_id, section.refs
        self._runner.submit_write(
            lambda: operations.write_pass_group(store, evaluation_id, refs), self._passed
        )
        view.focus_items()
        return True

    def _passed(self, result: tuple[EvaluationData, list[str]]) -> None:
        data, changed = result
        if not isValid(self.undo_button):
            return  # saved; the tab was closed meanwhile
        if changed:
            self.history.append(changed)
        self._view.show_data(data)

    def undo(self) -> bool:
        """Take back the last 本节全部符合: its answers that are still 符合 (writer thread)."""
        view = self._view
        if not self.history or view.locked:
            return False
        refs = self.history.pop()
        still = {i.ref for i in view.model.items if i.result == Answer.PASS.value}
        undone = [ref for ref in refs if ref in still]
        store, evaluation_id = self._store, view.evaluation_id
        self._runner.submit_write(
            lambda: operations.write_clear_answers(store, evaluation_id, undone), self._undone
        )
        view.focus_items()
        return True

    def _undone(self, data: EvaluationData) -> None:
        if isValid(self.undo_button):
            self._view.show_data(data)
