"""The evaluation screen of a shorter visit (issue 13): an item answered through another shows its
answer read-only with 同 B5a; 不适用 items show their reason; a photo is linked to more items
without a second copy, or dragged onto another item. Jobs run synchronously; no sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent

from fieldapp.domain.uscc import make_code
from fieldapp.domain.verdict import Answer
from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as service
from fieldapp.services import units as unit_service
from fieldapp.ui import evaluation_model as em
from fieldapp.ui.evaluation_view import EvaluationView
from fieldapp.ui.photo_links import LinkPhotoDialog, PhotoDrops, photo_mime
from fieldapp.ui.tasks import TaskRunner

pytestmark = pytest.mark.gui

DATA = Path(__file__).resolve().parents[1] / "data"
PHOTO = DATA / "photos" / "Landscape_6.jpg"
TOWN = make_code("92", "331122", "MA2C0003")


@pytest.fixture
def view(qtbot: Any, store: Any, tmp_path: Path) -> Iterator[EvaluationView]:
    path = tmp_path / "units.csv"
    path.write_text(
        "统一社会信用代码,单位名称,经营地址,乡镇,所属所,单位类型,行业\n"
        f"{TOWN},缙云县五云好味饭店,缙云县五云街道新建路12号,五云街道,五云所,一般单位,餐饮\n",
        encoding="utf-8",
    )
    with store.session() as session:
        import_units(session, path, actor="测试")
    with store.session() as session:
        unit = unit_service.by_code(session, TOWN)
        evaluation_id = service.start(session, store.library, unit, "后评价", "王芳").id
    runner = TaskRunner(synchronous=True)
    shown = EvaluationView(store, runner, evaluation_id)
    qtbot.addWidget(shown)
    shown.resize(1280, 800)
    shown.show()
    yield shown
    runner.shutdown()


def row_of(view: EvaluationView, code: str) -> int:
    return next(n for n, item in enumerate(view.model.items) if item.code == code)


def cell(view: EvaluationView, code: str, column: str, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
    return view.model.data(view.model.index(row_of(view, code), em.COLUMNS.index(column)), role)


def test_a_linked_item_shows_its_sources_answer_read_only(view: EvaluationView) -> None:
    assert cell(view, "P2", "result") == "同 B5a"
    assert not em.is_missing(view.model.item(row_of(view, "P2")))  # answering B5a answers it
    view.table.move_to(row_of(view, "B5a"))
    assert view.answer(view.model.item(row_of(view, "B5a")), Answer.PASS.value)
    assert cell(view, "P2", "result") == "符合 · 同 B5a"
    assert cell(view, "CT4", "result") == "符合 · 同 B5a"
    assert cell(view, "P2", "result", Qt.ItemDataRole.FontRole).italic()
    # answering the linked one does not write: the hint says why, and a key passes over it
    p2 = view.model.item(row_of(view, "P2"))
    view.table.move_to(row_of(view, "P2"))
    assert not view.answer(p2, Answer.FAIL.value)
    assert "P2 同 B5a" in view.hint.text()
    view._answer_key(Answer.FAIL.value)
    assert view.table.current_row() == row_of(view, "P2") + 1
    assert cell(view, "P2", "result") == "符合 · 同 B5a"
    view.table.move_to(row_of(view, "P2"))
    assert "同 B5a：随所同条目的结果判定" in view.item_detail.text()
    assert "来源：" in view.item_detail.text() and "[S4]" in view.item_detail.text()


def test_not_applicable_items_show_their_reason_and_can_be_answered(view: EvaluationView) -> None:
    assert cell(view, "JY1", "result") == "不适用"
    assert cell(view, "JY1", "note") == "自动判不适用：单位不在农村（地址未写明村，乡镇不是乡）"
    assert view.answer(view.model.item(row_of(view, "JY1")), Answer.PASS.value)
    assert cell(view, "JY1", "result") == "符合"
    view.table.move_to(row_of(view, "JY1"))
    assert "按单位情况本条不适用（自动判不适用：单位不在农村" in view.item_detail.text()


def test_a_photo_serves_several_items_and_is_dragged_to_another(
    view: EvaluationView, store: Any
) -> None:
    view.table.move_to(row_of(view, "B7a"))
    view.attach([str(PHOTO)], for_item=True)
    assert view.photos.count() == 1
    assert view.photos.item(0).text().startswith("B7a")  # captioned with its item code
    view.photos.setCurrentRow(0)

    def tick(parent: Any, items: Any, current: Any) -> list[str]:
        dialog = LinkPhotoDialog(items, current, parent)
        refs = [
            dialog.list.item(n).data(Qt.ItemDataRole.UserRole) for n in range(dialog.list.count())
        ]
        assert "general-1:P2" not in refs  # linked items take no photo of their own
        return [r for r in refs if r.endswith((":W2", ":W3"))]

    view.ask_link = tick
    assert view.link_photo() == ["general-1:W2", "general-1:W3"]
    for code in ("B7a", "W2", "W3"):
        assert len(view.model.item(row_of(view, code)).photos) == 1, code
    with store.session() as session:
        photos = service.get(session, view.evaluation_id).photos
        assert len(photos) == 3 and len({p.sha256 for p in photos}) == 1  # one stored file

    # drag the B7a thumbnail onto S1: it moves there (Ctrl would keep it on B7a too)
    view.table.move_to(row_of(view, "B7a"))
    photo_id = view.model.item(row_of(view, "B7a")).photo_ids[0]
    target = view.table.visualRect(view.model.index(row_of(view, "S1"), 2)).center()
    mime = photo_mime([photo_id])  # kept alive: the event does not own it
    drop = QDropEvent(
        QPointF(target),
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    drops = view.table.findChild(PhotoDrops)
    assert drops is not None
    drops.eventFilter(view.table.viewport(), drop)
    assert drop.isAccepted()
    assert view.model.item(row_of(view, "B7a")).photos == ()
    assert len(view.model.item(row_of(view, "S1")).photos) == 1
    assert view.current_item() is not None and view.current_item().code == "S1"  # type: ignore[union-attr]
    assert view.photos.item(0).text().startswith("S1")


def test_the_checklists_tab_shows_each_items_source_link_and_condition(qtbot: Any) -> None:
    from fieldapp.checklists import Library
    from fieldapp.ui.checklists_tab import ChecklistsTab

    tab = ChecklistsTab(Library.load())
    qtbot.addWidget(tab)
    tips = {}
    for n in range(tab.tree.topLevelItemCount()):
        top = tab.tree.topLevelItem(n)
        for c in range(top.childCount()):
            child = top.child(c)
            tips[(top.text(1), child.text(1))] = child.toolTip(0)
    assert "来源：[S2]" in tips[("bayou-bawu", "B5a")]
    assert "同 bayou-bawu:B5a" in tips[("general-1", "P2")]
    assert "适用条件：须：农村" in tips[("x-banquet-kitchen", "JY1")]
    assert "适用条件：不查：餐饮" in tips[("general-1", "C3")]
