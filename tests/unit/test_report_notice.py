"""整改通知书: one page for the shop with the failed items, their 整改要求 and 期限, the station's
contact and the issuer's full name; ``fieldapp report notice --evaluation ID -o FILE.pdf``."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldapp.cli import main
from fieldapp.errors import InvalidInput
from fieldapp.reports.notice import write_notice
from fieldapp.store import Store
from tests.unit.test_report_sheet import (
    assert_fonts_embedded,
    flat,
    make_evaluation,
    pages_of,
    text_of,
)
from tests.unit.test_sheet_print import (
    DUE,
    ID_PATTERN,
    LICENCE,
    OFFICE,
    PRICES,
    office_settings,
    restaurant,
)


def test_a_notice_lists_the_failed_items_on_one_page(store: Store, tmp_path: Path) -> None:
    office_settings(store)
    evaluation_id = restaurant(store, tmp_path / "work", photos=4)
    out = write_notice(store, evaluation_id, tmp_path / "notice.pdf")

    assert pages_of(out) == 1
    text = text_of(out)
    body = flat(text)
    assert not ID_PATTERN.search(text)
    for needle in (
        "整改通知书",
        f"出具单位：{OFFICE}",
        "缙云县壶镇老街饭店（统一社会信用代码91331122MA2A00026F）：",
        "发现下列2项不符合要求",
        flat(PRICES),
        flat(LICENCE),
        f"{DUE.year}年{DUE.month}月{DUE.day}日",
        "B5a",
        "联系人：张三",
        "联系电话：0578-3123000",
        "地址：缙云县壶镇镇卫民路1号",
        "执法证号：张三33110001；李四33110002",
        "检查人员（签名）",
        "单位负责人（签收）",
        f"{OFFICE}（盖章）",
    ):
        assert needle in body, needle
    assert "P2" not in body and "CT4" not in body  # 同 B5a: its requirement is listed once
    assert_fonts_embedded(out)


def test_no_notice_without_a_failed_item_or_for_a_draft(store: Store, tmp_path: Path) -> None:
    passed = make_evaluation(store, tmp_path / "a", photos=0, fail=None)
    draft = make_evaluation(store, tmp_path / "b", photos=1, finalize=False)
    with pytest.raises(InvalidInput, match="没有不符合项，不需要整改通知书"):
        write_notice(store, passed, tmp_path / "a.pdf")
    with pytest.raises(InvalidInput, match="还是草稿，请先定稿"):
        write_notice(store, draft, tmp_path / "b.pdf")
    assert not list(tmp_path.glob("*.pdf"))


def test_the_command(store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evaluation_id = make_evaluation(store, tmp_path / "w", photos=1)
    out = tmp_path / "通知.pdf"
    assert main(["report", "notice", "--evaluation", str(evaluation_id), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out)
    body = flat(text_of(out))
    assert "补齐进货台账并张贴价格标签" in body and "联系电话：__________" in body
    assert main(["report", "notice", "--evaluation", "99", "-o", str(tmp_path / "x.pdf")]) == 1
    assert "没有编号为 99 的评价" in capsys.readouterr().err
    assert main(["report", "notice", "--evaluation", str(evaluation_id), "-o", "n.txt"]) == 2
    assert not (tmp_path / "x.pdf").exists()
