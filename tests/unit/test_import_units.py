"""Unit import: encodings, XLSX, all-or-nothing, --skip-invalid, re-import, messages."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from fieldapp.errors import InvalidInput
from fieldapp.imports.units import import_units
from fieldapp.storage.models import Station, Unit, UnitEvent

HEADER = [
    "统一社会信用代码",
    "单位名称",
    "经营地址",
    "所属所",
    "单位类型",
    "行业",
    "负责人",
    "联系电话",
    "状态",
]


def sample_rows(data_path: Path) -> list[list[str]]:
    with (data_path / "units-sample.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))[1:]


def write_csv(
    path: Path, rows: list[list[str]], encoding: str = "utf-8-sig", header=HEADER
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def unit_count(store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count(Unit.id)))


def do_import(store, path: Path, **kwargs):
    with store.session() as session:
        return import_units(session, path, actor="测试", **kwargs)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_csv_in_every_encoding_excel_writes(store, data_path, tmp_path, encoding) -> None:
    path = write_csv(tmp_path / f"units-{encoding}.csv", sample_rows(data_path), encoding)
    result = do_import(store, path)
    assert result.created == 5
    with store.read() as session:
        names = set(session.scalars(select(Unit.name)))
    assert "缙云县仙都黄龙大药房" in names


@pytest.mark.parametrize("encoding", ["big5", "shift_jis"])
def test_a_file_in_another_encoding_is_refused_not_imported_as_garbage(
    store, tmp_path, encoding
) -> None:
    rows = (
        "統一社會信用代碼,單位名稱,經營地址,所屬所\n"
        "92331122MA22826F27,縉雲縣壺鎮宋記大酒店,浙江省麗水市縉雲縣壺鎮鎮工業園區43號,壺鎮分局\n"
        if encoding == "big5"
        else "統一社会信用代碼,名称,住所,所属\n92331122MA22826F27,株式会社テスト,東京都千代田区丸の内一丁目,本店\n"
    )
    path = tmp_path / f"名单-{encoding}.csv"
    path.write_bytes(rows.encode(encoding))
    with pytest.raises(InvalidInput) as caught:
        do_import(store, path)
    assert path.name in str(caught.value) and "CSV UTF-8" in str(caught.value)
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Unit)) == 0


def test_gbk_with_a_few_traditional_names_still_imports(store, tmp_path) -> None:
    path = tmp_path / "名单.csv"
    path.write_bytes(
        (
            "统一社会信用代码,单位名称,经营地址,所属所,单位类型\n"
            "92331122MA22826F27,缙云县壶镇宋记大酒店（莎莎化妝品）,浙江省丽水市缙云县壶镇镇工业园区43号,壶镇分局,一般放心消费单位\n"
        ).encode("gbk")
    )
    assert do_import(store, path).created == 1


def test_xlsx_import(store, data_path, tmp_path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in sample_rows(data_path):
        sheet.append(row)
    path = tmp_path / "units.xlsx"
    book.save(path)
    assert do_import(store, path).created == 5


def test_english_headers_are_recognised(store, data_path, tmp_path) -> None:
    english = [
        "credit_code",
        "name",
        "address",
        "station",
        "unit_type",
        "industry",
        "contact",
        "phone",
        "state",
    ]
    path = write_csv(tmp_path / "en.csv", sample_rows(data_path), header=english)
    assert do_import(store, path).created == 5


def test_fields_lifecycle_and_stations_are_stored(store, data_path) -> None:
    result = do_import(store, data_path / "units-sample.csv")
    assert result.new_stations == ["五云所", "壶镇分局", "仙都所", "新碧所"]
    with store.read() as session:
        unit = session.scalar(select(Unit).where(Unit.name == "缙云县壶镇老街饭店"))
        assert unit.unit_type == "no_reason_return"
        assert unit.industry == "catering"
        assert unit.contact_phone == "0578-3123456"
        assert unit.station.name == "壶镇分局"
        assert unit.state == "committed"
        assert [(e.from_state, e.to_state, e.actor) for e in unit.events] == [
            (None, "committed", "测试")
        ]
        candidate = session.scalar(select(Unit).where(Unit.name == "缙云县五云乐购便利店"))
        assert candidate.state == "candidate" and candidate.entered_on is None


def test_reimport_updates_by_credit_code_and_never_duplicates(store, data_path, tmp_path) -> None:
    do_import(store, data_path / "units-sample.csv")
    rows = sample_rows(data_path)
    rows[0][2] = "浙江省丽水市缙云县五云街道解放街99号（新址）"
    rows[0][0] = rows[0][0].lower()  # the same code typed in lower case is the same unit
    rows[1][8] = "后评价"  # 承诺公示 → 后评价 is a legal move
    result = do_import(store, write_csv(tmp_path / "again.csv", rows))
    assert (result.created, result.updated, result.unchanged, result.state_changes) == (0, 2, 3, 1)
    assert unit_count(store) == 5
    with store.read() as session:
        moved = session.scalar(select(Unit).where(Unit.name == "缙云县五云好又多超市"))
        assert moved.address.endswith("99号（新址）") and moved.version == 2
        restaurant = session.scalar(select(Unit).where(Unit.name == "缙云县壶镇老街饭店"))
        assert [e.to_state for e in restaurant.events] == ["committed", "evaluating"]
        assert restaurant.events[-1].reason == "导入 again.csv"


def test_one_bad_row_rejects_the_whole_file(store, data_path, tmp_path) -> None:
    rows = sample_rows(data_path)
    rows[2][0] = rows[2][0][:-1] + ("0" if rows[2][0][-1] != "0" else "1")
    rows[3][4] = "大型单位"
    rows[4][1] = ""
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(InvalidInput) as caught:
        do_import(store, path)
    problems = caught.value.problems
    text = str(caught.value)
    assert "3 行数据有误，整个文件未导入" in text
    assert [(p.row, p.column) for p in problems] == [
        (4, "统一社会信用代码"),
        (5, "单位类型"),
        (6, "单位名称"),
    ]
    assert "校验位错误" in problems[0].message
    assert "未知的单位类型「大型单位」" in problems[1].message
    assert str(problems[0]).startswith("bad.csv，第 4 行，列「统一社会信用代码」：")
    assert unit_count(store) == 0
    with store.read() as session:
        assert session.scalar(select(func.count(Station.id))) == 0
        assert session.scalar(select(func.count(UnitEvent.id))) == 0


def test_skip_invalid_imports_the_rest_and_lists_the_skipped(store, data_path, tmp_path) -> None:
    rows = sample_rows(data_path)
    rows[1][7] = "电话找老板"
    path = write_csv(tmp_path / "some-bad.csv", rows)
    result = do_import(store, path, skip_invalid=True)
    assert result.created == 4
    assert [(p.row, p.column) for p in result.skipped] == [(3, "联系电话")]
    assert unit_count(store) == 4


def test_duplicate_code_in_one_file_names_the_first_row(store, data_path, tmp_path) -> None:
    rows = sample_rows(data_path)
    rows.append(list(rows[0]))
    with pytest.raises(InvalidInput) as caught:
        do_import(store, write_csv(tmp_path / "dup.csv", rows))
    assert caught.value.problems[0].row == 7
    assert "与第 2 行重复" in caught.value.problems[0].message


def test_illegal_state_change_on_reimport_is_refused(store, data_path, tmp_path) -> None:
    do_import(store, data_path / "units-sample.csv")
    rows = sample_rows(data_path)
    rows[4][8] = "放心消费单位"  # 选育池 cannot jump to 放心消费单位
    with pytest.raises(InvalidInput) as caught:
        do_import(store, write_csv(tmp_path / "jump.csv", rows))
    problem = caught.value.problems[0]
    assert (problem.row, problem.column) == (6, "状态")
    assert "允许的变更：培育库、移出、关停、转让、注销" in problem.message


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "文件是空的"),
        (
            "单位名称,经营地址\n某店,某路\n".encode(),
            "缺少必需的列：统一社会信用代码、所属所、单位类型",
        ),
        ("统一社会信用代码,单位名称,所属所,单位类型\n".encode("utf-8-sig"), "没有数据行"),
        (b"\xff\xfe\x00\x00garbage\x81", "无法识别文件编码"),
        ("统一社会信用代码,信用代码,单位名称,所属所,单位类型\n".encode(), "是同一列"),
    ],
)
def test_unusable_files_get_one_clear_message(store, tmp_path, content, fragment) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=fragment) as caught:
        do_import(store, path)
    assert str(path) in str(caught.value) or "units.csv" in str(caught.value)
    assert unit_count(store) == 0


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("units.xls", "不支持旧版 .xls"),
        ("units.pdf", "不支持的文件类型 .pdf"),
        ("units.xlsx", "不是有效的 Excel"),
    ],
)
def test_wrong_file_types(store, tmp_path, name, fragment) -> None:
    path = tmp_path / name
    path.write_bytes(b"not a spreadsheet")
    with pytest.raises(InvalidInput, match=fragment):
        do_import(store, path)


def test_missing_file(store, tmp_path) -> None:
    with pytest.raises(InvalidInput, match="无法读取文件"):
        do_import(store, tmp_path / "nowhere.csv")


def test_warnings_are_reported_but_do_not_block(store, tmp_path) -> None:
    path = write_csv(
        tmp_path / "beijing.csv",
        [["91110000600037341L", "北京某公司", "", "五云所", "一般单位", "", "", "", ""]],
    )
    result = do_import(store, path)
    assert result.created == 1
    assert result.warnings and "浙江" in result.warnings[0].message


def test_file_is_not_changed_by_import(store, data_path, tmp_path) -> None:
    copy = tmp_path / "copy.csv"
    shutil.copy(data_path / "units-sample.csv", copy)
    before = copy.read_bytes()
    do_import(store, copy)
    assert copy.read_bytes() == before
