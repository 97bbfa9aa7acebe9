"""Imports never lose data: absent columns and empty cells keep the stored value, every change
is an event naming the file and row, unknown columns are refused, and the lifecycle and 命名
rules of the one write path hold for a file as for a manual change."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldapp.cli import main
from fieldapp.domain.events import EventKind
from fieldapp.domain.lifecycle import ExitReason, State
from fieldapp.errors import InvalidInput
from fieldapp.imports.units import import_units
from fieldapp.services.unit_changes_bulk import HISTORY_NOTE
from fieldapp.storage.models import Unit, UnitEvent
from fieldapp.store import Store

SHOP = "92331122MA2A00018H"  # 好又多超市, 五云所, 培育库 in units-sample.csv (row 2)
FACTORY = "91331122MA2A000425"  # 鑫源食品, 新碧所, 后评价 (row 5)
CANDIDATE = "92331122MA2A00050W"  # 乐购便利店, 选育池 (row 6)
SHOP_ROW = [
    SHOP,
    "缙云县五云好又多超市",
    "浙江省丽水市缙云县五云街道解放街12号",
    "五云所",
    "一般单位",
]
FACTORY_ROW = [
    FACTORY,
    "缙云县新碧鑫源食品有限公司",
    "浙江省丽水市缙云县新碧街道工业区大道88号",
    "新碧所",
    "放心工厂",
]
CANDIDATE_ROW = [
    CANDIDATE,
    "缙云县五云乐购便利店",
    "浙江省丽水市缙云县五云街道仁岸路5号",
    "五云所",
    "一般单位",
]
BASIC = ["统一社会信用代码", "单位名称", "经营地址", "所属所", "单位类型"]
YEAR = date.today().year


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def do_import(store: Store, path: Path, **kwargs):  # type: ignore[no-untyped-def]
    with store.session() as session:
        return import_units(session, path, actor="测试", **kwargs)


def unit_of(session, code: str) -> Unit:  # type: ignore[no-untyped-def]
    unit = session.scalar(select(Unit).where(Unit.credit_code == code))
    assert unit is not None
    return unit


def changes(unit: Unit) -> list[UnitEvent]:
    """The unit's events after its first one (the import that created it)."""
    return unit.events[1:]


@pytest.fixture
def sample(store: Store, data_path: Path) -> Store:
    do_import(store, data_path / "units-sample.csv")
    return store


def test_a_file_without_some_columns_keeps_what_it_does_not_have(sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    row = [*SHOP_ROW]
    row[2] = "浙江省丽水市缙云县五云街道解放街99号"
    result = do_import(sample, write(tmp_path / "名单.csv", BASIC, [row]))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    with sample.read() as session:
        unit = unit_of(session, SHOP)
        assert unit.address.endswith("解放街99号")
        # 行业, 负责人, 电话 and 状态 were not in the file: all kept.
        assert (unit.industry, unit.contact_person, unit.contact_phone) == (
            "retail",
            "王芳",
            "13857800001",
        )
        assert unit.state == State.CULTIVATING
        assert [e.kind for e in changes(unit)] == [EventKind.ADDRESS]
        assert session.scalar(select(func.count(Unit.id))) == 5


def test_an_empty_cell_keeps_the_value_unless_blank_clears(sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = [*BASIC, "行业", "负责人", "联系电话"]
    path = write(tmp_path / "空格.csv", header, [[*SHOP_ROW, "", "", ""]])
    result = do_import(sample, path)
    assert (result.updated, result.unchanged, result.events.total()) == (0, 1, 0)
    with sample.read() as session:
        unit = unit_of(session, SHOP)
        assert (unit.industry, unit.contact_person, unit.contact_phone) == (
            "retail",
            "王芳",
            "13857800001",
        )
    result = do_import(sample, path, blank_clears=True)
    assert result.updated == 1
    with sample.read() as session:
        unit = unit_of(session, SHOP)
        assert (unit.industry, unit.contact_person, unit.contact_phone) == (None, "", "")
        assert {(e.kind, e.field, e.old_value, e.new_value) for e in changes(unit)} == {
            (EventKind.INDUSTRY, "industry", "retail", None),
            (EventKind.DETAILS, "contact_person", "王芳", ""),
            (EventKind.DETAILS, "contact_phone", "13857800001", ""),
        }


def test_every_change_is_an_event_of_its_kind_naming_file_and_row(sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = [*BASIC, "行业", "负责人", "审慎培育"]
    moved = [
        SHOP,
        SHOP_ROW[1],
        "仙都街道黄龙路1号",
        "仙都所",
        "无理由退货单位",
        "餐饮",
        "赵六",
        "是",
    ]
    rows = [[*CANDIDATE_ROW, "便利店", "刘洋", "否"], moved]
    result = do_import(sample, write(tmp_path / "变更.csv", header, rows))
    assert (result.updated, result.unchanged) == (1, 1)
    assert dict(result.events) == {
        EventKind.STATION: 1,
        EventKind.ADDRESS: 1,
        EventKind.UNIT_TYPE: 1,
        EventKind.INDUSTRY: 1,
        EventKind.PRUDENT: 1,
        EventKind.DETAILS: 1,
    }
    with sample.read() as session:
        unit = unit_of(session, SHOP)
        assert (unit.station.name, unit.unit_type, unit.industry, unit.prudent) == (
            "仙都所",
            "no_reason_return",
            "catering",
            True,
        )
        events = changes(unit)
        assert {(e.kind, e.field, e.old_value, e.new_value) for e in events} == {
            (EventKind.STATION, "station", "五云所", "仙都所"),
            (EventKind.ADDRESS, "address", SHOP_ROW[2], "仙都街道黄龙路1号"),
            (EventKind.UNIT_TYPE, "unit_type", "general", "no_reason_return"),
            (EventKind.INDUSTRY, "industry", "retail", "catering"),
            (EventKind.PRUDENT, "prudent", "否", "是"),
            (EventKind.DETAILS, "contact_person", "王芳", "赵六"),
        }
        assert {(e.source, e.actor, e.from_state, e.to_state) for e in events} == {
            ("导入 变更.csv 第 3 行", "测试", State.CULTIVATING, State.CULTIVATING)
        }
        assert unit.version == 2


def test_the_prudent_flag_is_stored_and_kept_when_absent(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    do_import(store, write(tmp_path / "a.csv", [*BASIC, "审慎培育"], [[*SHOP_ROW, "是"]]))
    do_import(store, write(tmp_path / "b.csv", BASIC, [SHOP_ROW]))
    with store.read() as session:
        assert unit_of(session, SHOP).prudent is True
    do_import(store, write(tmp_path / "c.csv", [*BASIC, "审慎培育"], [[*SHOP_ROW, "否"]]))
    with store.read() as session:
        unit = unit_of(session, SHOP)
        assert unit.prudent is False
        assert [(e.kind, e.old_value, e.new_value, e.source) for e in changes(unit)] == [
            (EventKind.PRUDENT, "是", "否", "导入 c.csv 第 2 行")
        ]


def test_an_unknown_column_is_refused_naming_it(store, data_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with (data_path / "units-sample.csv").open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    path = write(tmp_path / "备注.csv", [*header, "备注"], [[*r, "老客户"] for r in rows])
    with pytest.raises(InvalidInput) as caught:
        do_import(store, path)
    text = str(caught.value)
    assert "备注.csv" in text and "「备注」" in text and "--ignore-column 备注" in text
    assert [(p.where, p.row, p.column) for p in caught.value.problems] == [("备注.csv", 1, "备注")]
    with store.read() as session:
        assert session.scalar(select(func.count(Unit.id))) == 0
    result = do_import(store, path, ignore_columns=["备注"])
    assert result.created == 5 and result.ignored_columns == ["备注"]


def test_a_column_with_data_but_no_header_is_refused(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    empty = write(tmp_path / "empty.csv", [*BASIC, ""], [[*SHOP_ROW, ""]])
    assert do_import(store, empty).created == 1
    filled = write(tmp_path / "filled.csv", [*BASIC, ""], [[*CANDIDATE_ROW, "老客户"]])
    with pytest.raises(InvalidInput) as caught:
        do_import(store, filled)
    assert "第 F 列没有表头却有数据" in str(caught.value)
    assert caught.value.problems[0].column == "F 列（无表头）"


def test_a_required_column_cannot_be_ignored(store, data_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="「单位名称」是必需的列"):
        do_import(store, data_path / "units-sample.csv", ignore_columns=["单位名称"])


def test_a_state_change_that_breaks_the_lifecycle_names_row_and_column(sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = [*BASIC, "状态"]
    rows = [[*SHOP_ROW, "培育库"], [*CANDIDATE_ROW, "承诺公示"]]
    with pytest.raises(InvalidInput) as caught:
        do_import(sample, write(tmp_path / "跳级.csv", header, rows))
    [problem] = caught.value.problems
    assert (problem.where, problem.row, problem.column) == ("跳级.csv", 3, "状态")
    assert "不能从「选育池」变为「承诺公示」" in problem.message
    with sample.read() as session:
        assert unit_of(session, CANDIDATE).state == State.CANDIDATE


def test_removal_needs_a_coded_reason_from_its_column(sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "移出.csv", [*BASIC, "状态"], [[*SHOP_ROW, "移出"]])
    with pytest.raises(InvalidInput) as caught:
        do_import(sample, path)
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (2, "状态")
    assert "移出必须选择原因" in problem.message and "「移出原因」列" in problem.message
    header = [*BASIC, "状态", "移出原因", "原因"]
    path = write(tmp_path / "移出2.csv", header, [[*SHOP_ROW, "移出", "多次违法违规", "两次处罚"]])
    result = do_import(sample, path)
    assert result.state_changes == 1 and result.events == {EventKind.STATE: 1}
    with sample.read() as session:
        unit = unit_of(session, SHOP)
        assert unit.state == State.REMOVED
        [event] = changes(unit)
        assert (event.from_state, event.to_state, event.exit_reason) == (
            State.CULTIVATING,
            State.REMOVED,
            ExitReason.VIOLATIONS,
        )
        assert (event.reason, event.source) == ("两次处罚", "导入 移出2.csv 第 2 行")


def test_an_exit_reason_on_a_row_that_is_not_removed_is_refused(sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "x.csv", [*BASIC, "状态", "移出原因"], [[*SHOP_ROW, "培育库", "其他"]])
    with pytest.raises(InvalidInput) as caught:
        do_import(sample, path)
    assert caught.value.problems[0].column == "移出原因"


def test_a_warning_needs_a_reason(sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = [*BASIC, "状态", "原因"]
    with pytest.raises(InvalidInput, match="变为「预警库」必须填写原因"):
        do_import(sample, write(tmp_path / "w.csv", header, [[*FACTORY_ROW, "预警库", ""]]))
    do_import(sample, write(tmp_path / "w2.csv", header, [[*FACTORY_ROW, "预警库", "价格未公示"]]))
    with sample.read() as session:
        unit = unit_of(session, FACTORY)
        assert unit.state == State.WARNING and changes(unit)[-1].reason == "价格未公示"


def test_a_state_date_before_the_last_change_is_refused(sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    row = [*FACTORY_ROW, "预警库", f"{YEAR - 3}-01-05", "价格未公示"]
    path = write(tmp_path / "d.csv", [*BASIC, "状态", "状态日期", "原因"], [row])
    with pytest.raises(InvalidInput) as caught:
        do_import(sample, path)
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (2, "状态日期")
    assert "历史记录必须按时间先后" in problem.message


def test_naming_without_a_passing_evaluation_this_year_is_refused(sample, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path / "命名.csv", [*BASIC, "状态"], [[*FACTORY_ROW, "放心消费单位"]])
    with pytest.raises(InvalidInput) as caught:
        do_import(sample, path)
    [problem] = caught.value.problems
    assert (problem.where, problem.row, problem.column) == ("命名.csv", 2, "状态")
    assert f"没有 {YEAR} 年已定稿且通过的后评价" in problem.message
    assert "请先完成该单位的后评价并定稿" in problem.message
    result = do_import(sample, path, skip_invalid=True)
    assert result.skipped == [problem] and result.events.total() == 0
    with sample.read() as session:
        assert unit_of(session, FACTORY).state == State.EVALUATING


def _passing_evaluation(store: Store, code: str, signature: Path) -> int:
    """A finalised, passing 后评价 of the unit, visited today."""
    from fieldapp.services import evaluations as ev
    from tests.unit.test_evaluations import _answer_all, _sign_both

    with store.session() as session:
        evaluation = ev.start(
            session, store.library, unit_of(session, code), "post_evaluation", "张三"
        )
        _answer_all(store, session, evaluation)
        _sign_both(store, session, evaluation, signature)
        ev.finalize(session, store.library, evaluation)
        return evaluation.id


def test_naming_rests_on_the_passing_evaluation(sample, tmp_path, signature) -> None:  # type: ignore[no-untyped-def]
    evaluation_id = _passing_evaluation(sample, FACTORY, signature)
    path = write(tmp_path / "命名.csv", [*BASIC, "状态"], [[*FACTORY_ROW, "放心消费单位"]])
    do_import(sample, path)
    with sample.read() as session:
        unit = unit_of(session, FACTORY)
        event = changes(unit)[-1]
        assert unit.state == State.CONFIRMED
        assert (event.evaluation_id, event.county_confirmed) == (evaluation_id, False)
        assert HISTORY_NOTE not in event.reason


def test_prudent_set_in_the_same_row_holds_the_naming_for_the_county(
    sample, tmp_path, signature
) -> None:  # type: ignore[no-untyped-def]
    _passing_evaluation(sample, FACTORY, signature)
    header = [*BASIC, "审慎培育", "状态"]
    path = write(tmp_path / "审慎.csv", header, [[*FACTORY_ROW, "是", "放心消费单位"]])
    with pytest.raises(InvalidInput) as caught:
        do_import(sample, path)
    [problem] = caught.value.problems
    assert problem.column == "状态" and "命名须县局确认" in problem.message
    with sample.read() as session:
        unit = unit_of(session, FACTORY)
        assert (unit.state, unit.prudent) == (State.EVALUATING, False)


def test_naming_dated_in_an_earlier_year_is_history(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    header = [*BASIC, "状态", "状态日期"]
    do_import(
        store, write(tmp_path / "a.csv", header, [[*FACTORY_ROW, "后评价", f"{YEAR - 2}-03-01"]])
    )
    result = do_import(
        store,
        write(tmp_path / "b.csv", header, [[*FACTORY_ROW, "放心消费单位", f"{YEAR - 1}-11-20"]]),
    )
    assert result.state_changes == 1
    with store.read() as session:
        unit = unit_of(session, FACTORY)
        [first, named] = unit.events
        assert (first.to_state, first.occurred_on) == (State.EVALUATING, date(YEAR - 2, 3, 1))
        assert (named.to_state, named.occurred_on) == (State.CONFIRMED, date(YEAR - 1, 11, 20))
        assert named.evaluation_id is None and HISTORY_NOTE in named.reason
        assert named.source == "导入 b.csv 第 2 行"


def test_a_new_unit_named_on_the_county_list_is_history(sample) -> None:  # type: ignore[no-untyped-def]
    with sample.read() as session:
        pharmacy = unit_of(session, "92331122MA2A000347")
        [event] = pharmacy.events
        assert (event.from_state, event.to_state, event.evaluation_id) == (
            None,
            State.CONFIRMED,
            None,
        )
        assert HISTORY_NOTE in event.reason
        assert event.source == "导入 units-sample.csv 第 4 行"


def test_cli_summary_counts_events_ignored_columns_and_skipped_rows(
    capsys, sample, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    sample.close()
    header = [*BASIC, "状态", "备注"]
    moved = [*SHOP_ROW[:2], "新址8号", *SHOP_ROW[3:], "承诺公示", "x"]
    rows = [moved, [*CANDIDATE_ROW, "后评价", ""]]
    path = write(tmp_path / "汇总.csv", header, rows)
    assert main(["units", "import", str(path)]) == 1
    assert "「备注」" in capsys.readouterr().err
    argv = ["units", "import", str(path), "--ignore-column", "备注", "--skip-invalid"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "新增 0 家，更新 1 家，未变 0 家；已有单位状态变更 1 次" in out
    assert "写入历史记录 2 条：状态变更 1、地址变更 1" in out
    assert "按 --ignore-column 忽略的列（未导入）：「备注」" in out
    assert "跳过 1 行" in out and "第 3 行" in out


def test_importing_the_same_file_again_changes_nothing(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fieldapp.services import demo

    path = demo.write_csv(tmp_path / "演示.csv", 300)
    first = do_import(store, path)
    assert first.created == 300 and first.events == {EventKind.STATE: 300}
    again = do_import(store, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 300)
    assert again.events.total() == 0
    with store.read() as session:
        assert session.scalar(select(func.count(UnitEvent.id))) == 300
