"""The station head's dashboard on the 进度 tab: chart, hold-backs by station and reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from fieldapp.domain.lifecycle import State
from fieldapp.imports.targets import import_targets
from fieldapp.imports.units import import_units
from fieldapp.services import demo, worklists
from fieldapp.services import units as unit_service
from fieldapp.services.worklists import Reason
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.tasks import TaskRunner
from tests import lifecycle_helpers
from tests.ui.evaluation_helpers import finalize_with_one_failure

pytestmark = pytest.mark.gui

WAIT_MS = 10_000
PHARMACY = "92331122MA2A000347"  # 放心消费单位 in units-sample.csv, 仙都所
SHOP = "92331122MA2A00018H"  # 五云所
INN = "91331122MA2A00026F"  # 壶镇分局


@pytest.fixture
def window(qtbot: Any, store: Any, tmp_path: Path, data_path: Path) -> Iterator[MainWindow]:
    year = date.today().year
    units = demo.write_csv(tmp_path / "units.csv", 400)
    with store.session() as session:
        import_units(session, units, actor="t")
        import_units(session, data_path / "units-sample.csv", actor="t")
        import_targets(session, demo.write_targets_csv(tmp_path / "targets.csv", year))
        pharmacy = unit_service.by_code(session, PHARMACY)
        assert pharmacy.state == State.CONFIRMED.value
        lifecycle_helpers.sticker(session, pharmacy, actor="t")  # no photo
    runner = TaskRunner(synchronous=True)
    main = MainWindow(store, runner)
    qtbot.addWidget(main)
    main.show()
    main.tabs.setCurrentWidget(main.progress_tab)
    yield main
    main.shutdown()


def test_chart_shows_each_station_target_and_achieved(window: MainWindow) -> None:
    tab = window.progress_tab
    bars = {bar.label: bar for bar in tab.chart.bars}
    assert tab.progress is not None
    expected: dict[str, list[int]] = {}
    for cell in tab.progress.cells:
        if cell.unit_type.group == "units":
            entry = expected.setdefault(cell.station, [0, 0])
            entry[0] += cell.target
            entry[1] += cell.achieved
    assert {k: [b.target, b.achieved] for k, b in bars.items()} == expected
    assert bars["五云所"].target == 258 + 109 + 8  # seed 002's table: 一般 + 无理由 + 工厂
    assert str(date.today().year) in tab.chart.title


def test_holdbacks_match_the_core_and_list_units(
    window: MainWindow, store: Any, qtbot: Any
) -> None:
    tab = window.progress_tab
    with store.read() as session:
        expected = worklists.hold_back_counts(session, date.today().year, date.today())
    table = tab.holdback_table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == [
        "所",
        "本年未评价",
        "整改逾期",
        "未张贴标识",
        "标识无照片",
        "长期未变化",
        "证据存疑",
    ]
    shown = {
        table.item(r, 0).text(): {
            reason: int(table.item(r, c).text()) for c, reason in enumerate(Reason, start=1)
        }
        for r in range(table.rowCount())
    }
    assert shown == expected
    assert shown["仙都所"][Reason.STICKER_NO_PHOTO] >= 1

    # Clicking a number lists those units; Enter on one (or a double-click) opens it on the
    # units tab, its row selected.
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "仙都所")
    column = list(Reason).index(Reason.STICKER_NO_PHOTO) + 1
    table.cellClicked.emit(row, column)
    listed = [tab.unit_list.item(r, 0).text() for r in range(tab.unit_list.rowCount())]
    assert PHARMACY in listed
    assert "仙都所：标识无照片" in tab.unit_caption.text()
    tab.unit_list.setCurrentCell(listed.index(PHARMACY), 1)
    QTest.keyClick(tab.unit_list, Qt.Key.Key_Return)
    assert window.tabs.currentWidget() is window.units_tab
    assert window.units_tab.search.text() == PHARMACY
    qtbot.waitUntil(lambda: window.units_tab.model.total == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.units_tab.selected_unit is not None, timeout=WAIT_MS)
    assert window.units_tab.selected_unit.credit_code == PHARMACY


def test_chart_paints_offscreen(window: MainWindow) -> None:
    chart = window.progress_tab.chart
    image = chart.grab().toImage()
    assert not image.isNull() and image.width() > 100
    # Some pixels carry the achieved colour (the bars were drawn, not just the background).
    colours = {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), 3)
        for y in range(0, image.height(), 3)
    }
    assert {"#2f6fb3", "#d9822b"} & colours


def test_doubtful_evidence_is_a_hold_back(
    window: MainWindow, store: Any, qtbot: Any, tmp_path: Path
) -> None:
    # Two units' evaluations carry the same test photo (which has no capture time).
    due = date.today() + timedelta(days=30)
    shop, _ = finalize_with_one_failure(store, SHOP, tmp_path, due=due)
    finalize_with_one_failure(store, INN, tmp_path, due=due)
    tab = window.progress_tab
    tab.load()
    table = tab.holdback_table
    column = list(Reason).index(Reason.EVIDENCE) + 1
    assert table.horizontalHeaderItem(column).text() == "证据存疑"
    assert "1 公里" in table.horizontalHeaderItem(column).toolTip()
    counts = {
        table.item(r, 0).text(): table.item(r, column).text() for r in range(table.rowCount())
    }
    assert counts["五云所"] == "1" and counts["壶镇分局"] == "1" and counts["仙都所"] == "0"

    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "五云所")
    table.cellClicked.emit(row, column)
    assert "五云所：证据存疑" in tab.unit_caption.text()
    assert tab.unit_list.rowCount() == 1 and tab.unit_list.item(0, 0).text() == SHOP
    detail = tab.unit_list.item(0, 3).text()
    assert detail.startswith(f"评价 {shop}（{date.today().isoformat()}）：重复照片 1 处")
    assert "无拍摄时间" in detail
