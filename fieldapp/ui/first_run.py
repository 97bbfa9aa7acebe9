"""Who is using this copy, where the county server and the backups are: the settings dialog,
and the first-run wizard that asks the same things once.

The wizard (:class:`FirstRunWizard`) is shown at the first start (no inspector name in
``settings.json``): inspector name and badge, station, the county server's address and token
(optional, can wait), and whether to load demo data for training. Everything it asks can be
changed later in 设置 (:class:`SettingsDialog`), which also holds the CA file and the automatic
backup folder, how many backups to keep and how often. The inspector name is required: it is
recorded on every state change and evaluation. The language takes effect at the next start,
since widgets are not re-translated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from fieldapp import settings
from fieldapp.settings import Settings
from fieldapp.store import Store
from fieldapp.ui import operations
from fieldapp.ui.server_check import ServerCheck
from fieldapp.ui.strings import LANGUAGES, tr
from fieldapp.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from fieldapp.ui.demo_progress import DemoProgress

DEMO_UNITS = 300
DEMO_EVALUATIONS = 12
"""Size of the training data the wizard loads (like ``fieldapp demo --units 300 --targets
--evaluations 12``): enough to practise searching, filtering and evaluating."""


def _path_row(edit: QLineEdit, choose: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(choose)
    return row


class InspectorFields:
    """Inspector name (required), badge number and station: the same fields in the settings
    dialog and on the wizard's first page."""

    def __init__(self, current: Settings, stations: list[str]) -> None:
        self.name = QLineEdit(current.inspector_name)
        self.name.setObjectName("inspectorName")
        self.name.setPlaceholderText(tr("settings.name_required"))
        self.badge = QLineEdit(current.badge_number)
        self.badge.setObjectName("badgeNumber")
        # Chosen from the county's list (the stations of the imported or pulled units, and the
        # one the server names at 测试连接), never typed: a misspelt station matches no unit.
        self.station = QComboBox()
        self.station.setObjectName("station")
        self.station.addItem(tr("settings.no_station"), "")
        for name in dict.fromkeys([*stations, current.station.strip()]):
            if name:
                self.station.addItem(name, name)
        self.station.setCurrentIndex(max(self.station.findData(current.station.strip()), 0))
        self.office_name = QLineEdit(current.office_name)
        self.office_name.setObjectName("officeName")
        self.office_name.setPlaceholderText(tr("settings.office_name_hint"))

    def add_station(self, name: str) -> None:
        """Offer (and choose) the station the county server named for this token."""
        if self.station.findData(name) < 0:
            self.station.addItem(name, name)
        self.station.setCurrentIndex(self.station.findData(name))

    def add_to(self, form: QFormLayout) -> None:
        form.addRow(tr("settings.name") + " *", self.name)
        form.addRow(tr("settings.badge"), self.badge)
        form.addRow(tr("settings.station"), self.station)
        form.addRow(tr("settings.office_name"), self.office_name)

    def values(self) -> dict[str, str]:
        return {
            "inspector_name": self.name.text().strip(),
            "badge_number": self.badge.text().strip(),
            "station": str(self.station.currentData() or ""),
            "office_name": self.office_name.text().strip(),
        }


class ServerFields:
    """The county server's address and token (settings dialog and the wizard's second page)."""

    def __init__(self, current: Settings) -> None:
        self.server_url = QLineEdit(current.server_url)
        self.server_url.setObjectName("serverUrl")
        self.server_url.setPlaceholderText("https://…")
        self.server_token = QLineEdit(current.server_token)
        self.server_token.setObjectName("serverToken")
        self.server_token.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        if current.token_in_keyring and not current.server_token:
            self.server_token.setPlaceholderText(tr("settings.token_in_keyring"))

        self.check: ServerCheck | None = None

    def add_check(self, runner: TaskRunner, ca_bundle: QLineEdit | None = None) -> ServerCheck:
        """测试连接 under the fields, run on ``runner``."""
        self.check = ServerCheck(self.server_url, self.server_token, runner, ca_bundle)
        return self.check

    def add_to(self, form: QFormLayout) -> None:
        form.addRow(tr("settings.server_url"), self.server_url)
        form.addRow(tr("settings.server_token"), self.server_token)
        if self.check is not None:
            form.addRow("", self.check.row)

    def values(self) -> dict[str, str]:
        return {
            "server_url": self.server_url.text().strip(),
            "server_token": self.server_token.text().strip(),
        }


class SettingsDialog(QDialog):
    """Edit :class:`Settings`; OK stays disabled until an inspector name is entered."""

    def __init__(
        self,
        current: Settings,
        stations: list[str],
        parent: QWidget | None = None,
        *,
        first_run: bool = False,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(tr("settings.first_run_title" if first_run else "settings.title"))
        self._current = current
        self.inspector = InspectorFields(current, stations)
        self.name, self.badge, self.station = (
            self.inspector.name,
            self.inspector.badge,
            self.inspector.station,
        )
        self.language = QComboBox()
        self.language.setObjectName("language")
        for code in LANGUAGES:
            self.language.addItem(tr(f"settings.lang.{code}"), code)
        self.language.setCurrentIndex(max(self.language.findData(current.language), 0))
        self.server = ServerFields(current)
        self.server_url, self.server_token = self.server.server_url, self.server.server_token
        self.ca_bundle = QLineEdit(current.ca_bundle)
        self.ca_bundle.setObjectName("caBundle")
        if runner is not None:
            check = self.server.add_check(runner, self.ca_bundle)
            check.stationFound.connect(self.inspector.add_station)
        choose_ca = QPushButton(tr("settings.choose"))
        choose_ca.clicked.connect(self._choose_ca)
        self.backup_folder = QLineEdit(current.backup_folder)
        self.backup_folder.setObjectName("backupFolder")
        self.backup_folder.setPlaceholderText(tr("settings.backup_folder_hint"))
        choose_folder = QPushButton(tr("settings.choose"))
        choose_folder.clicked.connect(self._choose_backup_folder)
        self.backup_keep = QSpinBox()
        self.backup_keep.setObjectName("backupKeep")
        self.backup_keep.setRange(1, 365)
        self.backup_keep.setValue(current.backup_keep)
        self.backup_interval = QSpinBox()
        self.backup_interval.setObjectName("backupInterval")
        self.backup_interval.setRange(1, 24 * 30)
        self.backup_interval.setSuffix(tr("settings.hours"))
        self.backup_interval.setValue(current.backup_interval_hours)
        self.office_name = self.inspector.office_name
        self.office_phone = QLineEdit(current.office_phone)
        self.office_phone.setObjectName("officePhone")
        self.office_address = QLineEdit(current.office_address)
        self.office_address.setObjectName("officeAddress")
        self.colleague_badges = QLineEdit(current.colleague_badges)
        self.colleague_badges.setObjectName("colleagueBadges")
        self.colleague_badges.setPlaceholderText(tr("settings.colleague_badges_hint"))
        self.photos_per_page = QComboBox()
        self.photos_per_page.setObjectName("photosPerPage")
        for n in (9, 6):
            self.photos_per_page.addItem(tr("settings.photos_n", n=n), n)
        self.photos_per_page.setCurrentIndex(
            max(self.photos_per_page.findData(current.photos_per_page), 0)
        )
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
        self.inspector.add_to(form)
        form.addRow(tr("settings.language"), self.language)
        hint = QLabel(tr("settings.language_hint"))
        hint.setStyleSheet("color:#666")
        form.addRow(hint)
        form.addRow(QLabel(f"<b>{tr('settings.server_group')}</b>"))
        self.server.add_to(form)
        form.addRow(tr("settings.ca_bundle"), _path_row(self.ca_bundle, choose_ca))
        form.addRow(QLabel(f"<b>{tr('settings.backup_group')}</b>"))
        form.addRow(tr("settings.backup_folder"), _path_row(self.backup_folder, choose_folder))
        form.addRow(tr("settings.backup_keep"), self.backup_keep)
        form.addRow(tr("settings.backup_interval"), self.backup_interval)
        if not first_run:
            form.addRow(QLabel(f"<b>{tr('settings.print_group')}</b>"))
            form.addRow(tr("settings.office_phone"), self.office_phone)
            form.addRow(tr("settings.office_address"), self.office_address)
            form.addRow(tr("settings.colleague_badges"), self.colleague_badges)
            form.addRow(tr("settings.photos_per_page"), self.photos_per_page)
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
        try:
            self.value()
        except ValueError as exc:  # each field is checked where the settings are made
            QMessageBox.warning(self, self.windowTitle(), tr("settings.invalid", message=exc))
            return
        super().accept()

    def value(self) -> Settings:
        return self._current.replace(
            **self.inspector.values(),
            **self.server.values(),
            language=str(self.language.currentData()),
            ca_bundle=self.ca_bundle.text().strip(),
            backup_folder=self.backup_folder.text().strip(),
            backup_keep=self.backup_keep.value(),
            backup_interval_hours=self.backup_interval.value(),
            office_phone=self.office_phone.text().strip(),
            office_address=self.office_address.text().strip(),
            colleague_badges=self.colleague_badges.text().strip(),
            photos_per_page=int(self.photos_per_page.currentData()),
        )

    def _choose_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, tr("settings.ca_bundle"), self.ca_bundle.text(), "PEM (*.pem *.crt);;* (*)"
        )
        if path:
            self.ca_bundle.setText(path)

    def _choose_backup_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, tr("settings.backup_folder"), self.backup_folder.text()
        )
        if path:
            self.backup_folder.setText(path)


def settings_dialog(
    store: Store, parent: QWidget | None = None, *, first_run: bool = False
) -> SettingsDialog:
    """The dialog filled with the store's settings and station names (not shown yet)."""
    return SettingsDialog(
        settings.load(store.folder), operations.station_names(store), parent, first_run=first_run
    )


def save_from(store: Store, dialog: SettingsDialog) -> Settings:
    chosen = dialog.value()
    settings.save(store.folder, chosen)
    return chosen


def load_demo(
    store: Store,
    units: int = DEMO_UNITS,
    evaluations: int = DEMO_EVALUATIONS,
    progress: DemoProgress | None = None,
) -> int:
    """Load training data into ``store`` with the services ``fieldapp demo --targets`` uses.

    Runs on a worker thread (reporting to ``progress``); returns how many demo units were created.
    """
    from fieldapp.services import demo

    return demo.load(
        store,
        units,
        targets=True,
        evaluations=evaluations,
        unit_progress=progress.units if progress else None,
        evaluation_progress=progress.evaluations if progress else None,
    ).units_created


class _InspectorPage(QWizardPage):
    def __init__(self, current: Settings, stations: list[str]) -> None:
        super().__init__()
        self.setTitle(tr("wizard.inspector_title"))
        self.setSubTitle(tr("settings.intro"))
        self.fields = InspectorFields(current, stations)
        self.name = self.fields.name
        self.fields.add_to(QFormLayout(self))
        self.name.textChanged.connect(self.completeChanged)

    def isComplete(self) -> bool:
        return bool(self.name.text().strip())


class _ServerPage(QWizardPage):
    def __init__(self, current: Settings, runner: TaskRunner) -> None:
        super().__init__()
        self.setTitle(tr("wizard.server_title"))
        self.setSubTitle(tr("wizard.server_intro"))
        self.fields = ServerFields(current)
        self.server_url, self.server_token = self.fields.server_url, self.fields.server_token
        self.check = self.fields.add_check(runner)
        self.fields.add_to(QFormLayout(self))


class _DemoPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(tr("wizard.demo_title"))
        self.demo = QCheckBox(tr("wizard.demo_check", units=DEMO_UNITS))
        self.demo.setObjectName("loadDemo")
        hint = QLabel(tr("wizard.demo_hint"))
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.demo)
        layout.addWidget(hint)
        layout.addStretch(1)


class FirstRunWizard(QWizard):
    """Three short pages; see :func:`finish_first_run` for what Finish does."""

    def __init__(
        self, current: Settings, stations: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunWizard")
        self.setWindowTitle(tr("settings.first_run_title"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self._current = current
        self.runner = TaskRunner(self)  # 测试连接 runs off the UI thread, before any window
        self.inspector = _InspectorPage(current, stations)
        self.server = _ServerPage(current, self.runner)
        self.server.check.stationFound.connect(self.inspector.fields.add_station)
        self.demo_page = _DemoPage()
        for page in (self.inspector, self.server, self.demo_page):
            self.addPage(page)

    def done(self, result: int) -> None:
        self.runner.shutdown()  # a check still waiting on the network is dropped
        super().done(result)

    # The same names as SettingsDialog, so callers and tests read both alike.
    @property
    def name(self) -> QLineEdit:
        return self.inspector.name

    @property
    def badge(self) -> QLineEdit:
        return self.inspector.fields.badge

    @property
    def station(self) -> QComboBox:
        return self.inspector.fields.station

    @property
    def load_demo(self) -> QCheckBox:
        return self.demo_page.demo

    def accept(self) -> None:
        if not self.name.text().strip():  # never finish without an inspector
            self.restart()
            self.name.setFocus()
            return
        super().accept()

    def value(self) -> Settings:
        return self._current.replace(
            **self.inspector.fields.values(), **self.server.fields.values()
        )


def first_run_wizard(store: Store, parent: QWidget | None = None) -> FirstRunWizard:
    return FirstRunWizard(settings.load(store.folder), operations.station_names(store), parent)


def finish_first_run(store: Store, wizard: FirstRunWizard) -> bool:
    """Save what the wizard asked; True if the inspector asked for demo data."""
    settings.save(store.folder, wizard.value())
    return wizard.load_demo.isChecked()


def start_demo(
    store: Store, runner: TaskRunner, on_done: Callable[[int], None], parent: QWidget | None = None
) -> int:
    """Load the demo data on the writer thread, its progress in a dialog over ``parent``;
    ``on_done(units created)`` on the UI thread once the dialog has closed."""
    from fieldapp.ui.demo_progress import DemoProgress, finished

    units, evaluations = DEMO_UNITS, DEMO_EVALUATIONS
    dialog = DemoProgress(parent)
    dialog.show()
    return runner.submit_write(
        lambda: load_demo(store, units, evaluations, dialog),
        finished(dialog, on_done),
        finished(dialog, runner.report),
    )
