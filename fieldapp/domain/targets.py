"""What a task table asks for (DOMAIN.md C): target kinds, ratio targets and the cells counties
write. Pure vocabulary and parsing, no I/O.

A target is a count of something for a year and an org unit (a 所/分局, a 区县, or the county
itself). *What* is counted is its :class:`TargetKind`:

- ``unit_type``: units of one :class:`~fieldapp.domain.vocab.UnitType` (seed 002's 一般 679,
  无理由退货 330, 放心工厂 113, 街区 2, 乡村 3, 村级联络站 19);
- ``units``: 放心消费单位 of every type in the 1122-style group (seed 000's 17000, whose 其中
  无理由 5700 and 放心工厂 5200 are subsets of it, not extra units);
- the categories of seed 000 annex 1 (放心农贸市场, 农村家宴放心厨房, 阳光厨房, 放心化妆品示范
  经营单位, 放心化妆品示范街区), each counted from units by :func:`counts_toward`;
- ``demonstration``: the industry demonstration types of seed 000 annex 2 (电信营业厅, 汽车4S店,
  …), each with its 行业领域 and 责任单位.

Ratio targets (:class:`RatioKind`) are shares with a threshold and a denominator the county
enters (市场有效主体数, 乡镇数, …): seed 000's ≥5% and ≥70%, seed 003's "678".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from fieldapp.domain.vocab import UnitType, canon, parse_unit_type


class TargetKind(StrEnum):
    UNIT_TYPE = "unit_type"
    UNITS = "units"
    MARKET = "market"
    BANQUET_KITCHEN = "banquet_kitchen"
    SUNSHINE_KITCHEN = "sunshine_kitchen"
    COSMETICS_UNIT = "cosmetics_unit"
    COSMETICS_DISTRICT = "cosmetics_district"
    DEMONSTRATION = "demonstration"

    @property
    def label(self) -> str:
        return TARGET_KIND_LABELS[self]

    @property
    def is_category(self) -> bool:
        """Counted among units named 放心消费单位/星级库 (not as stock + new units)."""
        return self not in (TargetKind.UNIT_TYPE, TargetKind.UNITS)


TARGET_KIND_LABELS: dict[TargetKind, str] = {
    TargetKind.UNIT_TYPE: "单位类型",
    TargetKind.UNITS: "放心消费单位",
    TargetKind.MARKET: "放心农贸市场",
    TargetKind.BANQUET_KITCHEN: "农村家宴放心厨房",
    TargetKind.SUNSHINE_KITCHEN: "阳光厨房",
    TargetKind.COSMETICS_UNIT: "放心化妆品示范经营单位",
    TargetKind.COSMETICS_DISTRICT: "放心化妆品示范街区",
    TargetKind.DEMONSTRATION: "重点行业示范单位",
}

# Headers and 类别 cells as counties write them (compared after :func:`header_key`).
_KIND_ALIASES: dict[TargetKind, tuple[str, ...]] = {
    TargetKind.UNITS: ("放心消费单位", "培育放心消费单位", "放心消费单位数", "放心单位"),
    TargetKind.MARKET: (
        "放心农贸市场",
        "城乡放心农贸市场",
        "农贸市场",
        "放心市场",
        "示范型放心市场",
    ),
    TargetKind.BANQUET_KITCHEN: (
        "农村家宴放心厨房",
        "改造提升农村家宴放心厨房",
        "家宴放心厨房",
        "家宴厨房",
    ),
    TargetKind.SUNSHINE_KITCHEN: (
        "阳光厨房",
        "智能阳光厨房",
        "中小学、等级幼儿园食堂智能阳光厨房",
        "中小学等级幼儿园食堂智能阳光厨房",
        "学校食堂阳光厨房",
    ),
    TargetKind.COSMETICS_UNIT: (
        "放心化妆品示范经营单位",
        "化妆品示范经营单位",
        "放心化妆品经营单位",
    ),
    TargetKind.COSMETICS_DISTRICT: ("放心化妆品示范街区", "化妆品示范街区"),
    TargetKind.DEMONSTRATION: ("示范单位", "放心消费示范单位", "重点行业示范单位"),
}

# Unit-type spellings of printed tables that vocab's aliases do not cover.
_EXTRA_UNIT_TYPES: dict[str, UnitType] = {
    "放心消费示范街区": UnitType.DISTRICT,
    "放心消费示范街区(商圈)": UnitType.DISTRICT,
    "示范街区(商圈)": UnitType.DISTRICT,
    "放心消费乡村数": UnitType.VILLAGE,
    "村级消费维权联络站(点)数": UnitType.VILLAGE_STATION,
}

# Short labels for summaries ("单位 1122 家（一般 679、无理由退货 330、放心工厂 113）").
SHORT_LABELS: dict[UnitType, str] = {
    UnitType.GENERAL: "一般",
    UnitType.NO_REASON_RETURN: "无理由退货",
    UnitType.FACTORY: "放心工厂",
    UnitType.DISTRICT: "街区",
    UnitType.VILLAGE: "乡村",
    UnitType.VILLAGE_STATION: "村级联络站",
}

_QUOTES = "“”\"‘’'「」『』《》"


def header_key(text: str) -> str:
    """A header or label for matching: :func:`canon` without quotes (seed 000 prints
    中小学、等级幼儿园食堂“智能阳光厨房” across three lines)."""
    return "".join(c for c in canon(text) if c not in _QUOTES)


_KIND_LOOKUP: dict[str, TargetKind] = {
    header_key(alias): kind
    for kind, aliases in _KIND_ALIASES.items()
    for alias in (kind.value, kind.label, *aliases)
}


@dataclass(frozen=True)
class What:
    """What a column or a 类别 cell counts: a kind, and the unit type when the kind is one."""

    kind: TargetKind
    unit_type: UnitType | None = None

    @property
    def label(self) -> str:
        return self.unit_type.label if self.unit_type else self.kind.label

    @property
    def is_area(self) -> bool:
        """街区 or 乡村: cells such as "1 区" are read by :func:`parse_area_cell`."""
        return self.unit_type is not None and self.unit_type.is_area


def parse_what(text: str) -> What | None:
    """A unit type (一般单位, 放心工厂, 村级联络站 …) or a target kind (放心农贸市场 …)."""
    key = header_key(text)
    kind = _KIND_LOOKUP.get(key)  # first: in a task table 放心消费单位 is all of them, not 一般
    if kind is not None:  # never UNIT_TYPE: that kind has no aliases of its own
        return What(kind)
    unit_type = _EXTRA_UNIT_TYPES.get(key) or parse_unit_type(key)
    return What(TargetKind.UNIT_TYPE, unit_type) if unit_type is not None else None


def is_combined_areas(header: str) -> bool:
    """Seed 002's one column for both: 放心消费示范街区（商圈）村, with cells "1 区", "1 村"."""
    key = header_key(header)
    return ("街区" in key or "商圈" in key) and "村" in key and "联络" not in key


_AREA_TOKEN = re.compile(r"(\d+)\s*(?:个)?\s*(街区|商圈|乡村|区|村)?")
_AREA_SUFFIX = {
    "区": UnitType.DISTRICT,
    "街区": UnitType.DISTRICT,
    "商圈": UnitType.DISTRICT,
    "村": UnitType.VILLAGE,
    "乡村": UnitType.VILLAGE,
}


@dataclass(frozen=True)
class AreaCell:
    """A 街区/乡村 cell: counts by type, and a bare number whose type is not written."""

    districts: int = 0
    villages: int = 0
    unmarked: int = 0

    @property
    def total(self) -> int:
        return self.districts + self.villages + self.unmarked


def parse_area_cell(text: str) -> AreaCell:
    """ "1 区" → 1 街区; "1 村" → 1 乡村; "1 区 1 村" → both; "" → none; "5" → 5 unmarked."""
    value = unicodedata.normalize("NFKC", text).strip()
    if not value:
        return AreaCell()
    districts = villages = unmarked = 0
    position = 0
    for match in _AREA_TOKEN.finditer(value):
        if value[position : match.start()].strip(" ,，、;；"):
            break
        number, suffix = int(match.group(1)), match.group(2)
        if suffix is None:
            unmarked += number
        elif _AREA_SUFFIX[suffix] is UnitType.DISTRICT:
            districts += number
        else:
            villages += number
        position = match.end()
    if position == 0 or value[position:].strip(" ,，、;；"):
        raise ValueError(f"「{text}」无法识别，请写成「1 区」「1 村」或「1 区 1 村」")
    return AreaCell(districts, villages, unmarked)


# --- county-level figures and pending rows -------------------------------------------------------------------------------


COUNTY = "县级"  # a figure without a 所: its scope in tables, summaries and messages


def pending_label(note: str) -> str:
    """A row with words instead of numbers: 待分解 (seed 000 景区: "按省下达的任务指标另行分解")
    or 不单列 (旅游商店: "统一纳入市市场监管局牵头的放心商店创建")."""
    return "待分解" if "分解" in note or not note.strip() else "不单列"


# --- shares and thresholds ----------------------------------------------------------------------

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10}  # fmt: skip


def parse_share(text: str) -> Fraction:
    """A first-year share: "1/3", "三分之一", "50%"."""
    value = unicodedata.normalize("NFKC", text).strip()
    match = re.fullmatch(r"(\d+)\s*/\s*(\d+)", value)
    if match:
        num, den = int(match.group(1)), int(match.group(2))
    elif cn := re.fullmatch(r"([一二两三四五六七八九十])分之([一二三四五六七八九十])", value):
        den, num = _CN_DIGITS[cn.group(1)], _CN_DIGITS[cn.group(2)]
    elif pct := re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", value):
        share = Fraction(pct.group(1)) / 100
        num, den = share.numerator, share.denominator
    else:
        raise ValueError(f"比例「{text}」无法识别，请写成 1/3、三分之一 或 33%")
    if den == 0 or not 0 < num <= den:
        raise ValueError(f"比例「{text}」应大于 0、不超过 1")
    return Fraction(num, den)


def share_text(share: Fraction) -> str:
    names = {v: k for k, v in _CN_DIGITS.items() if k != "两"}
    if share.denominator in names and share.numerator in names and share < 1:
        return f"{names[share.denominator]}分之{names[share.numerator]}"
    return f"{share.numerator}/{share.denominator}"


_THRESHOLD_WORDS = ("≥", ">=", ">", "不低于", "不少于", "达到", "以上", "及以上", "至少")


def parse_threshold(text: str) -> float:
    """A ratio threshold: "≥5%", "5%以上", "70%", "100%", "0.05"."""
    value = unicodedata.normalize("NFKC", text).strip()
    for word in _THRESHOLD_WORDS:
        value = value.replace(unicodedata.normalize("NFKC", word), "")
    value = value.strip()
    try:
        if value.endswith("%"):
            number = float(value[:-1]) / 100
        else:
            number = float(value)
            if number > 1:
                raise ValueError
    except ValueError:
        raise ValueError(f"比例「{text}」无法识别，请写成 5%、≥70% 或 0.05") from None
    if not 0 < number <= 1:
        raise ValueError(f"比例「{text}」应大于 0、不超过 100%")
    return number


def percent(value: float) -> str:
    return f"{value * 100:.4g}%"


def threshold_text(value: float) -> str:
    """ "≥5%", "100%" (a full share is not "≥100%")."""
    return percent(value) if value >= 1 else f"≥{percent(value)}"


# --- ratio targets ------------------------------------------------------------------------------


class RatioKind(StrEnum):
    UNIT_SHARE = "unit_share"
    NO_REASON_SHARE = "no_reason_share"
    INDUSTRY_COVERAGE = "industry_coverage"
    TOWN_COVERAGE = "town_coverage"
    MARKET_PARTICIPATION = "market_participation"

    @property
    def label(self) -> str:
        return RATIO_LABELS[self][0]

    @property
    def denominator_label(self) -> str:
        return RATIO_LABELS[self][1]

    @property
    def numerator_label(self) -> str:
        return RATIO_LABELS[self][2]


RATIO_LABELS: dict[RatioKind, tuple[str, str, str]] = {
    RatioKind.UNIT_SHARE: ("放心消费单位占市场有效主体比例", "市场有效主体数", "放心消费单位数"),
    RatioKind.NO_REASON_SHARE: (
        "无理由退货单位占符合条件单位比例",
        "符合无理由退货条件的单位数",
        "无理由退货单位数",
    ),
    RatioKind.INDUSTRY_COVERAGE: (
        "重点行业领域覆盖率",
        "重点行业领域数",
        "已有放心消费单位的行业数",
    ),
    RatioKind.TOWN_COVERAGE: (
        "乡镇(街道)参与创建覆盖率",
        "乡镇(街道)数",
        "已有放心消费单位的乡镇数",
    ),
    RatioKind.MARKET_PARTICIPATION: ("市场参与创建率", "市场数", "参与创建的市场数"),
}

_RATIO_ALIASES: dict[RatioKind, tuple[str, ...]] = {
    RatioKind.UNIT_SHARE: (
        "放心消费单位占比",
        "占市场有效主体比例",
        "占市场主体比例",
        "市场主体创建率",
        "主体创建率",
        "放心消费单位占市场主体比例",
    ),
    RatioKind.NO_REASON_SHARE: ("无理由退货占比", "无理由退货覆盖率", "无理由退货单位占比"),
    RatioKind.INDUSTRY_COVERAGE: ("行业覆盖率", "重点行业覆盖率", "行业创建率", "重点行业领域覆盖"),
    RatioKind.TOWN_COVERAGE: (
        "乡镇覆盖率",
        "乡镇参与率",
        "乡镇(街道)覆盖率",
        "镇街覆盖率",
        "乡镇(街道)参与创建覆盖率",
        "镇(街道)、村(社区)创建率",
    ),
    RatioKind.MARKET_PARTICIPATION: ("市场参与率", "市场创建率", "市场参与创建率"),
}

_RATIO_LOOKUP: dict[str, RatioKind] = {
    header_key(alias): kind
    for kind, aliases in _RATIO_ALIASES.items()
    for alias in (kind.value, kind.label, *aliases)
}


def parse_ratio_kind(text: str) -> RatioKind | None:
    return _RATIO_LOOKUP.get(header_key(text))


# --- counting a category from units -------------------------------------------------------------


@dataclass(frozen=True)
class UnitFacts:
    """What :func:`counts_toward` looks at: the unit's type, industry code and names."""

    unit_type: UnitType
    industry: str | None
    category: str
    name: str


def counts_toward(kind: TargetKind, unit: UnitFacts, *, unit_type: UnitType | None = None,
                  industry: str = "") -> bool:  # fmt: skip
    """Whether ``unit`` is one of what a target of ``kind`` counts.

    Categories are told by the unit's 行业 (放心农贸市场: industry ``market``) or by words in its
    经营类别 or name (家宴, 阳光厨房/食堂, 化妆品); a demonstration type by its 创建类型 written in
    the unit's 经营类别 or name (e.g. 经营类别 "电信营业厅").
    """
    if kind is TargetKind.UNIT_TYPE:
        return unit.unit_type is unit_type
    if kind is TargetKind.UNITS:
        return unit.unit_type.group == "units"
    if kind is TargetKind.MARKET:
        return unit.industry == "market"
    words = header_key(unit.category) + "|" + header_key(unit.name)
    if kind is TargetKind.BANQUET_KITCHEN:
        return "家宴" in words
    if kind is TargetKind.SUNSHINE_KITCHEN:
        return "阳光厨房" in words or "食堂" in words
    if kind is TargetKind.COSMETICS_UNIT:
        return "化妆品" in words and not unit.unit_type.is_area
    if kind is TargetKind.COSMETICS_DISTRICT:
        return "化妆品" in words and unit.unit_type is UnitType.DISTRICT
    named = parse_what(industry)  # a demonstration type that is a category: 放心农贸市场
    if named is not None and named.kind.is_category and named.kind is not TargetKind.DEMONSTRATION:
        return counts_toward(named.kind, unit)
    key = header_key(industry).removeprefix("放心")
    return bool(key) and key in words
