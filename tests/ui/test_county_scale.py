"""The unit browser over a whole county: 50,000 units, fetched lazily, filtered by the store.

One store of 50,000 demo units is built once for the module (about ten seconds) and shared.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QWidget

from fieldapp import paths
from fieldapp.imports.units import import_units
from fieldapp.services import demo
from fieldapp.services import units as unit_service
from fieldapp.services.units import UnitFilter
from fieldapp.store import Store
from fieldapp.ui.main_window import MainWindow

pytestmark = [pytest.mark.gui, pytest.mark.slow]

COUNTY = 50_000
PAGE = 200
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def county_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("county")
    csv = demo.write_csv(folder / "units.csv", COUNTY)
    with Store.open(folder / "data", create=True) as store, store.session() as session:
        import_units(session, csv, actor="测试")
    return paths.database_path(folder / "data")


@pytest.fixture
def county(county_db: Path, isolated_data_dir: Path) -> Iterator[Store]:
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(county_db, paths.database_path(isolated_data_dir))
    with Store.open(isolated_data_dir, create=True) as store:
        yield store


def test_fifty_thousand_units_scroll_and_filter(qtbot: Any, county: Store) -> None:
    window = MainWindow(county)
    qtbot.addWidget(window)
    window.show()
    tab = window.units_tab
    model = tab.model
    try:
        qtbot.waitUntil(lambda: model.total == COUNTY and not model.loading, timeout=WAIT_MS)
        assert model.rowCount() == PAGE  # one page, not 50,000 rows
        assert tab.status.text() == f"共 {COUNTY} 家"
        # No widget per row: the view paints rows through the model.
        assert all(
            tab.table.indexWidget(model.index(r, c)) is None
            for r in range(model.rowCount())
            for c in range(model.columnCount())
        )
        assert len(tab.table.findChildren(QWidget)) < 50

        # Scrolling to the bottom asks for the next page only, on the worker thread.
        for pages in (2, 3):
            tab.table.scrollToBottom()
            qtbot.waitUntil(lambda p=pages: model.rowCount() == p * PAGE, timeout=WAIT_MS)
        assert model.canFetchMore(QModelIndex())

        # Search as you type over the whole county, by a credit code seen on page 3.
        wanted = model.row_data(2 * PAGE + 17)
        tab.search.setText(wanted.credit_code)
        qtbot.waitUntil(
            lambda: model.query.search == wanted.credit_code and not model.loading,
            timeout=WAIT_MS,
        )
        assert model.total == 1 and model.row_data(0).name == wanted.name

        # Filters are answered by the store: the count matches the service's count.
        tab.search.setText("")
        tab.station_combo.setCurrentIndex(tab.station_combo.findData("壶镇分局"))
        tab.not_evaluated.setChecked(True)
        qtbot.waitUntil(
            lambda: (
                model.query.station == "壶镇分局"
                and model.query.not_evaluated_in is not None
                and not model.loading
            ),
            timeout=WAIT_MS,
        )
        with county.read() as session:
            expected = unit_service.count(
                session,
                UnitFilter(station="壶镇分局", not_evaluated_in=model.query.not_evaluated_in),
            )
        assert 0 < model.total == expected < COUNTY
        assert {model.row_data(r).station for r in range(model.rowCount())} == {"壶镇分局"}
    finally:
        window.shutdown()
