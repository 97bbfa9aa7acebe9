"""Unexpected errors: logged, shown with the log's location and 复制详细信息; the work goes on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from fieldapp import logs
from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as service
from fieldapp.services import units
from fieldapp.storage.models import Evaluation
from fieldapp.ui import error_dialog, strings
from fieldapp.ui.error_dialog import ErrorDialog
from fieldapp.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def hooks(isolated_data_dir: Path) -> Iterator[Path]:
    strings.set_language("zh_CN")
    path = logs.setup(isolated_data_dir)
    yield path
    error_dialog.uninstall()
    logs.close()


def _dialog() -> ErrorDialog | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog)]
    visible = [w for w in found if w.isVisible()]
    return visible[0] if visible else None


def _boom() -> None:
    raise ZeroDivisionError("除数为零：测试用的意外错误")


def test_error_in_a_slot_shows_the_dialog_and_logs(qtbot: Any, hooks: Path) -> None:
    reporter = error_dialog.install()
    QTimer.singleShot(0, _boom)  # an error in a Qt callback on the UI thread
    qtbot.waitUntil(lambda: _dialog() is not None)
    dialog = _dialog()
    assert dialog is not None
    assert "正在填写的评价已经自动保存" in dialog.message.text()
    assert str(hooks) in dialog.log_label.text()
    assert "ZeroDivisionError" in dialog.details.toPlainText()
    assert "除数为零" in hooks.read_text(encoding="utf-8")  # traceback in the log file
    dialog.copy_button.click()
    assert "ZeroDivisionError" in QApplication.clipboard().text()
    # A second error while it is open is added to the same dialog, not a new one.
    QTimer.singleShot(0, _boom)
    qtbot.waitUntil(lambda: reporter.shown == 2)
    assert dialog.details.toPlainText().count("ZeroDivisionError: 除数为零") == 2
    assert len([w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog)]) == 1
    dialog.close()


def test_error_in_a_thread_reaches_the_ui_thread(qtbot: Any, hooks: Path) -> None:
    error_dialog.install()
    thread = threading.Thread(target=_boom, name="照片线程")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: _dialog() is not None)
    dialog = _dialog()
    assert dialog is not None
    assert "照片线程" in dialog.details.toPlainText()
    dialog.close()


def test_the_handler_keeps_the_store_and_the_draft(qtbot: Any, store: Any) -> None:
    """After an unexpected error the window and its store still work: the draft is there."""
    data = Path(__file__).resolve().parents[1] / "data" / "units-sample.csv"
    with store.session() as session:
        import_units(session, data, actor="t")
    with store.session() as session:
        first = units.search(session, units.UnitFilter(), limit=1)[0]
        draft = service.start(session, store.library, first, service.Kind.ROUTINE, "王芳")
        draft_id = draft.id
    window = MainWindow(store)
    qtbot.addWidget(window)
    error_dialog.install(lambda: window)
    try:
        window.open_evaluation(draft_id)
        QTimer.singleShot(0, _boom)
        qtbot.waitUntil(lambda: _dialog() is not None)
        with store.read() as session:  # the store is still open and the draft still there
            assert session.get(Evaluation, draft_id).status == "draft"
        assert [v.evaluation_id for v in window.evaluation_views()] == [draft_id]
        _dialog().close()  # type: ignore[union-attr]
    finally:
        window.shutdown()


def test_worker_errors_name_the_log_file(hooks: Path) -> None:
    from fieldapp.errors import NotFound
    from fieldapp.ui.errors import describe

    text = describe(KeyError("照片"))
    assert "程序内部错误（KeyError）" in text and str(hooks) in text
    assert describe(NotFound("找不到单位 X")) == "找不到单位 X"  # written for the user already
