"""Write the .xlsx task tables from their .csv transcriptions, with the merged cells as printed.

Run from the repository root: ``python tests/data/task-tables/make_xlsx.py``. A header printed on
several lines (城乡放心 / 农贸市场) is written with line breaks, as a county's Excel file has it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment

HERE = Path(__file__).resolve().parent

# The merged ranges of each printed table (title rows, group headers, cells spanning rows).
MERGES = {
    "jinyun-2023-annex": ["A1:F1", "A2:F2", "A3:A4", "B3:B4", "C3:E3", "F3:F4", "A16:F16"],
    "shaoxing-2020-annex1": ["A1:J1", "A2:J2", "A3:A4", "B3:D3"]
    + [f"{c}3:{c}4" for c in "EFGHIJ"],
    "shaoxing-2020-annex2": [
        "A1:K1", "A2:K2",
        "B4:B5", "B7:B9", "B10:B12", "B13:B14", "B16:B17", "B19:B20",  # 行业领域
        "C10:C12",  # 电信营业厅 for three carriers
        "D7:J7", "D8:J8",  # 景区 and 旅游商店: words across the 区县
        "K4:K5", "K19:K20",  # 责任单位 shared by two rows
        "A22:C22",  # 合计
    ],
}  # fmt: skip
MULTILINE = {
    "放心消费 示范街区": "放心消费\n示范街区",
    "城乡放心 农贸市场": "城乡放心\n农贸市场",
    "改造提升农 村家宴放心 厨房": "改造提升农\n村家宴放心\n厨房",
    "中小学、等级 幼儿园食堂 “智能阳光 厨房”": "中小学、等级\n幼儿园食堂\n“智能阳光\n厨房”",
    "放心化妆品 示范经营单位": "放心化妆品\n示范经营单位",
    "放心化妆品 示范街区": "放心化妆品\n示范街区",
    "其中：无理由 退货承诺单位": "其中：无理由\n退货承诺单位",
    "其中： 放心工厂": "其中：\n放心工厂",
    "目标 区域": "目标\n区域",
}


def build(name: str) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    with (HERE / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            sheet.append([int(c) if c.isdigit() else (MULTILINE.get(c, c) or None) for c in row])
    for cells in MERGES[name]:
        sheet.merge_cells(cells)
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    path = HERE / f"{name}.xlsx"
    book.save(path)
    return path


if __name__ == "__main__":
    for table in MERGES:
        print(build(table))
