"""Move a unit along its lifecycle (变更状态) or record its sticker (标识张贴) from the unit page.

The dialogs offer only what the rules allow (``allowed_from``) and mark the reason as required
where the rules require one, but the core decides: a refused move comes back as the core's
``IllegalTransition`` message. The write jobs here run on the writer thread and return the
unit's fresh detail, read after the commit.
"""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import Path
from typing import cast

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QImageReader, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from fieldapp.domain.events import Role
from fieldapp.domain.lifecycle import (
    NAMED_STATES,
    REASON_REQUIRED,
    REASON_REQUIRED_FROM,
    ExitReason,
    State,
    allowed_from,
)
from fieldapp.photos.ingest import IMAGE_SUFFIXES
from fieldapp.ui.operations import UnitDetail
from fieldapp.ui.strings import state_label, tr


def _date_edit(name: str, earliest: date | None, today: date) -> QDateEdit:
    edit = QDateEdit()
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMaximumDate(QDate(today))  # never in the future
    if earliest is not None and earliest <= today:
        edit.setMinimumDate(QDate(earliest))  # history stays in date order
    edit.setDate(QDate(today))
    return edit


def _reason_edit(name: str) -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setObjectName(name)
    edit.setTabChangesFocus(True)
    edit.setFixedHeight(80)
    return edit


class LifecycleDialog(QDialog):
    """Choose the next state (only the allowed ones), a reason and a date."""

    def __init__(
        self, unit: UnitDetail, parent: QWidget | None = None, role: Role = Role.INSPECTOR
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lifecycleDialog")
        self.setWindowTitle(tr("lifecycle.title"))
        self._current = State(unit.state) if unit.state else None
        today = date.today()
        self.target = QComboBox()
        self.target.setObjectName("target")
        for state in allowed_from(self._current):
            self.target.addItem(state_label(state.value), state.value)
        self.exit_reason = QComboBox()
        self.exit_reason.setObjectName("exitReason")
        for code in ExitReason:
            self.exit_reason.addItem(code.label, code.value)
        self.exit_label = QLabel(tr("lifecycle.exit_reason"))
        # 县局确认: only a county account may name a unit without a passing 后评价 of the year.
        self.county_confirm = QCheckBox(tr("lifecycle.county_confirm"))
        self.county_confirm.setObjectName("countyConfirm")
        self._role = role
        self.reason = _reason_edit("reason")
        self.reason_label = QLabel()
        self.on = _date_edit("on", unit.state_since, today)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.target.currentIndexChanged.connect(self._target_changed)
        self.exit_reason.currentIndexChanged.connect(self._target_changed)
        self.county_confirm.toggled.connect(self._target_changed)

        here = state_label(unit.state) or tr("lifecycle.no_state")
        heading = QLabel(
            f"<b>{escape(unit.name)}</b>　{escape(unit.credit_code)}<br>"
            + escape(tr("lifecycle.current", state=here))
        )
        form = QFormLayout(self)
        form.addRow(heading)
        form.addRow(tr("lifecycle.target"), self.target)
        form.addRow(self.exit_label, self.exit_reason)
        form.addRow(self.county_confirm)
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
        if target is State.REMOVED:
            return self.chosen_exit_reason() is ExitReason.OTHER
        if self.county_confirmed():
            return True
        return target in REASON_REQUIRED or self._current in REASON_REQUIRED_FROM

    def chosen_exit_reason(self) -> ExitReason | None:
        if self.chosen() is not State.REMOVED:
            return None
        data = self.exit_reason.currentData()
        return ExitReason(data) if data else None

    def county_confirmed(self) -> bool:
        return self.county_confirm.isVisibleTo(self) and self.county_confirm.isChecked()

    def _target_changed(self, *_args: object) -> None:
        removing = self.chosen() is State.REMOVED
        self.exit_label.setVisible(removing)
        self.exit_reason.setVisible(removing)
        self.county_confirm.setVisible(self.chosen() in NAMED_STATES and self._role is Role.COUNTY)
        required = self.reason_required()
        self.reason_label.setText(tr("lifecycle.reason") + (" *" if required else ""))
        self.reason.setPlaceholderText(
            tr("lifecycle.reason_required") if required else tr("lifecycle.reason_optional")
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.target.count() > 0)

    def reason_text(self) -> str:
        return self.reason.toPlainText().strip()

    def chosen_date(self) -> date:
        return cast(date, self.on.date().toPython())  # the stubs say object


class StickerDialog(QDialog):
    """The date the year's 放心消费 sticker was posted, a note, and a photo of it on the wall.

    The photo is optional here (a sticker posted without one is still recorded) but the progress
    dashboard lists such units until a photo is taken, as the seed's 防止失真失实 asks.
    """

    def __init__(self, unit: UnitDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stickerDialog")
        self.setWindowTitle(tr("sticker.title"))
        self.on = _date_edit("on", unit.state_since, date.today())
        self.note = _reason_edit("note")
        self.note.setPlaceholderText(tr("sticker.note_hint"))
        self.photo_path: str | None = None
        self.photo_label = QLabel(tr("sticker.no_photo"))
        self.photo_label.setObjectName("photoLabel")
        self.photo_label.setWordWrap(True)
        self.choose_photo = QPushButton(tr("sticker.choose_photo"))
        self.choose_photo.setObjectName("choosePhoto")
        self.choose_photo.clicked.connect(self._ask_photo)
        photo_row = QHBoxLayout()
        photo_row.addWidget(self.photo_label, 1)
        photo_row.addWidget(self.choose_photo)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(QLabel(f"<b>{escape(unit.name)}</b>　{escape(unit.credit_code)}"))
        form.addRow(tr("sticker.date"), self.on)
        form.addRow(tr("sticker.photo"), photo_row)
        form.addRow(tr("sticker.note"), self.note)
        form.addRow(buttons)

    def _ask_photo(self) -> None:
        dialog = QFileDialog(self, tr("sticker.choose_photo"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(
            tr("eval.image_filter") + " (" + " ".join(f"*{s}" for s in IMAGE_SUFFIXES) + ")"
        )
        dialog.fileSelected.connect(self.set_photo)
        dialog.open()

    def set_photo(self, path: str) -> None:
        """Use ``path`` as the sticker photo (shown by name; it is checked when saved)."""
        self.photo_path = path or None
        if self.photo_path is None:
            self.photo_label.setText(tr("sticker.no_photo"))
            return
        self.photo_label.setText(Path(path).name)
        reader = QImageReader(path)
        reader.setAutoTransform(True)  # show it upright, as it will be stored (EXIF orientation)
        size = reader.size()
        if size.isValid():  # decode a small copy: a 12 MP photo in full would stall the window
            size.scale(320, 320, Qt.AspectRatioMode.KeepAspectRatio)
            reader.setScaledSize(size)
        preview = QPixmap.fromImage(reader.read())
        if not preview.isNull():
            self.photo_label.setPixmap(
                preview.scaled(
                    160,
                    120,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )

    def note_text(self) -> str:
        return self.note.toPlainText().strip()

    def chosen_date(self) -> date:
        return cast(date, self.on.date().toPython())  # the stubs say object


# --- the write jobs (writer thread; plain data back) -------------------------------------------
