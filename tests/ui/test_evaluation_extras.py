"""Removing a photo from a draft, and the follow-up (回头看) view of last time's findings.

Stores are filled with the sample unit list; earlier evaluations are made and finalized through
the service. The views run their jobs synchronously, so each action is finished when it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as service
from fieldapp.services import units as unit_service
from fieldapp.ui import evaluation_model as em
from fieldapp.ui.evaluation_view import EvaluationView
from fieldapp.ui.tasks import TaskRunner
from tests.ui.evaluation_helpers import DATA, PHOTO, RECTIFY, finalize_with_one_failure

pytestmark = pytest.mark.gui

CODE = "92331122MA2A00018H"  # 缙云县五云好又多超市
PREVIOUS = em.COLUMNS.index("previous")


@pytest.fixture
def units(store: Any) -> None:
    with store.session() as session:
        import_units(session, DATA / "units-sample.csv", actor="t")


@pytest.fixture
def make_view(qtbot: Any, store: Any, units: None) -> Iterator[Callable[[int], EvaluationView]]:
    runners: list[TaskRunner] = []

    def make(evaluation: int) -> EvaluationView:
        runner = TaskRunner(synchronous=True)
        runners.append(runner)
        view = EvaluationView(store, runner, evaluation)
        qtbot.addWidget(view)
        view.resize(1280, 800)
        view.show()
        return view

    yield make
    for runner in runners:
        runner.shutdown()
    for widget in QApplication.topLevelWidgets():
        if widget.objectName() == "errorBox":
            widget.close()


def start(store: Any, kind: str) -> int:
    with store.session() as session:
        unit = unit_service.by_code(session, CODE)
        return service.start(session, store.library, unit, kind, "王芳").id


def photo_rows(store: Any, evaluation: int) -> list[tuple[str | None, str]]:
    with store.read() as session:
        return [(p.item_code, p.sha256) for p in service.get(session, evaluation).photos]


# --- removing a photo -----------------------------------------------------------------------


def test_attach_then_remove_with_the_delete_key(
    qtbot: Any, store: Any, make_view: Callable[[int], EvaluationView]
) -> None:
    evaluation = start(store, "post_evaluation")
    view = make_view(evaluation)
    asked: list[str] = []
    view.confirm_remove = lambda _parent, name: asked.append(name) or True
    view.table.move_to(0)
    view.attach([str(PHOTO)])
    assert view.photos.count() == 1
    [(_code, sha)] = photo_rows(store, evaluation)
    assert store.photos.path(sha).exists()
    assert not view.remove_photo_button.isEnabled()  # nothing selected yet

    view.photos.setCurrentRow(0)
    assert view.remove_photo_button.isEnabled()
    assert view.remove_photo_action.isEnabled()
    caption = view.photos.item(0).text()  # the item's code (and capture time, if known)
    assert caption.startswith(view.model.item(0).code)
    view.photos.setFocus()
    qtbot.keyClick(view.photos, Qt.Key.Key_Delete)

    assert asked == [caption]  # the question names the photo as its thumbnail does
    assert view.photos.count() == 0
    assert photo_rows(store, evaluation) == []
    assert view.model.item(0).photos == ()
    assert not store.photos.path(sha).exists()  # no other record used it
    assert not view.remove_photo_button.isEnabled()


def test_declining_the_question_keeps_the_photo(
    store: Any, make_view: Callable[[int], EvaluationView]
) -> None:
    evaluation = start(store, "post_evaluation")
    view = make_view(evaluation)
    view.confirm_remove = lambda _parent, _name: False
    view.table.move_to(0)
    view.attach([str(PHOTO)])
    view.photos.setCurrentRow(0)
    view.remove_photo_button.click()
    assert view.photos.count() == 1
    assert len(photo_rows(store, evaluation)) == 1


def test_removal_is_disabled_when_finalized(
    store: Any, tmp_path: Path, make_view: Callable[[int], EvaluationView]
) -> None:
    evaluation, failed = finalize_with_one_failure(
        store, CODE, tmp_path, due=date.today() + timedelta(days=30)
    )
    view = make_view(evaluation)
    row = next(r for r, item in enumerate(view.model.items) if item.ref == failed)
    view.table.move_to(row)
    view.photos.setCurrentRow(0)
    assert view.photos.currentItem() is not None
    assert not view.remove_photo_button.isEnabled()
    assert not view.remove_photo_action.isEnabled()
    view.confirm_remove = lambda _parent, _name: pytest.fail("asked on a finalized evaluation")
    assert view.remove_photo() is False
    assert view.photos.count() == 1


# --- the follow-up view ---------------------------------------------------------------------


def test_a_follow_up_shows_last_time_result_and_photos(
    store: Any, tmp_path: Path, make_view: Callable[[int], EvaluationView]
) -> None:
    earlier, failed = finalize_with_one_failure(
        store, CODE, tmp_path, due=date.today() + timedelta(days=30)
    )
    with store.read() as session:
        earlier_photos = [
            p.sha256
            for p in service.get(session, earlier).photos
            if f"{p.checklist_id}:{p.item_code}" == failed
        ]
    follow_up = start(store, "follow_up")
    view = make_view(follow_up)
    assert view.data is not None and view.data.follows == earlier
    assert f"回头看：复查评价 {earlier}" in view.info.text()
    assert not view.table.isColumnHidden(PREVIOUS)
    assert view.model.headerData(PREVIOUS, Qt.Orientation.Horizontal) == "上次"

    row = next(r for r, item in enumerate(view.model.items) if item.ref == failed)
    # The visit opens on the failed item: everything else is carried over from last time.
    assert view.table.current_row() == row
    assert [i.ref for i in view.model.items if i.result is None] == [failed]
    cell = view.model.index(row, PREVIOUS).data()
    assert cell.startswith("不符合") and RECTIFY in cell
    assert view.model.index(0 if row else 1, PREVIOUS).data() == "符合"

    view.table.move_to(row)
    assert "上次：不符合" in view.item_detail.text()
    assert RECTIFY in view.item_detail.text()
    assert view.previous_box.isVisible()
    assert view.previous_photos_label.text() == "上次照片"
    shown = [
        view.previous_photos.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(view.previous_photos.count())
    ]
    assert shown == earlier_photos and shown
    assert view.photos.count() == 0  # the new visit's own photos are separate

    # New photos go beside the earlier ones, not among them.
    view.attach([str(DATA / "photos" / "Portrait_1.jpg")])
    assert view.photos.count() == 1
    assert view.previous_photos.count() == len(earlier_photos)


def test_a_first_visit_has_no_previous_column(
    store: Any, make_view: Callable[[int], EvaluationView]
) -> None:
    view = make_view(start(store, "post_evaluation"))
    assert view.data is not None and view.data.follows is None
    assert view.table.isColumnHidden(PREVIOUS)
    view.table.move_to(0)
    assert not view.previous_box.isVisible()
    assert "上次" not in view.item_detail.text()
