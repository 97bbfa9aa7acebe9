"""新增单位: a unit found on site, entered by hand and checked by the core like an import row.

The dialog only gathers text; ``add_unit`` decides. A refusal (a wrong check character, a missing
name, a code already listed) comes back as the core's message, naming the field, and the dialog
stays open with everything typed so the inspector corrects one field instead of starting again.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from fieldapp.domain.vocab import INDUSTRIES, UnitType
from fieldapp.ui.strings import tr, unit_type_label

# field name -> line edit object name, in form order (station, type and industry are combos)
TEXT_FIELDS = ("credit_code", "name", "address", "contact_person", "contact_phone")


class AddUnitDialog(QDialog):
    """The form; OK emits ``submitted`` and leaves the dialog open until the write succeeds."""

    submitted = Signal(dict)

    def __init__(
        self, stations: list[str], default_station: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("addUnitDialog")
        self.setWindowTitle(tr("add_unit.title"))
        self.edits: dict[str, QLineEdit] = {}
        for name in TEXT_FIELDS:
            edit = QLineEdit()
            edit.setObjectName(name)
            self.edits[name] = edit
        self.edits["credit_code"].setMaxLength(18)
        self.edits["credit_code"].setPlaceholderText(tr("add_unit.code_hint"))
        self.station = QComboBox()
        self.station.setObjectName("station")
        for station in stations:
            self.station.addItem(station, station)
        if default_station in stations:
            self.station.setCurrentIndex(stations.index(default_station))
        self.unit_type = QComboBox()
        self.unit_type.setObjectName("unitType")
        for unit_type in UnitType:
            self.unit_type.addItem(unit_type_label(unit_type.value), unit_type.value)
        self.industry = QComboBox()
        self.industry.setObjectName("industry")
        self.industry.addItem(tr("add_unit.no_industry"), "")
        for industry in INDUSTRIES:
            self.industry.addItem(industry.label, industry.code)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout(self)
        form.addRow(QLabel(tr("add_unit.intro")))
        form.addRow(tr("col.credit_code") + " *", self.edits["credit_code"])
        form.addRow(tr("col.name") + " *", self.edits["name"])
        form.addRow(tr("col.station") + " *", self.station)
        form.addRow(tr("col.unit_type") + " *", self.unit_type)
        form.addRow(tr("detail.industry"), self.industry)
        form.addRow(tr("col.address"), self.edits["address"])
        form.addRow(tr("add_unit.contact_person"), self.edits["contact_person"])
        form.addRow(tr("add_unit.contact_phone"), self.edits["contact_phone"])
        form.addRow(self.buttons)
        self.resize(520, self.sizeHint().height())

    def values(self) -> dict[str, str]:
        """The form as ``add_unit`` field names -> text."""
        found = {name: edit.text().strip() for name, edit in self.edits.items()}
        found["station"] = str(self.station.currentData() or "")
        found["unit_type"] = str(self.unit_type.currentData() or "")
        found["industry"] = str(self.industry.currentData() or "")
        return found

    def accept(self) -> None:
        """Hand the values to the window; the dialog closes only when the unit is saved."""
        self.buttons.setEnabled(False)
        self.submitted.emit(self.values())

    def refused(self) -> None:
        """The core refused the unit: keep every value so the inspector can correct it."""
        self.buttons.setEnabled(True)

    def saved(self) -> None:
        super().accept()
