"""The 联络站 case ledger (台账) in the window: recorded and corrected in its dialog through the
writer thread, the year's count and 挽回经济损失 on the 联络站's page, and, in the 联络站's
evaluation, its 有台账记录 item shows the 12 cases and opens the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from fieldapp.domain.cases import CaseFields, CaseType
from fieldapp.services import cases as case_service
from fieldapp.services import evaluations as evaluation_service
from fieldapp.services.stations import station_ids
from fieldapp.storage.models import Case, Unit
from fieldapp.ui.cases_dialog import CasesDialog, LedgerButton
from fieldapp.ui.evaluation_view import EvaluationView
from fieldapp.ui.tasks import TaskRunner
from tests.unit.test_worklists import code

pytestmark = pytest.mark.gui

YEAR = date.today().year


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    made = TaskRunner(synchronous=True)
    yield made
    made.shutdown()


@pytest.fixture
def station_id(store: Any) -> int:
    with store.session() as session:
        stations, _ = station_ids(session, ["五云所"])
        unit = Unit(
            credit_code=code("LZ"),
            name="缙云县解放村消费维权联络站",
            station_id=stations["五云所"],
            unit_type="village_station",
        )
        session.add(unit)
        session.flush()
        return unit.id


def add_cases(store: Any, unit_id: int, count: int) -> None:
    with store.session() as session:
        unit = case_service.station_unit(session, unit_id)
        for n in range(count):
            case_service.add(
                session,
                unit,
                CaseFields(
                    CaseType.QUALITY,
                    f"村民{n}",
                    datetime(YEAR, 1, 1 + n, 9),
                    f"问题{n}",
                    handled_at=datetime(YEAR, 1, 1 + n, 15),
                    result="已调解",
                    recovered_fen=5000,
                ),
                "张三",
            )


def test_record_and_correct_a_case_in_the_dialog(
    qtbot: Any, store: Any, runner: TaskRunner, station_id: int
) -> None:
    dialog = CasesDialog(store, runner, station_id, "联络站", year=YEAR)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.model.rowCount() == 0
    dialog.consultant.setText("王五")
    dialog.description.setPlainText("买到过期食品")
    dialog.handled.setChecked(True)
    dialog.result_text.setPlainText("退一赔十")
    dialog.recovered.setText("abc")
    dialog.save_button.click()
    assert "挽回经济损失「abc」不是金额" in dialog.error.text()
    dialog.recovered.setText("120.5")
    dialog.consultant.clear()
    dialog.save_button.click()
    assert "请填写咨询人" in dialog.error.text()
    dialog.consultant.setText("王五")
    dialog.save_button.click()
    assert dialog.model.rowCount() == 1
    assert "1 条" in dialog.totals.text() and "120.50 元" in dialog.totals.text()
    with store.read() as session:
        saved = session.scalars(select(Case)).one()
        assert (saved.consultant, saved.recovered_fen, saved.result) == ("王五", 12050, "退一赔十")
        saved_id = saved.id

    dialog.table.selectRow(0)
    assert dialog.editing == saved_id and dialog.consultant.text() == "王五"
    dialog.recovered.setText("200")
    dialog.save_button.click()
    with store.read() as session:
        corrected = session.scalars(select(Case)).one()
        assert (corrected.recovered_fen, corrected.version) == (20000, 2)


def test_the_page_button_shows_the_years_counts(
    qtbot: Any, store: Any, runner: TaskRunner, station_id: int
) -> None:
    add_cases(store, station_id, 3)
    button = LedgerButton(store, runner)
    qtbot.addWidget(button)
    button.show_for(station_id, "general", "商店")
    assert button.isHidden()
    button.show_for(station_id, "village_station", "联络站")
    assert button.text() == f"台账：{YEAR}年 3 条，挽回 150.00 元(&L)"
    dialog = button.open()
    assert dialog is not None and dialog.model.rowCount() == 3
    dialog.close()


def test_the_evaluations_ledger_item_shows_twelve_cases_and_opens_them(
    qtbot: Any, store: Any, runner: TaskRunner, station_id: int
) -> None:
    add_cases(store, station_id, 12)
    with store.session() as session:
        unit = session.get(Unit, station_id)
        assert unit is not None
        evaluation_id = evaluation_service.start(session, store.library, unit, "后评价", "王芳").id
    view = EvaluationView(store, runner, evaluation_id)
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    model = view.model
    row = next(r for r in range(model.rowCount()) if "有台账记录" in model.item(r).text)
    view.table.move_to(row)
    qtbot.waitUntil(lambda: "本年台账 12 条" in view.item_detail.text())
    assert "挽回经济损失 600.00 元" in view.item_detail.text()
    assert "href='ledger'" in view.item_detail.text()
    other = next(r for r in range(model.rowCount()) if "台账" not in model.item(r).text)
    view.table.move_to(other)
    assert "本年台账" not in view.item_detail.text()
    view.item_detail.linkActivated.emit("ledger")
    dialog = view.ledger.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.model.rowCount() == 12
    dialog.close()
