"""Lifecycle moves from the unit page: 变更状态 (only allowed states) and 标识张贴.

The window runs its jobs synchronously, so each click is finished when it returns. The core
decides every move; a refusal reaches the user as the core's message in the error box.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import select

from fieldapp import settings
from fieldapp.domain.events import Role
from fieldapp.domain.lifecycle import State
from fieldapp.imports.units import import_units
from fieldapp.services import demo
from fieldapp.settings import Settings
from fieldapp.storage.models import Unit, UnitEvent
from fieldapp.ui.lifecycle_dialog import LifecycleDialog, StickerDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.tasks import TaskRunner
from tests import lifecycle_helpers

PHOTO = Path(__file__).resolve().parents[1] / "data" / "photos" / "Landscape_6.jpg"

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot: Any, store: Any, tmp_path: Path) -> Iterator[MainWindow]:
    path = demo.write_csv(tmp_path / "units.csv", 300)
    with store.session() as session:
        import_units(session, path, actor="t")
    settings.save(store.folder, Settings(inspector_name="王芳"))
    made = MainWindow(store, TaskRunner(synchronous=True))
    qtbot.addWidget(made)
    made.show()
    yield made
    made.shutdown()
    for box in QApplication.topLevelWidgets():
        if box.objectName() == "errorBox":
            box.close()


def unit_in(store: Any, state: State, change: Callable[[Any, Any], Any] | None = None) -> str:
    with store.session() as session:
        unit = session.scalars(select(Unit).where(Unit.state == state.value)).first()
        assert unit is not None, state
        if change:
            change(session, unit)
        return str(unit.credit_code)


def select_unit(window: MainWindow, code: str) -> None:
    tab = window.units_tab
    tab.search.setText(code)
    tab.apply_filter()
    assert tab.model.total == 1
    tab.table.selectRow(0)
    assert tab.selected_unit is not None and tab.selected_unit.credit_code == code


def error_box() -> QMessageBox | None:
    boxes = [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox"]
    visible = [b for b in boxes if isinstance(b, QMessageBox) and b.isVisible()]
    return visible[0] if visible else None


def events(store: Any, code: str) -> list[tuple[str, str | None, str | None, str, str]]:
    with store.read() as session:
        unit = session.scalars(select(Unit).where(Unit.credit_code == code)).one()
        found = session.scalars(
            select(UnitEvent).where(UnitEvent.unit_id == unit.id).order_by(UnitEvent.id)
        )
        return [(e.kind, e.from_state, e.to_state, e.actor, e.reason) for e in found]


def open_change(window: MainWindow) -> LifecycleDialog:
    tab = window.units_tab
    assert tab.change_state.isEnabled()
    tab.change_state.click()
    dialog = tab.findChild(LifecycleDialog, "lifecycleDialog")
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_only_allowed_states_are_offered(window: MainWindow, store: Any) -> None:
    select_unit(window, unit_in(store, State.COMMITTED))
    assert not window.units_tab.post_sticker.isEnabled()  # not confirmed yet
    dialog = open_change(window)
    assert dialog.allowed() == ["后评价", "预警库", "移出", "关停", "转让", "注销"]
    assert dialog.on.date() == dialog.on.maximumDate()  # today, and no later
    assert dialog.on.date().toPython() == date.today()
    dialog.target.setCurrentIndex(dialog.target.findText("后评价"))
    assert dialog.reason_label.text() == "原因"
    assert not dialog.exit_reason.isVisibleTo(dialog)
    dialog.target.setCurrentIndex(dialog.target.findText("移出"))
    # 移出 asks for a coded reason; the text is required only for 其他.
    assert dialog.exit_reason.isVisibleTo(dialog)
    assert [dialog.exit_reason.itemText(i) for i in range(dialog.exit_reason.count())] == [
        "不宜培育",
        "多次违法违规",
        "经评估难以达到创建标准",
        "其他",
    ]
    assert dialog.reason_label.text() == "原因"
    dialog.exit_reason.setCurrentIndex(dialog.exit_reason.findText("其他"))
    assert dialog.reason_label.text() == "原因 *"  # shown as required
    dialog.target.setCurrentIndex(dialog.target.findText("关停"))
    assert dialog.reason_label.text() == "原因 *"
    assert not dialog.county_confirm.isVisibleTo(dialog)  # an inspector's window
    dialog.reject()


def test_removing_as_other_without_a_reason_shows_the_core_refusal(
    window: MainWindow, store: Any
) -> None:
    code = unit_in(store, State.COMMITTED)
    before = events(store, code)
    select_unit(window, code)
    dialog = open_change(window)
    dialog.target.setCurrentIndex(dialog.target.findText("移出"))
    dialog.exit_reason.setCurrentIndex(dialog.exit_reason.findText("其他"))
    dialog.accept()
    box = error_box()
    assert box is not None
    assert "必须写明具体原因" in box.text()
    box.close()
    assert events(store, code) == before


def test_removing_with_a_coded_reason_records_it(window: MainWindow, store: Any) -> None:
    code = unit_in(store, State.COMMITTED)
    select_unit(window, code)
    tab = window.units_tab
    dialog = open_change(window)
    dialog.target.setCurrentIndex(dialog.target.findText("移出"))
    dialog.exit_reason.setCurrentIndex(dialog.exit_reason.findText("多次违法违规"))
    dialog.reason.setPlainText("两次被处罚")
    dialog.accept()
    assert error_box() is None
    assert events(store, code)[-1] == ("state", "committed", "removed", "王芳", "两次被处罚")
    with store.read() as session:
        unit = session.scalars(select(Unit).where(Unit.credit_code == code)).one()
        assert unit.events[-1].exit_reason == "violations"
    text = tab.detail.toPlainText()
    assert "承诺公示 → 移出（多次违法违规）" in text
    assert "两次被处罚（来源：窗口）" in text
    assert tab.model.index(0, 4).data() == "移出"  # the list row follows
    assert tab.selected_unit is not None and tab.selected_unit.state == "removed"


def test_naming_without_evidence_is_refused_in_the_window(window: MainWindow, store: Any) -> None:
    code = unit_in(store, State.EVALUATING)
    before = events(store, code)
    select_unit(window, code)
    dialog = open_change(window)
    dialog.target.setCurrentIndex(dialog.target.findText("放心消费单位"))
    dialog.accept()
    box = error_box()
    assert box is not None and "已定稿且通过的后评价" in box.text()
    box.close()
    assert events(store, code) == before


def test_a_county_account_confirms_naming_with_a_reason(window: MainWindow, store: Any) -> None:
    settings.save(store.folder, Settings(inspector_name="县局王", role=Role.COUNTY))
    code = unit_in(store, State.EVALUATING)
    select_unit(window, code)
    dialog = open_change(window)
    dialog.target.setCurrentIndex(dialog.target.findText("放心消费单位"))
    assert dialog.county_confirm.isVisibleTo(dialog)
    dialog.county_confirm.setChecked(True)
    assert dialog.reason_label.text() == "原因 *"
    dialog.reason.setPlainText("县局现场核实")
    dialog.accept()
    assert error_box() is None
    assert events(store, code)[-1][2] == "confirmed"
    assert "［县局确认］" in window.units_tab.detail.toPlainText()


def test_sticker_on_a_confirmed_unit_is_recorded(window: MainWindow, store: Any) -> None:
    def confirm(session: Any, unit: Any) -> None:
        lifecycle_helpers.name(session, unit, actor="t")

    code = unit_in(store, State.EVALUATING, confirm)
    select_unit(window, code)
    tab = window.units_tab
    assert tab.post_sticker.isEnabled()
    tab.post_sticker.click()
    dialog = tab.findChild(StickerDialog, "stickerDialog")
    assert dialog is not None and dialog.isVisible()
    dialog.note.setPlainText("门口左侧")
    dialog.accept()
    assert events(store, code)[-1] == ("sticker", "confirmed", "confirmed", "王芳", "门口左侧")
    assert "门口左侧" in tab.detail.toPlainText()
    with store.read() as session:
        unit = session.scalars(select(Unit).where(Unit.credit_code == code)).one()
        assert unit.sticker_posted_on == date.today()


def test_sticker_with_a_photo_shows_it_on_the_unit_page(window: MainWindow, store: Any) -> None:
    def confirm(session: Any, unit: Any) -> None:
        lifecycle_helpers.name(session, unit, actor="t")

    code = unit_in(store, State.EVALUATING, confirm)
    select_unit(window, code)
    tab = window.units_tab
    dialog = tab.ask_sticker()
    assert dialog is not None
    assert "未选照片" in dialog.photo_label.text()
    dialog.set_photo(str(PHOTO))
    assert dialog.photo_label.pixmap() is not None and not dialog.photo_label.pixmap().isNull()
    dialog.accept()
    with store.read() as session:
        unit = session.scalars(select(Unit).where(Unit.credit_code == code)).one()
        (sticker,) = [e for e in unit.events if e.kind == "sticker"]
        sha = sticker.photo_sha256
    assert sha is not None and store.photos.exists(sha)
    html = tab.detail.toHtml()
    assert sha in html  # the thumbnail is shown in the history
    assert "待补拍" not in tab.detail.toPlainText()


def test_a_sticker_photo_that_is_not_an_image_is_refused_and_nothing_recorded(
    window: MainWindow, store: Any, tmp_path: Path
) -> None:
    def confirm(session: Any, unit: Any) -> None:
        lifecycle_helpers.name(session, unit, actor="t")

    code = unit_in(store, State.EVALUATING, confirm)
    select_unit(window, code)
    bogus = tmp_path / "notes.jpg"
    bogus.write_text("这不是照片", encoding="utf-8")
    dialog = window.units_tab.ask_sticker()
    assert dialog is not None
    dialog.set_photo(str(bogus))
    dialog.accept()
    assert all(e[0] != "sticker" for e in events(store, code))
    box = error_box()
    assert box is not None and "notes.jpg" in box.text()
    box.close()


def test_a_change_made_elsewhere_shows_on_the_unit_page(
    window: MainWindow, store: Any, qtbot: Any
) -> None:
    """A confirmed 后评价 proposal on an evaluation tab refreshes the unit's row and panel."""
    code = unit_in(store, State.EVALUATING)
    select_unit(window, code)
    with store.session() as session:
        unit = session.scalars(select(Unit).where(Unit.credit_code == code)).one()
        lifecycle_helpers.name(session, unit)
    tab = window.units_tab
    assert tab.model.index(0, 4).data() == "后评价"
    tab.refresh_unit(code)
    qtbot.waitUntil(lambda: tab.model.index(0, 4).data() == "放心消费单位", timeout=5000)
    assert "后评价 → 放心消费单位［县局确认］" in tab.detail.toPlainText()
