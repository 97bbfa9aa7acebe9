"""The units tab's 今年未评价 / 整改到期 filters and 新增单位 (a unit found on site).

Stores are filled with the sample unit list; history is made through the service. The window runs
its jobs synchronously, so each click is finished when it returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from fieldapp import settings
from fieldapp.domain.lifecycle import State
from fieldapp.domain.uscc import make_code
from fieldapp.imports.units import import_units
from fieldapp.services import units as unit_service
from fieldapp.settings import Settings
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.tasks import TaskRunner
from fieldapp.ui.unit_form import AddUnitDialog
from tests.ui.evaluation_helpers import DATA, finalize_with_one_failure

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
        if widget.objectName() in ("errorBox", "addUnitDialog"):
            widget.close()


def listed_codes(window: MainWindow) -> list[str]:
    model = window.units_tab.model
    return [model.row_data(r).credit_code for r in range(model.rowCount())]


def error_box() -> QMessageBox | None:
    boxes = [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox"]
    visible = [b for b in boxes if isinstance(b, QMessageBox) and b.isVisible()]
    return visible[0] if visible else None


# --- filters --------------------------------------------------------------------------------


def test_not_evaluated_this_year_leaves_out_a_unit_finalized_this_year(
    store: Any, window: MainWindow, tmp_path: Path
) -> None:
    finalize_with_one_failure(store, CODE, tmp_path, due=date.today() + timedelta(days=30))
    tab = window.units_tab
    everyone = listed_codes(window)
    assert CODE in everyone

    tab.not_evaluated.setChecked(True)
    assert tab.model.query.not_evaluated_in == date.today().year
    shown = listed_codes(window)
    assert CODE not in shown
    assert set(shown) == set(everyone) - {CODE}
    assert tab.status.text() == f"共 {len(shown)} 家"

    tab.not_evaluated.setChecked(False)
    assert CODE in listed_codes(window)


def test_rectification_due_lists_a_unit_whose_deadline_was_yesterday(
    store: Any, window: MainWindow, tmp_path: Path
) -> None:
    yesterday = date.today() - timedelta(days=1)
    finalize_with_one_failure(store, CODE, tmp_path, due=yesterday, answered_on=yesterday)
    tab = window.units_tab
    tab.rectification_due.setChecked(True)
    assert tab.model.query.rectification_due
    assert listed_codes(window) == [CODE]

    tab.rectification_due.setChecked(False)
    assert len(listed_codes(window)) > 1


def test_rectification_due_leaves_out_a_deadline_still_ahead(
    store: Any, window: MainWindow, tmp_path: Path
) -> None:
    finalize_with_one_failure(store, CODE, tmp_path, due=date.today() + timedelta(days=5))
    window.units_tab.rectification_due.setChecked(True)
    assert listed_codes(window) == []
    assert window.units_tab.status.text() == "共 0 家"


# --- 新增单位 -------------------------------------------------------------------------------


def fill_form(dialog: AddUnitDialog, code: str) -> None:
    dialog.edits["credit_code"].setText(code)
    dialog.edits["name"].setText("缙云县五云现场新开小吃店")
    dialog.edits["address"].setText("浙江省丽水市缙云县五云街道新建路1号")
    dialog.edits["contact_person"].setText("赵六")
    dialog.edits["contact_phone"].setText("13800000000")
    dialog.station.setCurrentIndex(dialog.station.findText("五云所"))
    dialog.unit_type.setCurrentIndex(dialog.unit_type.findData("general"))
    dialog.industry.setCurrentIndex(dialog.industry.findData("catering"))


def test_a_bad_check_character_is_refused_and_the_form_kept(store: Any, window: MainWindow) -> None:
    good = make_code("92", "331122", "MA2B0001")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    dialog = window.units_tab.ask_add_unit()
    assert dialog.station.count() > 0
    fill_form(dialog, bad)
    dialog.buttons.accepted.emit()

    box = error_box()
    assert box is not None
    assert "统一社会信用代码" in box.text()
    box.close()
    assert dialog.isVisible()  # kept open with everything typed
    assert dialog.edits["credit_code"].text() == bad
    assert dialog.edits["name"].text() == "缙云县五云现场新开小吃店"
    assert dialog.station.currentText() == "五云所"
    assert dialog.buttons.isEnabled()
    with store.read() as session:
        assert unit_service.count(session, unit_service.UnitFilter(search=bad)) == 0

    # Corrected in place, it is saved.
    dialog.edits["credit_code"].setText(good)
    dialog.buttons.accepted.emit()
    box = error_box()
    assert box is None, box.text()
    assert not dialog.isVisible()


def test_a_valid_unit_is_added_in_the_candidate_pool_and_selected(
    store: Any, window: MainWindow
) -> None:
    code = make_code("92", "331122", "MA2B0001")
    tab = window.units_tab
    tab.state_combo.setCurrentIndex(tab.state_combo.findText("培育库"))
    dialog = tab.ask_add_unit()
    fill_form(dialog, code)
    dialog.buttons.accepted.emit()

    assert error_box() is None
    assert not dialog.isVisible()
    assert listed_codes(window) == [code]
    assert tab.state_combo.currentIndex() == 0  # the new unit is shown whatever the filter was
    assert tab.selected_unit is not None
    assert tab.selected_unit.credit_code == code
    assert tab.selected_unit.state == State.CANDIDATE.value
    assert tab.model.index(0, 4).data() == "选育池"
    with store.read() as session:
        unit = unit_service.by_code(session, code)
        assert unit.state == State.CANDIDATE.value
        assert unit.station.name == "五云所"
        assert unit.industry == "catering"
        assert unit.events[0].actor == "王芳"


def test_a_code_already_listed_is_refused_with_the_core_message(
    store: Any, window: MainWindow
) -> None:
    dialog = window.units_tab.ask_add_unit()
    fill_form(dialog, CODE)
    dialog.buttons.accepted.emit()
    box = error_box()
    assert box is not None
    assert "已有单位" in box.text()
    box.close()
    assert dialog.isVisible()
