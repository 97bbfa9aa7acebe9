"""The first-run wizard and the settings dialog: who inspects, from which station, in which
language, where the county server and the backups are.

``app.exec_dialog`` is replaced so the start-up wizard is filled and accepted without blocking.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QDialog, QWizard
from sqlalchemy import func, select

from fieldapp import settings
from fieldapp.imports.units import import_units
from fieldapp.settings import Settings
from fieldapp.storage.models import Evaluation, Unit
from fieldapp.ui import app, first_run, strings
from fieldapp.ui.first_run import FirstRunWizard, SettingsDialog, settings_dialog
from fieldapp.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

DATA = Path(__file__).resolve().parents[1] / "data"


def test_dialog_refuses_an_empty_name(qtbot: Any) -> None:
    dialog = SettingsDialog(Settings(), ["五云所", "壶镇分局"], first_run=True)
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    dialog.name.setText("   ")
    assert not dialog.ok_button.isEnabled()
    dialog.accept()  # Enter in a field: still refused
    assert dialog.result() != QDialog.DialogCode.Accepted
    dialog.name.setText("王芳")
    assert dialog.ok_button.isEnabled()


def test_dialog_offers_the_store_stations_and_saves_values(qtbot: Any, store: Any) -> None:
    with store.session() as session:
        import_units(session, DATA / "units-sample.csv", actor="t")
    dialog = settings_dialog(store, first_run=True)
    qtbot.addWidget(dialog)
    stations = [dialog.station.itemText(i) for i in range(dialog.station.count())]
    assert "五云所" in stations
    assert not dialog.station.isEditable()  # chosen from the county's list, never typed
    dialog.name.setText(" 王芳 ")
    dialog.badge.setText("33112233")
    dialog.station.setCurrentText("五云所")
    dialog.language.setCurrentIndex(dialog.language.findData("en"))
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.value() == Settings(
        inspector_name="王芳", badge_number="33112233", station="五云所", language="en"
    )


def run_app(
    folder: Path, monkeypatch: pytest.MonkeyPatch, fill: Any, *, window: bool = True
) -> tuple[int, list[str]]:
    """Start ``app.run`` with ``fill`` answering the first-run dialog; close the window at once."""
    asked: list[str] = []

    def exec_dialog(dialog: QDialog) -> int:
        assert isinstance(dialog, FirstRunWizard)
        asked.append(dialog.windowTitle())
        return int(fill(dialog))

    def close_windows(app_: Any = None) -> int:
        """Stands in for ``app.exec()``: a real exec() that returns leaves Qt's quit flag set,
        after which no later test's timers fire (pytest-qt issues #37, #323)."""
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow):
                widget.close()
        return 0

    monkeypatch.setattr(app, "exec_dialog", exec_dialog)
    if window:  # the event loop runs only when the window opens
        monkeypatch.setattr(QApplication, "exec", close_windows)
    code = app.run(argparse.Namespace(data_dir=str(folder), lang=None))
    return code, asked


def test_run_without_settings_asks_first_and_saves(
    qtbot: Any, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_started: list[object] = []
    monkeypatch.setattr(app, "start_demo", demo_started.append)

    def fill(wizard: FirstRunWizard) -> int:
        wizard.name.setText("李明")
        wizard.badge.setText("A-17")
        wizard.inspector.fields.add_station("五云所")  # as 测试连接 names it
        wizard.server.server_url.setText(" https://fxxf.example.gov.cn:8443 ")
        wizard.server.server_token.setText("tok-123")
        wizard.accept()
        return wizard.result()

    code, asked = run_app(isolated_data_dir, monkeypatch, fill)
    assert code == 0
    assert asked == ["欢迎使用 fieldapp"]
    saved = settings.load(isolated_data_dir)
    assert (saved.inspector_name, saved.badge_number, saved.station) == ("李明", "A-17", "五云所")
    assert (saved.server_url, saved.server_token) == ("https://fxxf.example.gov.cn:8443", "tok-123")
    assert demo_started == []  # not asked for

    # Next start: the name is known, so no dialog.
    code, asked = run_app(isolated_data_dir, monkeypatch, fill)
    assert (code, asked) == (0, [])


def test_cancelling_the_first_run_quits_without_saving(
    qtbot: Any, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cancel(dialog: FirstRunWizard) -> int:
        dialog.reject()
        return dialog.result()

    shown: list[object] = []
    monkeypatch.setattr(MainWindow, "show", lambda self: shown.append(self))
    code, asked = run_app(isolated_data_dir, monkeypatch, cancel, window=False)
    assert code == 0
    assert len(asked) == 1
    assert shown == []  # no window
    assert not (isolated_data_dir / settings.SETTINGS_FILE).exists()


def test_saved_language_applies_at_start(
    qtbot: Any, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    settings.save(isolated_data_dir, Settings(inspector_name="王芳", language="en"))
    titles: list[str] = []
    monkeypatch.setattr(MainWindow, "show", lambda self: titles.append(self.windowTitle()))
    code, asked = run_app(isolated_data_dir, monkeypatch, lambda d: 0)
    assert (code, asked) == (0, [])
    assert titles == [strings.EN["app.title"]]


def test_settings_action_reopens_the_dialog_and_saves(qtbot: Any, store: Any) -> None:
    settings.save(store.folder, Settings(inspector_name="王芳", station="五云所"))
    window = MainWindow(store)
    qtbot.addWidget(window)
    try:
        window.settings_action.trigger()
        dialog = window.findChild(SettingsDialog, "settingsDialog")
        assert dialog is not None and dialog.isVisible()
        assert dialog.windowTitle() == "设置"
        assert dialog.name.text() == "王芳"
        assert dialog.station.currentText() == "五云所"
        dialog.name.setText("张伟")
        dialog.language.setCurrentIndex(dialog.language.findData("en"))
        dialog.accept()
        saved = settings.load(store.folder)
        assert (saved.inspector_name, saved.station, saved.language) == ("张伟", "五云所", "en")
        # The new name is the default inspector of the next evaluation.
        assert window.units_tab.default_inspector() == "张伟"
    finally:
        window.shutdown()


def test_qt_buttons_follow_the_language(
    qtbot: Any, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def fill(wizard: FirstRunWizard) -> int:
        seen.append(wizard.buttonText(QWizard.WizardButton.CancelButton))
        wizard.reject()
        return wizard.result()

    run_app(isolated_data_dir, monkeypatch, fill, window=False)
    assert seen == ["取消"]
    # Removed again when run() returns, so later windows are not affected.
    probe = SettingsDialog(Settings(), [])
    qtbot.addWidget(probe)
    assert probe.ok_button.text() == "OK"


def test_wizard_needs_a_name_before_next(qtbot: Any) -> None:
    wizard = FirstRunWizard(Settings(), ["五云所"])
    qtbot.addWidget(wizard)
    wizard.show()
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert wizard.currentPage() is wizard.inspector
    assert not next_button.isEnabled()
    wizard.name.setText("  ")
    assert not next_button.isEnabled()
    wizard.accept()  # cannot finish without a name either
    assert wizard.result() != QDialog.DialogCode.Accepted
    wizard.name.setText("王芳")
    assert next_button.isEnabled()
    wizard.next()
    assert wizard.currentPage() is wizard.server
    wizard.next()
    assert wizard.currentPage() is wizard.demo_page
    assert not wizard.load_demo.isChecked()  # real work by default


def test_wizard_demo_choice_loads_demo_data_off_the_ui_thread(
    qtbot: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(first_run, "DEMO_UNITS", 15)
    monkeypatch.setattr(first_run, "DEMO_EVALUATIONS", 1)
    wizard = first_run.first_run_wizard(store)
    qtbot.addWidget(wizard)
    wizard.name.setText("王芳")
    wizard.load_demo.setChecked(True)
    wizard.accept()
    assert first_run.finish_first_run(store, wizard) is True
    assert settings.load(store.folder).inspector_name == "王芳"
    window = MainWindow(store)
    qtbot.addWidget(window)
    try:
        app.start_demo(window)
        qtbot.waitUntil(lambda: "演示数据已载入" in window.statusBar().currentMessage())
        with store.read() as session:
            assert session.scalar(select(func.count()).select_from(Unit)) >= 15
            assert session.scalar(select(func.count()).select_from(Evaluation)) == 1
        qtbot.waitUntil(lambda: window.units_tab.model.rowCount() >= 15)
    finally:
        window.shutdown()


def test_settings_dialog_edits_server_and_backup(qtbot: Any, store: Any, tmp_path: Path) -> None:
    settings.save(store.folder, Settings(inspector_name="王芳"))
    dialog = settings_dialog(store)
    qtbot.addWidget(dialog)
    assert dialog.backup_keep.value() == 7 and dialog.backup_interval.value() == 24
    dialog.server_url.setText("https://fxxf.example.gov.cn")
    dialog.server_token.setText("abc")
    dialog.ca_bundle.setText(str(tmp_path / "县局CA.pem"))
    dialog.backup_folder.setText(str(tmp_path / "U盘"))
    dialog.backup_keep.setValue(3)
    dialog.backup_interval.setValue(12)
    dialog.accept()
    first_run.save_from(store, dialog)
    saved = settings.load(store.folder)
    assert (
        saved.to_dict()
        == Settings(
            inspector_name="王芳",
            server_url="https://fxxf.example.gov.cn",
            server_token="abc",
            ca_bundle=str(tmp_path / "县局CA.pem"),
            backup_folder=str(tmp_path / "U盘"),
            backup_keep=3,
            backup_interval_hours=12,
        ).to_dict()
    )


def test_settings_dialog_edits_what_the_sheet_prints(
    qtbot: Any, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.save(store.folder, Settings(inspector_name="王芳", station="五云所"))
    dialog = settings_dialog(store)
    qtbot.addWidget(dialog)
    assert dialog.photos_per_page.currentData() == 9
    dialog.office_name.setText("缙云县市场监督管理局五云市场监督管理所")
    dialog.office_phone.setText("0578-3123456")
    dialog.office_address.setText("缙云县五云街道解放东路 1 号")
    dialog.photos_per_page.setCurrentIndex(dialog.photos_per_page.findData(6))
    warned: list[str] = []
    monkeypatch.setattr(
        first_run.QMessageBox, "warning", lambda _parent, _title, text: warned.append(text)
    )
    dialog.colleague_badges.setText("李四")  # no badge number: refused, the dialog stays
    dialog.accept()
    assert warned and "未保存" in warned[0] and dialog.result() != dialog.DialogCode.Accepted
    dialog.colleague_badges.setText("李四 33110002；王五 33110003")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    first_run.save_from(store, dialog)
    saved = settings.load(store.folder)
    assert saved.office_name == "缙云县市场监督管理局五云市场监督管理所"
    assert saved.office_phone == "0578-3123456" and saved.photos_per_page == 6
    assert saved.colleague_badges == "李四 33110002；王五 33110003"
