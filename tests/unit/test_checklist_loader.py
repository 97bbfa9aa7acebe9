"""Checklist files: malformed files are refused with the file, item and field named; county
files add checklists and versions; an evaluation's pinned version never changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fieldapp.checklists import BUNDLED_DIR, Library, load_file
from fieldapp.domain.vocab import UnitType
from fieldapp.errors import InvalidInput, NotFound
from fieldapp.services.checklists import pinned
from fieldapp.store import Store

GOOD = """
id = "county-extra"
version = 1
title = "县局补充检查项"
kind = "module"
source = "[R] 县局自定"

[applies]
unit_types = ["一般放心消费单位"]
industries = ["餐饮"]

[verdict]
rule = "gates"

[[items]]
code = "K1"
text = "后厨张贴食品安全管理制度"
guidance = "制度上墙"
evidence = "制度上墙照片"
photo_required = true
source = "[R]"
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads(tmp_path: Path) -> None:
    checklist = load_file(write(tmp_path, "extra.toml", GOOD))
    assert checklist.key == ("county-extra", 1)
    assert checklist.applies.industries == ["catering"]
    assert checklist.items[0].photo_required


@pytest.mark.parametrize(
    "change, fragments",
    [
        (
            lambda t: t.replace('text = "后厨', 'txet = "后厨'),
            ["条目 K1", "字段「txet」未知字段", "字段「text」缺少必填字段"],
        ),
        (lambda t: t.replace("version = 1", 'version = "一"'), ["字段「version」应为整数"]),
        (
            lambda t: t.replace("photo_required = true", 'photo_required = "是"'),
            ["条目 K1", "photo_required」应为 true 或 false"],
        ),
        (lambda t: t.replace('source = "[R]"\n', 'source = "县局"\n'), ["条目 K1", "来源应以"]),
        (lambda t: t.replace('"餐饮"', '"殡葬"'), ["未知的行业「殡葬」"]),
        (lambda t: t.replace('"一般放心消费单位"', '"大单位"'), ["未知的单位类型「大单位」"]),
        (lambda t: t.replace('rule = "gates"', 'rule = "majority"'), ["verdict.rule", "取值不对"]),
        (lambda t: t.replace('id = "county-extra"', 'id = "县局"'), ["字段「id」格式不对"]),
        (lambda t: t + t[t.index("[[items]]") :], ["条目代码 K1 重复"]),
        (lambda t: t[: t.index("[[items]]")], ["字段「items」缺少必填字段"]),
        (
            lambda t: t.replace('title = "县局补充检查项"', "title = “县局”"),
            ["TOML 格式错误", "中文引号"],
        ),
    ],
)
def test_malformed_files_name_the_problem(tmp_path: Path, change, fragments) -> None:
    path = write(tmp_path, "bad.toml", change(GOOD))
    with pytest.raises(InvalidInput) as caught:
        load_file(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(GOOD.encode("gbk"))
    with pytest.raises(InvalidInput, match="不是 UTF-8 编码"):
        load_file(path)


def test_county_folder_adds_checklists_and_versions(tmp_path: Path) -> None:
    county = tmp_path / "checklists"
    write(county, "extra.toml", GOOD)
    bundled = load_file(BUNDLED_DIR / "bayou-bawu.toml").version
    newer = (
        (BUNDLED_DIR / "bayou-bawu.toml")
        .read_text("utf-8")
        .replace(f"version = {bundled}", f"version = {bundled + 1}", 1)
    )
    newer = newer.replace('text = "有证照明示"', 'text = "有证照明示（2024 修订）"')
    write(county, "bayou-bawu-newer.toml", newer)
    library = Library.load(county)
    assert library.problems == []
    assert library.latest("bayou-bawu").version == bundled + 1
    assert library.get("bayou-bawu", bundled).items[0].text == "有证照明示"
    composed = library.compose(UnitType.GENERAL, "catering")
    assert [(c.id, c.version) for c in composed] == [
        ("bayou-bawu", bundled + 1),
        ("general-1", load_file(BUNDLED_DIR / "general-1.toml").version),
        ("x-catering", load_file(BUNDLED_DIR / "x-catering.toml").version),
        ("x-banquet-kitchen", load_file(BUNDLED_DIR / "x-banquet-kitchen.toml").version),
        ("county-extra", 1),
    ]
    assert [c.id for c in library.compose(UnitType.GENERAL, "retail")] == [
        "bayou-bawu",
        "general-1",
        "x-retail",
    ]


def test_same_version_different_content_is_refused(tmp_path: Path) -> None:
    county = tmp_path / "checklists"
    changed = (
        (BUNDLED_DIR / "bayou-bawu.toml").read_text("utf-8").replace("有证照明示", "有证照", 1)
    )
    write(county, "bayou-bawu.toml", changed)
    library = Library.load(county)
    assert len(library.problems) == 1
    assert "version 加 1" in library.problems[0]
    assert library.latest("bayou-bawu").items[0].text == "有证照明示"


def test_an_identical_copy_is_harmless(tmp_path: Path) -> None:
    county = tmp_path / "checklists"
    county.mkdir()
    shutil.copy(BUNDLED_DIR / "bayou-bawu.toml", county / "copy.toml")
    assert Library.load(county).problems == []


def test_bad_county_file_does_not_stop_the_library(tmp_path: Path) -> None:
    county = tmp_path / "checklists"
    write(county, "broken.toml", "id = ")
    library = Library.load(county)
    assert "broken.toml" in library.problems[0]
    assert "bayou-bawu" in library.ids()


def test_pinned_version_survives_edits_and_removal(isolated_data_dir: Path) -> None:
    county = isolated_data_dir / "checklists"
    path = write(county, "extra.toml", GOOD)
    with Store.open(isolated_data_dir, create=True) as store:
        original = store.library.get("county-extra", 1)
    # Someone edits version 1 in place: the store keeps what evaluations saw and says so.
    path.write_text(GOOD.replace("后厨张贴", "前台张贴"), encoding="utf-8")
    with Store.open(isolated_data_dir) as store:
        assert any("内容与已记录的不同" in p for p in store.library.problems)
        assert store.library.get("county-extra", 1) == original
    # The file disappears: the pinned version is still readable from the store.
    path.unlink()
    with Store.open(isolated_data_dir) as store, store.read() as session:
        with pytest.raises(NotFound):
            store.library.get("county-extra", 1)
        assert pinned(session, store.library, "county-extra", 1) == original
        with pytest.raises(NotFound, match="没有检查表 county-extra 第 9 版"):
            pinned(session, store.library, "county-extra", 9)
