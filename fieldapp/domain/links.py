"""Items answered by rule: 同 (``same_as``) and 不适用 from the unit's facts (``applies_when``).

One rule for every writer and reader. ``same_as``: an item is answered through one or more other
items (同 B5a; 同 Q1、Q2); its result is theirs combined (不符合 if one of them is, 不适用 if all
are, else 符合), never answered by hand. ``applies_when``: conditions on the unit (industry, unit
type, flags such as 农村 or 线上销售); an item whose conditions do not hold is 不适用 with the
reason, until the inspector answers it otherwise.

The derived answers are stored (:mod:`fieldapp.services.evaluations` writes them through
:func:`linked_answer` and :func:`not_applicable`), so the sheet, the exports, sync, the county
server and every figure read ordinary answer rows; :func:`fill_links` lets the verdict apply the
same rule to answers that lack them. A link whose item is not in the evaluation (a county file
that left it out) does not hold: the item is answered on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from fieldapp.domain.verdict import Answer
from fieldapp.domain.vocab import UnitType, canon, industry_label, parse_industry

Key = tuple[str, str]  # (checklist id, item code)


class Flag(StrEnum):
    """What ``applies_when`` may ask of a unit beside its type and industry.

    Each is read from the unit record (:func:`facts_of`); 有预付卡 is not among them, since the
    record does not say whether a unit sells prepaid cards: use the industries that do instead.
    """

    RURAL = "rural"
    ONLINE = "online"
    CROSS_STORE_RETURN = "cross_store_return"
    COMPENSATION_FUND = "compensation_fund"
    PRUDENT = "prudent"

    @property
    def label(self) -> str:
        return FLAG_LABELS[self]


FLAG_LABELS: dict[Flag, str] = {
    Flag.RURAL: "农村",
    Flag.ONLINE: "线上销售",
    Flag.CROSS_STORE_RETURN: "异地异店",
    Flag.COMPENSATION_FUND: "先行赔付金",
    Flag.PRUDENT: "审慎培育",
}
_FLAG_ALIASES: dict[Flag, tuple[str, ...]] = {
    Flag.RURAL: ("农村", "乡村", "在村"),
    Flag.ONLINE: ("线上销售", "网店", "网络销售", "线上", "外卖"),
    Flag.CROSS_STORE_RETURN: ("异地异店", "异地异店退货"),
    Flag.COMPENSATION_FUND: ("先行赔付金",),
    Flag.PRUDENT: ("审慎培育",),
}
_FLAG_LOOKUP = {canon(f.value): f for f in Flag} | {
    canon(alias): flag for flag, aliases in _FLAG_ALIASES.items() for alias in aliases
}


def parse_flag(text: str) -> Flag | None:
    """A flag from its code (``rural``) or its Chinese name (``农村``)."""
    return _FLAG_LOOKUP.get(canon(text))


class _UnitRecord(Protocol):
    @property
    def unit_type(self) -> str: ...
    @property
    def industry(self) -> str | None: ...
    @property
    def address(self) -> str: ...
    @property
    def town(self) -> str: ...
    @property
    def online_shop_name(self) -> str: ...
    @property
    def online_platform(self) -> str: ...
    @property
    def online_url(self) -> str: ...
    @property
    def cross_store_return(self) -> bool: ...
    @property
    def compensation_fund(self) -> bool: ...
    @property
    def prudent(self) -> bool: ...


@dataclass(frozen=True)
class UnitFacts:
    """What conditions are checked against, with how each flag was read off the record."""

    unit_type: UnitType
    industry: str | None
    flags: Mapping[Flag, str]  # the flags that hold, each with why (shown beside a 不适用)


_RURAL_TYPES = (UnitType.VILLAGE, UnitType.VILLAGE_STATION)
# A 村 named after the 镇/乡/街道 of the address: "壶镇镇岩背村12号" names 岩背村. Not a 新村 (a
# housing estate in a town, 曹杨新村).
_VILLAGE = re.compile(r"(?:镇|乡|街道|县|区|市)((?:(?![镇乡县区市道])[\u4e00-\u9fff]){1,5}?村)")


def _village(address: str) -> str | None:
    for match in _VILLAGE.finditer(address):
        if not match.group(1).endswith("新村"):
            return match.group(1)
    return None


def facts_of(unit: _UnitRecord) -> UnitFacts:
    """The unit's facts as its record states them; a flag the record cannot show stays off.

    农村: a 放心消费乡村 or 村级联络站, a 农村家宴放心厨房, a unit whose 乡镇 is a 乡, or whose
    address names a 村 (not a 新村 estate). 线上销售: an online shop, platform or link recorded, or
    the 网店/电商 industry. 异地异店, 先行赔付金 and 审慎培育 are the record's own flags.
    """
    unit_type = UnitType(unit.unit_type)
    flags: dict[Flag, str] = {}
    village = _village(unit.address or "")
    industry = parse_industry(unit.industry or "")
    if unit_type in _RURAL_TYPES:
        flags[Flag.RURAL] = f"单位类型为{unit_type.label}"
    elif industry is not None and industry.rural:
        flags[Flag.RURAL] = f"行业为{industry.label}"
    elif unit.town.strip().endswith("乡"):
        flags[Flag.RURAL] = f"所在乡镇为{unit.town.strip()}"
    elif village is not None:
        flags[Flag.RURAL] = f"地址在{village}"
    online = [v for v in (unit.online_shop_name, unit.online_platform, unit.online_url) if v]
    if online:
        flags[Flag.ONLINE] = f"登记了网店（{online[0]}）"
    elif industry is not None and industry.online:
        flags[Flag.ONLINE] = f"行业为{industry.label}"
    if unit.cross_store_return:
        flags[Flag.CROSS_STORE_RETURN] = "档案标注异地异店"
    if unit.compensation_fund:
        flags[Flag.COMPENSATION_FUND] = "档案标注先行赔付金"
    if unit.prudent:
        flags[Flag.PRUDENT] = "档案标注审慎培育"
    return UnitFacts(unit_type, unit.industry, flags)


_FLAG_ABSENT: dict[Flag, str] = {
    Flag.RURAL: "单位不在农村（地址未写明村，乡镇不是乡）",
    Flag.ONLINE: "单位档案没有登记网店、平台或链接",
    Flag.CROSS_STORE_RETURN: "单位档案未标注异地异店",
    Flag.COMPENSATION_FUND: "单位档案未标注先行赔付金",
    Flag.PRUDENT: "单位档案未标注审慎培育",
}


class _Condition(Protocol):
    """``applies_when`` of an item (:class:`fieldapp.checklists.schema.Condition`)."""

    @property
    def industries(self) -> Sequence[str]: ...
    @property
    def not_industries(self) -> Sequence[str]: ...
    @property
    def unit_types(self) -> Sequence[UnitType]: ...
    @property
    def flags(self) -> Sequence[Flag]: ...
    @property
    def not_flags(self) -> Sequence[Flag]: ...


NA_PREFIX = "自动判不适用："


def condition_text(condition: _Condition) -> str:
    """``applies_when`` in words, for the checklist list: 行业：餐饮；须：农村."""
    parts = []
    if condition.industries:
        parts.append("行业：" + "、".join(industry_label(i) for i in condition.industries))
    if condition.not_industries:
        parts.append("不查：" + "、".join(industry_label(i) for i in condition.not_industries))
    if condition.unit_types:
        parts.append("单位类型：" + "、".join(t.label for t in condition.unit_types))
    if condition.flags:
        parts.append("须：" + "、".join(f.label for f in condition.flags))
    if condition.not_flags:
        parts.append("不能：" + "、".join(f.label for f in condition.not_flags))
    return "；".join(parts)


def reason_not_applicable(condition: _Condition, facts: UnitFacts) -> str | None:
    """Why the item does not apply to the unit (every stated condition must hold), or None."""
    why: list[str] = []
    if condition.industries and facts.industry not in condition.industries:
        names = "、".join(industry_label(i) for i in condition.industries)
        why.append(f"此条只查{names}，本单位行业为{industry_label(facts.industry) or '未填'}")
    if facts.industry is not None and facts.industry in condition.not_industries:
        why.append(f"此条不查{industry_label(facts.industry)}单位")
    if condition.unit_types and facts.unit_type not in condition.unit_types:
        names = "、".join(t.label for t in condition.unit_types)
        why.append(f"此条只查{names}，本单位为{facts.unit_type.label}")
    why.extend(_FLAG_ABSENT[flag] for flag in condition.flags if flag not in facts.flags)
    why.extend(
        f"此条不查{flag.label}单位（{facts.flags[flag]}）"
        for flag in condition.not_flags
        if flag in facts.flags
    )
    return NA_PREFIX + "；".join(why) if why else None


class _Item(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def same_as(self) -> Sequence[str]: ...
    @property
    def applies_when(self) -> _Condition | None: ...


class _Checklist(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def items(self) -> Sequence[_Item]: ...


def split_ref(ref: str, own_checklist: str) -> Key:
    """``B5a`` (an item of the same checklist) or ``bayou-bawu:B5a`` as (checklist id, code)."""
    checklist_id, _, code = ref.rpartition(":")
    return (checklist_id or own_checklist, code)


def links(checklists: Iterable[_Checklist]) -> dict[Key, tuple[Key, ...]]:
    """Each linked item of these checklists and the items it is answered through.

    A link holds only when every item it names is in these checklists and is not itself linked;
    otherwise the item is answered on its own.
    """
    checklists = list(checklists)
    present = {(c.id, i.code) for c in checklists for i in c.items}
    declared = {
        (c.id, i.code): tuple(split_ref(r, c.id) for r in i.same_as)
        for c in checklists
        for i in c.items
        if i.same_as
    }
    return {
        key: sources
        for key, sources in declared.items()
        if all(s in present and s not in declared for s in sources)
    }


def same_as_label(sources: Sequence[Key]) -> str:
    """What the screen and the sheet print for a linked item: 同 B5a, 同 Q1、Q2."""
    return "同 " + "、".join(code for _, code in sources)


class _Answer(Protocol):
    @property
    def result(self) -> str | None: ...
    @property
    def rectify(self) -> str | None: ...
    @property
    def due(self) -> date | None: ...


@dataclass(frozen=True)
class LinkedAnswer:
    """The answer a linked item takes from the items it is answered through."""

    result: Answer
    note: str
    rectify: str | None
    due: date | None


def linked_answer(sources: Sequence[Key], answers: Mapping[Key, _Answer]) -> LinkedAnswer | None:
    """The linked item's answer once all its sources are answered, else None.

    不符合 if any source is (with their 整改要求 and the earliest 期限), 不适用 if all are,
    otherwise 符合.
    """
    found = [answers.get(s) for s in sources]
    rows = [a for a in found if a is not None and a.result]
    if len(rows) < len(sources):
        return None
    label = same_as_label(sources)
    failed = [a for a in rows if a.result == Answer.FAIL]
    if failed:
        rectify = "；".join(dict.fromkeys(a.rectify for a in failed if a.rectify)) or None
        dues = [a.due for a in failed if a.due is not None]
        return LinkedAnswer(Answer.FAIL, label, rectify, min(dues) if dues else None)
    if all(a.result == Answer.NA for a in rows):
        return LinkedAnswer(Answer.NA, label, None, None)
    return LinkedAnswer(Answer.PASS, label, None, None)


def not_applicable(checklists: Iterable[_Checklist], facts: UnitFacts) -> dict[Key, str]:
    """Each item whose ``applies_when`` does not hold for the unit, with the reason."""
    found: dict[Key, str] = {}
    for checklist in checklists:
        for item in checklist.items:
            if item.applies_when is not None:
                reason = reason_not_applicable(item.applies_when, facts)
                if reason is not None:
                    found[(checklist.id, item.code)] = reason
    return found


@dataclass(frozen=True)
class _Plain:
    result: str | None
    rectify: str | None = None
    due: date | None = None


def fill_links(
    checklists: Iterable[_Checklist], results: Mapping[Key, Answer | None]
) -> dict[Key, Answer]:
    """``results`` with every linked item's result set from its sources (the verdict's view)."""
    filled = {k: v for k, v in results.items() if v is not None}
    plain = {k: _Plain(v) for k, v in filled.items()}
    for key, sources in links(checklists).items():
        derived = linked_answer(sources, plain)
        if derived is None:
            filled.pop(key, None)
        else:
            filled[key] = derived.result
    return filled


class _CountedItem(_Item, Protocol):
    @property
    def photo_required(self) -> bool: ...


class _CountedChecklist(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def items(self) -> Sequence[_CountedItem]: ...


@dataclass(frozen=True)
class Workload:
    """The size of a visit: items in the table, those the inspector answers (not linked, not
    不适用 by the unit's facts) and the photos those answers require."""

    items: int
    to_answer: int
    photos: int


def workload(checklists: Sequence[_CountedChecklist], facts: UnitFacts) -> Workload:
    linked = links(checklists)
    skipped = linked.keys() | not_applicable(checklists, facts).keys()
    answered = [item for c in checklists for item in c.items if (c.id, item.code) not in skipped]
    total = sum(len(c.items) for c in checklists)
    return Workload(total, len(answered), sum(1 for i in answered if i.photo_required))
