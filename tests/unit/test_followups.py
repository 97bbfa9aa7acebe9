"""回头看 / 暗访整改复查: a follow-up re-checks the failed items of the last finalized evaluation."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from fieldapp.cli import main
from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as ev
from fieldapp.services import units as unit_service
from fieldapp.store import Store

SHOP = "92331122MA2A00018H"
PHOTO = Path(__file__).resolve().parents[1] / "data" / "photos" / "Landscape_6.jpg"
LATER = date.today() + timedelta(days=30)


@pytest.fixture
def shop_store(store: Store, data_path: Path) -> Store:
    with store.session() as session:
        import_units(session, data_path / "units-sample.csv", actor="测试")
    return store


def finish(
    store: Store,
    session,  # type: ignore[no-untyped-def]
    evaluation,  # type: ignore[no-untyped-def]
    signature: Path,
    fails: dict[str, str] | None = None,
) -> None:
    """Answer everything (pass, or na where a photo is needed), fail ``fails``, sign, finalize."""
    fails = fails or {}
    for checklist in ev.checklists_of(session, store.library, evaluation):
        for item in checklist.items:
            if item.same_as:
                continue  # answered through the items it is the same as
            ref = f"{checklist.id}:{item.code}"
            if item.code in fails:
                ev.answer(
                    session,
                    store.library,
                    evaluation,
                    ref,
                    "fail",
                    rectify=fails[item.code],
                    due=LATER,
                )
                if item.photo_required:
                    ev.attach(
                        session, store.photos, evaluation, [PHOTO], ref, library=store.library
                    )
            elif not any(a.item_code == item.code for a in evaluation.answers):
                ev.answer(
                    session, store.library, evaluation, ref, "na" if item.photo_required else "pass"
                )
    ev.sign(session, store.signatures, evaluation, "inspector", "张三", signature)
    ev.sign(session, store.signatures, evaluation, "unit", "王芳", signature)
    ev.finalize(session, store.library, evaluation)


def test_follow_up_pins_previous_and_lists_failed_items(shop_store: Store, signature: Path) -> None:
    library = shop_store.library
    with shop_store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        first = ev.start(session, library, unit, "post_evaluation", "张三")
        finish(shop_store, session, first, signature, {"G2": "移出异常名录"})
        follow = ev.start(session, library, unit, "回头看", "李四")
        assert follow.follows_id == first.id
        assert [(p.checklist_id, p.version) for p in follow.checklists] == [
            (p.checklist_id, p.version) for p in first.checklists
        ]
        items = ev.followups(session, follow)
        # B8b (同 G1、G2) failed with G2 and is listed with it
        assert [(i.checklist_id, i.code, i.rectify, i.due) for i in items] == [
            ("bayou-bawu", "B8b", "移出异常名录", LATER),
            ("general-1", "G2", "移出异常名录", LATER),
        ]
        assert items[1].text and items[1].photos == [first.photos[0].sha256]
        assert ev.followups(session, follow, library) == items
        assert ev.followups(session, first) == []

        data = ev.detail(session, library, follow)
        assert data["follows"] == first.id
        g2 = next(i for i in data["items"] if i["code"] == "G2")
        assert g2["previous"] == {
            "result": "fail",
            "rectify": "移出异常名录",
            "due": LATER.isoformat(),
            "photos": [first.photos[0].sha256],
        }
        assert next(i for i in data["items"] if i["code"] == "B2b")["previous"]["result"] == "pass"
        assert "previous" not in ev.detail(session, library, first)["items"][0]
        assert ev.detail(session, library, first)["follows"] is None

        # Fixed: the follow-up passes G2; a later re-check has nothing open and starts normally.
        finish(shop_store, session, follow, signature)
        assert follow.verdict == "pass"
        again = ev.start(session, library, unit, "rectification_recheck", "李四")
        assert again.follows_id is None
        assert ev.followups(session, again) == []
        # A revision of the follow-up still follows the same evaluation.
        assert ev.revise(session, follow, "李四").follows_id == first.id


def test_not_fixed_carries_over(shop_store: Store, signature: Path) -> None:
    library = shop_store.library
    with shop_store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        first = ev.start(session, library, unit, "routine", "张三")
        finish(shop_store, session, first, signature, {"G2": "移出异常名录", "B2b": "补价签"})
        follow = ev.start(session, library, unit, "follow_up", "李四")
        finish(shop_store, session, follow, signature, {"G2": "仍未移出，再限期"})
        second = ev.start(session, library, unit, "follow_up", "李四")
        assert second.follows_id == follow.id
        assert [(i.code, i.rectify) for i in ev.followups(session, second)] == [
            ("B8b", "仍未移出，再限期"),  # 同 G1、G2
            ("G2", "仍未移出，再限期"),
        ]


def test_follow_up_without_open_rectifications_starts_normally(shop_store: Store) -> None:
    with shop_store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        draft = ev.start(session, shop_store.library, unit, "post_evaluation", "张三")
        ev.answer(session, shop_store.library, draft, "G2", "fail", rectify="整改", due=LATER)
        # A draft's failures are not open rectifications.
        follow = ev.start(session, shop_store.library, unit, "follow_up", "张三")
        assert follow.follows_id is None
        assert [p.checklist_id for p in follow.checklists] == [
            "bayou-bawu",
            "general-1",
            "x-retail",
        ]


def test_cli_show_prints_previous_result(capsys, shop_store: Store, signature: Path) -> None:  # type: ignore[no-untyped-def]
    with shop_store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        first = ev.start(session, shop_store.library, unit, "post_evaluation", "张三")
        finish(shop_store, session, first, signature, {"G2": "移出异常名录"})
    shop_store.close()
    assert (
        main(["evaluations", "new", "--inspector", "张三", "--unit", SHOP, "--kind", "回头看"]) == 0
    )
    out = capsys.readouterr().out
    assert f"复查评价 {first.id} 的 2 项整改：B8b、G2" in out  # B8b 同 G1、G2
    follow = out.strip().splitlines()[-1]
    assert main(["evaluations", "answer", follow, "G2", "pass"]) == 0
    capsys.readouterr()
    assert main(["evaluations", "show", follow]) == 0
    out = capsys.readouterr().out
    assert f"复查评价 {first.id} 的整改项" in out
    assert "上次不符合 → 符合" in out and "移出异常名录" in out
    assert "上次符合 → 符合" in out and f"沿用评价 {first.id} 的结果" in out
    assert main(["evaluations", "show", follow, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["follows"] == first.id
    assert main(["evaluations", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["follows"] for e in listed] == [None, first.id]


def test_follow_up_carries_over_what_passed_and_leaves_the_failed_items_open(
    shop_store: Store, signature: Path
) -> None:
    with shop_store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        first = ev.start(session, shop_store.library, unit, "post_evaluation", "张三")
        ev.answer(session, shop_store.library, first, "G1", "pass")
        ev.attach(session, shop_store.photos, first, [PHOTO], "G1", library=shop_store.library)
        finish(shop_store, session, first, signature, {"G2": "移出异常名录", "B2b": "撤下虚假宣传"})
        assert first.status == "finalized"
        follow = ev.start(session, shop_store.library, unit, "follow_up", "李四")
        assert follow.follows_id == first.id
        carried = {(a.checklist_id, a.item_code): a for a in follow.answers}
        before = {(a.checklist_id, a.item_code): a for a in first.answers}
        # Everything but the two failed items keeps its earlier answer, marked as carried over.
        assert set(carried) == {k for k, a in before.items() if a.result != "fail"}
        assert all(carried[k].result == before[k].result for k in carried)
        assert all(f"沿用评价 {first.id} 的结果" in a.note for a in carried.values())
        # The earlier photo of a passed item comes along; the failed items' photos do not.
        assert [(p.item_code, p.sha256) for p in follow.photos] == [("G1", first.photos[-1].sha256)]
        # What is left to do is the re-check of the failed items (and the signatures).
        left = ev.missing(session, shop_store.library, follow)
        # (B8b, 同 G1、G2, failed too and follows G2's re-check)
        assert [m.split(" ")[0] for m in left if m.startswith("未检查")] == [
            "未检查：B2b",
            "未检查：G2",
        ]
        # A carried answer can still be changed when something new is seen on site.
        ev.answer(session, shop_store.library, follow, "G1", "fail", rectify="重新办证", due=LATER)
        assert {a.item_code: a.result for a in follow.answers}["G1"] == "fail"


def test_the_baseline_is_read_once_and_shown_alike_on_screen_json_and_sheet(
    shop_store: Store, signature: Path
) -> None:
    """views.evaluation builds a follow-up's baseline (what the followed evaluation found) once;
    the screen's items, ``evaluations show --json`` and the printed sheet all show that one."""
    from fieldapp.reports.sheet import read_sheet
    from fieldapp.ui.operations import load_evaluation
    from fieldapp.views import evaluation as view

    library = shop_store.library
    with shop_store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        first = ev.start(session, library, unit, "post_evaluation", "张三")
        finish(shop_store, session, first, signature, {"G2": "移出异常名录"})
        follow_id = ev.start(session, library, unit, "回头看", "李四").id
        photo = first.photos[0].sha256
    with shop_store.read() as session:
        record = view.read(session, library, ev.get(session, follow_id))
        data = ev.detail(session, library, ev.get(session, follow_id))
        sheet = read_sheet(session, shop_store, follow_id)
    g2 = next(i for i in record.items if i.code == "G2")
    assert g2.previous == view.PreviousAnswer("fail", "移出异常名录", LATER, (photo,))
    others = [i.previous for i in record.items if i.code not in ("G2", "B8b")]  # B8b 同 G2
    assert others and all(p is not None and p.rectify is None for p in others)
    entry = next(i for i in data["items"] if i["code"] == "G2")
    assert entry["previous"] == {
        "result": "fail",
        "rectify": "移出异常名录",
        "due": LATER.isoformat(),
        "photos": [photo],
    }
    assert data == view.as_json(record)
    screen = next(i for i in load_evaluation(shop_store, follow_id).items if i.code == "G2")
    assert screen.previous == g2.previous
    printed = next(i for c in sheet.checklists for i in c.items if i.code == "G2")
    assert printed.previous == f"上次：不符合（整改：移出异常名录，期限 {LATER.isoformat()}）"
