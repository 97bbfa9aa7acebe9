"""Who is using this copy: the inspector's name, badge number, station and language.

Shown at the first start (no inspector name in ``settings.json``) and again from the 设置 menu.
The inspector name is required: it is recorded on every state change and evaluation. The
language takes effect at the next start, since widgets are not re-translated.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from fieldapp import settings
from fieldapp.settings import Settings
from fieldapp.store import Store
from fieldapp.ui import queries
from fieldapp.ui.strings import LANGUAGES, tr


class SettingsDialog(QDialog):
    """Edit :class:`Settings`; OK stays disabled until an inspector name is entered."""

    def __init__(
        self,
        current: Settings,
        stations: list[str],
        parent: QWidget | None = None,
        *,
        first_run: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(tr("settings.first_run_title" if first_run else "settings.title"))
        self._current = current
        self.name = QLineEdit(current.inspector_name)
        self.name.setObjectName("inspectorName")
        self.name.setPlaceholderText(tr("settings.name_required"))
        self.badge = QLineEdit(current.badge_number)
        self.badge.setObjectName("badgeNumber")
        self.station = QComboBox()
        self.station.setObjectName("station")
        self.station.setEditable(True)
        self.station.addItem("")
        for name in stations:
            self.station.addItem(name)
        self.station.setCurrentText(current.station)
        self.language = QComboBox()
        self.language.setObjectName("language")
        for code in LANGUAGES:
            self.language.addItem(tr(f"settings.lang.{code}"), code)
        self.language.setCurrentIndex(max(self.language.findData(current.language), 0))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name.textChanged.connect(self._update_ok)

        form = QFormLayout(self)
        if first_run:
            intro = QLabel(tr("settings.intro"))
            intro.setWordWrap(True)
            form.addRow(intro)
        form.addRow(tr("settings.name") + " *", self.name)
        form.addRow(tr("settings.badge"), self.badge)
        form.addRow(tr("settings.station"), self.station)
        form.addRow(tr("settings.language"), self.language)
        hint = QLabel(tr("settings.language_hint"))
        hint.setStyleSheet("color:#666")
        form.addRow(hint)
        form.addRow(self.buttons)
        self._update_ok()

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(bool(self.name.text().strip()))

    def accept(self) -> None:
        if not self.name.text().strip():  # Enter in a field bypasses the disabled button
            self.name.setFocus()
            return
        super().accept()

    def value(self) -> Settings:
        return self._current.model_copy(
            update={
                "inspector_name": self.name.text().strip(),
                "badge_number": self.badge.text().strip(),
                "station": self.station.currentText().strip(),
                "language": str(self.language.currentData()),
            }
        )


def settings_dialog(
    store: Store, parent: QWidget | None = None, *, first_run: bool = False
) -> SettingsDialog:
    """The dialog filled with the store's settings and station names (not shown yet)."""
    return SettingsDialog(
        settings.load(store.folder), queries.station_names(store), parent, first_run=first_run
    )


def save_from(store: Store, dialog: SettingsDialog) -> Settings:
    chosen = dialog.value()
    settings.save(store.folder, chosen)
    return chosen
