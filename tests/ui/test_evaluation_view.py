"""The evaluation screen over a real store: keyboard answers, photos, signatures, finalize, no loss.

Stores are filled with the sample unit list; the unit is 缙云县五云好又多超市 (a 超市 in 培育库),
whose evaluation uses 八有八无, the “1” general standard and the retail module. Tests that check
the writer thread use the real threaded runner and ``qtbot.waitUntil``; the rest run jobs
synchronously. No sleeps anywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QColor, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from shiboken6 import isValid

from fieldapp.domain.verdict import Answer
from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as service
from fieldapp.services import units as unit_service
from fieldapp.ui import operations
from fieldapp.ui.evaluation_model import ItemsModel
from fieldapp.ui.evaluation_view import (
    EvaluationView,
    NewEvaluationDialog,
    RectificationDialog,
    SignaturePad,
)
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.operations import load_evaluation
from fieldapp.ui.tasks import TaskRunner
from tests.ui.evaluation_helpers import click_finalize

pytestmark = pytest.mark.gui

WAIT_MS = 10_000
CODE = "92331122MA2A00018H"
DATA = Path(__file__).resolve().parents[1] / "data"
PHOTO = DATA / "photos" / "Landscape_6.jpg"


@pytest.fixture
def evaluation_id(store: Any) -> int:
    with store.session() as session:
        import_units(session, DATA / "units-sample.csv", actor="t")
    with store.session() as session:
        unit = unit_service.by_code(session, CODE)
        return service.start(session, store.library, unit, "后评价", "王芳").id


@pytest.fixture
def make_view(qtbot: Any, store: Any) -> Iterator[Callable[..., EvaluationView]]:
    runners: list[TaskRunner] = []

    def make(evaluation: int, runner: TaskRunner | None = None) -> EvaluationView:
        runner = runner or TaskRunner(synchronous=True)
        runners.append(runner)
        view = EvaluationView(store, runner, evaluation)
        qtbot.addWidget(view)
        view.resize(1280, 800)
        view.show()
        return view

    yield make
    for runner in runners:  # before the store fixture closes the engine
        runner.shutdown()


@pytest.fixture
def make_window(qtbot: Any, store: Any) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(runner: TaskRunner | None = None) -> MainWindow:
        window = MainWindow(store, runner)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()


def stored_answers(store: Any, evaluation: int) -> dict[str, Any]:
    with store.read() as session:
        found = service.get(session, evaluation)
        return {a.item_code: (a.result, a.rectify, a.due) for a in found.answers}


def error_box() -> QMessageBox | None:
    boxes = [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox"]
    visible = [b for b in boxes if isinstance(b, QMessageBox) and b.isVisible()]
    return visible[0] if visible else None


def fill_rectification(text: str, accept: bool = True) -> list[str]:
    """Answer the rectification dialog as soon as it is shown (it runs modally)."""
    seen: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, RectificationDialog):
            QTimer.singleShot(0, answer)  # not shown yet
            return
        seen.append(dialog.due.date().toString("yyyy-MM-dd"))
        if accept:
            dialog.requirement.setPlainText(text)  # setText: keyClicks with Chinese aborts Qt
            dialog.accept()
        else:
            dialog.reject()

    QTimer.singleShot(0, answer)
    return seen


def draw(qtbot: Any, pad: SignaturePad) -> None:
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(20, 30))
    for x in range(30, 200, 20):
        qtbot.mouseMove(pad, QPoint(x, 30 + (x % 40)))
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(210, 60))


# --- runner and model -----------------------------------------------------------------------


def test_writes_run_one_at_a_time_on_one_thread_off_the_ui(qtbot: Any) -> None:
    runner = TaskRunner()
    seen: list[tuple[int, int]] = []
    for number in range(20):
        runner.submit_write(
            lambda n=number: (n, threading.get_ident()), lambda result: seen.append(result)
        )
    qtbot.waitUntil(lambda: len(seen) == 20, timeout=WAIT_MS)
    runner.shutdown()
    assert [n for n, _ in seen] == list(range(20))  # in the order they were submitted
    threads = {t for _, t in seen}
    assert len(threads) == 1
    assert threading.get_ident() not in threads


def test_items_model_passes_qt_model_tester(
    qtmodeltester: Any, store: Any, evaluation_id: int
) -> None:
    data = load_evaluation(store, evaluation_id)
    model = ItemsModel()
    model.set_items(data.items)
    assert model.rowCount() == len(data.items) > 40
    qtmodeltester.check(model)
    answered = [*data.items]
    answered[0] = data.items[0].__class__(**{**data.items[0].__dict__, "result": "pass"})
    model.set_items(answered)  # same items: updated in place
    assert model.index(0, 3).data() == "符合"
    qtmodeltester.check(model)


# --- starting and reopening -----------------------------------------------------------------


def test_new_evaluation_with_adjusted_checklists(qtbot: Any, store: Any, make_window) -> None:
    with store.session() as session:
        import_units(session, DATA / "units-sample.csv", actor="t")
    window = make_window()
    tab = window.units_tab
    tab.search.setText(CODE)
    qtbot.waitUntil(
        lambda: tab.model.total == 1 and tab.model.query.search == CODE, timeout=WAIT_MS
    )
    tab.table.selectRow(0)
    qtbot.waitUntil(tab.new_evaluation.isEnabled, timeout=WAIT_MS)
    dialog = tab.ask_new_evaluation()
    assert dialog is not None
    rows = {
        dialog.checklists.item(i).data(Qt.ItemDataRole.UserRole): dialog.checklists.item(i)
        for i in range(dialog.checklists.count())
    }
    # The composition is ticked; 八有八无 and the general standard cannot be unticked.
    ticked = [cid for cid, row in rows.items() if row.checkState() == Qt.CheckState.Checked]
    assert ticked == ["bayou-bawu", "general-1", "x-retail"]
    assert not rows["bayou-bawu"].flags() & Qt.ItemFlag.ItemIsUserCheckable
    assert rows["x-pharmacy"].flags() & Qt.ItemFlag.ItemIsUserCheckable
    rows["x-pharmacy"].setCheckState(Qt.CheckState.Checked)
    rows["x-retail"].setCheckState(Qt.CheckState.Unchecked)
    assert dialog.adjustments() == (["x-pharmacy"], ["x-retail"])
    # A follow-up re-checks the previous checklists: the list is greyed, no adjustment is sent.
    dialog.kind.setCurrentIndex(dialog.kind.findData("follow_up"))
    assert not dialog.checklists.isEnabled() and dialog.adjustments() == ([], [])
    dialog.kind.setCurrentIndex(1)
    dialog.accept()

    qtbot.waitUntil(lambda: len(window.evaluation_views()) == 1, timeout=WAIT_MS)
    with store.read() as session:
        (evaluation,) = service.list_evaluations(session)
        assert [p.checklist_id for p in evaluation.checklists] == [
            "bayou-bawu",
            "general-1",
            "x-pharmacy",
        ]


def test_new_evaluation_from_the_units_tab(qtbot: Any, store: Any, make_window) -> None:
    with store.session() as session:
        import_units(session, DATA / "units-sample.csv", actor="t")
    window = make_window()
    tab = window.units_tab
    assert not tab.new_evaluation.isEnabled()
    tab.search.setText(CODE)
    qtbot.waitUntil(
        lambda: tab.model.query.search == CODE and tab.model.total == 1, timeout=WAIT_MS
    )
    tab.table.selectRow(0)
    qtbot.waitUntil(tab.new_evaluation.isEnabled, timeout=WAIT_MS)

    tab.new_evaluation.click()
    dialog = tab.findChild(NewEvaluationDialog)
    assert dialog is not None and dialog.isVisible()
    assert [dialog.kind.itemText(i) for i in range(dialog.kind.count())] == [
        "后评价",
        "日常检查",
        "三服务走访",
        "回头看",
        "暗访整改复查",
    ]
    dialog.kind.setCurrentIndex(1)
    dialog.inspector.setText("王芳")
    dialog.accept()

    qtbot.waitUntil(lambda: len(window.evaluation_views()) == 1, timeout=WAIT_MS)
    view = window.evaluation_views()[0]
    assert window.tabs.currentWidget() is view
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    assert view.data is not None
    assert "缙云县五云好又多超市" in view.title.text() and CODE in view.title.text()
    assert "日常检查" in view.info.text() and "王芳" in view.info.text()
    assert "草稿" in view.info.text()
    assert view.verdict.text().startswith("未完成")
    qtbot.waitUntil(lambda: tab.evaluations.count() == 1, timeout=WAIT_MS)
    assert "日常检查" in tab.evaluations.item(0).text()

    # Closing the tab and opening it again from the unit's list.
    window.close_tab(window.tabs.indexOf(view))
    assert window.evaluation_views() == []
    tab.evaluations.setCurrentRow(0)
    tab.open_evaluation.click()
    assert len(window.evaluation_views()) == 1
    assert window.evaluation_views()[0].evaluation_id == view.evaluation_id


# --- answering by keyboard ------------------------------------------------------------------


def test_complete_evaluation_by_keyboard_alone(
    qtbot: Any, store: Any, evaluation_id: int, make_view
) -> None:
    view = make_view(evaluation_id, TaskRunner())  # the real writer thread
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    table, model = view.table, view.model
    table.setFocus()
    assert table.current_row() == 0
    count = model.rowCount()
    fail_row = next(r for r in range(count) if model.item(r).code == "S2")  # not a veto gate

    for row in range(count):
        assert table.current_row() == row  # every answer moved on by itself
        if row == fail_row:
            seen = fill_rectification("完善安保制度并上墙公示")
            qtbot.keyClick(table, Qt.Key.Key_2)
            expected_due = (date.today() + timedelta(days=30)).isoformat()
            assert seen == [expected_due]
        else:
            qtbot.keyClick(table, Qt.Key.Key_1)
    assert table.current_row() == count - 1  # the last row stays selected

    def all_shown() -> bool:
        return all(model.item(r).result is not None for r in range(count))

    qtbot.waitUntil(all_shown, timeout=WAIT_MS)
    assert model.index(fail_row, 3).data() == "不符合"
    assert "完善安保制度并上墙公示" in model.index(fail_row, 5).data()
    assert model.index(0, 3).data() == "符合"
    assert view.verdict.text().startswith("需整改")
    assert "S2" in view.verdict.text()
    assert "#e67e00" in view.verdict.styleSheet()

    answers = stored_answers(store, evaluation_id)
    assert len(answers) == count
    assert answers["S2"] == (
        "fail",
        "完善安保制度并上墙公示",
        date.today() + timedelta(days=30),
    )
    assert {r for code, (r, *_rest) in answers.items() if code != "S2"} == {"pass"}

    # Up/Down/Enter move, 3 answers 不适用 on the row reached.
    qtbot.keyClick(table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert table.current_row() == 0
    qtbot.keyClick(table, Qt.Key.Key_Down)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert table.current_row() == 2
    qtbot.keyClick(table, Qt.Key.Key_Up)
    assert table.current_row() == 1
    code = model.item(1).code
    qtbot.keyClick(table, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: model.item(1).result == "na", timeout=WAIT_MS)
    assert stored_answers(store, evaluation_id)[code][0] == "na"


def test_a_veto_gate_fails_the_verdict_in_red(store: Any, evaluation_id: int, make_view) -> None:
    view = make_view(evaluation_id)
    model = view.model
    view.ask_rectification = lambda _parent, _item: ("恢复正常经营", date.today())
    view.table.move_to(next(r for r in range(model.rowCount()) if model.item(r).code == "G3"))
    view.table.answerKey.emit(Answer.FAIL.value)
    assert view.verdict.text().startswith("不通过")
    assert "G3" in view.verdict.text() and "否决项" in view.verdict.text()
    assert "#c62828" in view.verdict.styleSheet()


def test_cancelling_the_rectification_keeps_the_item_unanswered(
    qtbot: Any, store: Any, evaluation_id: int, make_view
) -> None:
    view = make_view(evaluation_id)
    view.table.setFocus()
    fill_rectification("", accept=False)
    qtbot.keyClick(view.table, Qt.Key.Key_2)
    assert view.table.current_row() == 0  # did not move on
    assert view.model.item(0).result is None
    assert stored_answers(store, evaluation_id) == {}


def test_note_key_edits_the_note(qtbot: Any, store: Any, evaluation_id: int, make_view) -> None:
    view = make_view(evaluation_id)
    view.ask_note = lambda _parent, _item: "门口证照已更新"
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_N)  # no result yet: told to choose one first
    box = error_box()
    assert box is not None and "1、2 或 3" in box.text()
    box.close()
    qtbot.keyClick(view.table, Qt.Key.Key_1)
    qtbot.keyClick(view.table, Qt.Key.Key_Up)
    qtbot.keyClick(view.table, Qt.Key.Key_N)
    assert view.model.item(0).note == "门口证照已更新"
    assert view.model.index(0, 5).data() == "门口证照已更新"
    with store.read() as session:
        assert service.get(session, evaluation_id).answers[0].note == "门口证照已更新"


# --- photos ---------------------------------------------------------------------------------


def test_attaching_a_photo_shows_its_thumbnail(
    qtbot: Any, store: Any, evaluation_id: int, make_view
) -> None:
    view = make_view(evaluation_id)
    view.table.move_to(0)
    item = view.model.item(0)
    assert item.photo_required
    assert "必须拍照" in view.item_detail.text()
    assert view.photos.count() == 0

    view.attach([str(PHOTO)])
    assert view.photos.count() == 1
    thumb = view.photos.item(0)
    assert not thumb.icon().isNull()
    required = view.model.item(0).photo_required  # a required photo, once there, is ticked
    assert view.model.index(0, 4).data() == ("1 ✓" if required else "1")
    with store.read() as session:
        photos = service.get(session, evaluation_id).photos
        assert [(p.checklist_id, p.item_code) for p in photos] == [(item.checklist_id, item.code)]

    # Double-click (or Enter) activates it: a larger preview opens.
    view.photos.itemActivated.emit(thumb)
    preview = view.findChild(QDialog, "photoPreview")
    assert preview is not None and preview.isVisible()
    preview.close()

    # The next item has no photos; a general photo is counted apart from items.
    view.table.move_to(1)
    assert view.photos.count() == 0
    view.attach([str(DATA / "photos" / "Portrait_1.jpg")], for_item=False)
    assert view.general_count.text() == "整体照片 1 张"
    assert view.photos.count() == 0


def test_dropping_image_files_attaches_them_to_the_selected_item(
    store: Any, evaluation_id: int, make_view
) -> None:
    view = make_view(evaluation_id)
    view.table.move_to(2)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(PHOTO)), QUrl.fromLocalFile(str(DATA / "README.md"))])
    buttons, modifiers = Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    drop = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, buttons, modifiers)
    view.dropEvent(drop)
    assert view.photos.count() == 1  # the README is not an image and is left out
    assert len(view.model.item(2).photos) == 1


def test_ctrl_v_pastes_a_copied_image_onto_the_selected_item(
    qtbot: Any, store: Any, evaluation_id: int, make_view, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = make_view(evaluation_id)
    view.table.move_to(1)
    view.table.setFocus()
    assert view.photos.count() == 0
    pasted: list[Path] = []
    real_write_photos = operations.write_photos

    def write_photos(store_: Any, eid: int, paths: Any, ref: Any) -> Any:
        pasted.extend(Path(p) for p in paths)
        assert all(p.is_file() for p in pasted)  # the temporary PNG exists during the job
        return real_write_photos(store_, eid, paths, ref)

    monkeypatch.setattr(operations, "write_photos", write_photos)
    image = QImage(320, 240, QImage.Format.Format_RGB32)
    image.fill(QColor("#3366cc"))
    QApplication.clipboard().setImage(image)
    qtbot.keyClick(view.table, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)

    assert view.photos.count() == 1
    assert not view.photos.item(0).icon().isNull()
    assert len(view.model.item(1).photos) == 1
    assert len(pasted) == 1 and pasted[0].suffix == ".png"
    assert not pasted[0].exists()  # removed after the job
    assert view.table.current_row() == 1  # pasting does not move or answer


def test_ctrl_v_pastes_copied_image_files(
    qtbot: Any, store: Any, evaluation_id: int, make_view
) -> None:
    view = make_view(evaluation_id)
    view.table.move_to(2)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(PHOTO)), QUrl.fromLocalFile(str(DATA / "README.md"))])
    QApplication.clipboard().setMimeData(mime)
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert view.photos.count() == 1  # the README is not an image and is left out
    assert len(view.model.item(2).photos) == 1
    assert PHOTO.is_file()  # the inspector's own file is left alone


def test_a_bad_photo_is_refused_with_a_message(
    tmp_path: Path, evaluation_id: int, make_view
) -> None:
    view = make_view(evaluation_id)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a photo")
    view.attach([str(broken)])
    box = error_box()
    assert box is not None
    box.close()
    assert view.photos.count() == 0


# --- signatures -----------------------------------------------------------------------------


def test_signature_pad_draws_and_clears(qtbot: Any, tmp_path: Path) -> None:
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(400, 150)
    pad.show()
    assert pad.is_empty()
    draw(qtbot, pad)
    assert not pad.is_empty()
    target = tmp_path / "sig.png"
    pad.to_png(target)
    assert target.read_bytes().startswith(b"\x89PNG")
    pad.clear()
    assert pad.is_empty()


def test_signing_records_the_signature_and_an_empty_pad_is_refused(
    qtbot: Any, store: Any, evaluation_id: int, make_view
) -> None:
    view = make_view(evaluation_id)
    box = view.unit_box
    box.name.setText("张店长")
    box.confirm.click()
    error = error_box()
    assert error is not None
    assert "空白" in error.text()
    error.close()
    assert box.state.text() == "未签名"

    draw(qtbot, box.pad)
    box.confirm.click()
    assert box.state.text() == "已签名：张店长"
    with store.read() as session:
        signatures = service.get(session, evaluation_id).signatures
        assert [(s.role, s.name) for s in signatures] == [("unit", "张店长")]


# --- finishing ------------------------------------------------------------------------------


def test_finalize_refuses_then_locks_and_revises(
    qtbot: Any, store: Any, evaluation_id: int, make_view
) -> None:
    view = make_view(evaluation_id)
    click_finalize(view)
    missing = view.missing_dialog
    assert missing is not None and missing.isVisible()
    assert "还不能定稿" in missing.summary.text()
    lines = [missing.list.item(r).text() for r in range(missing.list.count())]
    assert "缺签名：检查人员" in lines
    assert any(line.startswith("未检查") for line in lines)
    missing.close()
    assert view.data is not None and not view.data.locked

    # Complete it through the service: answers and required photos.
    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        for item in view.model.items:
            if item.linked:
                continue  # answered through the items it is the same as
            service.answer(session, store.library, evaluation, item.ref, "pass")
            if item.photo_required:
                service.attach(
                    session, store.photos, evaluation, [PHOTO], item.ref, library=store.library
                )
    view.reload()
    for box, name in ((view.inspector_box, "王芳"), (view.unit_box, "张店长")):
        box.name.setText(name)
        draw(qtbot, box.pad)
        box.confirm.click()
    assert error_box() is None

    click_finalize(view)
    assert view.data is not None and view.data.locked
    assert "已定稿" in view.info.text()
    assert view.verdict.text() == "通过：全部符合"
    assert view.revise_button.isVisible() and not view.finalize_button.isVisible()
    assert not view.add_item_photo.isEnabled()
    assert not view.inspector_box.isEnabled()
    view.table.setFocus()
    view.table.move_to(0)
    qtbot.keyClick(view.table, Qt.Key.Key_2)  # locked: keys do nothing
    assert view.model.item(0).result == "pass"
    with store.read() as session:
        assert service.get(session, evaluation_id).status == service.FINALIZED

    view.revise_button.click()
    assert view.data is not None
    assert view.evaluation_id != evaluation_id
    assert view.data.replaces == evaluation_id
    assert not view.data.locked
    assert "修订自评价" in view.info.text()
    assert view.model.item(0).result == "pass"  # answers carried over
    assert view.finalize_button.isVisible()


# --- never lose work ------------------------------------------------------------------------


def test_closing_and_reopening_keeps_every_answer_and_photo(
    qtbot: Any, store: Any, evaluation_id: int, make_window
) -> None:
    window = make_window()
    view = window.open_evaluation(evaluation_id)
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    view.ask_rectification = lambda _parent, _item: ("补齐追溯台账", date.today())
    view.table.setFocus()
    for key in (Qt.Key.Key_1, Qt.Key.Key_3, Qt.Key.Key_2, Qt.Key.Key_1):
        qtbot.keyClick(view.table, key)
    view.table.move_to(0)
    view.attach([str(PHOTO)])
    # Close the window as soon as the keys are pressed: shutdown waits for the writer.
    window.close()

    again = make_window()
    reopened = again.open_evaluation(evaluation_id)
    qtbot.waitUntil(lambda: reopened.data is not None, timeout=WAIT_MS)
    results = [reopened.model.item(r).result for r in range(4)]
    assert results == ["pass", "na", "fail", "pass"]
    assert reopened.model.item(2).rectify == "补齐追溯台账"
    reopened.table.move_to(0)
    assert len(reopened.model.item(0).photos) == 1
    assert reopened.photos.count() == 1
    assert reopened.model.item(4).result is None


def test_tab_closed_before_a_write_finishes_loses_nothing(
    qtbot: Any, store: Any, evaluation_id: int, make_window
) -> None:
    window = make_window()
    view = window.open_evaluation(evaluation_id)
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_1)
    window.close_tab(window.tabs.indexOf(view))
    qtbot.waitUntil(lambda: not isValid(view), timeout=WAIT_MS)  # deleted before its answer
    window.runner.shutdown()
    assert error_box() is None
    assert len(stored_answers(store, evaluation_id)) == 1
