"""A shorter visit (issue 13): items answered through others (same_as) and items a unit's facts
make 不适用 (applies_when), one rule for the service, the verdict, the read model and the sheet."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from fieldapp.checklists import BUNDLED_DIR, Library, load_file
from fieldapp.cli import main
from fieldapp.domain import links
from fieldapp.domain.uscc import make_code
from fieldapp.domain.verdict import Answer, Outcome, judge
from fieldapp.errors import InvalidInput
from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as ev
from fieldapp.services import units as unit_service
from fieldapp.store import Store
from fieldapp.views import evaluation as view

BEFORE = Path(__file__).resolve().parents[1] / "data" / "checklists-before"
TOWN = make_code("92", "331122", "MA2C0001")
VILLAGE = make_code("92", "331122", "MA2C0002")
LATER = date.today() + timedelta(days=15)


def before_library(tmp_path: Path) -> Library:
    """The bundled library as it was before same_as and applies_when (tests/data)."""
    folder = tmp_path / "before"
    shutil.copytree(BUNDLED_DIR, folder)
    for path in BEFORE.glob("*.toml"):
        shutil.copy(path, folder / path.name)
    library = Library.load(bundled_dir=folder)
    assert library.problems == []
    return library


def restaurant(address: str = "缙云县五云街道新建路12号", platform: str = "") -> object:
    from types import SimpleNamespace

    return SimpleNamespace(
        unit_type="general",
        industry="catering",
        address=address,
        town="五云街道",
        online_shop_name="",
        online_platform=platform,
        online_url="",
        cross_store_return=False,
        compensation_fund=False,
        prudent=False,
    )


# --- the visit's size ---------------------------------------------------------------------------


def test_a_town_restaurant_answers_and_photographs_at_least_a_fifth_less(tmp_path: Path) -> None:
    unit = restaurant()
    facts = links.facts_of(unit)  # type: ignore[arg-type]
    before = links.workload(before_library(tmp_path).compose(facts.unit_type, "catering"), facts)
    after = links.workload(Library.load().compose(facts.unit_type, "catering"), facts)
    assert (before.to_answer, before.photos) == (49, 27)
    assert after.to_answer <= 0.8 * before.to_answer, (before, after)
    assert after.photos <= 0.8 * before.photos, (before, after)


BAYOU_BAWU = [f"B{n}{half}" for n in range(1, 9) for half in "ab"]
GENERAL_DIMENSIONS = [
    "消费安全放心",
    "消费质量放心",
    "消费价格放心",
    "消费服务放心",
    "消费维权放心",
]


def test_every_bayou_bawu_element_and_general_dimension_is_still_answered() -> None:
    """For a town restaurant: each 八有八无 element is answered, or answered through items that
    are; each "1" dimension (and the commitments and gates) keeps items the inspector answers."""
    facts = links.facts_of(restaurant())  # type: ignore[arg-type]
    checklists = Library.load().compose(facts.unit_type, "catering")
    linked = links.links(checklists)
    skipped = links.not_applicable(checklists, facts)
    answered = {
        (c.id, i.code) for c in checklists for i in c.items if (c.id, i.code) not in linked
    } - skipped.keys()

    def covered(key: tuple[str, str]) -> bool:
        return key in answered or all(s in answered for s in linked.get(key, ((), ())))

    base = next(c for c in checklists if c.id == "bayou-bawu")
    assert [i.code for i in base.items] == BAYOU_BAWU
    for code in BAYOU_BAWU:
        assert covered(("bayou-bawu", code)), code
    general = next(c for c in checklists if c.id == "general-1")
    for group in [*GENERAL_DIMENSIONS, "承诺", "否决项"]:
        in_group = [("general-1", i.code) for i in general.items if i.group == group]
        assert any(k in answered for k in in_group), group
        # nothing of a dimension disappears: each item is answered, linked or 不适用 with a reason
        for key in in_group:
            assert covered(key) or skipped[key].startswith(links.NA_PREFIX), key
    # the overlaps the issue names, and nothing else of 八有八无 is linked
    assert linked[("general-1", "P2")] == (("bayou-bawu", "B5a"),)
    assert linked[("general-1", "Q5")] == (("bayou-bawu", "B6a"), ("bayou-bawu", "B6b"))
    assert linked[("bayou-bawu", "B3a")] == (("general-1", "Q1"), ("general-1", "Q2"))
    assert linked[("general-1", "V3")] == (("bayou-bawu", "B7b"),)
    assert linked[("general-1", "C4")] == (("bayou-bawu", "B2a"), ("bayou-bawu", "B8a"))
    assert linked[("bayou-bawu", "B8b")] == (("general-1", "G1"), ("general-1", "G2"))
    assert {k for k in linked if k[0] == "bayou-bawu"} == {
        ("bayou-bawu", "B3a"),
        ("bayou-bawu", "B8b"),
    }


def test_village_banquet_items_apply_in_a_village_and_not_in_a_town() -> None:
    library = Library.load()
    town = links.facts_of(restaurant())  # type: ignore[arg-type]
    village = links.facts_of(restaurant("缙云县舒洪镇仁岸村3号"))  # type: ignore[arg-type]
    assert village.flags[links.Flag.RURAL] == "地址在仁岸村"
    checklists = library.compose(town.unit_type, "catering")
    assert "x-banquet-kitchen" in [c.id for c in checklists]
    banquet = [("x-banquet-kitchen", i.code) for i in library.latest("x-banquet-kitchen").items]
    in_town = links.not_applicable(checklists, town)
    assert all(
        in_town[k] == "自动判不适用：单位不在农村（地址未写明村，乡镇不是乡）" for k in banquet
    )
    assert not set(banquet) & links.not_applicable(checklists, village).keys()
    estate = links.facts_of(restaurant("上海市普陀区曹杨新村5号"))  # type: ignore[arg-type]
    assert links.Flag.RURAL not in estate.flags
    kitchen = links.facts_of(restaurant())  # type: ignore[arg-type]
    assert links.Flag.RURAL not in kitchen.flags
    online = links.facts_of(restaurant(platform="美团"))  # type: ignore[arg-type]
    assert ("x-catering", "CT5") in in_town
    assert ("x-catering", "CT5") not in links.not_applicable(checklists, online)


# --- the service: one write path for linked and 不适用 rows -------------------------------------


@pytest.fixture
def restaurants(store: Store, tmp_path: Path) -> Store:
    path = tmp_path / "units.csv"
    path.write_text(
        "统一社会信用代码,单位名称,经营地址,乡镇,所属所,单位类型,行业\n"
        f"{TOWN},缙云县五云好味饭店,缙云县五云街道新建路12号,五云街道,五云所,一般单位,餐饮\n"
        f"{VILLAGE},缙云县仁岸农家饭店,缙云县舒洪镇仁岸村3号,舒洪镇,舒洪所,一般单位,餐饮\n",
        encoding="utf-8",
    )
    with store.session() as session:
        assert import_units(session, path, actor="测试").created == 2
    return store


def _results(evaluation) -> dict[tuple[str, str], tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(a.checklist_id, a.item_code): (a.result, a.note) for a in evaluation.answers}


def test_a_town_restaurant_starts_with_its_not_applicable_items_and_their_reasons(
    restaurants: Store,
) -> None:
    with restaurants.session() as session:
        unit = unit_service.by_code(session, TOWN)
        evaluation = ev.start(session, restaurants.library, unit, "post_evaluation", "张三")
        found = _results(evaluation)
        assert found[("x-banquet-kitchen", "JY1")] == (
            Answer.NA,
            "自动判不适用：单位不在农村（地址未写明村，乡镇不是乡）",
        )
        assert found[("general-1", "C3")] == (Answer.NA, "自动判不适用：此条不查餐饮单位")
        assert found[("x-catering", "CT5")][0] == Answer.NA
        # the inspector may answer any of them otherwise
        ev.answer(session, restaurants.library, evaluation, "x-banquet-kitchen:JY1", "pass")
        assert _results(evaluation)[("x-banquet-kitchen", "JY1")] == (Answer.PASS, "")
        record = view.read(session, restaurants.library, evaluation)
        jy1 = next(i for i in record.items if i.code == "JY1")
        assert jy1.not_applicable.startswith(links.NA_PREFIX) and jy1.result == Answer.PASS
        assert jy1.source.startswith("[S0]")

        village = unit_service.by_code(session, VILLAGE)
        other = ev.start(session, restaurants.library, village, "post_evaluation", "张三")
        assert ("x-banquet-kitchen", "JY1") not in _results(other)


def test_an_item_answered_through_others_follows_them_and_is_not_answered_by_hand(
    restaurants: Store,
) -> None:
    library = restaurants.library
    with restaurants.session() as session:
        unit = unit_service.by_code(session, TOWN)
        evaluation = ev.start(session, library, unit, "post_evaluation", "张三")
        ev.answer(session, library, evaluation, "B5a", "fail", rectify="补齐菜单价格", due=LATER)
        found = _results(evaluation)
        assert found[("general-1", "P2")] == (Answer.FAIL, "同 B5a")
        assert found[("x-catering", "CT4")] == (Answer.FAIL, "同 B5a")
        p2 = next(a for a in evaluation.answers if a.item_code == "P2")
        assert (p2.rectify, p2.due) == ("补齐菜单价格", LATER)
        with pytest.raises(InvalidInput, match="本条同 B5a，随 B5a 的结果判定，现在是不符合"):
            ev.answer(session, library, evaluation, "P2", "pass")
        ev.answer(session, library, evaluation, "P2", "fail")  # the answer it has: harmless
        # B3a 同 Q1、Q2: nothing until both are answered, then 不符合 if either is
        ev.answer(session, library, evaluation, "Q1", "pass")
        assert ("bayou-bawu", "B3a") not in _results(evaluation)
        with pytest.raises(InvalidInput, match="请回答 Q1、Q2"):
            ev.answer(session, library, evaluation, "B3a", "pass")
        ev.answer(session, library, evaluation, "Q2", "fail", rectify="补建进货台账", due=LATER)
        found = _results(evaluation)
        assert found[("bayou-bawu", "B3a")] == (Answer.FAIL, "同 Q1、Q2")
        assert found[("x-catering", "CT6")] == (Answer.FAIL, "同 Q2")
        ev.answer(session, library, evaluation, "Q2", "pass")
        ev.answer(session, library, evaluation, "B5a", "pass")
        found = _results(evaluation)
        assert found[("bayou-bawu", "B3a")][0] == Answer.PASS
        assert found[("general-1", "P2")][0] == Answer.PASS
        missing = ev.missing(session, library, evaluation)
        assert not any(m.startswith(("未检查：P2", "未检查：B3a", "缺照片：P2")) for m in missing)
        assert any(m.startswith("未检查：B1a") for m in missing)
        record = view.read(session, library, evaluation)
        shown = {i.code: i for i in record.items}
        assert shown["P2"].same_as == "同 B5a" and shown["B3a"].same_as == "同 Q1、Q2"
        assert shown["B5a"].same_as == ""
        assert view.as_json(record)["items"][0]["source"].startswith("[S2]")


def test_the_verdict_fills_linked_items_whatever_the_answers_hold() -> None:
    library = Library.load()
    checklists = library.compose(links.facts_of(restaurant()).unit_type, "catering")  # type: ignore[arg-type]
    answers = {
        (c.id, i.code): Answer.PASS
        for c in checklists
        for i in c.items
        if (c.id, i.code) not in links.links(checklists)
    }
    assert judge(checklists, answers).outcome is Outcome.PASS
    answers[("general-1", "G2")] = Answer.FAIL
    verdict = judge(checklists, answers)
    assert verdict.outcome is Outcome.FAIL
    assert any(r.startswith("B8b 无烦心闹心") for r in verdict.reasons), verdict.reasons


# --- the format: same_as and applies_when validated with file and line ---------------------------

MODULE = """id = "county-links"
version = 1
title = "县局补充"
kind = "module"
source = "[R] 县局自定"

[applies]
industries = ["餐饮"]

[verdict]
rule = "gates"

[[items]]
code = "K1"
text = "后厨制度上墙"
source = "[R]"

[[items]]
code = "K2"
text = "同 K1 的检查"
source = "[R]"
same_as = "K1"

[[items]]
code = "K3"
text = "外卖封签"
source = "[R]"
applies_when = { flags = ["线上销售"], not_industries = ["农村家宴放心厨房"] }
"""


def test_a_county_module_with_links_and_conditions_loads(tmp_path: Path) -> None:
    path = tmp_path / "links.toml"
    path.write_text(MODULE, encoding="utf-8")
    checklist = load_file(path)
    assert checklist.item("K2").same_as == ["K1"]
    condition = checklist.item("K3").applies_when
    assert condition is not None and condition.flags == [links.Flag.ONLINE]


@pytest.mark.parametrize(
    "change, fragments",
    [
        (lambda t: t.replace('same_as = "K1"', 'same_as = "K9"'), ["第 22 行", "条目 K2", "K9"]),
        (
            lambda t: t.replace('same_as = "K1"', 'same_as = "K2"'),
            ["第 22 行", "条目 K2", "不能写条目自己"],
        ),
        (
            lambda t: t.replace('flags = ["线上销售"]', 'flags = ["有预付卡"]'),
            ["第 28 行", "条目 K3", "未知的条件「有预付卡」", "农村"],
        ),
        (
            lambda t: t.replace('not_industries = ["农村家宴放心厨房"]', "places = []"),
            ["第 28 行", "条目 K3", "places", "未知字段"],
        ),
        (
            lambda t: t.replace('same_as = "K1"', 'same_as = "K1"\nphoto_required = true'),
            ["条目 K2", "不单独拍照"],
        ),
    ],
)
def test_bad_links_and_conditions_name_the_file_line_and_item(
    tmp_path: Path, change, fragments
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "links.toml"
    path.write_text(change(MODULE), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_file(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message


def test_a_link_to_an_item_no_checklist_has_is_named_by_the_library_and_check(
    tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    county = tmp_path / "checklists"
    county.mkdir()
    text = MODULE.replace('same_as = "K1"', 'same_as = "general-1:Q99"')
    (county / "links.toml").write_text(text, encoding="utf-8")
    problems = Library.load(county).problems
    assert problems == [
        "links.toml，第 22 行，条目 K2：same_as 写的条目「general-1:Q99」不在检查表 general-1 中"
    ]
    assert main(["checklists", "check", str(county / "links.toml")]) == 1
    assert "general-1:Q99" in capsys.readouterr().err
    (county / "links.toml").write_text(text.replace("Q99", "Q2"), encoding="utf-8")
    assert Library.load(county).problems == []
    assert main(["checklists", "check", str(county / "links.toml")]) == 0


def test_checklists_list_json_shows_each_items_source_link_and_condition(
    capsys: pytest.CaptureFixture[str], store: Store
) -> None:
    assert main(["checklists", "list", "--json"]) == 0
    entries = {e["id"]: e for e in json.loads(capsys.readouterr().out)}
    items = {i["code"]: i for i in entries["general-1"]["item_list"]}
    assert items["P2"]["same_as"] == ["bayou-bawu:B5a"] and items["P2"]["source"].startswith("[S4]")
    assert items["C3"]["applies_when"]["not_industries"][0] == "catering"
    banquet = entries["x-banquet-kitchen"]["item_list"][0]
    assert banquet["applies_when"]["flags"] == ["rural"] and banquet["same_as"] == []
