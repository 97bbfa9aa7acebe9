"""Task tables (the Jinyun 2023 fixture) and progress counted as stock + new."""

from __future__ import annotations

import csv
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from fieldapp.domain.lifecycle import State
from fieldapp.domain.vocab import UnitType
from fieldapp.errors import InvalidInput
from fieldapp.imports.targets import import_targets
from fieldapp.services import progress
from fieldapp.services.stations import station_ids
from fieldapp.storage.models import Target, Unit
from tests import lifecycle_helpers as lifecycle

# Seed 002's annex, row by row: 一般, 无理由, 工厂, 街区, 乡村.
JINYUN_2023 = {
    "五云所": (258, 109, 8, 1, 0),
    "壶镇分局": (192, 109, 32, 0, 1),
    "仙都所": (65, 2, 0, 1, 1),
    "新碧所": (24, 27, 30, 0, 0),
    "新建所": (42, 27, 12, 0, 0),
    "舒洪所": (30, 18, 9, 0, 1),
    "东渡所": (27, 18, 11, 0, 0),
    "东方所": (17, 11, 8, 0, 0),
    "双溪口所": (24, 9, 3, 0, 0),
}
TYPES = (
    UnitType.GENERAL,
    UnitType.NO_REASON_RETURN,
    UnitType.FACTORY,
    UnitType.DISTRICT,
    UnitType.VILLAGE,
)
STATION_TOTALS = {"五云所": 375, "壶镇分局": 333, "仙都所": 67, "新碧所": 81, "新建所": 81,
                  "舒洪所": 57, "东渡所": 56, "东方所": 36, "双溪口所": 36}  # fmt: skip


def check_jinyun(store) -> None:
    with store.read() as session:
        report = progress.compute(session, 2023, today=date(2023, 7, 1))
    got = {(c.station, c.unit_type): c.target for c in report.cells}
    for station, counts in JINYUN_2023.items():
        for unit_type, count in zip(TYPES, counts, strict=True):
            assert got.get((station, unit_type), 0) == count, (station, unit_type)
        units = sum(got.get((station, t), 0) for t in TYPES[:3])
        assert units == STATION_TOTALS[station]
    by_type = report.by_type()
    assert report.total("units").target == 1122
    assert [by_type[t].target for t in TYPES[:3]] == [679, 330, 113]
    assert report.total("areas").target == 5
    assert (by_type[UnitType.DISTRICT].target, by_type[UnitType.VILLAGE].target) == (2, 3)
    assert report.cells[0].station == "五云所"


@pytest.mark.parametrize("name", ["jinyun-2023-targets.csv", "jinyun-2023-targets-wide.csv"])
def test_jinyun_2023_table_is_reproduced(store, data_path, name) -> None:
    with store.session() as session:
        result = import_targets(session, data_path / name, year=2023 if "wide" in name else None)
    assert result.lines == [
        "2023 年：单位 1122 家（一般 679、无理由退货 330、放心工厂 113），街区/乡村 5（街区 2、乡村 3）"
    ]
    check_jinyun(store)


def test_jinyun_table_from_xlsx(store, data_path, tmp_path) -> None:
    book = openpyxl.Workbook()
    with (data_path / "jinyun-2023-targets.csv").open(encoding="utf-8") as handle:
        for row in csv.reader(handle):
            book.active.append([int(c) if c.isdigit() else c for c in row])
    path = tmp_path / "targets.xlsx"
    book.save(path)
    with store.session() as session:
        import_targets(session, path)
    check_jinyun(store)


def test_reimport_replaces_counts_without_duplicates(store, data_path, tmp_path) -> None:
    with store.session() as session:
        import_targets(session, data_path / "jinyun-2023-targets.csv")
    path = tmp_path / "fix.csv"
    path.write_text("年度,所,单位类型,任务数\n2023,五云所,一般单位,260\n", encoding="utf-8")
    with store.session() as session:
        import_targets(session, path)
    with store.read() as session:
        assert len(session.scalars(select(Target)).all()) == 32
        report = progress.compute(session, 2023, today=date(2023, 7, 1))
    assert report.total("units").target == 1124


def test_wide_total_that_does_not_add_up_is_refused(store, data_path, tmp_path) -> None:
    text = (data_path / "jinyun-2023-targets-wide.csv").read_text(encoding="utf-8")
    path = tmp_path / "wide.csv"
    path.write_text(
        text.replace("五云所,375,", "五云所,376,").replace("合计,1122,679", "合计,1122,678"),
        "utf-8",
    )
    with pytest.raises(InvalidInput) as caught, store.session() as session:
        import_targets(session, path, year=2023)
    messages = [(p.row, p.column, p.message) for p in caught.value.problems]
    assert (2, "放心消费单位总数", "总数 376 与各类之和 375 不符") in messages
    assert (11, "一般单位", "合计 678 与各所之和 679 不符") in messages
    with store.read() as session:
        assert session.scalars(select(Target)).all() == []


@pytest.mark.parametrize(
    "body, fragment",
    [
        (
            "年度,所,单位类型,任务数\n2023,五云所,大单位,5\n",
            "第 2 行，列「单位类型」：未知的单位类型「大单位」",
        ),
        (
            "年度,所,单位类型,任务数\n2023,五云所,一般单位,很多\n",
            "第 2 行，列「任务数」：任务数应为整数",
        ),
        ("年度,所,单位类型,任务数\n2023,五云所,一般单位,-3\n", "任务数不能为负数"),
        ("年度,所,单位类型,任务数\n1899,五云所,一般单位,3\n", "年度 1899 不合理"),
        ("年度,所,单位类型,任务数\n2023,,一般单位,3\n", "所不能为空"),
        ("所,单位类型,任务数\n五云所,一般单位,3\n", "缺少必需的列：年度"),
        ("年度,所,单位类型,任务数\n2023,五云所,一般单位,3\n2023,五云所,一般,4\n", "与第 2 行重复"),
        ("所,备注\n五云所,无\n", "没有找到任务数的列"),
    ],
)
def test_bad_target_files(store, tmp_path, body, fragment) -> None:
    path = tmp_path / "targets.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught, store.session() as session:
        import_targets(session, path)
    assert fragment in str(caught.value)
    with store.read() as session:
        assert session.scalars(select(Target)).all() == []


def add_unit(session, code: str, station_id: int, unit_type: str = "general") -> Unit:
    unit = Unit(
        credit_code=code, name=f"单位{code[-4:]}", station_id=station_id, unit_type=unit_type
    )
    session.add(unit)
    session.flush()
    return unit


def test_progress_counts_surviving_stock_plus_new(store) -> None:
    """任务数包括去年建成的现存数量、今年新培育的数量."""
    today = date(2024, 11, 1)
    with store.session() as session:
        ids, _ = station_ids(session, ["五云所"])
        station = ids["五云所"]
        session.add(Target(year=2024, station_id=station, unit_type="general", count=4))

        def walk(code: str, steps: list[tuple[State, date]], reason: str = "") -> Unit:
            unit = add_unit(session, code, station)
            for state, on in steps:
                lifecycle.move(session, unit, state, actor="t", on=on, today=today, reason=reason)
            return unit

        # stock: confirmed in 2023, re-evaluated in 2024
        walk("A0000001", [(State.CULTIVATING, date(2023, 2, 1)), (State.COMMITTED, date(2023, 3, 1)),
                          (State.EVALUATING, date(2023, 9, 1)), (State.CONFIRMED, date(2023, 10, 1)),
                          (State.EVALUATING, date(2024, 9, 1)), (State.CONFIRMED, date(2024, 9, 5))])  # fmt: skip
        # new this year, sticker posted
        new = walk("A0000002", [(State.CULTIVATING, date(2024, 3, 1)), (State.COMMITTED, date(2024, 4, 1)),
                                (State.EVALUATING, date(2024, 8, 1)), (State.CONFIRMED, date(2024, 8, 2))])  # fmt: skip
        lifecycle.sticker(session, new, actor="t", on=date(2024, 8, 10), today=today)
        # built last year but closed this year: does not survive
        walk(
            "A0000003",
            [(State.CULTIVATING, date(2023, 2, 1)), (State.CLOSED, date(2024, 5, 1))],
            "关停",
        )
        # still only a candidate: not counted
        walk("A0000004", [(State.CANDIDATE, date(2024, 1, 1))])
    with store.read() as session:
        report = progress.compute(session, 2024, today=today)
        last_year = progress.compute(session, 2023, today=today)
    cell = report.cells[0]
    assert (cell.target, cell.stock, cell.new, cell.achieved) == (4, 1, 1, 2)
    assert (cell.confirmed, cell.stickers) == (2, 1)
    assert cell.ratio == 0.5
    # 2023 as it stood on 31 December: two units in the pool, both new that year.
    old = last_year.cells[0]
    assert (old.stock, old.new, old.confirmed) == (0, 2, 1)


def test_deadlines_count_days_to_june_and_november() -> None:
    marks = progress.deadlines(2026, date(2026, 6, 1))
    assert [(d.due, d.days_left) for d in marks] == [
        (date(2026, 6, 30), 29),
        (date(2026, 11, 30), 182),
    ]
