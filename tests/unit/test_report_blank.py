"""The blank form: the unit's composed checklists, empty, to tick on paper and enter later."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldapp.checklists import BUNDLED_DIR, load_file
from fieldapp.domain.vocab import UnitType
from fieldapp.errors import InvalidInput, NotFound
from fieldapp.reports.blank import write_blank
from fieldapp.services import units
from fieldapp.store import Store
from tests.unit.test_report_sheet import (
    DINER,
    SHOP,
    assert_fonts_embedded,
    assert_numbered,
    flat,
    images_of,
    imported,
    pages_of,
    text_of,
)


def test_blank_form_lists_the_composed_checklists(store: Store, tmp_path: Path) -> None:
    imported(store)
    out = write_blank(store, SHOP, tmp_path / "blank.pdf")

    text = text_of(out)
    body = flat(text)
    with store.read() as session:
        unit = units.by_code(session, SHOP)
        composed = store.library.compose(UnitType(unit.unit_type), unit.industry)
    assert [c.id for c in composed] == ["bayou-bawu", "general-1", "x-retail"]
    for needle in ("放心消费单位后评价表", "缙云县五云好又多超市", SHOP, "五云所", "王芳"):
        assert needle in body
    for checklist in composed:
        assert flat(f"{checklist.id} 第 {checklist.version} 版") in body
        assert flat(checklist.title) in body
        for item in checklist.items:
            assert flat(item.text) in body, item.code
            assert item.code in body
    for label in ("符合", "不符合", "不适用", "整改要求及期限", "检查人员签名", "单位负责人签名"):
        assert label in body
    # three boxes an item, but for those answered through others (same_as: 同 B5a instead)
    to_tick = sum(1 for c in composed for i in c.items if not i.same_as)
    assert body.count("□") >= 3 * to_tick
    assert_numbered(text, pages_of(out))
    assert_fonts_embedded(out)
    assert images_of(out) == 0


def test_blank_form_of_another_kind_and_unit(store: Store, tmp_path: Path) -> None:
    imported(store)
    out = write_blank(store, DINER, tmp_path / "diner.pdf", kind="日常检查")
    body = flat(text_of(out))
    assert "放心消费单位日常检查表" in body and "缙云县壶镇老街饭店" in body
    catering = load_file(BUNDLED_DIR / "x-catering.toml").version
    assert f"x-catering第{catering}版" in body and "x-no-reason-return第1版" in body


def test_blank_form_refuses_bad_requests(store: Store, tmp_path: Path) -> None:
    imported(store)
    with pytest.raises(NotFound, match="没有信用代码为"):
        write_blank(store, "91331122MA2A00999X", tmp_path / "x.pdf")
    with pytest.raises(InvalidInput, match="未知的评价类型「抽查」"):
        write_blank(store, SHOP, tmp_path / "x.pdf", kind="抽查")
    with pytest.raises(InvalidInput, match="不存在"):
        write_blank(store, SHOP, tmp_path / "missing" / "x.pdf")
    assert list(tmp_path.glob("*.pdf")) == []


def test_blank_form_says_same_as_and_ticks_what_does_not_apply(
    store: Store, tmp_path: Path
) -> None:
    """Issue 13: a linked item prints 同 B5a instead of boxes; a 农村家宴 item of a town
    restaurant has 不适用 ticked with the reason, to cross out if the site says otherwise."""
    from fieldapp.domain.uscc import make_code
    from fieldapp.imports.units import import_units as load_units

    code = make_code("92", "331122", "MA2C0005")
    units_csv = tmp_path / "units.csv"
    units_csv.write_text(
        "统一社会信用代码,单位名称,经营地址,乡镇,所属所,单位类型,行业\n"
        f"{code},缙云县五云好味饭店,缙云县五云街道新建路12号,五云街道,五云所,一般单位,餐饮\n",
        encoding="utf-8",
    )
    with store.session() as session:
        load_units(session, units_csv, actor="测试")
    out = write_blank(store, code, tmp_path / "blank.pdf")
    body = "".join(text_of(out).split())
    assert "同B5a" in body and "同Q1、Q2" in body
    assert "单位不在农村（地址未写明村，乡镇不是乡）" in body
