"""Read a spreadsheet (CSV in UTF-8/UTF-8-BOM/GBK/GB18030, or XLSX) into numbered rows.

Row numbers are the ones a user sees in Excel: the header is row 1 (or wherever the first
non-empty row is), so a message "第 7 行" points at the right line.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from fieldapp.domain.vocab import canon
from fieldapp.errors import InvalidInput


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, str]  # field name -> cell text (stripped)


@dataclass(frozen=True)
class Table:
    path: Path
    headers: list[str]  # as written in the file
    rows: list[Row]
    ignored_columns: list[str]  # headers no alias knows, as written
    header_row: int = 1
    # Columns (1-based) with no header but data in some row; an empty unnamed column is no loss.
    unnamed_columns: list[int] = field(default_factory=list)


MAX_ROWS = 1_000_000  # a province's unit list fits; a sheet declaring more is refused
MAX_COLUMNS = 256  # the widest task table has about 30 columns


def column_letter(number: int) -> str:
    """Excel's name of the 1-based column ``number``: 1 → A, 27 → AA."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def decode_csv(raw: bytes, where: str) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK, what Excel in China writes)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{where}：无法识别文件编码（既不是 UTF-8 也不是 GBK/GB18030）。"
            "请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后重试"
        ) from exc
    if not _reads_as_gbk(text):
        raise InvalidInput(
            f"{where}：文件编码看起来不是 GBK/GB18030（可能是繁体 Big5 或日文 Shift-JIS），"
            "按 GBK 读出的名称会是乱码，未导入。请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后重试"
        )
    return text


# Mainland spreadsheets in GBK use the GB 2312 characters for nearly every name and address; a
# Big5 or Shift-JIS file read as GBK comes out mostly as rare GBK-extension characters (their
# second bytes fall in GBK's extension ranges), which is how it is told apart.
_MIN_CJK = 8
_MIN_GB2312_SHARE = 0.9


def _reads_as_gbk(text: str) -> bool:
    cjk = [c for c in text if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"]
    if len(cjk) < _MIN_CJK:
        return True
    common = 0
    for char in cjk:
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 1
    return common / len(cjk) >= _MIN_GB2312_SHARE


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _raw_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    where = str(path)
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{where}：无法读取文件（{exc.strerror}）") from exc
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise InvalidInput(f"{where}：不是有效的 Excel .xlsx 文件（{exc}）") from exc
        try:
            if not book.worksheets:
                raise InvalidInput(f"{where}：Excel 文件里没有工作表，请检查是否选错了文件")
            sheet = book.worksheets[0]
            # The size a file declares (<dimension>) may be anything, A1:XFD1048576 included:
            # read the rows the sheet holds, padded to no declared width.
            sheet.reset_dimensions()
            try:
                for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                    if number > MAX_ROWS or len(cells) > MAX_COLUMNS:
                        raise InvalidInput(
                            f"{where}：第 {number} 行超出了能导入的范围（最多 {MAX_ROWS:,} 行、"
                            f"{MAX_COLUMNS} 列）。请只保留名单所在的区域后重试"
                        )
                    yield number, [_cell_text(c) for c in cells]
            except (
                SyntaxError,
                KeyError,
                ValueError,
                TypeError,
                zipfile.BadZipFile,
            ) as exc:
                raise InvalidInput(
                    f"{where}：Excel 文件内容已损坏（{exc}），请重新保存后再试"
                ) from exc
        finally:
            book.close()
    elif suffix in (".csv", ".txt"):
        text = decode_csv(raw, where)
        try:
            for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
                yield number, [c.strip() for c in cells]
        except csv.Error as exc:
            raise InvalidInput(f"{where}：CSV 格式错误：{exc}") from exc
    elif suffix == ".xls":
        raise InvalidInput(
            f"{where}：不支持旧版 .xls 文件。请在 Excel 中另存为 .xlsx 或 CSV 后重试"
        )
    else:
        raise InvalidInput(
            f"{where}：不支持的文件类型 {suffix or '（无扩展名）'}，请使用 .csv 或 .xlsx"
        )


def read_table(path: Path, aliases: dict[str, str], required: dict[str, str]) -> Table:
    """Read ``path``; map headers through ``aliases`` (canonical header -> field name).

    ``required`` maps field name -> the Chinese header to name in the message when missing.
    Blank rows are skipped. Raises InvalidInput if the file is empty or a required column is missing.
    """
    where = str(path)
    rows_iter = _raw_rows(path)
    header_number = 0
    headers: list[str] = []
    for number, cells in rows_iter:
        if any(cells):
            header_number, headers = number, cells
            break
    if not headers:
        raise InvalidInput(
            f"{where}：文件是空的，第一行应为表头（如 {'、'.join(required.values())}）"
        )
    fields: list[str | None] = []
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for header in headers:
        name = aliases.get(canon(header)) if header else None
        if name and name in seen:
            raise InvalidInput(
                f"{where}：第 {header_number} 行表头中「{seen[name]}」和「{header}」是同一列，请删去一个"
            )
        if name:
            seen[name] = header
        elif header:
            ignored.append(header)
        fields.append(name)
    blank = [i for i, header in enumerate(headers) if not header]
    unnamed: set[int] = set()
    missing = [label for name, label in required.items() if name not in seen]
    if missing:
        raise InvalidInput(
            f"{where}：第 {header_number} 行表头缺少必需的列：{'、'.join(missing)}。"
            f"找到的列：{'、'.join(h for h in headers if h) or '（无）'}"
        )
    rows: list[Row] = []
    for number, cells in rows_iter:
        if not any(cells):
            continue
        values = {
            name: (cells[i] if i < len(cells) else "")
            for i, name in enumerate(fields)
            if name is not None
        }
        rows.append(Row(number, values))
        unnamed.update(i for i in blank if i < len(cells) and cells[i])
        if len(cells) > len(headers) and any(cells[len(headers) :]):
            unnamed.update(i for i in range(len(headers), len(cells)) if cells[i])
    columns = sorted(i + 1 for i in unnamed)
    return Table(path, headers, rows, ignored, header_number, columns)
