"""Adjusting the composed checklists when an evaluation starts (add or leave out a module)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldapp.cli import main
from fieldapp.errors import InvalidInput
from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as ev
from fieldapp.services import units as unit_service
from fieldapp.store import Store

SHOP = "92331122MA2A00018H"  # 一般单位, 超市: 八有八无 + general-1 + x-retail


@pytest.fixture
def shop_store(store: Store, data_path: Path) -> Store:
    with store.session() as session:
        import_units(session, data_path / "units-sample.csv", actor="测试")
    return store


def _pins(evaluation: ev.Evaluation) -> list[str]:
    return [p.checklist_id for p in evaluation.checklists]


def test_a_module_can_be_added_and_is_placed_in_display_order(shop_store: Store) -> None:
    with shop_store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        evaluation = ev.start(
            session, shop_store.library, unit, "routine", "张三", add=["x-pharmacy"]
        )
        # Same order value: modules of equal order sort by id.
        assert _pins(evaluation) == ["bayou-bawu", "general-1", "x-pharmacy", "x-retail"]
        assert [p.position for p in evaluation.checklists] == [0, 1, 2, 3]
        # Items of the added module can be answered.
        pharmacy = shop_store.library.latest("x-pharmacy")
        ev.answer(
            session,
            shop_store.library,
            evaluation,
            f"x-pharmacy:{pharmacy.items[0].code}",
            "pass",
        )


def test_a_composed_module_can_be_left_out(shop_store: Store) -> None:
    with shop_store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        evaluation = ev.start(
            session, shop_store.library, unit, "routine", "张三", remove=["x-retail"]
        )
        assert _pins(evaluation) == ["bayou-bawu", "general-1"]
        # Nothing of the left-out module is required to finalise.
        assert not any("x-retail" in m for m in ev.missing(session, shop_store.library, evaluation))


@pytest.mark.parametrize(
    ("add", "remove", "message"),
    [
        ((), ("bayou-bawu",), "每次评价都要检查的，不能去掉"),
        ((), ("general-1",), "每次评价都要检查的，不能去掉"),
        ((), ("x-pharmacy",), "「x-pharmacy」不在这家单位的检查表中"),
        (("x-nothing",), (), "没有检查表「x-nothing」"),
    ],
)
def test_bad_adjustments_are_refused_and_nothing_is_written(
    shop_store: Store, add: tuple[str, ...], remove: tuple[str, ...], message: str
) -> None:
    with pytest.raises(InvalidInput) as caught, shop_store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        ev.start(session, shop_store.library, unit, "routine", "张三", add=add, remove=remove)
    assert message in str(caught.value)
    with shop_store.read() as session:
        assert ev.list_evaluations(session) == []


def test_plan_shows_what_start_will_pin(shop_store: Store) -> None:
    with shop_store.read() as session:
        unit = unit_service.by_code(session, SHOP)
        planned = ev.plan_checklists(shop_store.library, unit, add=["x-online"])
        assert [c.id for c in planned][:2] == ["bayou-bawu", "general-1"]
        assert {"x-retail", "x-online"} <= {c.id for c in planned}


def test_cli_new_with_adjusted_checklists(
    capsys: pytest.CaptureFixture[str], data_path: Path
) -> None:
    assert main(["units", "import", str(data_path / "units-sample.csv")]) == 0
    capsys.readouterr()
    code = main(
        ["evaluations", "new", "--unit", SHOP, "--kind", "日常检查", "--inspector", "张三",
         "--add-checklist", "x-pharmacy", "--without", "x-retail"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "x-pharmacy 第 1 版" in out and "x-retail" not in out
    assert main(
        ["evaluations", "new", "--unit", SHOP, "--kind", "routine", "--inspector", "张三",
         "--without", "bayou-bawu"]
    ) == 1  # fmt: skip
    assert "不能去掉" in capsys.readouterr().err


def test_server_checklists_load_from_json_and_a_broken_one_is_named(tmp_path: Path) -> None:
    """Checklists the county server sent are saved as canonical JSON beside the county's own."""
    from fieldapp.checklists import BUNDLED_DIR, Library, load_file

    server_dir = tmp_path / "server"
    server_dir.mkdir()
    tourism = load_file(BUNDLED_DIR / "x-tourism.toml")
    newer = tourism.model_copy(update={"version": 3})
    (server_dir / "x-tourism-v3.json").write_text(newer.canonical_json(), encoding="utf-8")
    (server_dir / "broken-v1.json").write_text("{ not json", encoding="utf-8")
    library = Library.load(None, server_dir=server_dir)
    assert library.latest("x-tourism").version == 3
    assert [e.origin for e in library.all() if e.checklist.key == ("x-tourism", 3)] == ["server"]
    (problem,) = library.problems
    assert "broken-v1.json" in problem and "JSON 格式错误" in problem
