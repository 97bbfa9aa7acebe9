"""The evaluation screen's header and what finalising a 后评价 proposes for the unit.

The header shows the unit's 审慎培育 badge, the verdict in full and the evidence notice (doubts
about the photos, never blocking). Finalising a 后评价 asks one question: 命名, 转入预警库, or
why the unit stays; a confirmed proposal goes through the unit's one write path. Jobs run
synchronously unless a test checks the writer thread; no sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QPushButton
from shiboken6 import isValid

from fieldapp import settings
from fieldapp.domain.lifecycle import State
from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as service
from fieldapp.services import unit_changes
from fieldapp.services import units as unit_service
from fieldapp.services.unit_changes import Change
from fieldapp.ui import operations
from fieldapp.ui.evaluation_view import EvaluationView
from fieldapp.ui.tasks import TaskRunner
from tests.ui.evaluation_helpers import click_finalize, drawn_png
from tests.unit.test_evidence import exif_photo

pytestmark = pytest.mark.gui

WAIT_MS = 10_000
DATA = Path(__file__).resolve().parents[1] / "data"
SHOP = "92331122MA2A00018H"  # 缙云县五云好又多超市, 培育库
INN = "91331122MA2A00026F"  # 缙云县壶镇老街饭店, 承诺公示
FACTORY = "91331122MA2A000425"  # 缙云县新碧鑫源食品有限公司, 后评价
UNTAKEN = DATA / "photos" / "Landscape_6.jpg"  # no EXIF capture time
DUE = date.today() + timedelta(days=20)


@pytest.fixture
def units(store: Any) -> Any:
    with store.session() as session:
        import_units(session, DATA / "units-sample.csv", actor="测试")
    return store


@pytest.fixture
def make_view(qtbot: Any, units: Any) -> Iterator[Callable[..., EvaluationView]]:
    runners: list[TaskRunner] = []

    def make(evaluation: int, runner: TaskRunner | None = None) -> EvaluationView:
        runner = runner or TaskRunner(synchronous=True)
        runners.append(runner)
        view = EvaluationView(units, runner, evaluation)
        qtbot.addWidget(view)
        view.resize(1280, 800)
        view.show()
        return view

    yield make
    for runner in runners:
        runner.shutdown()


def draft(
    store: Any,
    code: str,
    folder: Path,
    *,
    fails: tuple[str, ...] = (),
    photos: dict[str | None, list[Path]] | None = None,
    signed: bool = True,
    kind: str = "post_evaluation",
) -> int:
    """A 后评价 (or ``kind``) of ``code`` with every item answered (符合; photo items 不适用) except ``fails``."""
    with store.session() as session:
        unit = unit_service.by_code(session, code)
        evaluation = service.start(session, store.library, unit, kind, "王芳")
        for checklist in service.checklists_of(session, store.library, evaluation):
            for item in checklist.items:
                if item.same_as:
                    continue  # answered through the items it is the same as
                ref = f"{checklist.id}:{item.code}"
                if item.code in fails:
                    service.answer(
                        session, store.library, evaluation, ref, "fail", rectify="整改", due=DUE
                    )
                    if item.photo_required:
                        service.attach(
                            session, store.photos, evaluation, [UNTAKEN], ref, library=store.library
                        )
                else:
                    result = "na" if item.photo_required else "pass"
                    service.answer(session, store.library, evaluation, ref, result)
        for item_code, files in (photos or {}).items():
            service.attach(
                session, store.photos, evaluation, files, item_code, library=store.library
            )
        if signed:
            for role, name in (("inspector", "王芳"), ("unit", "张店长")):
                png = drawn_png(folder / f"{role}.png")
                service.sign(session, store.signatures, evaluation, role, name, png)
        return evaluation.id


def unit_of(store: Any, code: str) -> Any:
    with store.read() as session:
        unit = unit_service.by_code(session, code)
        events = [(e.actor, e.source, e.reason, e.evaluation_id) for e in unit.events]
        return unit.state, events[-1]


def buttons(box: QMessageBox) -> list[str]:
    return sorted(b.text() for b in box.buttons())


# --- the header ------------------------------------------------------------------------------


def test_prudent_badge_full_verdict_and_evidence_notice(
    units: Any, make_view: Callable[..., EvaluationView], tmp_path: Path
) -> None:
    with units.session() as session:
        shop = unit_service.by_code(session, SHOP)
        unit_changes.update_fields(session, shop, {"prudent": True}, Change("测试"))
    today = datetime.combine(date.today(), datetime.min.time()).replace(hour=9)
    here = exif_photo(tmp_path / "here.jpg", (20, 140, 20), today, (28.6585, 120.0833))
    far = exif_photo(tmp_path / "far.jpg", (20, 20, 140), today, (28.7050, 120.1300))
    shared = exif_photo(tmp_path / "shared.jpg", (140, 20, 20), today, (28.6586, 120.0834))
    other = draft(units, INN, tmp_path, photos={"B1a": [shared]}, signed=False)
    evaluation = draft(
        units,
        SHOP,
        tmp_path,
        fails=("G4",),
        photos={"B1a": [here, shared], "B2a": [UNTAKEN], None: [far]},
        signed=False,
    )
    view = make_view(evaluation)
    assert view.prudent_badge.isVisible() and view.prudent_badge.text() == "审慎培育"
    assert "命名须县局确认" in view.prudent_badge.toolTip()
    # The draft's live verdict, whole: the 审慎培育 warning is not cut off.
    item = next(i for i in units.library.latest("general-1").items if i.code == "G4")
    assert view.verdict.text() == (
        f"通过（审慎培育，待县局确认）：G4 {item.text}（审慎培育，需县局确认）"
    )
    notice = view.evidence_notice
    assert notice.isVisible()
    text = notice.text()
    assert "证据提示（3 条，不影响定稿" in text
    assert f"与另一单位「缙云县壶镇老街饭店」（{INN}）的评价 {other}（草稿）的照片相同" in text
    assert "无拍摄时间</b>：1 张照片（B2a）没有拍摄时间" in text
    assert "位置分散</b>：照片拍摄位置最远相距" in text
    assert view.data is not None and [f.kind.value for f in view.data.evidence] == [
        "duplicate",
        "no_time",
        "gps_spread",
    ]
    assert "#e67e00" in view.verdict.styleSheet()  # passed, but waiting: not green
    # The photos a flag names are marked on their thumbnails.
    view.table.move_to(0)  # B1a: the photo at one end of the spread, and the shared one
    thumbs = [view.photos.item(n) for n in range(view.photos.count())]
    assert {t.foreground().color().name() for t in thumbs} == {"#b03a2e"}
    assert [t.toolTip().splitlines()[-1] for t in thumbs] == [
        "证据提示：位置分散",
        "证据提示：重复照片",
    ]
    view.table.move_to(1)  # B1b: no photo
    assert view.photos.count() == 0
    # The flags do not stop anything: the draft can still be finalised once signed.
    assert view.finalize_button.isEnabled()

    own = exif_photo(tmp_path / "own.jpg", (90, 90, 20), today, (28.6585, 120.0833))
    clean = make_view(draft(units, FACTORY, tmp_path, photos={None: [own]}, signed=False))
    assert not clean.evidence_notice.isVisible() and not clean.prudent_badge.isVisible()


# --- the proposal --------------------------------------------------------------------------


def test_pass_asks_to_name_and_confirming_names_the_unit(
    units: Any, make_view: Callable[..., EvaluationView], tmp_path: Path, qtbot: Any
) -> None:
    settings.save(units.folder, settings.Settings(inspector_name="李所长"))
    evaluation = draft(units, FACTORY, tmp_path)
    view = make_view(evaluation)
    changed: list[str] = []
    view.unitChanged.connect(changed.append)
    click_finalize(view)

    box = view.proposal_dialog
    assert box is not None and box.isVisible() and box.objectName() == "proposalBox"
    assert box.text() == "命名为放心消费单位？"
    assert box.informativeText() == (
        "缙云县新碧鑫源食品有限公司\n后评价结论：通过：全部符合\n当前状态：后评价"
    )
    assert buttons(box) == ["暂不", "确认命名"]
    assert unit_of(units, FACTORY)[0] == State.EVALUATING  # nothing changes until confirmed

    confirm = box.findChild(QPushButton, "proposalConfirm")
    confirm.click()
    state, (actor, source, reason, based_on) = unit_of(units, FACTORY)
    assert state == State.CONFIRMED
    assert (actor, source, based_on) == ("李所长", "评价定稿", evaluation)
    assert reason == f"后评价 {evaluation}：通过：全部符合"
    assert view.next_step.isVisible()
    assert view.next_step.text() == "已变更：后评价 → 放心消费单位"
    assert changed == [FACTORY]
    qtbot.waitUntil(lambda: not isValid(box) or not box.isVisible(), timeout=WAIT_MS)


def test_not_now_leaves_the_unit(
    units: Any, make_view: Callable[..., EvaluationView], tmp_path: Path
) -> None:
    view = make_view(draft(units, FACTORY, tmp_path))
    click_finalize(view)
    box = view.proposal_dialog
    assert box is not None
    box.findChild(QPushButton, "proposalLater").click()
    assert unit_of(units, FACTORY)[0] == State.EVALUATING
    assert not view.next_step.isVisible()
    assert view.revise_button.isVisible()  # finalised all the same


def test_rectify_asks_to_move_to_the_warning_list_on_the_writer_thread(
    units: Any,
    make_view: Callable[..., EvaluationView],
    tmp_path: Path,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    evaluation = draft(units, FACTORY, tmp_path, fails=("S1",))
    runner = TaskRunner()  # the real threads
    view = make_view(evaluation, runner)
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    click_finalize(view)
    qtbot.waitUntil(lambda: view.proposal_dialog is not None, timeout=WAIT_MS)
    box = view.proposal_dialog
    assert box is not None
    assert box.text() == f"转入预警库，整改期限 {DUE.isoformat()}？"
    assert box.informativeText().startswith("缙云县新碧鑫源食品有限公司\n后评价结论：需整改：S1 ")
    assert buttons(box) == ["暂不", "确认"]

    threads: list[int] = []
    real = operations.write_accept_proposal

    def spy(*args: Any) -> str:
        threads.append(threading.get_ident())
        return real(*args)

    monkeypatch.setattr(operations, "write_accept_proposal", spy)
    box.findChild(QPushButton, "proposalConfirm").click()
    qtbot.waitUntil(lambda: view.next_step.isVisible(), timeout=WAIT_MS)
    assert threads and threads[0] != threading.get_ident()
    state, (actor, _source, reason, _based_on) = unit_of(units, FACTORY)
    assert state == State.WARNING
    assert actor == "王芳"  # no inspector in the settings: the evaluation's
    assert reason.endswith(f"；整改期限 {DUE.isoformat()}")
    assert view.next_step.text() == "已变更：后评价 → 预警库"


def test_fail_lists_the_reasons_and_the_unit_stays(
    units: Any, make_view: Callable[..., EvaluationView], tmp_path: Path
) -> None:
    view = make_view(draft(units, FACTORY, tmp_path, fails=("G2",)))
    click_finalize(view)
    box = view.proposal_dialog
    assert box is not None
    assert box.text() == "缙云县新碧鑫源食品有限公司：后评价不通过，单位保持「后评价」。"
    assert box.informativeText().startswith(
        "原因：不通过：B8b 无烦心闹心（八有八无未全部符合）；G2 "
    )
    assert len(box.buttons()) == 1 and box.findChild(QPushButton, "proposalConfirm") is None
    assert box.icon() == QMessageBox.Icon.Information


def test_a_prudent_pass_explains_the_county_confirms(
    units: Any, make_view: Callable[..., EvaluationView], tmp_path: Path
) -> None:
    view = make_view(draft(units, FACTORY, tmp_path, fails=("G4",)))
    click_finalize(view)
    box = view.proposal_dialog
    assert box is not None
    assert "属于审慎培育，命名须县局确认" in box.text() and "本机不能直接命名" in box.text()
    assert box.informativeText().startswith("通过（审慎培育，待县局确认）：G4 ")
    assert "确认命名" not in buttons(box)
    assert view.verdict.text().startswith("通过（审慎培育，待县局确认）：G4 ")
    assert unit_of(units, FACTORY)[0] == State.EVALUATING


def test_a_refused_move_is_shown_not_offered(
    units: Any, make_view: Callable[..., EvaluationView], tmp_path: Path
) -> None:
    view = make_view(draft(units, SHOP, tmp_path))  # still in 培育库
    click_finalize(view)
    box = view.proposal_dialog
    assert box is not None and box.icon() == QMessageBox.Icon.Warning
    assert box.text().startswith("缙云县五云好又多超市：暂不能变更状态。")
    assert "不能从「培育库」变为「放心消费单位」" in box.text()
    assert "确认命名" not in buttons(box)


def test_other_kinds_propose_nothing(
    units: Any, make_view: Callable[..., EvaluationView], tmp_path: Path
) -> None:
    view = make_view(draft(units, FACTORY, tmp_path, kind="routine"))
    click_finalize(view)
    assert view.revise_button.isVisible() and view.proposal_dialog is None
