"""The monthly bulletin read back: PDF through pdftotext/pdffonts, XLSX through openpyxl."""

from __future__ import annotations

import subprocess
from pathlib import Path

import openpyxl
import pytest

from fieldapp.errors import InvalidInput
from fieldapp.reports.bulletin import write_bulletin
from fieldapp.services.stations import station_ids
from fieldapp.storage.models import Target
from fieldapp.store import Store
from tests.unit.test_worklists import TODAY, build_county


@pytest.fixture
def county(store: Store) -> Store:
    build_county(store)
    with store.session() as session:
        stations, _ = station_ids(session, ["五云所", "壶镇分局"])
        session.add(Target(year=2026, station_id=stations["五云所"], unit_type="general", count=37))
        session.add(
            Target(year=2026, station_id=stations["壶镇分局"], unit_type="factory", count=5)
        )
    return store


def pdftext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_pdf_has_title_stations_numbers_and_failed_item(county: Store, tmp_path: Path) -> None:
    out = write_bulletin(county, "2026-08", tmp_path / "通报.pdf", today=TODAY)
    text = pdftext(out)
    assert "放心消费单位建设每月通报 2026年8月" in text
    assert "五云所" in text and "壶镇分局" in text
    assert "37" in text and "合计" in text  # the task count and the total row
    assert "有证照明示" in text or "无乱摆乱放" in text  # B1b's text, failed in August
    assert "第1页共" in text.replace(" ", "")
    fonts = subprocess.run(
        ["pdffonts", str(out)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert fonts, "no fonts listed"
    for line in fonts:
        assert "WenQuanYi" in line and " yes yes " in line, line


def test_pdf_for_one_station(county: Store, tmp_path: Path) -> None:
    out = write_bulletin(county, "2026-11", tmp_path / "b.pdf", station="壶镇分局", today=TODAY)
    text = pdftext(out)
    assert "壶镇分局" in text and "五云所" not in text
    assert "11月底：后评价、标识张贴" in text and "还有 12 天" in text


def test_xlsx_sheets_numbers_and_chart(county: Store, tmp_path: Path) -> None:
    out = write_bulletin(county, "2026-11", tmp_path / "b.xlsx", today=TODAY)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "说明", "任务进度", "按单位类型", "本月评价", "常见不符合项", "逾期整改", "需关注单位",
        "联络站台账",
    ]  # fmt: skip
    assert book["说明"]["A1"].value == "放心消费单位建设每月通报 2026年11月"
    progress = {row[0]: row for row in book["任务进度"].iter_rows(min_row=2, values_only=True)}
    assert progress["五云所"][1:3] == (37, 4)
    assert progress["合计"][1] == 42
    assert len(book["任务进度"]._charts) == 1
    overdue = list(book["逾期整改"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[5], r[9]) for r in overdue] == [("五云所", "B1b", 8)]
    failed = list(book["常见不符合项"].iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[4]) for r in failed] == [("B1b", 1), ("B7a", 1)]


def test_month_without_data_writes_nothing(county: Store, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(InvalidInput, match=r"^2025-04 没有数据"):
        write_bulletin(county, "2025-04", folder / "b.pdf", today=TODAY)
    assert list(folder.iterdir()) == []


def test_other_suffix_is_refused(county: Store, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(InvalidInput, match=r"不支持的文件类型「\.docx」"):
        write_bulletin(county, "2026-11", folder / "b.docx", today=TODAY)
    assert list(folder.iterdir()) == []
