"""A county checklist file cannot stop the app from starting (issue 16, item 6): an enormous
version, deep nesting or a huge file is refused by ``checklists check`` naming the file, and at
start it is listed as a problem while everything else loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fieldapp.checklists import loader
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
