"""Move a unit along its lifecycle (变更状态) or record its sticker (标识张贴) from the unit page.

The dialogs offer only what the rules allow (``allowed_from``) and mark the reason as required
where the rules require one, but the core decides: a refused move comes back as the core's
``IllegalTransition`` message. The write jobs here run on the writer thread and return the
unit's fresh detail, read after the commit.
"""

from __future__ import annotations

from datetime import date
from html import escape

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QWidget,
)

from fieldapp.domain.lifecycle import REASON_REQUIRED, REASON_REQUIRED_FROM, State, allowed_from
from fieldapp.errors import NotFound
from fieldapp.services import lifecycle as lifecycle_service
from fieldapp.storage.models import Unit
from fieldapp.store import Store
from fieldapp.ui import queries
from fieldapp.ui.queries import UnitDetail
from fieldapp.ui.strings import state_label, tr


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _date(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def _date_edit(name: str, earliest: date | None, today: date) -> QDateEdit:
    edit = QDateEdit()
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMaximumDate(_qdate(today))  # never in the future
    if earliest is not None and earliest <= today:
        edit.setMinimumDate(_qdate(earliest))  # history stays in date order
    edit.setDate(_qdate(today))
    return edit


def _reason_edit(name: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setObjectName(name)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(80)
    return edit


class LifecycleDialog(QDialog):
    """Choose the next state (only the allowed ones), a reason and a date."""

    def __init__(self, unit: UnitDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lifecycleDialog")
        self.setWindowTitle(tr("lifecycle.title"))
        self._current = State(unit.state) if unit.state else None
        today = date.today()
        self.target = QComboBox()
        self.target.setObjectName("target")
        for state in allowed_from(self._current):
            self.target.addItem(state_label(state.value), state.value)
        self.reason = _reason_edit("reason")
        self.reason_label = QLabel()
        self.on = _date_edit("on", unit.state_since, today)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.target.currentIndexChanged.connect(self._target_changed)

        here = state_label(unit.state) or tr("lifecycle.no_state")
        heading = QLabel(
            f"<b>{escape(unit.name)}</b>　{escape(unit.credit_code)}<br>"
            + escape(tr("lifecycle.current", state=here))
        )
        form = QFormLayout(self)
        form.addRow(heading)
        form.addRow(tr("lifecycle.target"), self.target)
        form.addRow(self.reason_label, self.reason)
        form.addRow(tr("lifecycle.date"), self.on)
        form.addRow(self.buttons)
        self._target_changed()

    def allowed(self) -> list[str]:
        return [self.target.itemText(i) for i in range(self.target.count())]

    def chosen(self) -> State | None:
        data = self.target.currentData()
        return State(data) if data else None

    def reason_required(self) -> bool:
        target = self.chosen()
        return target in REASON_REQUIRED or self._current in REASON_REQUIRED_FROM

    def _target_changed(self, *_args: object) -> None:
        required = self.reason_required()
        self.reason_label.setText(tr("lifecycle.reason") + (" *" if required else ""))
        self.reason.setPlaceholderText(
            tr("lifecycle.reason_required") if required else tr("lifecycle.reason_optional")
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.target.count() > 0)

    def reason_text(self) -> str:
        return self.reason.toPlainText().strip()

    def chosen_date(self) -> date:
        return _date(self.on.date())


class StickerDialog(QDialog):
    """The date the year's 放心消费 sticker was posted, and a note (where, which one)."""

    def __init__(self, unit: UnitDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stickerDialog")
        self.setWindowTitle(tr("sticker.title"))
        self.on = _date_edit("on", unit.state_since, date.today())
        self.note = _reason_edit("note")
        self.note.setPlaceholderText(tr("sticker.note_hint"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel(f"<b>{escape(unit.name)}</b>　{escape(unit.credit_code)}"))
        form.addRow(tr("sticker.date"), self.on)
        form.addRow(tr("sticker.note"), self.note)
        form.addRow(buttons)

    def note_text(self) -> str:
        return self.note.toPlainText().strip()

    def chosen_date(self) -> date:
        return _date(self.on.date())


# --- the write jobs (writer thread; plain data back) -------------------------------------------


def _detail_after(store: Store, unit_id: int) -> UnitDetail:
    detail = queries.unit_detail(store, unit_id)
    if detail is None:
        raise NotFound(tr("eval.unit_gone"))
    return detail


def write_state(
    store: Store, unit_id: int, target: State, *, actor: str, reason: str, on: date
) -> UnitDetail:
    with store.session() as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(tr("eval.unit_gone"))
        lifecycle_service.change_state(session, unit, target, actor=actor, reason=reason, on=on)
    return _detail_after(store, unit_id)


def write_sticker(store: Store, unit_id: int, *, actor: str, note: str, on: date) -> UnitDetail:
    with store.session() as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(tr("eval.unit_gone"))
        lifecycle_service.post_sticker(session, unit, actor=actor, note=note, on=on)
    return _detail_after(store, unit_id)
