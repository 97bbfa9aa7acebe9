"""The main window over a real store: lazy unit list, search, filters, detail, progress, checklists.

Stores are filled through the same import a county uses (demo CSV → import_units). Most tests run
the real threaded task runner and wait with ``qtbot.waitUntil``; the model tests use the
synchronous runner so each step is deterministic. No sleeps anywhere.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import select

from fieldapp.domain.lifecycle import State
from fieldapp.errors import NotFound
from fieldapp.imports.targets import import_targets
from fieldapp.imports.units import import_units
from fieldapp.services import demo
from fieldapp.services import units as unit_service
from fieldapp.services.units import UnitFilter
from fieldapp.storage.models import Unit
from fieldapp.ui import operations, strings
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.tasks import TaskRunner
from fieldapp.ui.unit_model import UNIT_ID_ROLE, UnitTableModel
from tests import lifecycle_helpers

pytestmark = pytest.mark.gui

WAIT_MS = 10_000


def fill(store: Any, folder: Path, count: int) -> None:
    path = demo.write_csv(folder / "units.csv", count)
    with store.session() as session:
        import_units(session, path, actor="t")


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


def wait_loaded(qtbot: Any, window: MainWindow, **expected: object) -> UnitTableModel:
    """Wait until the unit list shows the filter with ``expected`` fields, fully answered."""
    model = window.units_tab.model

    def done() -> bool:
        query = model.query
        matches = all(getattr(query, k) == v for k, v in expected.items())
        return matches and not model.loading and model.total > 0

    qtbot.waitUntil(done, timeout=WAIT_MS)
    return model


def loaded_rows(model: UnitTableModel) -> list[operations.UnitRow]:
    return [model.row_data(r) for r in range(model.rowCount())]


# --- the model ------------------------------------------------------------------------------


def test_unit_model_passes_qt_model_tester(qtmodeltester: Any, store: Any, tmp_path: Path) -> None:
    fill(store, tmp_path, 300)
    model = UnitTableModel(store, TaskRunner(synchronous=True), page_size=50)
    model.set_filter(UnitFilter())
    assert model.rowCount() == 50
    qtmodeltester.check(model)
    model.set_filter(UnitFilter(search="超市"))
    qtmodeltester.check(model)


def test_unit_model_is_lazy_and_reaches_every_unit(store: Any, tmp_path: Path) -> None:
    fill(store, tmp_path, 2000)
    model = UnitTableModel(store, TaskRunner(synchronous=True))
    model.set_filter(UnitFilter())

    assert model.total == 2000
    assert model.rowCount() == 200  # one page, not 2,000 rows
    fetches = 0
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        fetches += 1
    assert fetches == 9
    assert model.rowCount() == 2000
    ids = [model.index(r, 0).data(UNIT_ID_ROLE) for r in range(model.rowCount())]
    assert ids == sorted(set(ids))


def test_unit_model_fetches_pages_on_a_worker_thread(
    qtbot: Any, store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(store, tmp_path, 500)
    threads: list[int] = []
    real_fetch = operations.fetch_units

    def fetch(*args: Any) -> list[operations.UnitRow]:
        threads.append(threading.get_ident())
        return real_fetch(*args)

    monkeypatch.setattr(operations, "fetch_units", fetch)
    runner = TaskRunner()
    model = UnitTableModel(store, runner)
    model.set_filter(UnitFilter())
    qtbot.waitUntil(lambda: model.rowCount() == 200, timeout=WAIT_MS)
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())  # ignored: that page is already on its way
    qtbot.waitUntil(lambda: model.rowCount() == 400, timeout=WAIT_MS)
    runner.shutdown()
    assert len(threads) == 1
    assert threads[0] != threading.get_ident()


# --- the task runner ------------------------------------------------------------------------


def test_task_runner_runs_off_the_ui_thread_and_answers_on_it(qtbot: Any) -> None:
    runner = TaskRunner()
    seen: list[tuple[int, int]] = []
    runner.submit(threading.get_ident, lambda worker: seen.append((worker, threading.get_ident())))
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT_MS)
    runner.shutdown()
    worker, callback = seen[0]
    assert worker != threading.get_ident()
    assert callback == threading.get_ident()


@pytest.mark.parametrize("synchronous", [True, False])
def test_task_errors_reach_the_user(qtbot: Any, synchronous: bool) -> None:
    runner = TaskRunner(synchronous=synchronous)

    def fail() -> None:
        raise NotFound("没有信用代码为 X 的单位")

    runner.submit(fail, lambda _result: None)

    def error_box() -> QMessageBox | None:
        boxes = [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox"]
        visible = [b for b in boxes if isinstance(b, QMessageBox) and b.isVisible()]
        return visible[0] if visible else None

    qtbot.waitUntil(lambda: error_box() is not None, timeout=WAIT_MS)
    box = error_box()
    assert box is not None
    assert box.text() == "没有信用代码为 X 的单位"
    box.close()
    runner.shutdown()


def test_unexpected_errors_name_their_type(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shown: list[str] = []
    monkeypatch.setattr("fieldapp.ui.tasks.show_error", lambda _parent, text: shown.append(text))
    runner = TaskRunner(synchronous=True)
    runner.submit(lambda: 1 // 0, lambda _result: None)
    runner.submit(lambda: 1, lambda _result: [][1])  # a failing callback is reported too
    assert len(shown) == 2
    assert "ZeroDivisionError" in shown[0]
    assert "IndexError" in shown[1]
    assert "unexpected error" in caplog.text  # traceback logged for the maintainer


# --- the units tab --------------------------------------------------------------------------


def test_window_lists_units_with_count(qtbot: Any, store: Any, tmp_path: Path, make_window) -> None:
    fill(store, tmp_path, 2000)
    window = make_window()
    assert window.windowTitle() == "fieldapp 放心消费单位评价"
    tab = window.units_tab
    model = wait_loaded(qtbot, window, search="")
    assert model.total == 2000
    assert model.rowCount() < 2000
    assert tab.status.text() == "共 2000 家"
    assert tab.search.placeholderText() == "输入名称、信用代码或地址"
    headers = [model.headerData(c, tab.table.horizontalHeader().orientation()) for c in range(6)]
    assert headers == ["统一社会信用代码", "单位名称", "所属所", "单位类型", "状态", "经营地址"]
    qtbot.waitUntil(lambda: tab.station_combo.count() > 1, timeout=WAIT_MS)
    assert tab.station_combo.itemText(0) == "全部所"
    assert "五云所" in [tab.station_combo.itemText(i) for i in range(tab.station_combo.count())]


def test_empty_store_says_how_to_get_units_in(qtbot: Any, make_window) -> None:
    window = make_window()
    status = window.units_tab.status
    qtbot.waitUntil(lambda: "fieldapp units import" in status.text(), timeout=WAIT_MS)
    assert "fieldapp demo" in status.text()
    assert window.units_tab.model.total == 0


def test_search_as_you_type_narrows_rows_with_one_query(
    qtbot: Any, store: Any, tmp_path: Path, make_window, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(store, tmp_path, 2000)
    window = make_window()
    model = wait_loaded(qtbot, window, search="")
    calls: list[str] = []
    real_first_page = operations.first_page

    def first_page(store_: Any, query: UnitFilter, limit: int) -> operations.Page:
        calls.append(query.search)
        return real_first_page(store_, query, limit)

    monkeypatch.setattr(operations, "first_page", first_page)
    search = window.units_tab.search
    for text in ("超", "超市"):  # keyClicks with Chinese aborts Qt; setText types just as well
        search.setText(text)

    model = wait_loaded(qtbot, window, search="超市")
    assert calls == ["超市"]  # the pause before searching swallowed the first keystroke
    assert 0 < model.total < 2000
    rows = loaded_rows(model)
    assert len(rows) == model.total  # fewer than a page
    assert all("超市" in row.name or "超市" in row.address for row in rows)
    assert window.units_tab.status.text() == f"共 {model.total} 家"


def test_station_combo_filters(qtbot: Any, store: Any, tmp_path: Path, make_window) -> None:
    fill(store, tmp_path, 2000)
    window = make_window()
    tab = window.units_tab
    wait_loaded(qtbot, window, station=None)
    qtbot.waitUntil(lambda: tab.station_combo.findData("壶镇分局") > 0, timeout=WAIT_MS)

    tab.station_combo.setCurrentIndex(tab.station_combo.findData("壶镇分局"))
    model = wait_loaded(qtbot, window, station="壶镇分局")
    with store.read() as session:
        expected = unit_service.count(session, UnitFilter(station="壶镇分局"))
    assert 0 < model.total == expected < 2000
    assert {row.station for row in loaded_rows(model)} == {"壶镇分局"}


def test_type_and_state_combos_filter(qtbot: Any, store: Any, tmp_path: Path, make_window) -> None:
    fill(store, tmp_path, 1000)
    window = make_window()
    tab = window.units_tab
    wait_loaded(qtbot, window, state=None)
    tab.type_combo.setCurrentIndex(tab.type_combo.findText("放心工厂"))
    tab.state_combo.setCurrentIndex(tab.state_combo.findText("培育库"))
    model = wait_loaded(qtbot, window, unit_type="factory", state="cultivating")
    rows = loaded_rows(model)
    assert rows
    assert {(r.unit_type, r.state) for r in rows} == {("factory", "cultivating")}
    assert model.index(0, 3).data() == "放心工厂"
    assert model.index(0, 4).data() == "培育库"


def test_selecting_a_unit_shows_record_and_history(
    qtbot: Any, store: Any, tmp_path: Path, make_window
) -> None:
    fill(store, tmp_path, 300)
    with store.session() as session:
        unit = session.scalars(select(Unit).where(Unit.state == State.EVALUATING.value)).first()
        assert unit is not None
        lifecycle_helpers.name(session, unit, actor="王检查")
        lifecycle_helpers.sticker(session, unit, actor="李张贴", note="门口左侧")
        code, name, station = unit.credit_code, unit.name, unit.station.name

    window = make_window()
    tab = window.units_tab
    wait_loaded(qtbot, window, search="")
    tab.search.setText(code)  # a credit code finds exactly its unit
    model = wait_loaded(qtbot, window, search=code)
    assert model.total == 1
    tab.table.selectRow(0)

    qtbot.waitUntil(lambda: name in tab.detail.toPlainText(), timeout=WAIT_MS)
    text = tab.detail.toPlainText()
    for expected in (
        code,
        station,
        "后评价 → 放心消费单位",
        "王检查",
        "标识张贴",
        "李张贴",
        "门口左侧",
    ):
        assert expected in text
    assert "（新建） → 后评价" in text  # the import's first event

    tab.search.setText("")  # a new list clears the panel
    wait_loaded(qtbot, window, search="")
    assert tab.detail.toPlainText() == ""


# --- the progress and checklist tabs --------------------------------------------------------


def test_the_window_keeps_the_progress_figures_and_the_tab_shows_a_later_change(
    qtbot: Any, store: Any, tmp_path: Path, make_window
) -> None:
    from fieldapp.services import progress, progress_kept
    from fieldapp.storage.models import ProgressYear
    from fieldapp.ui.app import start_keeping_figures
    from fieldapp.ui.progress_tab import percent

    year = date.today().year
    fill(store, tmp_path, 300)
    window = make_window()
    start_keeping_figures(window)
    qtbot.waitUntil(lambda: _kept(store, year), timeout=WAIT_MS)
    with store.session() as session:  # a unit's phone cleared: 系统录入 drops by one
        unit = session.scalars(select(Unit).where(Unit.contact_phone != "")).first()
        unit.contact_phone = ""
    tab = window.progress_tab
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.table.rowCount() > 0, timeout=WAIT_MS)
    with store.read() as session:
        folded = progress.compute(session, year)
        kept = session.get(ProgressYear, year)
        assert kept is not None and kept.units == 300
        assert progress_kept.clock(session) >= kept.seq
    row = next(r for r in range(tab.table.rowCount()) if tab.table.item(r, 0).text() == "单位合计")
    assert tab.table.item(row, 9).text() == percent(folded.total("units").entry_ratio)


def _kept(store: Any, year: int) -> bool:
    from fieldapp.storage.models import ProgressYear

    with store.read() as session:
        return session.get(ProgressYear, year) is not None


def test_progress_tab_shows_targets_and_deadlines(
    qtbot: Any, store: Any, tmp_path: Path, make_window
) -> None:
    year = date.today().year
    fill(store, tmp_path, 500)
    path = demo.write_targets_csv(tmp_path / "targets.csv", year)
    with store.session() as session:
        import_targets(session, path)

    window = make_window()
    tab = window.progress_tab
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.table.rowCount() > 0, timeout=WAIT_MS)
    table = tab.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == [
        "所", "单位类型", "任务数", "完成数", "现存", "新培育", "完成率", "往年入库未建成",
        "6月节点已公示", "系统录入率", "本年命名", "标识张贴",
    ]  # fmt: skip
    rows = {
        table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    }
    assert rows["单位合计"][2] == "1122"
    assert tab.totals.text().startswith("单位合计：任务 1122，完成 ")
    assert "＝现存 " in tab.totals.text() and "＋新培育 " in tab.totals.text()
    assert rows["街区/乡村合计"][2] == "5"
    assert int(rows["单位合计"][3]) > 0  # imported units count toward the task
    station_rows = [r for r in range(table.rowCount()) if table.item(r, 0).text() == "五云所"]
    assert [table.item(r, 1).text() for r in station_rows][:3] == [
        "一般放心消费单位",
        "线下无理由退货承诺单位",
        "放心工厂",
    ]
    lines = tab.deadlines.text().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("6月底") and lines[1].startswith("11月底")
    assert all("天" in line for line in lines)

    tab.year.setValue(year - 5)  # a year without targets says so
    qtbot.waitUntil(lambda: tab.table.rowCount() == 0, timeout=WAIT_MS)
    assert "没有任务" in tab.summary.text()


def test_checklist_tab_lists_eight_musts_with_items(make_window, qtbot) -> None:
    window = make_window()
    assert window.checklists_tab.shown is None  # the library is read when the tab is shown
    window.tabs.setCurrentWidget(window.checklists_tab)
    qtbot.waitUntil(lambda: window.checklists_tab.shown is not None)
    tree = window.checklists_tab.tree
    tops = {
        tree.topLevelItem(i).text(0): tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
    }
    bayou = tops["八有八无"]
    version = str(window.store.library.latest("bayou-bawu").version)  # the newest bundled one
    assert [bayou.text(c) for c in range(1, 5)] == ["bayou-bawu", version, "16", "内置"]
    assert bayou.childCount() == 16
    assert bayou.child(0).text(0) == "有证照明示"
    assert bayou.child(0).text(1) == "B1a"
    gates = [
        top.child(i).text(5)
        for top in tops.values()
        for i in range(top.childCount())
        if top.child(i).text(5)
    ]
    assert "否决项" in gates


# --- language and start-up ------------------------------------------------------------------


def test_english_strings(qtbot: Any, store: Any, tmp_path: Path, make_window) -> None:
    fill(store, tmp_path, 200)
    strings.set_language("en")
    window = make_window()
    assert window.windowTitle().startswith("fieldapp")
    assert "放心" not in window.windowTitle()
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert tabs == ["Units", "Progress", "Worklists", "Checklists"]
    units = window.units_tab
    model = wait_loaded(qtbot, window, search="")
    assert units.search.placeholderText() == "Name, credit code or address"
    assert model.headerData(0, units.table.horizontalHeader().orientation()) == "Credit code"
    assert units.status.text() == "200 units"
    assert units.station_combo.itemText(0) == "All stations"
    assert units.type_combo.itemText(1) == "Trusted consumption unit"
    assert units.state_combo.findText("Cultivating") > 0
    header = window.progress_tab.table.horizontalHeaderItem(2).text()
    assert header == "Target"


def test_every_string_has_an_english_version() -> None:
    assert set(strings.ZH) <= set(strings.EN)


def test_cli_starts_the_window_in_english(
    qtbot: Any, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldapp.ui import app
    from fieldapp.ui.entry import main

    def first_run(dialog: Any) -> int:  # a new data folder asks who is inspecting first
        dialog.name.setText("王芳")
        dialog.accept()
        return int(dialog.result())

    monkeypatch.setattr(app, "exec_dialog", first_run)

    seen: list[str] = []

    def look(app_: Any = None) -> int:
        """Stands in for ``app.exec()``: a real exec() that returns leaves Qt's quit flag set,
        after which no later test's timers fire (pytest-qt issues #37, #323)."""
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        seen.extend(w.windowTitle() for w in windows if w.isVisible())
        for window in windows:
            window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", look)
    assert main(["--data-dir", str(isolated_data_dir), "--lang", "en"]) == 0
    assert seen == [strings.EN["app.title"]]
    assert QApplication.applicationName() == "fieldapp"
    assert QApplication.organizationName() == "fieldapp"


def test_store_that_cannot_open_is_reported(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldapp.ui import app

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    shown: list[str] = []
    monkeypatch.setattr(app, "show_error", lambda _parent, text, **_kw: shown.append(text))
    args = argparse.Namespace(data_dir=str(blocker), lang=None)
    assert app.run(args) == 1
    assert len(shown) == 1
    assert shown[0].startswith("无法打开数据目录")
    assert str(blocker) in shown[0]
