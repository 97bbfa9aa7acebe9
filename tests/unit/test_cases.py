"""The 村级联络站's case ledger (台账): the rule, the store, the command line, the export and the
bulletin; a 联络站 with 12 cases shows them in an XLSX export and in the bulletin."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from fieldapp.cli import main
from fieldapp.domain import cases as rule
from fieldapp.domain.cases import CaseFields, CaseType
from fieldapp.domain.vocab import UnitType
from fieldapp.errors import InvalidInput
from fieldapp.reports.bulletin import write_bulletin
from fieldapp.reports.case_export import export_cases
from fieldapp.services import cases as service
from fieldapp.services import worklists
from fieldapp.services.stations import station_ids
from fieldapp.storage.models import Case, Unit
from fieldapp.store import Store
from tests.unit.test_worklists import code

TODAY = date(2026, 11, 18)


def fields(n: int = 0, **changes: Any) -> CaseFields:
    base = CaseFields(
        case_type=CaseType.PRICE,
        consultant=f"咨询人{n}",
        consulted_at=datetime(2026, 11, 1 + n % 15, 9, 30),
        description=f"标价与结算价不符（第 {n} 起）",
        handled_at=datetime(2026, 11, 1 + n % 15, 15, 0),
        result="调解，经营者退还差价",
        recovered_fen=1250,
    )
    return replace(base, **changes)


def make_units(store: Store) -> dict[str, int]:
    with store.session() as session:
        stations, _ = station_ids(session, ["五云所", "壶镇分局"])
        ids = {}
        for tag, station, unit_type in (
            ("LZ", "五云所", UnitType.VILLAGE_STATION),
            ("HZ", "壶镇分局", UnitType.VILLAGE_STATION),
            ("SH", "五云所", UnitType.GENERAL),
        ):
            unit = Unit(
                credit_code=code(tag),
                name=f"缙云县{tag}村消费维权联络站",
                station_id=stations[station],
                unit_type=unit_type,
            )
            session.add(unit)
            session.flush()
            ids[tag] = unit.id
    return ids


# --- the rule -------------------------------------------------------------------------------------


def test_money_is_whole_fen() -> None:
    assert rule.parse_yuan("12.5") == 1250
    assert rule.parse_yuan("１,234.56元") == 123456
    assert rule.parse_yuan("￥30") == 3000
    assert rule.parse_yuan("") == 0
    assert rule.yuan(123456) == "1234.56"
    for bad in ("12.345", "-3", "abc", "1e3"):
        with pytest.raises(ValueError, match="挽回经济损失"):
            rule.parse_yuan(bad)
    with pytest.raises(ValueError, match="太大"):
        rule.parse_yuan("99999999")


def test_case_types_read_by_code_label_or_common_name() -> None:
    assert rule.parse_case_type("price") is CaseType.PRICE
    assert rule.parse_case_type("价格问题") is CaseType.PRICE
    assert rule.parse_case_type("预付卡") is CaseType.PREPAID
    assert rule.parse_case_type("不知道") is None
    assert all(t.label for t in CaseType)


def test_the_rule_names_every_field_it_refuses() -> None:
    bad = CaseFields(
        case_type="xyz",
        consultant=" ",
        consulted_at=datetime(2026, 11, 3, 10),
        description="a\x00b",
        handled_at=datetime(2026, 11, 2, 10),
        result="",
        recovered_fen=100,
    )
    found = rule.problems(bad, UnitType.GENERAL)
    text = "\n".join(found)
    for label in ("联络站", "投诉问题类型", "咨询人", "问题描述", "处理时间", "处理结果"):
        assert label in text, label
    assert rule.problems(fields(), UnitType.VILLAGE_STATION) == []
    unhandled = fields(handled_at=None, result="", recovered_fen=0)
    assert rule.problems(unhandled, "village_station") == []
    too_long = fields(consultant="张" * 65)
    assert rule.problems(too_long, UnitType.VILLAGE_STATION) == [
        "咨询人太长（65 个字，最多 64 个）"
    ]


# --- the store ------------------------------------------------------------------------------------


def test_add_update_and_totals(store: Store) -> None:
    ids = make_units(store)
    with store.session() as session:
        unit = service.station_unit(session, ids["LZ"])
        case = service.add(
            session, unit, fields(handled_at=None, result="", recovered_fen=0), "张三"
        )
        assert (case.version, case.synced_version) == (1, None)
        assert service.pending_count(session) == 1
        same = service.update(session, case, service.fields_of(case))
        assert same.version == 1  # nothing changed: nothing to send again
        handled = fields(handled_at=datetime(2026, 11, 2, 9), recovered_fen=4500)
        service.update(session, case, handled)
        assert case.version == 2
        totals = service.year_totals(session, unit.uuid, 2026)
        assert (totals.cases, totals.handled, totals.recovered) == (1, 1, "45.00")
        with pytest.raises(InvalidInput, match="不是村级消费维权联络站"):
            service.station_unit(session, ids["SH"])
        with pytest.raises(InvalidInput, match="请填写咨询人"):
            service.add(session, unit, fields(consultant=""), "张三")


# --- the command line, the export and the bulletin: 12 cases -----------------------------------------


def add_twelve(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(store.folder)]
    for n in range(12):
        argv = [
            *data,
            *("cases", "add", "--unit", code("LZ"), "--type", "价格" if n % 2 else "质量"),
            *("--consultant", f"村民{n}", "--consulted", f"2026-11-{n + 1:02d} 09:30"),
            *("--description", f"问题{n}", "--actor", "张三"),
        ]
        if n < 10:
            argv += ["--handled", f"2026-11-{n + 1:02d} 16:00", "--result", "已调解"]
            argv += ["--recovered", "100.5"]
        assert main(argv) == 0, capsys.readouterr().err
    capsys.readouterr()


def test_command_line_refuses_naming_the_field(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    make_units(store)
    data = ["--data-dir", str(store.folder)]
    base = ["cases", "add", "--unit", code("LZ"), "--consultant", "王五", "--description", "x"]
    assert main([*data, *base, "--type", "价格", "--consulted", "11月3日"]) == 1
    assert "--consulted（咨询时间）「11月3日」不是日期时间" in capsys.readouterr().err
    assert main([*data, *base, "--type", "瞎写", "--consulted", "2026-11-03"]) == 1
    assert "--type（投诉问题类型）「瞎写」未知" in capsys.readouterr().err
    argv = [*data, *base, "--type", "价格", "--consulted", "2026-11-03", "--recovered", "1.234"]
    assert main(argv) == 1
    assert "--recovered（挽回经济损失）" in capsys.readouterr().err
    argv = [*data, *base[:3], code("SH"), *base[4:], "--type", "价格", "--consulted", "2026-11-03"]
    assert main(argv) == 1
    assert "台账只记在联络站名下" in capsys.readouterr().err


def test_twelve_cases_in_the_list_export_and_bulletin(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_units(store)
    add_twelve(store, capsys)
    data = ["--data-dir", str(store.folder)]
    assert main([*data, "cases", "list", "--year", "2026"]) == 0
    listed = capsys.readouterr().out
    assert "共 12 条，挽回经济损失合计 1005.00 元" in listed

    out = tmp_path / "台账.xlsx"
    assert main([*data, "cases", "export", "-o", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["台账", "汇总"]
    rows = list(book["台账"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 12
    assert {r[1] for r in rows} == {"缙云县LZ村消费维权联络站"}
    assert sum(Decimal(str(r[10])) for r in rows) == Decimal("1005")
    assert isinstance(rows[0][6], datetime)
    totals = list(book["汇总"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3], r[4], r[5], r[6]) for r in totals] == [
        ("缙云县LZ村消费维权联络站", 2026, 12, 10, 1005)
    ]
    csv_out = export_cases(store, tmp_path / "台账.csv", "csv", year=2026)
    with csv_out.files[0].open(encoding="utf-8-sig") as handle:
        assert len(list(csv.reader(handle))) == 13

    with store.read() as session:
        summary = worklists.month_summary(session, "2026-11", today=TODAY)
    wuyun = next(s for s in summary.stations if s.station == "五云所")
    assert (wuyun.cases, wuyun.recovered_fen, wuyun.cases_year) == (12, 100500, 12)
    assert summary.total().cases == 12
    with store.read() as session:
        october = worklists.month_summary(session, "2026-10", today=TODAY)
    assert all(s.cases == 0 for s in october.stations)

    workbook = write_bulletin(store, "2026-11", tmp_path / "通报.xlsx", today=TODAY)
    sheet = openpyxl.load_workbook(workbook)["联络站台账"]
    lines = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert lines["五云所"][1:] == (12, 1005, 12, 1005)
    assert lines["合计"][1] == 12


def test_cases_counted_by_their_station(store: Store) -> None:
    ids = make_units(store)
    with store.session() as session:
        for tag, count in (("LZ", 3), ("HZ", 2)):
            unit = service.station_unit(session, ids[tag])
            for n in range(count):
                service.add(session, unit, fields(n), "张三")
        # a case of last year counts in neither this month nor this year
        unit = service.station_unit(session, ids["HZ"])
        service.add(session, unit, fields(consulted_at=datetime(2025, 11, 3), handled_at=None,
                                          result="", recovered_fen=0), "张三")  # fmt: skip
    with store.read() as session:
        summary = worklists.month_summary(session, "2026-11", station="壶镇分局", today=TODAY)
        assert [(s.station, s.cases, s.cases_year) for s in summary.stations] == [
            ("壶镇分局", 2, 2)
        ]
        assert len(service.list_cases(session, year=2025)) == 1
        assert session.query(Case).count() == 6


def test_cases_go_only_to_a_server_known_to_take_them(store: Store) -> None:
    from fieldapp.sync import client, state

    ids = make_units(store)
    with store.session() as session:
        service.add(session, service.station_unit(session, ids["LZ"]), fields(), "张三")
    with store.session() as session:
        # an older server (its pulls never carried cases) would refuse the whole batch
        assert client.build_manifest(session, False, 50) is None
        state.put(session, client.CASES_PULLED, "1")
        manifest = client.build_manifest(session, False, 50)
        assert manifest is not None
        assert [c.consultant for c in manifest.cases] == ["咨询人0"]
        assert [c.unit.credit_code for c in manifest.unit_changes] == [code("LZ")]
        assert '"cases"' in manifest.model_dump_json()
    with store.session() as session:
        empty = client.build_manifest(session, False, 50, exclude={manifest.cases[0].uuid})
        assert empty is None or '"cases"' not in empty.model_dump_json()
