"""Parse single spreadsheet cells (dates, yes/no, integers, phone numbers) with Chinese messages."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
_NO = {"否", "无", "没有", "n", "no", "false", "0", "×", ""}
_PHONE = re.compile(r"^\+?[\d\s()-]{7,24}$")


def half_width(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def parse_date(text: str) -> date:
    match = _DATE.match(half_width(text))
    if not match:
        raise ValueError(f"日期「{text}」无法识别，请写成 2023-06-30")
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"日期「{text}」不存在") from None


def parse_bool(text: str) -> bool:
    value = half_width(text).lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise ValueError(f"「{text}」应为 是 或 否")


def parse_int(text: str, what: str = "数值") -> int:
    value = half_width(text).removesuffix("天").removesuffix("日").replace(",", "")
    try:
        return int(float(value)) if re.fullmatch(r"\d+(\.0+)?", value) else int(value)
    except ValueError:
        raise ValueError(f"{what}应为整数，实际为「{text}」") from None


def parse_phone(text: str) -> str:
    value = half_width(text)
    if value and not _PHONE.match(value):
        raise ValueError(f"电话号码「{text}」格式不对，只能包含数字、空格、括号和 -")
    return value
