"""Exports read back: CSV with a BOM and Chinese headers, XLSX cell values, CLI exit codes."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from fieldapp.cli import main
from fieldapp.errors import InvalidInput
from fieldapp.reports import exports
from fieldapp.storage.models import AnswerRow
from fieldapp.store import Store
from tests.unit.test_worklists import build_county, code


@pytest.fixture
def county(store: Store) -> Store:
    build_county(store)
    return store


def read_csv(path: Path) -> list[list[str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def answer_count(store: Store) -> int:
    with store.read() as session:
        return len(session.scalars(select(AnswerRow.id)).all())


def test_evaluations_csv(county: Store, tmp_path: Path) -> None:
    out = tmp_path / "评价.csv"
    result = exports.export_evaluations(county, out, "csv")
    rows = read_csv(out)
    assert tuple(rows[0]) == exports.ANSWER_HEADERS
    assert rows[0][:4] == ["评价编号", "评价UUID", "统一社会信用代码", "单位名称"]
    assert len(rows) - 1 == result.rows["检查条目"] == answer_count(county)
    failed = [r for r in rows[1:] if r[14] == "不符合"]
    assert {(r[2], r[12], r[16], r[17]) for r in failed} >= {
        (code("UC"), "B1b", "整改B1b", "2026-11-10")
    }
    first = rows[1]
    assert first[5] == "后评价" and first[6] == "已定稿" and first[7] == "2026-08-20"
    assert first[13]  # the item's text


def test_evaluations_xlsx_with_summary_and_filters(county: Store, tmp_path: Path) -> None:
    out = tmp_path / "评价.xlsx"
    result = exports.export_evaluations(
        county, out, "xlsx", since=date(2026, 10, 1), station="壶镇分局"
    )
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["评价汇总", "检查条目"]
    summary = list(book["评价汇总"].iter_rows(values_only=True))
    assert summary[0] == exports.SUMMARY_HEADERS
    assert [(r[5], r[7].date(), r[10], r[14]) for r in summary[1:]] == [
        ("后评价", date(2026, 10, 8), "不通过", 1),
        ("回头看", date(2026, 10, 20), "通过", 0),
        ("后评价", date(2026, 11, 3), "不通过", 2),
    ]
    assert result.rows["评价汇总"] == 3
    items = list(book["检查条目"].iter_rows(min_row=2, values_only=True))
    assert len(items) == result.rows["检查条目"] == sum(r[13] for r in summary[1:])
    assert items[0][12] == "B1a"  # checklist order, not answer order


def test_units_csv_writes_units_and_history(county: Store, tmp_path: Path) -> None:
    out = tmp_path / "units.csv"
    result = exports.export_units(county, out, "csv", station="五云所")
    assert result.files == (out, tmp_path / "units-events.csv")
    units = read_csv(out)
    events = read_csv(tmp_path / "units-events.csv")
    assert tuple(units[0]) == exports.UNIT_HEADERS and tuple(events[0]) == exports.EVENT_HEADERS
    assert [r[0] for r in units[1:]] == [code(t) for t in ("UA", "UB", "UC", "UD")]
    uc = units[3]
    assert (uc[10], uc[11], uc[14]) == ("放心消费单位", "2026-09-01", "2026-08-20")
    ud = [r for r in events[1:] if r[0] == code("UD")]
    assert [r[4] for r in ud][-1] == "标识张贴" and ud[-1][13] == "无"
    assert ud[0][5:7] == ["（新建）", "培育库"]
    assert ud[0][7] == "（新建） → 培育库"
    assert units[1][16] in ("是", "否")  # 审慎培育 is exported


def test_units_xlsx_since_narrows_history(county: Store, tmp_path: Path) -> None:
    out = tmp_path / "units.xlsx"
    result = exports.export_units(county, out, "xlsx", since=date(2026, 9, 2))
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["单位", "历史记录"]
    assert result.rows["单位"] == 7
    history = list(book["历史记录"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3].date(), r[4]) for r in history] == [
        (code("UD"), date(2026, 9, 5), "标识张贴"),
        (code("UE"), date(2026, 9, 6), "标识张贴"),
    ]


def test_bad_dates_and_format_are_refused(county: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="开始日期 2026-10-01 晚于结束日期"):
        exports.export_units(
            county, tmp_path / "u.xlsx", "xlsx", since=date(2026, 10, 1), until=date(2026, 9, 1)
        )
    with pytest.raises(InvalidInput, match="不支持的导出格式「ods」"):
        exports.export_units(county, tmp_path / "u.ods", "ods")
    assert not (tmp_path / "u.xlsx").exists() and not (tmp_path / "u.ods").exists()


def test_cli_export(county: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "e.xlsx"
    assert main(["export", "evaluations", "-o", str(out), "--until", "2026-08-31"]) == 0
    assert "已导出 3 次评价" in capsys.readouterr().out
    assert main(["export", "units", "--format", "csv", "-o", str(tmp_path / "u.txt")]) == 0
    assert "7 家单位" in capsys.readouterr().out
    assert (tmp_path / "u-events.txt").exists()


def test_cli_usage_and_write_errors(
    county: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["export", "units", "--format", "ods", "-o", str(tmp_path / "u.ods")])
    assert exited.value.code == 2
    assert "用法错误" in capsys.readouterr().err
    assert main(["export", "units", "-o", str(tmp_path / "u.dat")]) == 2
    assert "--format xlsx" in capsys.readouterr().err
    missing = tmp_path / "没有这个文件夹" / "u.xlsx"
    assert main(["export", "units", "-o", str(missing)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "不存在" in err[0]
    assert main(["export", "units", "-o", str(tmp_path / "u.xlsx"), "--station", "东渡所"]) == 1
    assert "没有名为「东渡所」的所" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
