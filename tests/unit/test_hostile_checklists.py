"""A county checklist file cannot stop the app from starting (issue 16, item 6): an enormous
version, deep nesting or a huge file is refused by ``checklists check`` naming the file, and at
start it is listed as a problem while everything else loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fieldapp.checklists import Library, loader
from fieldapp.checklists.loader import BUNDLED_DIR
from fieldapp.cli import main
from fieldapp.store import Store

GOOD = (BUNDLED_DIR / "bayou-bawu.toml").read_text("utf-8")
HOSTILE = {
    "huge-version.toml": re.sub(
        r"^version = \d+", "version = 9223372036854775808", GOOD, count=1, flags=re.M
    ),
    "deep.toml": "x = " + "[" * 50_000 + "]" * 50_000 + "\n",
    "deep.json": "[" * 50_000 + "]" * 50_000,
    "big.toml": GOOD + "\n# " + "填" * (loader.MAX_FILE_BYTES // 3 + 10) + "\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_checklists_check_refuses_naming_the_file(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    path.write_text(HOSTILE[name], "utf-8")
    assert main(["checklists", "check", str(path)]) == 1
    assert name in capsys.readouterr().err


def test_the_store_opens_and_lists_them_as_problems(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    county = folder / "checklists"
    county.mkdir(parents=True)
    for name, text in HOSTILE.items():
        if name.endswith(".toml"):
            (county / name).write_text(text, "utf-8")
    with Store.open(folder, create=True) as store, store.session():
        library = store.library
        assert library.latest("bayou-bawu").items  # the bundled ones still load
        named = " ".join(library.problems)
        for name in HOSTILE:
            if name.endswith(".toml"):
                assert name in named


# --- same_as and applies_when (issue 13) ---------------------------------------------------------

LINKED = """id = "{id}"
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
text = "检查项"
source = "[R]"
{extra}
"""
LINK_HOSTILE = {
    "same-as-number.toml": LINKED.format(id="county-a", extra="same_as = 5"),
    "same-as-empty.toml": LINKED.format(id="county-b", extra='same_as = [""]'),
    "applies-when-text.toml": LINKED.format(id="county-c", extra='applies_when = "农村"'),
    "applies-when-empty.toml": LINKED.format(id="county-d", extra="applies_when = {}"),
    "applies-when-prepaid.toml": LINKED.format(
        id="county-e", extra='applies_when = { flags = ["有预付卡"] }'
    ),
}


@pytest.mark.parametrize("name", sorted(LINK_HOSTILE))
def test_bad_links_and_conditions_are_refused_naming_file_line_and_item(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    path.write_text(LINK_HOSTILE[name], "utf-8")
    assert main(["checklists", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert name in err and "第 17 行" in err and "条目 K1" in err, err
    assert "Input should" not in err  # said in Chinese


def test_two_county_files_answering_through_each_other_are_both_named(tmp_path: Path) -> None:
    county = tmp_path / "checklists"
    county.mkdir()
    (county / "one.toml").write_text(
        LINKED.format(id="county-one", extra='same_as = "county-two:K1"'), "utf-8"
    )
    (county / "two.toml").write_text(
        LINKED.format(id="county-two", extra='same_as = "county-one:K1"'), "utf-8"
    )
    problems = Library.load(county).problems
    assert len(problems) == 2
    assert all(
        "第 17 行，条目 K1：same_as 写的条目" in p and "本身也同别的条目" in p for p in problems
    )
    assert {p.split("，")[0] for p in problems} == {"one.toml", "two.toml"}
    # and neither link holds in an evaluation: each item is answered on its own
    from fieldapp.domain import links

    checklists = [
        Library.load(county).latest("county-one"),
        Library.load(county).latest("county-two"),
    ]
    assert links.links(checklists) == {}
