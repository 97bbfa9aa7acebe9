"""文件 → 备份/恢复 in the window, the automatic backup, and a restore that reopens the window."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import select

from fieldapp import backup, settings
from fieldapp.cli import main as cli_main
from fieldapp.settings import Settings
from fieldapp.storage.models import Station
from fieldapp.store import Store
from fieldapp.ui import app
from fieldapp.ui.backup_dialog import AutoBackup, BackupDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.tasks import TaskRunner

pytestmark = pytest.mark.gui


@pytest.fixture
def data(isolated_data_dir: Path) -> Path:
    assert cli_main(["demo", "--units", "12", "--evaluations", "1"]) == 0
    settings.save(isolated_data_dir, Settings(inspector_name="王芳"))
    return isolated_data_dir


def station_names(folder: Path) -> set[str]:
    with Store.open(folder) as store, store.read() as session:
        return set(session.scalars(select(Station.name)))


def add_station(folder: Path, name: str) -> None:
    with Store.open(folder) as store, store.session() as session:
        session.add(Station(name=name))


def test_backup_now_writes_the_chosen_file(qtbot: Any, data: Path, tmp_path: Path) -> None:
    with Store.open(data) as store:
        dialog = BackupDialog(store, TaskRunner())
        qtbot.addWidget(dialog)
        target = tmp_path / "out" / "手动备份.zip"
        target.parent.mkdir()
        dialog.choose_target = lambda: str(target)  # type: ignore[method-assign]
        with qtbot.waitSignal(dialog.backupWritten) as written:
            dialog.create_button.click()
        assert written.args == [str(target)]
        assert "已备份到" in dialog.status.text()
        assert backup.read_manifest(target)["files"]
        dialog.runner.shutdown()


def test_damaged_archive_is_refused_in_the_window(qtbot: Any, data: Path, tmp_path: Path) -> None:
    broken = tmp_path / "坏的备份.zip"
    broken.write_bytes(b"PK\x03\x04 truncated")
    before = station_names(data)
    with Store.open(data) as store:
        dialog = BackupDialog(store, TaskRunner())
        qtbot.addWidget(dialog)
        dialog.choose_archive = lambda: str(broken)  # type: ignore[method-assign]
        dialog.restore_button.click()
        qtbot.waitUntil(lambda: "不能恢复" in dialog.status.text())
        assert "现有数据没有改动" in dialog.status.text()
        assert dialog.confirm_box is None
        box = dialog.findChild(QMessageBox, "errorBox")
        assert box is not None and str(broken) in box.text()
        box.close()
        dialog.runner.shutdown()
    assert station_names(data) == before


def test_cancelled_restore_leaves_nothing_behind(qtbot: Any, data: Path, tmp_path: Path) -> None:
    archive = backup.create(data, tmp_path / "b.zip").path
    with Store.open(data) as store:
        dialog = BackupDialog(store, TaskRunner())
        qtbot.addWidget(dialog)
        dialog.choose_archive = lambda: str(archive)  # type: ignore[method-assign]
        dialog.restore_button.click()
        qtbot.waitUntil(lambda: dialog.confirm_box is not None)
        assert dialog.confirm_box is not None
        dialog.confirm_box.button(QMessageBox.StandardButton.Cancel).click()
        assert dialog.status.text() == "已取消恢复，现有数据没有改动。"
        dialog.runner.shutdown()
    assert sorted(p.name for p in data.parent.iterdir() if p.is_dir()) == ["data"]


def test_restore_from_the_window_reopens_it_on_the_restored_data(
    qtbot: Any, data: Path, tmp_path: Path
) -> None:
    archive = backup.create(data, tmp_path / "b.zip").path
    original = station_names(data)
    add_station(data, "备份之后新建的所")
    seen: dict[str, Any] = {}

    def drive() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        visible = [w for w in windows if w.isVisible()]
        if not visible:
            return
        window = visible[0]
        if "first" not in seen:
            seen["first"] = window
            dialog = window.open_backup()
            assert isinstance(dialog, BackupDialog)
            dialog.choose_archive = lambda: str(archive)  # type: ignore[method-assign]
            dialog.restore_button.click()
            seen["dialog"] = dialog
        elif window is seen["first"]:
            dialog = seen["dialog"]
            if dialog.confirm_box is not None and dialog.confirm_box.isVisible():
                dialog.confirm_box.button(QMessageBox.StandardButton.Yes).click()
        else:  # the new window over the restored data
            with window.store.read() as session:
                seen["stations"] = set(session.scalars(select(Station.name)))
            notice = window.findChild(QMessageBox, "restoreNotice")
            seen["notice"] = notice.text() if notice else ""
            timer.stop()
            window.close()

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(drive)
    timer.start()
    code = app.run(argparse.Namespace(data_dir=str(data), lang=None))
    timer.stop()
    assert code == 0
    assert seen["stations"] == original
    assert "已从备份恢复" in seen["notice"]
    kept = [p for p in data.parent.iterdir() if ".before-restore-" in p.name]
    assert len(kept) == 1
    assert "备份之后新建的所" in station_names(kept[0])
    assert (data / "logs" / "fieldapp.log").is_file()


def test_auto_backup_runs_on_the_runner_when_due(qtbot: Any, data: Path, tmp_path: Path) -> None:
    usb = tmp_path / "U盘"
    usb.mkdir()
    settings.save(data, Settings(inspector_name="王芳", backup_folder=str(usb), backup_keep=2))
    with Store.open(data) as store:
        runner = TaskRunner()
        auto = AutoBackup(store, runner)
        with qtbot.waitSignal(auto.finished) as done:
            assert auto.check()
        assert done.args[0].path.parent == usb
        assert len(backup.auto_backups(usb)) == 1
        # Not due again within the interval: the job runs but writes nothing.
        assert auto.check()
        qtbot.waitUntil(lambda: not auto.running)
        assert len(backup.auto_backups(usb)) == 1
        # The USB stick is gone: reported through the signal, no dialog.
        settings.save(data, Settings(inspector_name="王芳", backup_folder=str(tmp_path / "无")))
        with qtbot.waitSignal(auto.finished) as failed:
            auto.check()
        assert "不存在" in str(failed.args[0])
        runner.shutdown()


def test_auto_backup_is_off_without_a_folder(qtbot: Any, data: Path) -> None:
    with Store.open(data) as store:
        auto = AutoBackup(store, TaskRunner(synchronous=True))
        assert not auto.check()
