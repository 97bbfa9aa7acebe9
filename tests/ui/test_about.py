"""帮助 → 关于: version, data folder, schema, checklist versions, last sync."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from fieldapp import __version__
from fieldapp.storage import db
from fieldapp.ui.about_dialog import AboutDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.operations import last_sync
from fieldapp.ui.tasks import TaskRunner

pytestmark = pytest.mark.gui


def test_about_from_the_help_menu(qtbot: Any, store: Any) -> None:
    window = MainWindow(store)
    qtbot.addWidget(window)
    try:
        window.about_action.trigger()
        dialog = window.findChild(AboutDialog, "aboutDialog")
        assert dialog is not None and dialog.isVisible()
        qtbot.waitUntil(lambda: dialog.info is not None)
        assert dialog.version.text() == __version__
        assert dialog.data_folder.text() == str(store.folder)
        assert dialog.schema.text() == db.head_revision()
        assert dialog.last_sync.text() == "从未同步"
        listed = dialog.checklists.toPlainText()
        for entry in store.library.all():
            assert f"{entry.checklist.id}　第 {entry.checklist.version} 版" in listed
        dialog.copy_button.click()
        copied = QApplication.clipboard().text()
        assert f"版本：{__version__}" in copied and "bayou-bawu v2" in copied
        dialog.close()
    finally:
        window.shutdown()


def test_last_sync_is_shown_when_known(qtbot: Any, store: Any) -> None:
    from fieldapp.sync import state

    when = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    with store.session() as session:
        state.put(session, state.LAST_SYNC, when.isoformat())
    assert last_sync(store) == when
    dialog = AboutDialog(store, TaskRunner(synchronous=True))
    qtbot.addWidget(dialog)
    assert dialog.last_sync.text() == when.astimezone().strftime("%Y-%m-%d %H:%M")


def test_last_sync_read_defensively(store: Any) -> None:
    """A database without a sync table (or a broken value) shows 从未同步, not an error."""
    with store.session() as session:
        session.execute(db_text("DROP TABLE sync_state"))
    assert last_sync(store) is None


def db_text(sql: str) -> Any:
    from sqlalchemy import text

    return text(sql)
