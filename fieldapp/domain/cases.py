"""The 村级消费维权联络站's case ledger (台账): what a case is and the one rule every writer keeps.

A 联络站 keeps, per case, 投诉问题类型, 咨询人, 咨询时间, 问题描述, 处理时间, 处理结果 and 挽回经济损失
(DOMAIN.md B, P10 and P21; its 六有 item 有台账记录). The seeds name no list of complaint types:
:class:`CaseType` is the list of 全国12315平台 and 中国消费者协会's yearly complaint statistics
(投诉性质: 质量, 安全, 价格, 计量, 假冒, 合同, 虚假宣传, 人格尊严, 售后服务, 个人信息, plus 预付式消费,
which Zhejiang's bulletins count apart, and 其他) [R].

Money is kept as whole 分 (an ``int``), never a float: :func:`parse_yuan` reads what a person
types (``12.5``, ``1,234.56元``, ``￥30``), :func:`yuan` writes it back. A case counts in the
month and year of its 咨询时间.

:func:`problems` is the rule: the window, the command line, the sync pull and the county
server's ingest all call it, so a case one door accepts every other door accepts too. Pure, no
I/O; messages are Chinese and name the field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from fieldapp.domain import text
from fieldapp.domain.vocab import UnitType, canon


class CaseType(StrEnum):
    """投诉问题类型 of a case (stored as the value; never rename one)."""

    QUALITY = "quality"
    SAFETY = "safety"
    PRICE = "price"
    MEASUREMENT = "measurement"
    COUNTERFEIT = "counterfeit"
    CONTRACT = "contract"
    FALSE_ADVERTISING = "false_advertising"
    DIGNITY = "dignity"
    AFTER_SALES = "after_sales"
    PERSONAL_INFO = "personal_info"
    PREPAID = "prepaid"
    OTHER = "other"

    @property
    def label(self) -> str:
        return CASE_TYPE_LABELS[self]


CASE_TYPE_LABELS: dict[CaseType, str] = {
    CaseType.QUALITY: "质量问题",
    CaseType.SAFETY: "安全问题",
    CaseType.PRICE: "价格问题",
    CaseType.MEASUREMENT: "计量问题",
    CaseType.COUNTERFEIT: "假冒伪劣",
    CaseType.CONTRACT: "合同问题",
    CaseType.FALSE_ADVERTISING: "虚假宣传",
    CaseType.DIGNITY: "人格尊严",
    CaseType.AFTER_SALES: "售后服务",
    CaseType.PERSONAL_INFO: "个人信息",
    CaseType.PREPAID: "预付式消费",
    CaseType.OTHER: "其他",
}

_ALIASES: dict[CaseType, tuple[str, ...]] = {
    CaseType.QUALITY: ("质量",),
    CaseType.SAFETY: ("安全",),
    CaseType.PRICE: ("价格", "价格欺诈", "乱收费"),
    CaseType.MEASUREMENT: ("计量", "短斤缺两"),
    CaseType.COUNTERFEIT: ("假冒", "假冒伪劣", "三无产品"),
    CaseType.CONTRACT: ("合同",),
    CaseType.FALSE_ADVERTISING: ("虚假宣传", "虚假广告"),
    CaseType.DIGNITY: ("人格尊严",),
    CaseType.AFTER_SALES: ("售后", "售后服务", "退换货", "三包"),
    CaseType.PERSONAL_INFO: ("个人信息", "隐私"),
    CaseType.PREPAID: ("预付", "预付卡", "预付式消费"),
    CaseType.OTHER: ("其它",),
}
_TYPE_LOOKUP: dict[str, CaseType] = {}
for _type in CaseType:
    for _alias in (_type.value, _type.label, *_ALIASES[_type]):
        _TYPE_LOOKUP[canon(_alias)] = _type


def parse_case_type(value: str) -> CaseType | None:
    """A complaint type from its code (``price``), its label (``价格问题``) or a common name."""
    return _TYPE_LOOKUP.get(canon(value))


def type_choices() -> str:
    return "、".join(t.label for t in CaseType)


# --- money --------------------------------------------------------------------------------------

MAX_FEN = 2**31 - 1  # the INTEGER column of both stores; about 2,147 万元
_YUAN = re.compile(r"^\d+(\.\d{1,2})?$")


def parse_yuan(value: str, label: str = "挽回经济损失") -> int:
    """What a person typed as an amount of 元 (``12.5``, ``1,234.56元``, ``￥30``, empty: 0) as
    whole 分; ValueError naming ``label`` if it is not an amount of at most two decimals."""
    cleaned = unicodedata.normalize("NFKC", value or "").strip()
    for mark in (",", "，", "￥", "¥", "元", " "):
        cleaned = cleaned.replace(mark, "")
    if not cleaned:
        return 0
    if not _YUAN.match(cleaned):
        raise ValueError(
            f"{label}「{value}」不是金额，请写成 120 或 120.50（单位：元，最多两位小数）"
        )
    try:
        fen = int(Decimal(cleaned) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise ValueError(f"{label}「{value}」不是金额") from None
    if fen > MAX_FEN:
        raise ValueError(f"{label}「{value}」太大（最多 {yuan(MAX_FEN)} 元）")
    return fen


def yuan(fen: int) -> str:
    """Whole 分 as 元 with two decimals: 1250 → ``12.50``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


# --- the rule -----------------------------------------------------------------------------------

EARLIEST_YEAR = 2000


@dataclass(frozen=True)
class CaseFields:
    """What a person records of a case (the record's identity and bookkeeping aside). Times are
    the store's (local, aware or naive) or the wire's (UTC): the rule compares them with each
    other only."""

    case_type: CaseType | str
    consultant: str
    consulted_at: datetime | None
    description: str
    handled_at: datetime | None = None
    result: str = ""
    recovered_fen: int = 0


LABELS = {
    "case_type": "投诉问题类型",
    "consultant": "咨询人",
    "consulted_at": "咨询时间",
    "description": "问题描述",
    "handled_at": "处理时间",
    "result": "处理结果",
    "recovered_fen": "挽回经济损失",
}


def problems(fields: CaseFields, unit_type: UnitType | str | None) -> list[str]:
    """Every reason ``fields`` cannot be a case of a unit of ``unit_type``, each naming its
    field (empty: it may be stored)."""
    found: list[str] = []
    if unit_type != UnitType.VILLAGE_STATION:
        try:
            shown = UnitType(unit_type).label if unit_type else "未知"
        except ValueError:
            shown = str(unit_type)
        found.append(f"台账只能记在{UnitType.VILLAGE_STATION.label}名下（该单位类型为「{shown}」）")
    if not isinstance(fields.case_type, CaseType) and parse_case_type(fields.case_type) is None:
        found.append(
            f"{LABELS['case_type']}「{str(fields.case_type)[:40]}」未知，可用：{type_choices()}"
        )
    for name, kind in (("consultant", text.NAME), ("description", text.NOTE)):
        value: str = getattr(fields, name)
        if not value.strip():
            found.append(f"请填写{LABELS[name]}")
            continue
        refused = text.problem(value, kind, LABELS[name])
        if refused is not None:
            found.append(refused)
    refused_result = text.problem(fields.result, text.NOTE, LABELS["result"])
    if refused_result is not None:
        found.append(refused_result)
    if fields.consulted_at is None:
        found.append(f"请填写{LABELS['consulted_at']}")
    elif fields.consulted_at.year < EARLIEST_YEAR:
        found.append(f"{LABELS['consulted_at']} {fields.consulted_at:%Y-%m-%d} 不对，请检查年份")
    handled = fields.handled_at
    if handled is not None and fields.consulted_at is not None:
        try:
            early = handled < fields.consulted_at
        except TypeError:  # one aware, one naive: both are the store's local wall time
            early = handled.replace(tzinfo=None) < fields.consulted_at.replace(tzinfo=None)
        if early:
            found.append(
                f"{LABELS['handled_at']} {handled:%Y-%m-%d %H:%M} 早于{LABELS['consulted_at']} "
                f"{fields.consulted_at:%Y-%m-%d %H:%M}"
            )
    if handled is None and fields.result.strip():
        found.append(f"填写了{LABELS['result']}，请同时填写{LABELS['handled_at']}")
    if handled is not None and not fields.result.strip():
        found.append(f"填写了{LABELS['handled_at']}，请同时填写{LABELS['result']}")
    if not 0 <= fields.recovered_fen <= MAX_FEN:
        found.append(f"{LABELS['recovered_fen']}须在 0 到 {yuan(MAX_FEN)} 元之间")
    if fields.recovered_fen and handled is None:
        found.append(f"填写了{LABELS['recovered_fen']}，请同时填写{LABELS['handled_at']}和处理结果")
    return found


def check(fields: CaseFields, unit_type: UnitType | str | None) -> CaseFields:
    """``fields`` with its type as a :class:`CaseType` and its names trimmed, if they may be
    stored; otherwise ValueError listing every problem."""
    found = problems(fields, unit_type)
    if found:
        raise ValueError("；".join(found))
    case_type = (
        fields.case_type
        if isinstance(fields.case_type, CaseType)
        else parse_case_type(fields.case_type)
    )
    assert case_type is not None
    return CaseFields(
        case_type=case_type,
        consultant=fields.consultant.strip(),
        consulted_at=fields.consulted_at,
        description=fields.description.strip(),
        handled_at=fields.handled_at,
        result=fields.result.strip(),
        recovered_fen=fields.recovered_fen,
    )
