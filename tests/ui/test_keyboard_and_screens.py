"""Issue 12: small screens and the keyboard.

The window opens inside the screen's available geometry and comes back where it was left; a whole
evaluation runs from the unit search to 定稿 and its printed sheet on key events alone; Tab leaves
the tables; what is missing shows while working and its counter and the 定稿 list go to it; Qt's
own dialogs speak Chinese. No sleeps: every wait is ``qtbot.waitUntil`` on a state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QRect, Qt
from PySide6.QtPrintSupport import QPrintPreviewDialog
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTableWidgetItem,
    QWidget,
)

from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as service
from fieldapp.services import units as unit_service
from fieldapp.ui import app as ui_app
from fieldapp.ui import evaluation_model as em
from fieldapp.ui import geometry, printing, strings
from fieldapp.ui.evaluation_view import EvaluationView, NewEvaluationDialog
from fieldapp.ui.finalize_dialog import FinalizeDialog
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.shortcuts_dialog import ShortcutsDialog
from fieldapp.ui.tasks import TaskRunner
from tests.ui.evaluation_helpers import drawn_png

pytestmark = pytest.mark.gui

WAIT_MS = 10_000
CODE = "92331122MA2A00018H"
DATA = Path(__file__).resolve().parents[1] / "data"
PHOTO = DATA / "photos" / "Landscape_6.jpg"
SMALL = QRect(0, 0, 1024, 768)


@pytest.fixture
def units(store: Any) -> None:
    with store.session() as session:
        import_units(session, DATA / "units-sample.csv", actor="t")


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
    for window in windows:  # before the store fixture closes the engine
        window.shutdown()


@pytest.fixture
def small_screen(monkeypatch: pytest.MonkeyPatch) -> QRect:
    """A 1024×768 screen (the offscreen platform's own is 800×600)."""
    monkeypatch.setattr(geometry, "available", lambda _widget: QRect(SMALL))
    return SMALL


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def activate(qtbot: Any, window: QWidget) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)


def back_from_dialog(qtbot: Any, window: QWidget) -> None:
    """The offscreen platform has no window manager to give the main window back its
    activation when a dialog closes (a real one does): do it, so the focus shows."""
    activate(qtbot, window)


def start_evaluation(store: Any) -> int:
    with store.session() as session:
        unit = unit_service.by_code(session, CODE)
        return service.start(session, store.library, unit, "后评价", "王芳").id


# --- screens ----------------------------------------------------------------------------------


def test_first_geometry_fits_the_available_screen() -> None:
    for room in (
        SMALL,
        QRect(0, 0, 1366, 768),
        QRect(0, 0, 1920, 1040),
        QRect(1920, 0, 1280, 1024),
    ):
        rect = geometry.first_geometry(room)
        framed = rect.adjusted(-8, -32, 8, 8)  # a window manager's frame around it
        assert room.contains(framed), (room, rect)
    assert geometry.first_geometry(QRect(0, 0, 1920, 1040)).size() == geometry.PREFERRED


def test_the_window_opens_inside_1024x768_and_its_screens_fit(
    qtbot: Any, store: Any, units: None, small_screen: QRect, make_window
) -> None:
    window = make_window(TaskRunner(synchronous=True))
    assert small_screen.contains(window.geometry())
    assert window.width() <= 1024 and window.height() <= 768
    # Nothing in the units tab asks for more room than the screen has.
    hint = window.minimumSizeHint()
    assert hint.width() <= window.width() and hint.height() <= window.height()

    # A 复查-like view with 上次 shown: the columns fit the table, no sideways scrolling.
    view = window.open_evaluation(start_evaluation(store))
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    view.table.setColumnHidden(em.COLUMNS.index("previous"), False)
    QApplication.processEvents()
    hint = window.minimumSizeHint()
    assert hint.width() <= window.width() and hint.height() <= window.height()
    header = view.table.horizontalHeader()
    assert header.length() <= view.table.viewport().width()
    assert view.table.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert header.sectionSize(em.COLUMNS.index("previous")) > 0
    # The signature pads are a panel the inspector opens, not a third of the width.
    assert not view.signatures.isVisible()


def test_geometry_and_splitters_come_back_after_a_restart(
    qtbot: Any, store: Any, units: None, make_window
) -> None:
    first = make_window(TaskRunner(synchronous=True))
    first.setGeometry(QRect(30, 40, 760, 520))
    first.units_tab.splitter.setSizes([500, 240])
    first.units_tab.splitter.splitterMoved.emit(500, 1)  # as a drag does
    sizes = first.units_tab.splitter.sizes()
    first.close()
    assert (store.folder / geometry.GEOMETRY_FILE).is_file()

    second = make_window(TaskRunner(synchronous=True))
    assert second.geometry() == QRect(30, 40, 760, 520)
    assert second.units_tab.splitter.sizes() == sizes

    second.showMaximized()
    second.close()
    third = make_window(TaskRunner(synchronous=True))
    assert third.isMaximized()


def test_a_saved_place_off_every_screen_opens_on_the_screen(
    qtbot: Any, store: Any, units: None, make_window
) -> None:
    first = make_window(TaskRunner(synchronous=True))
    first.setGeometry(QRect(3000, 2000, 700, 500))  # a second monitor that is gone
    first.close()
    second = make_window(TaskRunner(synchronous=True))
    assert geometry.available(second).contains(second.geometry())


# --- the keyboard -------------------------------------------------------------------------------


def test_a_whole_evaluation_by_keyboard_alone(
    qtbot: Any,
    store: Any,
    units: None,
    make_window,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    printed: list[Path] = []
    monkeypatch.setattr(printing, "open_document", lambda path: printed.append(Path(path)))
    window = make_window(TaskRunner())  # the real reader and writer threads
    activate(qtbot, window)
    tab = window.units_tab

    # Ctrl+F: the search; type the code; ↓ moves into the results.
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert focused() is tab.search
    QTest.keyClicks(tab.search, CODE)
    QTest.keyClick(tab.search, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: tab.model.query.search == CODE and not tab.model.loading and tab.model.total == 1,
        timeout=WAIT_MS,
    )
    QTest.keyClick(tab.search, Qt.Key.Key_Down)
    assert focused() is tab.table

    # Enter opens the unit: its record, and the focus on its actions.
    QTest.keyClick(tab.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: focused() in (tab.evaluations, tab.new_evaluation), timeout=WAIT_MS)
    assert tab.selected_unit is not None and tab.selected_unit.credit_code == CODE

    # Ctrl+N: the new-evaluation dialog; ↓ to 后评价 and Enter starts it.
    QTest.keyClick(focused(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: tab.findChild(NewEvaluationDialog) is not None, timeout=WAIT_MS)
    dialog = tab.findChild(NewEvaluationDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: focused() is dialog.kind, timeout=WAIT_MS)
    while dialog.chosen_kind() != "post_evaluation":
        QTest.keyClick(dialog.kind, Qt.Key.Key_Down)
    QTest.keyClick(dialog.kind, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(window.evaluation_views()), timeout=WAIT_MS)
    view = window.evaluation_views()[0]
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    back_from_dialog(qtbot, window)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view.table, timeout=WAIT_MS)
    model = view.model
    count = model.rowCount()

    # Ticking: 1 on every item, each moving on by itself.
    for _row in range(count):
        QTest.keyClick(view.table, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: all(i.result == "pass" for i in model.items), timeout=WAIT_MS)
    needing = [r for r in range(count) if em.needs_photo(model.item(r))]
    assert needing  # a 后评价 asks for photos
    assert view.missing_button.text() == f"还缺 {len(needing) + 2} 项"  # and two signatures
    assert model.index(needing[0], em.COLUMNS.index("photos")).data() == "需拍照"

    # Ctrl+M goes to each item still without its photo; Ctrl+Shift+P adds one. The file
    # dialog's own keys are Qt's; the test stands in for what the inspector picks in it.
    view.pick_photos = lambda _parent: [str(PHOTO)]
    for _missing in needing:
        expected = em.next_missing(model.items, view.table.current_row())
        assert expected in needing
        QTest.keyClick(view.table, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
        assert view.table.current_row() == expected
        QTest.keyClick(
            view.table,
            Qt.Key.Key_P,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
        assert focused() is view.table  # back on the items, not on a button
        qtbot.waitUntil(lambda row=expected: bool(model.item(row).photos), timeout=WAIT_MS)
    assert view.missing_button.text() == "还缺 2 项"
    assert model.index(needing[0], em.COLUMNS.index("photos")).data() == "1 ✓"

    # With the items complete, Ctrl+M opens the signature panel on the inspector's name.
    QTest.keyClick(view.table, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert view.signatures.isVisible()
    assert focused() is view.inspector_box.name
    # A signature is drawn with a pen or a finger, which no key can do: the test stores two
    # drawn signatures the way the pads do, then goes on by keyboard.
    with store.session() as session:
        evaluation = service.get(session, view.evaluation_id)
        for role, name in (("inspector", "王芳"), ("unit", "张店长")):
            png = drawn_png(tmp_path / f"{role}.png")
            service.sign(session, store.signatures, evaluation, role, name, png)
    view.reload()
    qtbot.waitUntil(lambda: view.missing_count() == 0, timeout=WAIT_MS)
    assert view.missing_button.text() == "各项齐全，可以定稿"

    # Alt+Q folds the pads away, Alt+D (定稿) finalizes. (A mnemonic clicks its button as a
    # click looks: a moment later.)
    QTest.keyClick(focused(), Qt.Key.Key_Q, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: not view.signatures.isVisible(), timeout=WAIT_MS)
    assert focused() is view.table
    QTest.keyClick(view.table, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    # The confirmation shows the verdict and what 定稿 locks; Enter takes 确认定稿.
    qtbot.waitUntil(lambda: isinstance(view.finalize_dialog, FinalizeDialog), timeout=WAIT_MS)
    confirm = view.finalize_dialog
    assert isinstance(confirm, FinalizeDialog)
    assert confirm.verdict.text() == view.verdict.text()
    assert "锁定" in confirm.locks.text()
    activate(qtbot, confirm)
    assert focused() is confirm.confirm
    QTest.keyClick(focused(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.data is not None and view.data.locked, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.proposal_dialog is not None, timeout=WAIT_MS)
    box = view.proposal_dialog
    assert isinstance(box, QMessageBox)
    QTest.keyClick(box, Qt.Key.Key_Escape)  # 以后再说: the proposal is for another day
    back_from_dialog(qtbot, window)
    qtbot.waitUntil(lambda: focused() is view.table, timeout=WAIT_MS)

    # Ctrl+P: Qt's print preview (its 打印 opens Qt's print dialog); Esc closes it.
    QTest.keyClick(view.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(view.print_dialog, QPrintPreviewDialog), timeout=WAIT_MS)
    preview = view.print_dialog
    assert isinstance(preview, QPrintPreviewDialog)
    qtbot.waitUntil(preview.isVisible, timeout=WAIT_MS)
    activate(qtbot, preview)
    QTest.keyClick(focused(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not preview.isVisible(), timeout=WAIT_MS)
    back_from_dialog(qtbot, window)
    qtbot.waitUntil(lambda: focused() is view.table, timeout=WAIT_MS)

    # Ctrl+Shift+S (另存为 PDF): the save dialog; type where, Enter; the sheet is written and
    # opened.
    QTest.keyClick(
        view.table,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(
        lambda: isinstance(QApplication.activeModalWidget(), QFileDialog), timeout=WAIT_MS
    )
    save = QApplication.activeModalWidget()
    assert save is not None
    activate(qtbot, save)  # no window manager to activate a new window either
    out = tmp_path / "sheet.pdf"
    name = focused()
    assert isinstance(name, QLineEdit)  # the file name
    name.selectAll()
    QTest.keyClicks(name, str(out))
    QTest.keyClick(name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: printed == [out], timeout=WAIT_MS * 3)
    assert out.stat().st_size > 0
    assert not save.isVisible()


def test_tab_leaves_the_tables(qtbot: Any, store: Any, units: None, make_window) -> None:
    window = make_window(TaskRunner(synchronous=True))
    activate(qtbot, window)
    view = window.open_evaluation(start_evaluation(store))
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    view.table.setFocus()
    row = view.table.current_row()
    QTest.keyClick(view.table, Qt.Key.Key_Tab)
    assert focused() is not view.table
    assert view.table.current_row() == row  # Tab did not walk the cells
    tab = window.units_tab
    window.tabs.setCurrentWidget(tab)
    tab.table.setFocus()
    QTest.keyClick(tab.table, Qt.Key.Key_Tab)
    assert focused() is not tab.table
    for table in (
        window.progress_tab.table,
        window.progress_tab.holdback_table,
        window.progress_tab.unit_list,
        window.worklists_tab.changed,
        window.worklists_tab.followups,
    ):
        assert not table.tabKeyNavigation()


def test_the_missing_counter_counts_and_goes_to_the_next(
    qtbot: Any, store: Any, units: None, make_window
) -> None:
    window = make_window(TaskRunner(synchronous=True))
    view = window.open_evaluation(start_evaluation(store))
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    model, table = view.model, view.table
    count = model.rowCount()
    # Every item still to check (not those answered through others) and two signatures.
    missing = em.missing_rows(model.items)
    assert view.missing_button.text() == f"还缺 {len(missing) + 2} 项"

    table.setFocus()
    table.move_to(missing[0])
    QTest.keyClick(table, Qt.Key.Key_1)  # answered: one fewer (or a photo still due)
    first = model.item(missing[0])
    expected = len(missing) + 2 - 1 + (1 if em.needs_photo(first) else 0)
    assert view.missing_button.text() == f"还缺 {expected} 项"

    # A click goes to the next missing item after the current one, round to the top.
    table.move_to(missing[2])
    view.missing_button.click()
    assert table.current_row() == em.next_missing(model.items, missing[2]) == missing[3]
    assert focused() is table if QApplication.activeWindow() else True
    table.move_to(count - 1)
    view.missing_button.click()
    assert table.current_row() == em.next_missing(model.items, count - 1)
    assert table.current_row() == em.missing_rows(model.items)[0]


def test_the_finalize_list_goes_to_the_item(
    qtbot: Any, store: Any, units: None, make_window
) -> None:
    window = make_window(TaskRunner(synchronous=True))
    activate(qtbot, window)
    view = window.open_evaluation(start_evaluation(store))
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    QTest.keyClick(view.table, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: view.missing_dialog is not None, timeout=WAIT_MS)
    dialog = view.missing_dialog
    assert dialog is not None and dialog.isVisible()
    missing = em.missing_rows(view.model.items)
    assert dialog.list.count() == len(missing) + 2
    assert dialog.list.item(dialog.list.count() - 1).text() == "缺签名：单位负责人"
    dialog.list.setCurrentRow(5)
    QTest.keyClick(dialog.list, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert view.table.current_row() == missing[5]
    back_from_dialog(qtbot, window)
    assert focused() is view.table
    assert view.data is not None and not view.data.locked

    # A signature's line opens the pads on that signer.
    view.show_missing()
    dialog = view.missing_dialog
    assert dialog is not None
    dialog.list.setCurrentRow(dialog.list.count() - 1)
    QTest.keyClick(dialog.list, Qt.Key.Key_Return)
    assert view.signatures.isVisible()
    back_from_dialog(qtbot, window)
    assert focused() is view.unit_box.name


def test_focus_returns_to_the_items_after_adding_a_photo(
    qtbot: Any, store: Any, units: None, make_window
) -> None:
    window = make_window(TaskRunner(synchronous=True))
    activate(qtbot, window)
    view: EvaluationView = window.open_evaluation(start_evaluation(store))
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    view.pick_photos = lambda _parent: [str(PHOTO)]
    view.add_item_photo.setFocus()
    QTest.keyClick(view.add_item_photo, Qt.Key.Key_Space)  # the button, by keyboard
    qtbot.waitUntil(lambda: model_photos(view, 0) == 1, timeout=WAIT_MS)
    asked: list[bool] = []
    view.pick_photos = lambda _parent: asked.append(True) or []  # cancelled
    QTest.keyClick(view.table, Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)  # 添加整体照片
    qtbot.waitUntil(lambda: asked == [True], timeout=WAIT_MS)
    assert focused() is view.table


def model_photos(view: EvaluationView, row: int) -> int:
    return len(view.model.item(row).photos)


def test_worklist_rows_open_their_unit(qtbot: Any, store: Any, units: None, make_window) -> None:
    window = make_window(TaskRunner(synchronous=True))
    tab = window.worklists_tab
    window.tabs.setCurrentWidget(tab)
    tab.changed.setRowCount(1)
    tab.changed.setItem(0, 0, QTableWidgetItem(CODE))
    tab.changed.setCurrentCell(0, 1)
    QTest.keyClick(tab.changed, Qt.Key.Key_Return)
    assert window.tabs.currentWidget() is window.units_tab
    qtbot.waitUntil(lambda: window.units_tab.selected_unit is not None, timeout=WAIT_MS)
    assert window.units_tab.selected_unit.credit_code == CODE


def test_help_lists_the_shortcuts_and_menus_have_mnemonics(
    qtbot: Any, store: Any, make_window
) -> None:
    window = make_window(TaskRunner(synchronous=True))
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["文件(&F)", "报表(&R)", "设置(&S)", "帮助(&H)"]
    dialog = window.open_shortcuts()
    assert isinstance(dialog, ShortcutsDialog)
    listed = {dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())}
    assert {"Ctrl+N", "Ctrl+Shift+P", "Ctrl+M", "Ctrl+P", "Alt+D", "↓"} <= listed
    dialog.close()


# --- Qt's own dialogs -----------------------------------------------------------------------------


def test_qt_dialogs_are_in_chinese(qapp: Any) -> None:
    strings.set_language("zh_CN")
    ui_app.install_qt_translations(qapp)
    try:
        assert ui_app._qt_translators
        assert QCoreApplication.translate("QFileDialog", "Look in:") == "查找范围："
        assert QCoreApplication.translate("QFileDialog", "Files of type:") == "文件类型："
        # The labels as the file dialog of this Qt asks for them (newer than the .qm).
        dialog = QFileDialog(None, "t")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        labels = {label.objectName(): label.text() for label in dialog.findChildren(QLabel)}
        assert labels["lookInLabel"] == "查找范围(&L)："
        assert labels["fileTypeLabel"] == "文件类型(&T)："
        assert labels["fileNameLabel"].startswith("文件名称")
        dialog.deleteLater()
        box = QMessageBox(QMessageBox.Icon.Question, "t", "t")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        yes = box.button(QMessageBox.StandardButton.Yes)
        assert yes is not None and yes.text().startswith("是")
        box.deleteLater()
    finally:
        ui_app.remove_qt_translations(qapp)
    strings.set_language("en")
    ui_app.install_qt_translations(qapp)
    assert not ui_app._qt_translators
    assert QCoreApplication.translate("QFileDialog", "Look in:") == "Look in:"
