"""The first-run / settings dialog: who inspects, from which station, in which language.

``app.exec_dialog`` is replaced so the start-up dialog is filled and accepted without blocking.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

from fieldapp import settings
from fieldapp.imports.units import import_units
from fieldapp.settings import Settings
from fieldapp.ui import app, strings
from fieldapp.ui.first_run import SettingsDialog, settings_dialog
from fieldapp.ui.main_window import MainWindow

pytestmark = pytest.mark.gui

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    strings.set_language("zh_CN")
    yield
    strings.set_language("zh_CN")


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
    assert dialog.station.isEditable()
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
        assert isinstance(dialog, SettingsDialog)
        asked.append(dialog.windowTitle())
        return int(fill(dialog))

    def close_windows() -> None:
        try:
            for widget in QApplication.topLevelWidgets():
                if isinstance(widget, MainWindow):
                    widget.close()
        finally:
            QApplication.quit()

    monkeypatch.setattr(app, "exec_dialog", exec_dialog)
    if window:  # the event loop runs only when the window opens
        QTimer.singleShot(0, close_windows)
    code = app.run(argparse.Namespace(data_dir=str(folder), lang=None))
    return code, asked


def test_run_without_settings_asks_first_and_saves(
    qtbot: Any, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fill(dialog: SettingsDialog) -> int:
        dialog.name.setText("李明")
        dialog.badge.setText("A-17")
        dialog.accept()
        return dialog.result()

    code, asked = run_app(isolated_data_dir, monkeypatch, fill)
    assert code == 0
    assert asked == ["欢迎使用 fieldapp"]
    saved = settings.load(isolated_data_dir)
    assert (saved.inspector_name, saved.badge_number) == ("李明", "A-17")

    # Next start: the name is known, so no dialog.
    code, asked = run_app(isolated_data_dir, monkeypatch, fill)
    assert (code, asked) == (0, [])


def test_cancelling_the_first_run_quits_without_saving(
    qtbot: Any, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cancel(dialog: SettingsDialog) -> int:
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

    def fill(dialog: SettingsDialog) -> int:
        seen.append(dialog.ok_button.text())
        dialog.reject()
        return dialog.result()

    run_app(isolated_data_dir, monkeypatch, fill, window=False)
    assert seen == ["确定"]
    # Removed again when run() returns, so later windows are not affected.
    probe = SettingsDialog(Settings(), [])
    qtbot.addWidget(probe)
    assert probe.ok_button.text() == "OK"
