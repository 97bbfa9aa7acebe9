"""Issue 12, the rest of the inspector's visit: 定稿's confirmation, Ctrl+N on a unit with a
draft, 本节全部符合 and its undo, the large photo preview with rotate, the 整改通知书 button,
the units tab's 行业 filter, sorting and Excel export, and the settings' 测试连接.

The window runs its jobs synchronously, so each action is finished when it returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from fieldapp import settings
from fieldapp.domain.vocab import parse_industry
from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as service
from fieldapp.services import units as unit_service
from fieldapp.settings import Settings
from fieldapp.storage.models import Unit
from fieldapp.sync.transport import ServerRefused
from fieldapp.ui import printing
from fieldapp.ui.evaluation_view import EvaluationView, NewEvaluationDialog
from fieldapp.ui.finalize_dialog import FinalizeDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.photo_preview import PhotoPreview
from fieldapp.ui.tasks import TaskRunner
from fieldapp.ui.unit_model import COLUMNS
from tests.ui.evaluation_helpers import DATA, PHOTO, drawn_png, finalize_with_one_failure

pytestmark = pytest.mark.gui

CODE = "92331122MA2A00018H"  # 缙云县五云好又多超市


@pytest.fixture
def window(qtbot: Any, store: Any) -> Iterator[MainWindow]:
    with store.session() as session:
        import_units(session, DATA / "units-sample.csv", actor="t")
    settings.save(store.folder, Settings(inspector_name="王芳"))
    made = MainWindow(store, TaskRunner(synchronous=True))
    qtbot.addWidget(made)
    made.show()
    yield made
    made.shutdown()
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and widget is not made:
            widget.close()


def start(store: Any, kind: str = "后评价") -> int:
    with store.session() as session:
        unit = unit_service.by_code(session, CODE)
        return service.start(session, store.library, unit, kind, "王芳").id


def select_unit(window: MainWindow, code: str = CODE) -> None:
    window.units_tab.show_code(code)
    assert window.units_tab.selected_unit is not None
    assert window.units_tab.selected_unit.credit_code == code


def complete(store: Any, evaluation_id: int, folder: Path) -> None:
    """Every item 符合, required photos, both signatures (through the service)."""
    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        from fieldapp.ui.operations import load_evaluation

        for item in load_evaluation(store, evaluation_id).items:
            if item.linked:
                continue  # answered through the items it is the same as
            service.answer(session, store.library, evaluation, item.ref, "pass")
            if item.photo_required:
                service.attach(
                    session, store.photos, evaluation, [PHOTO], item.ref, library=store.library
                )
        for role, name in (("inspector", "王芳"), ("unit", "张店长")):
            service.sign(
                session,
                store.signatures,
                evaluation,
                role,
                name,
                drawn_png(folder / f"{role}.png"),
            )


# --- 定稿 asks first --------------------------------------------------------------------------


def test_finalize_shows_the_verdict_and_what_it_locks_and_esc_goes_back(
    window: MainWindow, store: Any, tmp_path: Path
) -> None:
    evaluation_id = start(store)
    complete(store, evaluation_id, tmp_path)
    view = window.open_evaluation(evaluation_id)
    view.finalize_button.click()
    dialog = view.finalize_dialog
    assert isinstance(dialog, FinalizeDialog) and dialog.isVisible()
    assert dialog.verdict.text() == view.verdict.text() == "通过：全部符合"
    assert "不符合 0 项" in dialog.summary.text()
    assert "检查人员 王芳" in dialog.summary.text() and "张店长" in dialog.summary.text()
    assert "锁定" in dialog.locks.text() and "修订" in dialog.locks.text()
    assert "命名" in dialog.locks.text()  # a 后评价: the proposal comes next

    QTest.keyClick(dialog, Qt.Key.Key_Escape)  # 返回修改: nothing is locked
    assert view.data is not None and not view.data.locked

    view.finalize_button.click()
    confirm = view.finalize_dialog
    assert isinstance(confirm, FinalizeDialog)
    confirm.confirm.click()
    assert view.data is not None and view.data.locked


# --- Ctrl+N on a unit with a draft --------------------------------------------------------------


def test_ctrl_n_on_a_unit_with_a_draft_opens_that_draft(
    window: MainWindow, store: Any, qtbot: Any
) -> None:
    draft = start(store)
    select_unit(window)
    tab = window.units_tab
    tab.table.setFocus()
    QTest.keyClick(tab.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert tab.findChild(NewEvaluationDialog) is None
    views = window.evaluation_views()
    assert [v.evaluation_id for v in views] == [draft]
    assert window.tabs.currentWidget() is views[0]
    assert str(draft) in tab.status.text() and "不另起" in tab.status.text()
    with store.read() as session:
        unit = unit_service.by_code(session, CODE)
        assert len(service.list_evaluations(session, unit)) == 1


def test_ctrl_n_without_a_draft_asks_for_a_new_one(window: MainWindow, store: Any) -> None:
    evaluation_id = start(store)
    complete(store, evaluation_id, Path(store.folder))
    with store.session() as session:
        service.finalize(session, store.library, service.get(session, evaluation_id))
    select_unit(window)
    dialog = window.units_tab.ask_new_evaluation()
    assert isinstance(dialog, NewEvaluationDialog)
    dialog.close()


def open_view(window: MainWindow, evaluation_id: int) -> EvaluationView:
    view = window.open_evaluation(evaluation_id)
    assert view.data is not None
    return view


# --- 本节全部符合 and 撤销 ------------------------------------------------------------------------


def test_a_section_passes_at_once_and_one_undo_takes_it_back(
    window: MainWindow, store: Any, qtbot: Any
) -> None:
    view = open_view(window, start(store))
    items = view.model.items
    first = items[0]
    section = [
        n
        for n, i in enumerate(items)
        if (i.checklist_id, i.group) == (first.checklist_id, first.group)
    ]
    assert 1 < len(section) < len(items)
    # One item of the section answered 不适用 before: it stays.
    view.table.move_to(section[1])
    QTest.keyClick(view.table, Qt.Key.Key_3)
    view.table.move_to(section[0])
    assert view.pass_section_button.isEnabled()
    assert f"{len(section) - 1} 项" in view.pass_section_button.toolTip()
    assert not view.undo_button.isEnabled()

    view.pass_section_button.click()
    results = [view.model.item(n).result for n in section]
    assert results == ["pass", "na", *["pass"] * (len(section) - 2)]
    others = [i.result for n, i in enumerate(view.model.items) if n not in section]
    assert set(others) == {None}  # nothing outside the section
    assert not view.pass_section_button.isEnabled()  # nothing left to pass in it
    assert view.undo_button.isEnabled()

    # Ctrl+Z: every answer it made is unchecked again; the 不适用 stays.
    view.table.setFocus()
    QTest.keyClick(view.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    results = [view.model.item(n).result for n in section]
    assert results == [None, "na", *[None] * (len(section) - 2)]
    assert not view.undo_button.isEnabled()
    with store.read() as session:
        evaluation = service.get(session, view.evaluation_id)
        assert [a.result for a in evaluation.answers] == ["na"]


# --- 整改通知书 -----------------------------------------------------------------------------


def test_the_notice_button_prints_the_rectification_notice(
    window: MainWindow, store: Any, tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Path] = []
    monkeypatch.setattr(printing, "open_document", lambda path: opened.append(Path(path)))
    draft = open_view(window, start(store))
    assert draft.notice_button.isHidden()  # a draft has no notice yet
    evaluation_id, _failed = finalize_with_one_failure(
        store, "92331122MA2A00050W", tmp_path, due=date.today() + timedelta(days=20)
    )
    view = open_view(window, evaluation_id)
    assert not view.notice_button.isHidden()
    dialog = view.ask_notice()
    assert dialog is not None and dialog.isVisible()
    out = tmp_path / "notice.pdf"
    dialog.selectFile(str(out))
    dialog.accept()
    qtbot.waitUntil(lambda: opened == [out], timeout=10_000)
    assert out.read_bytes().startswith(b"%PDF")


# --- the large preview and its turn -------------------------------------------------------------


def test_a_turned_photo_is_saved_as_a_new_upright_copy_beside_the_original(
    window: MainWindow, store: Any, qtbot: Any
) -> None:
    evaluation_id = start(store)
    view = open_view(window, evaluation_id)
    item = view.current_item()
    assert item is not None
    view.attach([str(PHOTO)], for_item=True)
    assert view.photos.count() == 1
    with store.read() as session:
        (original,) = service.get(session, evaluation_id).photos
        before = (original.id, original.sha256, original.width, original.height, original.taken_at)
    entry = view.photos.item(0)
    dialog = view.preview_photo(entry)
    assert isinstance(dialog, PhotoPreview) and dialog.isVisible()
    assert item.code in dialog.caption.text()
    assert not dialog.save.isEnabled()  # nothing turned yet
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=10_000)
    QTest.keyClick(dialog, Qt.Key.Key_Right)
    assert dialog.turns == 1 and dialog.save.isEnabled()
    dialog.save.click()

    assert view.photos.count() == 2  # the copy beside the original, on the same item
    with store.read() as session:
        photos = service.get(session, evaluation_id).photos
        kept = next(p for p in photos if p.id == before[0])
        copy = next(p for p in photos if p.id != before[0])
        assert (kept.id, kept.sha256, kept.width, kept.height, kept.taken_at) == before
        assert (copy.checklist_id, copy.item_code) == (kept.checklist_id, kept.item_code)
        assert (copy.width, copy.height) == (kept.height, kept.width)  # turned a quarter
        assert copy.taken_at == kept.taken_at and copy.sha256 != kept.sha256
        assert copy.original_name.endswith("-转正.jpg")
    assert store.photos.path(before[1]).exists()


def test_a_finalized_evaluations_photo_shows_without_the_turn(
    window: MainWindow, store: Any, tmp_path: Path
) -> None:
    evaluation_id = start(store)
    complete(store, evaluation_id, tmp_path)
    with store.session() as session:
        service.finalize(session, store.library, service.get(session, evaluation_id))
    view = open_view(window, evaluation_id)
    row = next(n for n, i in enumerate(view.model.items) if i.photos)
    view.table.move_to(row)
    dialog = view.preview_photo(view.photos.item(0))
    assert isinstance(dialog, PhotoPreview)
    assert dialog.photo_id is None and dialog.save.isHidden() and dialog.left.isHidden()
    dialog.close()


# --- the units tab: 行业, sorting, Excel -----------------------------------------------------------


def listed(window: MainWindow) -> list[Any]:
    model = window.units_tab.model
    return [model.row_data(r) for r in range(model.rowCount())]


def test_the_industry_filter_lists_only_that_industry(window: MainWindow, store: Any) -> None:
    tab = window.units_tab
    everyone = tab.model.total
    pharmacy = parse_industry("药店")
    assert pharmacy is not None
    tab.industry_combo.setCurrentIndex(tab.industry_combo.findData(pharmacy.code))
    assert tab.model.query.industry == pharmacy.code
    codes = {row.credit_code for row in listed(window)}
    with store.read() as session:
        expected = {
            u.credit_code for u in session.scalars(select(Unit)) if u.industry == pharmacy.code
        }
    assert codes == expected and 0 < len(codes) < everyone
    tab.industry_combo.setCurrentIndex(0)
    assert tab.model.total == everyone


def click_header(header: Any, section: int) -> None:
    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    QTest.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2)
    )


def test_a_header_click_sorts_the_whole_list_and_a_third_goes_back(window: MainWindow) -> None:
    tab = window.units_tab
    header = tab.table.horizontalHeader()
    name = COLUMNS.index("name")
    in_id_order = [row.id for row in listed(window)]
    assert in_id_order == sorted(in_id_order)
    click_header(header, name)  # 名称
    names = [row.name for row in listed(window)]
    assert len(names) == tab.model.total and names == sorted(names)
    click_header(header, name)
    assert [row.name for row in listed(window)] == sorted(names, reverse=True)
    click_header(header, name)  # the third click clears the sort: import order again
    assert [row.id for row in listed(window)] == in_id_order


def test_enter_on_a_unit_opens_it(window: MainWindow, qtbot: Any) -> None:
    tab = window.units_tab
    tab.table.setFocus()
    tab.table.setCurrentIndex(tab.model.index(0, 0))
    QTest.keyClick(tab.table, Qt.Key.Key_Return)
    assert tab.selected_unit is not None
    assert tab.selected_unit.id == tab.model.unit_id(0)


def save_as(dialog: Any, out: Path) -> None:
    dialog.selectFile(str(out))
    dialog.accept()


def test_the_unit_list_and_the_worklists_export_to_excel(
    window: MainWindow, store: Any, tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Path] = []
    monkeypatch.setattr(printing, "open_document", lambda path: opened.append(Path(path)))
    tab = window.units_tab
    tab.station_combo.setCurrentIndex(tab.station_combo.findData("五云所"))
    total = tab.model.total
    out = tmp_path / "units.xlsx"
    save_as(tab.ask_export(), out)
    qtbot.waitUntil(lambda: opened == [out], timeout=10_000)
    sheet = load_workbook(out).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["统一社会信用代码", "单位名称", "所属所", "单位类型", "状态", "经营地址"]
    assert len(rows) == total + 1
    assert {r[COLUMNS.index("station")] for r in rows[1:]} == {"五云所"}

    evaluation_id, _ = finalize_with_one_failure(
        store, "92331122MA2A00050W", tmp_path, due=date.today() + timedelta(days=2)
    )
    assert evaluation_id
    window.tabs.setCurrentWidget(window.worklists_tab)
    lists = window.worklists_tab
    assert lists.followups.rowCount() >= 1
    out = tmp_path / "followups.xlsx"
    save_as(lists.export(lists.followups, "整改回头看"), out)
    qtbot.waitUntil(lambda: out in opened, timeout=10_000)
    rows = [[c.value for c in row] for row in load_workbook(out).active.iter_rows()]
    assert len(rows) == lists.followups.rowCount() + 1
    assert rows[1][1] == "92331122MA2A00050W"


# --- 设置: the status bar follows at once ----------------------------------------------------


def test_saving_a_server_in_settings_updates_the_status_bar_at_once(window: MainWindow) -> None:
    indicator = window.sync_indicator
    assert "未设置县局服务器" in indicator.text.text()
    dialog = window.open_settings()
    dialog.server_url.setText("https://fxxf.example.gov.cn:8443")
    dialog.server_token.setText("tok-123")
    dialog.accept()
    assert "未设置县局服务器" not in indicator.text.text()
    assert "待同步" in indicator.text.text()


def test_the_demo_loads_in_a_progress_dialog(
    window: MainWindow, store: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldapp.ui import app, first_run
    from fieldapp.ui.demo_progress import DemoProgress

    monkeypatch.setattr(first_run, "DEMO_UNITS", 12)
    monkeypatch.setattr(first_run, "DEMO_EVALUATIONS", 1)
    shown: list[str] = []
    real_init = DemoProgress.__init__

    def spy(self: DemoProgress, parent: Any = None) -> None:
        real_init(self, parent)
        shown.append(self.labelText())
        self.relay.stage.connect(lambda key, done, total: shown.append(self.labelText()))

    monkeypatch.setattr(DemoProgress, "__init__", spy)
    app.start_demo(window)
    assert shown[0] == "正在载入演示数据…"
    assert any(text.startswith("正在载入演示单位") for text in shown)
    assert window.findChild(DemoProgress) is None or not window.findChild(DemoProgress).isVisible()
    assert "演示数据已载入" in window.statusBar().currentMessage()


# --- 每周回头看: every open rectification until a re-check closes it ------------------------------


def test_the_weekly_list_keeps_later_deadlines_until_a_recheck_closes_them(
    window: MainWindow, store: Any, tmp_path: Path
) -> None:
    later = date.today() + timedelta(days=40)  # beyond this week
    finalize_with_one_failure(store, "92331122MA2A00050W", tmp_path, due=later)
    window.tabs.setCurrentWidget(window.worklists_tab)
    lists = window.worklists_tab
    assert lists.all_open.isChecked()

    def codes() -> list[str]:
        return [lists.followups.item(r, 1).text() for r in range(lists.followups.rowCount())]

    assert "92331122MA2A00050W" in codes()
    row = codes().index("92331122MA2A00050W")
    assert lists.followups.item(row, 0).text() == later.isoformat()
    assert "未完成的整改" in lists.followups_caption.text()
    lists.all_open.setChecked(False)  # this week's only: not yet due
    assert "92331122MA2A00050W" not in codes()
    assert "本周到期" in lists.followups_caption.text()


def test_a_recheck_is_labelled_as_its_own_kind(
    window: MainWindow, store: Any, tmp_path: Path
) -> None:
    earlier, _failed = finalize_with_one_failure(
        store, CODE, tmp_path, due=date.today() + timedelta(days=10)
    )
    view = open_view(window, start(store, "暗访整改复查"))
    assert view.data is not None and view.data.follows == earlier
    assert f"暗访整改复查：复查评价 {earlier}" in view.info.text()
    assert "回头看" not in view.info.text()


# --- errors without HTTP codes or record ids ------------------------------------------------------


def test_a_failed_sync_reads_without_http_codes_or_ids_with_details_at_hand(
    window: MainWindow,
) -> None:
    dialog = window.open_sync()
    refusal = ServerRefused(
        "县局服务器拒绝了请求（HTTP 403）：单位变更 6581f56e-1111-2222-3333-444455556666 "
        "属于「舒洪所」，请交县局处理",
        403,
    )
    dialog._failed(refusal)
    shown = dialog.summary.toPlainText()
    assert "HTTP" not in shown and "6581f56e" not in shown
    assert "属于「舒洪所」" in shown and "交县局处理" in shown
    assert dialog.details_button.isVisible() and not dialog.details.isVisible()
    dialog.details_button.click()
    assert "HTTP 403" in dialog.details.toPlainText()
    assert "6581f56e-1111" in dialog.details.toPlainText()
    dialog.close()


def test_progress_and_held_back_units_export_to_excel(
    window: MainWindow, tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Path] = []
    monkeypatch.setattr(printing, "open_document", lambda path: opened.append(Path(path)))
    window.tabs.setCurrentWidget(window.progress_tab)
    tab = window.progress_tab
    assert tab.table.rowCount() > 0
    out = tmp_path / "progress.xlsx"
    save_as(tab.export(tab.table, "创建进度"), out)
    qtbot.waitUntil(lambda: opened == [out], timeout=10_000)
    rows = [[c.value for c in row] for row in load_workbook(out).active.iter_rows()]
    assert len(rows) == tab.table.rowCount() + 1
    assert rows[0][0] == tab.table.horizontalHeaderItem(0).text()


def test_enter_on_a_thumbnail_opens_the_large_preview(
    window: MainWindow, store: Any, qtbot: Any
) -> None:
    view = open_view(window, start(store))
    view.attach([str(PHOTO)], for_item=True)
    assert view.photos.count() == 1
    view.photos.setFocus()
    view.photos.setCurrentRow(0)
    QTest.keyClick(view.photos, Qt.Key.Key_Return)
    previews = [w for w in view.findChildren(PhotoPreview) if w.isVisible()]
    assert len(previews) == 1 and previews[0].photo_id is not None
    previews[0].close()


def test_a_section_pass_leaves_items_answered_through_others_to_them(
    window: MainWindow, store: Any
) -> None:
    view = open_view(window, start(store))
    items = view.model.items
    linked = next(n for n, i in enumerate(items) if i.linked)
    view.table.move_to(linked)
    view.pass_section_button.click()
    assert not [
        w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox" and w.isVisible()
    ]
    mine = items[linked]
    section = [
        i for i in view.model.items if (i.checklist_id, i.group) == (mine.checklist_id, mine.group)
    ]
    assert all(i.result == "pass" for i in section if not i.linked)
