"""Task tables as counties print them (seed 002's annex; seed 000's annexes 1 and 2; seed 001's
multi-year plan; ratio targets), the deadlines of a task year, and what the targets beyond
station × unit type have achieved."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldapp.cli import main
from fieldapp.domain.lifecycle import State
from fieldapp.domain.targets import RatioKind, TargetKind
from fieldapp.domain.vocab import UnitType
from fieldapp.errors import InvalidInput
from fieldapp.imports.targets import import_denominators, import_targets
from fieldapp.services import plan, plan_progress
from fieldapp.services.stations import station_ids
from fieldapp.storage.models import PlanYear, RatioTarget, Station, Target, TaskPlan, Unit
from tests import lifecycle_helpers as lifecycle

TABLES = Path(__file__).resolve().parents[1] / "data" / "task-tables"
JINYUN = (
    "2023 年：单位 1122 家（一般 679、无理由退货 330、放心工厂 113），街区/乡村 5（街区 2、乡村 3）"
)

# Seed 002's annex, row by row: 一般, 无理由, 工厂; and where its 5 areas are.
JINYUN_UNITS = {
    "五云所": (258, 109, 8), "壶镇分局": (192, 109, 32), "仙都所": (65, 2, 0),
    "新碧所": (24, 27, 30), "新建所": (42, 27, 12), "舒洪所": (30, 18, 9),
    "东渡所": (27, 18, 11), "东方所": (17, 11, 8), "双溪口所": (24, 9, 3),
}  # fmt: skip
JINYUN_AREAS = {
    ("五云所", UnitType.DISTRICT),
    ("仙都所", UnitType.DISTRICT),
    ("壶镇分局", UnitType.VILLAGE),
    ("仙都所", UnitType.VILLAGE),
    ("舒洪所", UnitType.VILLAGE),
}


def stored(store) -> list[tuple[str | None, TargetKind, UnitType | None, str, int | None]]:
    with store.read() as session:
        rows = session.scalars(select(Target).order_by(Target.id))
        return [
            (
                t.station.name if t.station else None,
                t.kind,
                t.unit_type,
                t.industry,
                t.count,
            )
            for t in rows
        ]


def target_count(store) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(Target)) or 0)


# --- seed 002: the annex exactly as printed -----------------------------------------------------


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_jinyun_annex_as_printed(store, suffix) -> None:
    """Title, two header rows (其中 over 一般/无理由/工厂), "1 区"/"1 村" in one column, the 合计 and
    市局任务 rows and the 说明 line; the 19 村级联络站 of the text given for the county."""
    path = TABLES / f"jinyun-2023-annex.{suffix}"
    with store.session() as session:
        result = import_targets(session, path, county=[("村级联络站", 19)])
    assert result.lines == [JINYUN + "，县级：村级联络站 19"]
    rows = stored(store)
    by_station = {
        station: tuple(
            next(n for s, k, u, _, n in rows if s == station and u is t)
            for t in (UnitType.GENERAL, UnitType.NO_REASON_RETURN, UnitType.FACTORY)
        )
        for station in JINYUN_UNITS
    }
    assert by_station == JINYUN_UNITS
    assert [sum(column) for column in zip(*by_station.values(), strict=True)] == [679, 330, 113]
    assert sum(map(sum, by_station.values())) == 1122
    areas = {(s, u) for s, _, u, _, n in rows if u is not None and u.is_area}
    assert areas == JINYUN_AREAS
    assert all(n == 1 for _, _, u, _, n in rows if u is not None and u.is_area)
    assert (None, TargetKind.UNIT_TYPE, UnitType.VILLAGE_STATION, "", 19) in rows
    # 合计, 市局任务 and 说明 are checked or skipped, never stored as stations or figures.
    with store.read() as session:
        names = set(session.scalars(select(Station.name)))
    assert names == set(JINYUN_UNITS)
    assert len(rows) == 9 * 3 + 5 + 1


def test_jinyun_annex_reimported_changes_nothing(store) -> None:
    path = TABLES / "jinyun-2023-annex.csv"
    for _ in range(2):
        with store.session() as session:
            result = import_targets(session, path, county=[("村级联络站", 19)])
    assert target_count(store) == 33
    assert result.lines == [JINYUN + "，县级：村级联络站 19"]


def test_county_row_in_a_list(store, tmp_path) -> None:
    path = tmp_path / "县级.csv"
    path.write_text(
        "年度,所,类别,任务数\n2023,县局,村级联络站,19\n2023,五云所,一般单位,258\n", "utf-8"
    )
    with store.session() as session:
        result = import_targets(session, path)
    assert result.lines == ["2023 年：单位 258 家（一般 258），县级：村级联络站 19"]
    with store.read() as session:
        county = session.scalars(select(Target).where(Target.station_id.is_(None))).one()
        assert (county.unit_type, county.count) == (UnitType.VILLAGE_STATION, 19)
        assert plan.station_cells(session, 2023) == [
            plan.StationCell(2023, "五云所", UnitType.GENERAL, 258)
        ]


def test_county_figure_without_a_year_is_refused(store, tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("年度,所,类别,任务数\n2023,五云所,一般单位,3\n", "utf-8")
    with pytest.raises(InvalidInput) as caught, store.session() as session:
        import_targets(session, path, county=[("联络站", 19), ("大单位", 2)])
    text = str(caught.value)
    assert "--county：联络站=19：不知道是哪一年的任务，请用 --year 指定" in text
    assert "--county：未知的类别「大单位」" in text
    assert target_count(store) == 0


@pytest.mark.parametrize(
    "old, new, fragment",
    [
        ("合计,1122,679", "合计,1122,678", "第 14 行，列「其中 / 一般单位」：合计 678 与各所之和 679 不符"),
        ("五云所,375,", "五云所,376,", "第 5 行，列「放心消费单位总数」：总数 376 与各类之和 375 不符"),
        ("五云所,375,258,109,8,1 区", "五云所,375,258,109,8,1",
         "第 5 行，列「放心消费示范街区（商圈）村」：「1」没有写明是街区（区）还是乡村（村）"),
        ("合计,1122,679,330,113,5", "合计,1122,679,330,113,6",
         "第 14 行，列「放心消费示范街区（商圈）村」：合计 6 与各所之和 5 不符"),
        ("东方所,36,17,11,8,", "东方所,36,17,11,八,", "第 12 行，列「其中 / 放心工厂」：任务数应为整数"),
    ],
)  # fmt: skip
def test_jinyun_annex_that_does_not_add_up_is_refused(store, tmp_path, old, new, fragment) -> None:
    text = (TABLES / "jinyun-2023-annex.csv").read_text("utf-8")
    assert old in text
    path = tmp_path / "jinyun.csv"
    path.write_text(text.replace(old, new), "utf-8")
    with pytest.raises(InvalidInput) as caught, store.session() as session:
        import_targets(session, path, county=[("村级联络站", 19)])
    assert fragment in str(caught.value)
    assert "任务表未导入" in str(caught.value)
    assert target_count(store) == 0


def test_superior_task_above_the_split_is_a_warning(store, tmp_path) -> None:
    text = (TABLES / "jinyun-2023-annex.csv").read_text("utf-8")
    path = tmp_path / "jinyun.csv"
    path.write_text(text.replace("市局任务,1122,679", "市局任务,1130,687"), "utf-8")
    with store.session() as session:
        result = import_targets(session, path)
    assert result.warnings == [
        "第 15 行「放心消费单位总数」：市局任务 1130，各所合计只有 1122，少 8",
        "第 15 行「其中 / 一般单位」：市局任务 687，各所合计只有 679，少 8",
    ]


def test_title_year_and_command_year_must_agree(store) -> None:
    with pytest.raises(InvalidInput) as caught, store.session() as session:
        import_targets(session, TABLES / "jinyun-2023-annex.csv", year=2024)
    assert "标题写的是 2023 年，命令指定的是 --year 2024" in str(caught.value)


# --- unknown columns ----------------------------------------------------------------------------


def with_extra_column(tmp_path: Path, header: str = "联系人") -> Path:
    lines = (TABLES / "jinyun-2023-annex.csv").read_text("utf-8").splitlines()
    lines[2] += f",{header}"
    lines[4] += ",张三"
    path = tmp_path / "jinyun-extra.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_unknown_column_is_refused_naming_it(store, tmp_path) -> None:
    with pytest.raises(InvalidInput) as caught, store.session() as session:
        import_targets(session, with_extra_column(tmp_path))
    (problem,) = caught.value.problems
    assert (problem.row, problem.column) == (4, "联系人")
    assert "无法识别这一列，任务表未导入" in problem.message
    assert "--ignore-column 联系人" in problem.message
    assert target_count(store) == 0


def test_unknown_column_imports_when_ignored_and_is_named(store, tmp_path) -> None:
    with store.session() as session:
        result = import_targets(session, with_extra_column(tmp_path), ignore_columns=["联系人"])
    assert result.ignored_columns == ["联系人"]
    assert result.lines == [JINYUN]


def test_ignoring_a_column_the_file_does_not_have_is_refused(store) -> None:
    with pytest.raises(InvalidInput) as caught, store.session() as session:
        import_targets(session, TABLES / "jinyun-2023-annex.csv", ignore_columns=["联系人"])
    assert "--ignore-column「联系人」：文件中没有这一列" in str(caught.value)


def test_cli_import_prints_what_was_stored_and_the_ignored_column(tmp_path, capsys) -> None:
    path = with_extra_column(tmp_path)
    argv = ["targets", "import", str(path), "--county", "村级联络站=19"]
    assert main(argv) == 1
    assert "联系人" in capsys.readouterr().err
    assert main([*argv, "--ignore-column", "联系人"]) == 0
    out = capsys.readouterr().out
    assert f"  {JINYUN}，县级：村级联络站 19" in out
    assert "已按 --ignore-column 跳过的列：联系人（未导入）" in out
    assert main(["targets", "import", str(path), "--county", "村级联络站"]) == 2


# --- seed 000 -----------------------------------------------------------------------------------

SHAOXING = ("越城区", "柯桥区", "上虞区", "诸暨市", "嵊州市", "新昌县")


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_shaoxing_annex1_subsets_are_not_added_twice(store, suffix) -> None:
    with store.session() as session:
        result = import_targets(session, TABLES / f"shaoxing-2020-annex1.{suffix}")
    assert result.lines == [
        "2020 年：放心消费单位 17000 家（其中无理由退货 5700、放心工厂 5200），街区 10，"
        "放心农贸市场 41，农村家宴放心厨房 75，阳光厨房 559，放心化妆品示范经营单位 100，"
        "放心化妆品示范街区 1"
    ]
    with store.read() as session:
        rows = list(session.scalars(select(Target)))
        parents = [t for t in rows if t.kind is TargetKind.UNITS]
        assert [t.station.name for t in parents if t.station] == list(SHAOXING)
        assert sum(t.count or 0 for t in parents) == 17000
        subsets = [t for t in rows if t.parent_id is not None]
        assert {t.parent.kind for t in subsets if t.parent} == {TargetKind.UNITS}
        assert (
            sum(t.count or 0 for t in subsets if t.unit_type is UnitType.NO_REASON_RETURN) == 5700
        )
        assert sum(t.count or 0 for t in subsets if t.unit_type is UnitType.FACTORY) == 5200
        # Every stored figure that is not a subset: 17000 once, not 17000 + 5700 + 5200.
        units = [t for t in rows if t.parent_id is None and t.kind in (TargetKind.UNITS,)]
        assert sum(t.count or 0 for t in units) == 17000
        by_kind = {
            kind: sum(t.count or 0 for t in rows if t.kind is kind)
            for kind in (
                TargetKind.MARKET,
                TargetKind.BANQUET_KITCHEN,
                TargetKind.SUNSHINE_KITCHEN,
                TargetKind.COSMETICS_UNIT,
                TargetKind.COSMETICS_DISTRICT,
            )
        }
        assert list(by_kind.values()) == [41, 75, 559, 100, 1]
        districts = [t for t in rows if t.unit_type is UnitType.DISTRICT]
        assert sum(t.count or 0 for t in districts) == 10
        # The plain 示范街区 cells are the unit progress's; the rest are the plan's.
        assert len(plan.station_cells(session, 2020)) == 6


def test_shaoxing_subset_larger_than_its_figure_is_refused(store, tmp_path) -> None:
    text = (TABLES / "shaoxing-2020-annex1.csv").read_text("utf-8")
    path = tmp_path / "a1.csv"
    path.write_text(text.replace("越城区,2800,1000", "越城区,2800,3000"), "utf-8")
    with pytest.raises(InvalidInput) as caught, store.session() as session:
        import_targets(session, path)
    assert (
        "第 5 行，列「培育放心消费单位 / 其中：无理由 退货承诺单位」："
        "其中 3000 大于它所属的「培育放心消费单位 / 放心消费单位」2800" in str(caught.value)
    )
    assert target_count(store) == 0


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_shaoxing_annex2_industry_types_with_responsible_departments(store, suffix) -> None:
    with store.session() as session:
        result = import_targets(session, TABLES / f"shaoxing-2020-annex2.{suffix}")
    assert result.lines == [
        "2020 年：重点行业示范单位 178 家（14 种创建类型，16 项），待分解：景区，不单列：旅游商店"
    ]
    with store.read() as session:
        rows = list(session.scalars(select(Target)))
        check_annex2(rows)


def check_annex2(rows: list[Target]) -> None:
    assert all(t.kind is TargetKind.DEMONSTRATION for t in rows)
    lines = {(t.industry, t.responsible_dept) for t in rows}
    assert len(lines) == 18  # 序号 1–18
    depts = {industry: dept for industry, dept in lines if industry != "电信营业厅"}
    assert depts["消费品专业市场"] == "市市场监管局"  # merged with 放心农贸市场's cell
    assert depts["快递网点"] == "市邮政管理局"
    assert depts["汽车4S店"] == "市商务局 市市场监管局"
    assert {d for i, d in lines if i == "电信营业厅"} == {
        "电信绍兴分公司",
        "移动绍兴分公司",
        "联通绍兴分公司",
    }
    sectors = {t.industry: t.sector for t in rows}
    assert sectors["快递网点"] == "快递物流行业"
    assert sectors["旅行社"] == "旅游行业"
    per_district = {
        name: sum(t.count or 0 for t in rows if t.station and t.station.name == name)
        for name in SHAOXING
    }
    assert list(per_district.values()) == [34, 35, 30, 32, 23, 24]
    # 景区 is to be assigned: one county-level row without a count, never a 0 per district.
    scenic = [t for t in rows if t.industry == "景区"]
    assert [(t.station_id, t.count, t.note) for t in scenic] == [
        (None, None, "按省下达的任务指标另行分解")
    ]
    shops = [t for t in rows if t.industry == "旅游商店"]
    assert [(t.count, t.responsible_dept) for t in shops] == [(None, "市文广旅游局 市市场监管局")]


def test_annex2_as_the_text_extraction_has_it_is_refused_naming_the_column(store, tmp_path) -> None:
    """The seed's text puts 旅游商店's and 旅行社's 责任单位 in a column with no header: refused, not
    imported without them; with --ignore-column L it imports and says so."""
    lines = (TABLES / "shaoxing-2020-annex2.csv").read_text("utf-8").splitlines()
    lines = [line + "," for line in lines]
    lines[7] = "5,,旅游商店,统一纳入市市场监管局牵头的放心商店创建,,,,,,,,市文广旅游局 市市场监管局"
    lines[8] = "6,,旅行社,1,1,1,1,1,1,6,,市文广旅游局"
    path = tmp_path / "annex2-text.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(InvalidInput) as caught, store.session() as session:
        import_targets(session, path)
    (problem,) = caught.value.problems
    assert problem.column == "L 列（无表头）"
    assert "第 8、9 行有内容" in problem.message
    assert target_count(store) == 0
    with store.session() as session:
        result = import_targets(session, path, ignore_columns=["L"])
    assert result.ignored_columns == ["L"]


def test_industry_row_mixing_numbers_and_words_is_refused(store, tmp_path) -> None:
    text = (TABLES / "shaoxing-2020-annex2.csv").read_text("utf-8")
    path = tmp_path / "a2.csv"
    path.write_text(
        text.replace(
            "4,旅游行业,景区,按省下达的任务指标另行分解,,",
            "4,旅游行业,景区,按省下达的任务指标另行分解,3,",
        ),
        "utf-8",
    )
    with pytest.raises(InvalidInput) as caught, store.session() as session:
        import_targets(session, path)
    assert "第 7 行，列「越城区」：任务数应为整数，实际为「按省下达的任务指标另行分解」" in str(
        caught.value
    )


# --- seed 001: a multi-year plan; ratio targets ---------------------------------------------------


def test_wenzhou_plan_with_a_first_year_share(store) -> None:
    with store.session() as session:
        result = import_targets(session, TABLES / "wenzhou-2017-2020-plan.csv")
    assert result.lines == [
        "2020 年：2017—2020 年计划（2020 年底完成，2017 年完成三分之一）：县级：放心农贸市场 110，"
        "放心化妆品示范经营单位 600，重点行业示范单位 2290 家（4 种创建类型，4 项）"
    ]
    with store.read() as session:
        (task_plan,) = session.scalars(select(TaskPlan))
        assert (task_plan.start_year, task_plan.end_year) == (2017, 2020)
        assert (task_plan.first_share_num, task_plan.first_share_den) == (1, 3)
        first = plan_progress.compute(session, 2017, today=date(2017, 12, 31))
        last = plan_progress.compute(session, 2020, today=date(2020, 12, 31))
        between = plan_progress.compute(session, 2018, today=date(2018, 12, 31))
    due = {r.label: r.target for r in first.rows}
    assert due["放心农贸市场"] == 37  # a third of 110, rounded up
    assert due["放心商店"] == 230
    assert {r.label: r.target for r in last.rows}["放心农贸市场"] == 110
    assert {r.label: r.target for r in between.rows}["放心餐饮店"] == 850
    assert "2017 年底应完成三分之一（110 的 37）" in first.rows[0].plan


def test_ratio_targets_with_denominators_per_station(store, tmp_path) -> None:
    with store.session() as session:
        import_targets(session, TABLES / "shaoxing-2020-ratios.csv")
    denominators = tmp_path / "分母.csv"
    denominators.write_text(
        "年度,所,指标,分母\n"
        "2020,越城区,放心消费单位占市场有效主体比例,20\n"
        "2020,柯桥区,放心消费单位占市场有效主体比例,30\n"
        "2020,全市,乡镇(街道)参与创建覆盖率,2\n",
        "utf-8",
    )
    with store.session() as session:
        result = import_denominators(session, denominators)
        ids, _ = station_ids(session, ["越城区", "柯桥区"])
        named_unit(session, "R1", ids["越城区"], town="府山街道")
        active_unit(session, "R2", ids["越城区"], town="府山街道")
    assert result.layout == "分母"
    with store.read() as session:
        report = plan_progress.compute(session, 2020, today=date(2020, 12, 1))
    share = {r.scope: r for r in report.ratios if r.kind is RatioKind.UNIT_SHARE}
    assert (share["越城区"].numerator, share["越城区"].denominator) == (2, 20)
    assert share["越城区"].threshold == pytest.approx(0.05)  # the county's, entered once
    assert share["越城区"].met is True
    assert (share["县级"].denominator, share["县级"].denominator_note) == (50, "各所分母之和")
    town = next(r for r in report.ratios if r.kind is RatioKind.TOWN_COVERAGE)
    assert (town.numerator, town.denominator, town.met) == (1, 2, False)
    industry = next(r for r in report.ratios if r.kind is RatioKind.INDUSTRY_COVERAGE)
    assert (industry.denominator, industry.met) == (None, None)


def test_denominator_without_a_ratio_target_is_refused(store, tmp_path) -> None:
    path = tmp_path / "分母.csv"
    path.write_text("年度,所,指标,分母\n2020,越城区,市场参与率,12\n", "utf-8")
    with pytest.raises(InvalidInput) as caught, store.session() as session:
        import_denominators(session, path)
    assert "2020 年没有「市场参与创建率」的比例目标" in str(caught.value)
    with store.read() as session:
        assert session.scalars(select(RatioTarget)).all() == []


# --- deadlines ----------------------------------------------------------------------------------


def test_deadlines_default_to_june_and_november(store) -> None:
    with store.read() as session:
        assert plan.deadlines_for(session, 2023) == (date(2023, 6, 30), date(2023, 11, 30))


def test_deadlines_are_set_per_year(store) -> None:
    with store.session() as session:
        plan.set_deadlines(session, 2023, first_due=date(2023, 7, 15), source="上级要求")
    with store.session() as session:
        plan.set_deadlines(session, 2023, final_due=date(2023, 11, 20))
    with store.read() as session:
        assert plan.deadlines_for(session, 2023) == (date(2023, 7, 15), date(2023, 11, 20))
        assert plan.deadlines_for(session, 2024) == (date(2024, 6, 30), date(2024, 11, 30))
        assert session.get(PlanYear, 2023).source == "上级要求"


def test_cli_deadlines(capsys, store) -> None:  # an existing store: it is never created
    assert main(["targets", "deadlines", "--year", "2023"]) == 0
    assert "未设置，按默认 6月30日、11月30日" in capsys.readouterr().out
    assert main(["targets", "deadlines", "--year", "2023", "--june", "2023-07-15"]) == 0
    capsys.readouterr()
    assert main(["targets", "deadlines", "--year", "2023", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "year": 2023,
        "first_due": "2023-07-15",
        "final_due": "2023-11-30",
        "set": True,
    }
    assert main(["targets", "deadlines", "--year", "2023", "--november", "2023-07-01"]) == 1
    assert "6月底节点 2023-07-15 应早于 11月底节点 2023-07-01" in capsys.readouterr().err
    assert main(["targets", "deadlines", "--year", "2023", "--june", "2024-06-30"]) == 1
    assert "不在 2023 年内" in capsys.readouterr().err


# --- achieved -----------------------------------------------------------------------------------


def active_unit(session, code: str, station_id: int, **fields) -> Unit:
    unit = Unit(
        credit_code=code,
        name=fields.pop("name", f"单位{code}"),
        station_id=station_id,
        unit_type=fields.pop("unit_type", UnitType.GENERAL),
        **fields,
    )
    session.add(unit)
    session.flush()
    lifecycle.move(session, unit, State.CULTIVATING, on=date(2020, 3, 1), today=date(2020, 12, 1))
    return unit


def named_unit(session, code: str, station_id: int, **fields) -> Unit:
    unit = active_unit(session, code, station_id, **fields)
    for state, on in ((State.COMMITTED, date(2020, 4, 1)), (State.EVALUATING, date(2020, 8, 1))):
        lifecycle.move(session, unit, state, on=on, today=date(2020, 12, 1))
    lifecycle.name(session, unit, on=date(2020, 9, 1), today=date(2020, 12, 1))
    return unit


def test_plan_progress_counts_categories_subsets_and_county_rows(store) -> None:
    with store.session() as session:
        import_targets(session, TABLES / "shaoxing-2020-annex1.csv")
        import_targets(session, TABLES / "shaoxing-2020-annex2.csv")
        ids, _ = station_ids(session, ["越城区"])
        here = ids["越城区"]
        named_unit(session, "M1", here, industry="market", name="越城区放心农贸市场")
        active_unit(session, "M2", here, industry="market")  # not named yet: not a 放心农贸市场
        named_unit(session, "T1", here, category="电信营业厅", name="越城电信营业厅")
        named_unit(session, "K1", here, category="农村家宴放心厨房")
        active_unit(session, "N1", here, unit_type=UnitType.NO_REASON_RETURN)
    with store.read() as session:
        report = plan_progress.compute(session, 2020, today=date(2020, 12, 1))
    rows = {(r.scope, r.label): r for r in report.rows}
    yue = lambda label: rows[("越城区", label)]  # noqa: E731
    assert (yue("放心消费单位").target, yue("放心消费单位").achieved) == (2800, 5)
    subset = yue("其中：无理由退货")
    assert (subset.target, subset.achieved, subset.parent) == (1000, 1, "放心消费单位")
    market = [r for r in report.rows if r.scope == "越城区" and r.label == "放心农贸市场"]
    assert [(r.kind, r.achieved) for r in market] == [
        (TargetKind.MARKET, 1),
        (TargetKind.DEMONSTRATION, 1),
    ]
    assert (yue("农村家宴放心厨房").achieved, yue("阳光厨房").achieved) == (1, 0)
    telecom = yue("电信营业厅")
    assert (telecom.target, telecom.achieved) == (6, 1)
    assert telecom.responsible == "电信绍兴分公司、移动绍兴分公司、联通绍兴分公司"
    scenic = rows[("县级", "景区")]
    assert (scenic.target, scenic.achieved, scenic.status) == (None, None, "待分解")
    assert rows[("县级", "旅游商店")].status == "不单列"
    assert report.as_dict()["rows"][0]["status"] in ("待分解", "不单列")


def test_county_village_stations_are_counted_across_stations(store) -> None:
    with store.session() as session:
        import_targets(session, TABLES / "jinyun-2023-annex.csv", county=[("村级联络站", 19)])
        ids, _ = station_ids(session, ["五云所", "壶镇分局"])
        for code, station in (("V1", "五云所"), ("V2", "壶镇分局")):
            unit = Unit(
                credit_code=code,
                name=f"联络站{code}",
                station_id=ids[station],
                unit_type=UnitType.VILLAGE_STATION,
            )
            session.add(unit)
            session.flush()
            lifecycle.move(
                session, unit, State.CULTIVATING, on=date(2023, 3, 1), today=date(2023, 7, 1)
            )
    with store.read() as session:
        report = plan_progress.compute(session, 2023, today=date(2023, 7, 1))
    (row,) = report.rows  # the station × unit-type cells are the unit progress's
    assert (row.scope, row.target, row.achieved) == ("县级", 19, 2)


def test_progress_command_shows_the_plan(store, capsys) -> None:
    with store.session() as session:
        import_targets(session, TABLES / "jinyun-2023-annex.csv", county=[("村级联络站", 19)])
        import_targets(session, TABLES / "shaoxing-2020-annex2.csv")
    assert main(["progress", "--year", "2023", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (row,) = data["plan"]["rows"]
    assert (row["scope"], row["unit_type"], row["target"]) == ("县级", "village_station", 19)
    assert main(["progress", "--year", "2020"]) == 0
    out = capsys.readouterr().out
    assert "2020 年其他任务" in out
    assert "按省下达的任务指标另行分解" in out


@pytest.mark.parametrize(
    "old, new, fragment",
    [
        ("越城区,2800,1000", "越城区,,1000",
         "第 5 行，列「培育放心消费单位 / 其中：无理由 退货承诺单位」：有其中数 1000，但它所属的"),
        ("放心化妆品 示范街区", "城乡放心 农贸市场",
         "「城乡放心 农贸市场」和「城乡放心 农贸市场」是同一列，请删去一个"),
    ],
)  # fmt: skip
def test_annex1_with_a_blank_figure_or_a_column_twice_is_refused(
    store, tmp_path, old, new, fragment
) -> None:
    text = (TABLES / "shaoxing-2020-annex1.csv").read_text("utf-8")
    path = tmp_path / "a1.csv"
    path.write_text(text.replace(old, new), "utf-8")
    with pytest.raises(InvalidInput) as caught, store.session() as session:
        import_targets(session, path)
    assert fragment in str(caught.value)
    assert target_count(store) == 0
