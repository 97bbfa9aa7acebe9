"""Evaluations: pinned checklists, answers, photos, signatures, finalize, lock and revise."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from fieldapp.checklists import BUNDLED_DIR
from fieldapp.domain.lifecycle import ExitReason, State
from fieldapp.errors import InvalidInput, Locked
from fieldapp.imports.units import import_units
from fieldapp.photos import prepare
from fieldapp.services import evaluations as ev
from fieldapp.services import units as unit_service
from fieldapp.storage.models import Evaluation
from fieldapp.store import Store
from tests.lifecycle_helpers import move

SHOP = "92331122MA2A00018H"  # 缙云县五云好又多超市: 一般单位, 超市 (retail)
PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"
LATER = date.today() + timedelta(days=30)


@pytest.fixture
def shop_store(store: Store, data_path: Path) -> Store:
    with store.session() as session:
        import_units(session, data_path / "units-sample.csv", actor="测试")
    return store


def _png(path: Path, *, drawn: bool, transparent: bool = False) -> Path:
    colour = (0, 0, 0, 0) if transparent else (255, 255, 255, 255)
    img = Image.new("RGBA", (240, 90), colour)
    if drawn:
        ImageDraw.Draw(img).line([(10, 60), (120, 20), (230, 70)], fill=(0, 0, 0, 255), width=4)
    img.save(path, format="PNG")
    return path


@pytest.fixture
def signature(tmp_path: Path) -> Path:
    return _png(tmp_path / "sig.png", drawn=True)


def _new(store: Store, session, kind: str = "post_evaluation") -> Evaluation:  # type: ignore[no-untyped-def]
    unit = unit_service.by_code(session, SHOP)
    return ev.start(session, store.library, unit, kind, "张三")


def _answer_all(store: Store, session, evaluation: Evaluation) -> None:  # type: ignore[no-untyped-def]
    """Everything 符合, except items needing a photo, which are 不适用 (so none is needed); an
    item answered through others (same_as) follows them."""
    for checklist in ev.checklists_of(session, store.library, evaluation):
        for item in checklist.items:
            if item.same_as:
                continue
            result = "na" if item.photo_required else "pass"
            ev.answer(session, store.library, evaluation, f"{checklist.id}:{item.code}", result)


def _sign_both(store: Store, session, evaluation: Evaluation, png: Path) -> None:  # type: ignore[no-untyped-def]
    ev.sign(session, store.signatures, evaluation, "inspector", "张三", png)
    ev.sign(session, store.signatures, evaluation, "unit", "王芳", png)


def test_start_pins_the_composed_versions(shop_store: Store) -> None:
    with shop_store.session() as session:
        evaluation = _new(shop_store, session)
        assert evaluation.status == "draft" and evaluation.kind == "post_evaluation"
        assert [(p.checklist_id, p.version, p.position) for p in evaluation.checklists] == [
            ("bayou-bawu", 2, 0),
            ("general-1", 2, 1),
            ("x-retail", 1, 2),
        ]
        assert len(evaluation.uuid) == 36
        # Chinese labels are accepted for the kind.
        assert _new(shop_store, session, "日常检查").kind == "routine"
        with pytest.raises(InvalidInput, match="未知的评价类型「抽查」"):
            _new(shop_store, session, "抽查")


def test_start_refuses_a_removed_unit(shop_store: Store) -> None:
    with shop_store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        move(session, unit, State.REMOVED, actor="李四", exit_reason=ExitReason.VIOLATIONS)
        with pytest.raises(InvalidInput, match="已移出，不能再评价"):
            ev.start(session, shop_store.library, unit, "routine", "张三")


def test_answers_and_fail_needs_rectification(shop_store: Store) -> None:
    library = shop_store.library
    with shop_store.session() as session:
        evaluation = _new(shop_store, session)
        row = ev.answer(session, library, evaluation, "B5a", "pass", note="  价签齐全 ")
        assert (row.checklist_id, row.item_code, row.result, row.note) == (
            "bayou-bawu",
            "B5a",
            "pass",
            "价签齐全",
        )
        ev.answer(session, library, evaluation, "bayou-bawu:B5a", "na")
        # P2 (同 B5a) follows it
        assert [(a.item_code, a.result) for a in evaluation.answers] == [
            ("B5a", "na"),
            ("P2", "na"),
        ]
        with pytest.raises(InvalidInput, match="不符合的条目须填写整改要求和期限") as caught:
            ev.answer(session, library, evaluation, "G2", "fail")
        assert "条目 G2" in str(caught.value)
        with pytest.raises(InvalidInput, match="已经过去"):
            ev.answer(
                session, library, evaluation, "G2", "fail", rectify="整改", due=date(2000, 1, 1)
            )
        row = ev.answer(
            session, library, evaluation, "G2", "fail", rectify="移出异常名录", due=LATER
        )
        assert (row.result, row.rectify, row.due) == ("fail", "移出异常名录", LATER)
        with pytest.raises(InvalidInput, match="没有条目「ZZ9」"):
            ev.answer(session, library, evaluation, "ZZ9", "pass")
        with pytest.raises(InvalidInput, match="结果「ok」无效"):
            ev.answer(session, library, evaluation, "B1a", "ok")


def test_attach_is_all_or_nothing(shop_store: Store, tmp_path: Path) -> None:
    photo = PHOTOS / "Landscape_6.jpg"
    fake = tmp_path / "x.jpg"
    fake.write_text("这不是照片", "utf-8")
    sha = prepare(photo).sha256
    with shop_store.session() as session:
        evaluation = _new(shop_store, session)
        with pytest.raises(InvalidInput, match=r"x\.jpg"):
            ev.attach(
                session,
                shop_store.photos,
                evaluation,
                [photo, fake],
                "B1a",
                library=shop_store.library,
            )
        assert evaluation.photos == []
        assert not shop_store.photos.exists(sha)

        added = ev.attach(
            session, shop_store.photos, evaluation, [photo], "B1a", library=shop_store.library
        )
        assert [(p.checklist_id, p.item_code, p.sha256) for p in added] == [
            ("bayou-bawu", "B1a", sha)
        ]
        assert shop_store.photos.verify(sha)
        again = ev.attach(
            session, shop_store.photos, evaluation, [photo], "B1a", library=shop_store.library
        )
        assert again == []
        ev.attach(session, shop_store.photos, evaluation, [photo])  # the whole visit
        assert [(p.item_code, p.sha256) for p in evaluation.photos] == [("B1a", sha), (None, sha)]
        assert evaluation.photos[0].width > 0 and evaluation.photos[0].original_name == (
            "Landscape_6.jpg"
        )


def test_sign_refuses_blank_and_replaces(shop_store: Store, tmp_path: Path) -> None:
    blank = _png(tmp_path / "blank.png", drawn=False)
    clear = _png(tmp_path / "clear.png", drawn=False, transparent=True)
    drawn = _png(tmp_path / "drawn.png", drawn=True)
    with shop_store.session() as session:
        evaluation = _new(shop_store, session)
        for empty in (blank, clear):
            with pytest.raises(InvalidInput, match="签名是空白的，请重新签名"):
                ev.sign(session, shop_store.signatures, evaluation, "unit", "王芳", empty)
        with pytest.raises(InvalidInput, match="请填写签名人姓名"):
            ev.sign(session, shop_store.signatures, evaluation, "unit", "  ", drawn)
        with pytest.raises(InvalidInput, match="不是 PNG"):
            ev.sign(
                session,
                shop_store.signatures,
                evaluation,
                "unit",
                "王芳",
                PHOTOS / "Landscape_6.jpg",
            )
        assert evaluation.signatures == []
        first = ev.sign(session, shop_store.signatures, evaluation, "unit", "王芳", drawn)
        assert shop_store.signatures.path(first.image_sha256).read_bytes() == drawn.read_bytes()
        ev.sign(session, shop_store.signatures, evaluation, "unit", "王芳芳", drawn)
        assert [(s.role, s.name) for s in evaluation.signatures] == [("unit", "王芳芳")]


def test_missing_lists_exactly_what_is_missing(shop_store: Store, signature: Path) -> None:
    library = shop_store.library
    with shop_store.session() as session:
        evaluation = _new(shop_store, session)
        checklists = ev.checklists_of(session, library, evaluation)
        total = sum(
            1 for c in checklists for i in c.items if not i.same_as
        )  # linked: answered once
        gaps = ev.missing(session, library, evaluation)
        assert len(gaps) == total + 2
        assert gaps[0].startswith("未检查：B1a ")
        _answer_all(shop_store, session, evaluation)
        assert ev.missing(session, library, evaluation) == [
            "缺签名：检查人员",
            "缺签名：单位负责人",
        ]
        ev.answer(session, library, evaluation, "B1a", "pass")  # photo_required
        ev.sign(session, shop_store.signatures, evaluation, "unit", "王芳", signature)
        assert ev.missing(session, library, evaluation) == [
            "缺照片：B1a 有证照明示",
            "缺签名：检查人员",
        ]


def test_finalize_refuses_incomplete_then_judges_and_locks(
    shop_store: Store, signature: Path
) -> None:
    library = shop_store.library
    with shop_store.session() as session:
        evaluation = _new(shop_store, session)
        with pytest.raises(InvalidInput, match="还不能定稿") as caught:
            ev.finalize(session, library, evaluation)
        assert "未检查：B1a" in str(caught.value)
        assert evaluation.status == "draft"

        _answer_all(shop_store, session, evaluation)
        ev.answer(session, library, evaluation, "G2", "fail", rectify="移出异常名录", due=LATER)
        _sign_both(shop_store, session, evaluation, signature)
        with pytest.raises(InvalidInput, match="缺照片：G2"):
            ev.finalize(session, library, evaluation)
        ev.attach(
            session,
            shop_store.photos,
            evaluation,
            [PHOTOS / "Landscape_6.jpg"],
            "G2",
            library=library,
        )
        ev.finalize(session, library, evaluation)
        assert evaluation.status == "finalized" and evaluation.verdict == "fail"
        assert evaluation.verdict_text is not None
        # B8b 同 G1、G2: the 八有八无 element fails with the gate
        assert evaluation.verdict_text.startswith(
            "不通过：B8b 无烦心闹心（八有八无未全部符合）；G2 "
        )
        assert evaluation.finalized_at is not None
        assert evaluation.content_sha256 == ev.content_hash(evaluation)
        assert len(evaluation.content_sha256) == 64

        for change in (
            lambda: ev.answer(session, library, evaluation, "B1b", "pass"),
            lambda: ev.attach(session, shop_store.photos, evaluation, [PHOTOS / "Landscape_6.jpg"]),
            lambda: ev.sign(session, shop_store.signatures, evaluation, "unit", "王芳", signature),
            lambda: ev.finalize(session, library, evaluation),
        ):
            with pytest.raises(Locked, match="评价已定稿，不能修改；如需更正请新建修订"):
                change()


def test_all_pass_is_a_pass(shop_store: Store, signature: Path) -> None:
    with shop_store.session() as session:
        evaluation = _new(shop_store, session)
        _answer_all(shop_store, session, evaluation)
        _sign_both(shop_store, session, evaluation, signature)
        ev.finalize(session, shop_store.library, evaluation)
        assert (evaluation.verdict, evaluation.verdict_text) == ("pass", "通过：全部符合")


def test_revise_copies_and_keeps_the_old_one(shop_store: Store, signature: Path) -> None:
    library = shop_store.library
    with shop_store.session() as session:
        evaluation = _new(shop_store, session)
        _answer_all(shop_store, session, evaluation)
        ev.answer(session, library, evaluation, "B1a", "pass")
        ev.attach(
            session,
            shop_store.photos,
            evaluation,
            [PHOTOS / "Landscape_6.jpg"],
            "B1a",
            library=library,
        )
        _sign_both(shop_store, session, evaluation, signature)
        with pytest.raises(InvalidInput, match="还是草稿"):
            ev.revise(session, evaluation, "李四")
        ev.finalize(session, library, evaluation)
        old_hash = evaluation.content_sha256

        revision = ev.revise(session, evaluation, "李四")
        assert revision.id != evaluation.id and revision.replaces_id == evaluation.id
        assert revision.status == "draft" and revision.inspector == "李四"
        assert revision.uuid != evaluation.uuid
        assert [(p.checklist_id, p.version) for p in revision.checklists] == [
            (p.checklist_id, p.version) for p in evaluation.checklists
        ]
        assert len(revision.answers) == len(evaluation.answers)
        assert [(p.item_code, p.sha256) for p in revision.photos] == [
            (p.item_code, p.sha256) for p in evaluation.photos
        ]
        assert revision.signatures == []
        assert ev.missing(session, library, revision) == ["缺签名：检查人员", "缺签名：单位负责人"]
        ev.answer(session, library, revision, "B2b", "na")
        # 修订 again opens the same draft, with what was changed in it (issue 12, item 5).
        again = ev.revise(session, evaluation, "李四")
        assert again.id == revision.id
        assert next(a for a in again.answers if a.item_code == "B2b").result == "na"
        assert evaluation.status == "finalized" and evaluation.content_sha256 == old_hash
        assert next(a for a in evaluation.answers if a.item_code == "B2b").result == "pass"

        data = ev.detail(session, library, revision)
        assert data["replaces"] == evaluation.id
        assert data["unit"] == {"credit_code": SHOP, "name": "缙云县五云好又多超市"}
        b1b = next(i for i in data["items"] if i["code"] == "B2b")
        assert b1b["result"] == "na" and b1b["checklist_id"] == "bayou-bawu"
        assert data["photos"] == [
            {
                "id": revision.photos[0].id,
                "sha256": evaluation.photos[0].sha256,
                "checklist_id": "bayou-bawu",
                "item": "B1a",
                "original_name": "Landscape_6.jpg",
            }
        ]
        _sign_both(shop_store, session, revision, signature)
        ev.finalize(session, library, revision)
        with pytest.raises(InvalidInput, match=f"已由评价 {revision.id} 修订并定稿"):
            ev.revise(session, evaluation, "李四")


def test_new_checklist_version_does_not_change_a_pinned_evaluation(
    shop_store: Store,
) -> None:
    with shop_store.session() as session:
        evaluation_id = _new(shop_store, session).id
    folder = shop_store.folder
    shop_store.close()

    county = folder / "checklists"
    county.mkdir()
    text = (BUNDLED_DIR / "bayou-bawu.toml").read_text("utf-8")
    text = text.replace("version = 2", "version = 3", 1).replace('code = "B1a"', 'code = "B1z"', 1)
    (county / "bayou-bawu-v2.toml").write_text(text, "utf-8")

    with Store.open(folder) as reopened, reopened.session() as session:
        assert reopened.library.problems == []
        pinned = session.get(Evaluation, evaluation_id)
        assert pinned is not None
        first = pinned.checklists[0]
        assert (first.checklist_id, first.version) == ("bayou-bawu", 2)
        ev.answer(session, reopened.library, pinned, "B1a", "pass")
        with pytest.raises(InvalidInput, match="B1z"):
            ev.answer(session, reopened.library, pinned, "B1z", "pass")
        fresh = _new(reopened, session)
        first = fresh.checklists[0]
        assert (first.checklist_id, first.version) == ("bayou-bawu", 3)
        ev.answer(session, reopened.library, fresh, "B1z", "pass")
        assert len(list(session.scalars(select(Evaluation)))) == 2


def test_content_hash_is_the_same_after_the_store_is_reopened(
    shop_store: Store, signature: Path
) -> None:
    """The hash in a sheet's QR code can be recomputed later, and by the county."""
    with shop_store.session() as session:
        evaluation = _new(shop_store, session)
        _answer_all(shop_store, session, evaluation)
        _sign_both(shop_store, session, evaluation, signature)
        ev.finalize(session, shop_store.library, evaluation)
        first = evaluation.content_sha256
        assert first == ev.content_hash(evaluation)
        evaluation_id = evaluation.id
    folder = shop_store.folder
    shop_store.close()
    with Store.open(folder) as reopened, reopened.read() as session:
        again = ev.get(session, evaluation_id)
        assert ev.content_hash(again) == again.content_sha256 == first
