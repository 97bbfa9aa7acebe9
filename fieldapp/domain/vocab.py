"""Controlled vocabularies: the six unit types of seed 002 and the industries behind the X modules.

Each entry has a stable ASCII code (stored in the database and used in checklist files), a
Chinese label (shown to users) and the aliases that county spreadsheets use for it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class UnitType(StrEnum):
    GENERAL = "general"
    NO_REASON_RETURN = "no_reason_return"
    FACTORY = "factory"
    DISTRICT = "district"
    VILLAGE = "village"
    VILLAGE_STATION = "village_station"

    @property
    def label(self) -> str:
        return UNIT_TYPE_LABELS[self]

    @property
    def is_area(self) -> bool:
        """街区/乡村 are counted apart from the 1122-style unit totals."""
        return self in (UnitType.DISTRICT, UnitType.VILLAGE)

    @property
    def group(self) -> str:
        """Seed 002 totals three groups apart: units (1122), areas (5), village stations (19)."""
        if self.is_area:
            return "areas"
        return "village_stations" if self is UnitType.VILLAGE_STATION else "units"


GROUP_LABELS = {"units": "单位合计", "areas": "街区/乡村合计", "village_stations": "村级联络站合计"}

UNIT_TYPE_LABELS: dict[UnitType, str] = {
    UnitType.GENERAL: "一般放心消费单位",
    UnitType.NO_REASON_RETURN: "线下无理由退货承诺单位",
    UnitType.FACTORY: "放心工厂",
    UnitType.DISTRICT: "放心消费街区(商圈)",
    UnitType.VILLAGE: "放心消费乡村",
    UnitType.VILLAGE_STATION: "村级消费维权联络站(点)",
}

_UNIT_TYPE_ALIASES: dict[UnitType, tuple[str, ...]] = {
    UnitType.GENERAL: ("一般单位", "一般", "放心消费单位", "一般放心消费单位"),
    UnitType.NO_REASON_RETURN: (
        "无理由退货单位",
        "无理由退货",
        "无理由退货承诺单位",
        "线下无理由退货承诺单位",
        "线下无理由退货",
    ),
    UnitType.FACTORY: ("放心工厂", "工厂"),
    UnitType.DISTRICT: (
        "放心消费街区(商圈)",
        "放心消费街区",
        "街区",
        "商圈",
        "示范街区",
        "街区(商圈)",
    ),
    UnitType.VILLAGE: ("放心消费乡村", "乡村", "村"),
    UnitType.VILLAGE_STATION: (
        "村级消费维权联络站(点)",
        "村级消费维权联络站",
        "村级联络站",
        "联络站",
        "维权联络站",
        "联络点",
    ),
}


def canon(text: str) -> str:
    """Normalise a label for matching: NFKC (full-width to half-width), no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


_UNIT_TYPE_LOOKUP: dict[str, UnitType] = {}
for _type, _aliases in _UNIT_TYPE_ALIASES.items():
    for _alias in (_type.value, *_aliases):
        _UNIT_TYPE_LOOKUP[canon(_alias)] = _type


def parse_unit_type(text: str) -> UnitType | None:
    return _UNIT_TYPE_LOOKUP.get(canon(text))


@dataclass(frozen=True)
class Industry:
    code: str
    label: str
    aliases: tuple[str, ...] = ()
    rural: bool = False  # its units are in the countryside (checklists' applies_when 农村)
    online: bool = False  # its units sell online (applies_when 线上销售)
    factory: bool = False  # its units are built as 放心工厂 rather than 放心消费单位


# The industries of DOMAIN.md A(iii), then those the seeds name besides (seed 000 annexes 1 and 2
# and §§5–21, seed 001 §二(一), seed 003 §二); each has an X module in the bundled checklists. Codes
# are stored in the database: never rename one. Aliases are the spellings of county spreadsheets
# and of the seeds' task tables (e.g. seed 000 annex 2's 创建类型 "电信营业厅", "粮油店").
INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "retail",
        "商场超市/商店",
        ("商场", "超市", "商店", "零售", "商场超市", "便利店", "百货", "旅游商店", "放心商店"),
    ),
    Industry("catering", "餐饮", ("餐饮服务", "饭店", "餐馆", "酒店餐饮", "放心餐饮")),
    Industry(
        "online", "网店/电商/直播", ("网店", "电商", "电子商务", "直播", "网络销售"), online=True
    ),
    Industry(
        "market",
        "农贸市场/专业市场",
        (
            *("农贸市场", "专业市场", "市场", "集贸市场", "放心农贸市场", "城乡放心农贸市场"),
            *("消费品专业市场", "放心市场"),
        ),
    ),
    Industry("tourism", "景区/旅游", ("景区", "旅游", "酒店", "宾馆", "民宿", "旅行社", "住宿")),
    Industry(
        "manufacturing",
        "生产制造(放心工厂)",
        ("生产制造", "制造业", "工厂", "生产企业"),
        factory=True,
    ),
    Industry("pharmacy", "药店/医药", ("药店", "医药", "药房", "医药零售")),
    Industry("auto", "汽车销售维修", ("汽车", "4s店", "汽车4s店", "汽车维修", "汽修", "汽车销售")),
    Industry(
        "beauty_fitness",
        "美容美发/健身",
        ("美容美发", "美容", "美发", "健身", "理发", "足浴", "洗浴"),
    ),
    Industry("education", "教育培训", ("教育培训", "培训", "培训机构", "教育")),
    Industry(
        "cosmetics",
        "化妆品",
        (
            *("化妆品经营", "化妆品店", "化妆品经营单位", "美妆", "美妆店"),
            *("放心化妆品", "放心化妆品示范经营单位", "放心化妆品经营单位"),
        ),
    ),
    Industry(
        "agri_inputs",
        "农资经营",
        (
            *("农资", "农资经营店", "农资店", "农资经营示范店", "农资商店", "农药店"),
            *("农药化肥", "种子店", "化肥店"),
        ),
    ),
    Industry("grain_oil", "粮油(放心粮油)", ("粮油", "粮油店", "放心粮油", "粮油供应店", "粮店")),
    Industry(
        "telecom",
        "电信/通信营业厅",
        (
            *("电信营业厅", "通信营业厅", "营业厅", "电信", "通信", "移动营业厅"),
            *("联通营业厅", "广电营业厅", "信息消费"),
        ),
    ),
    Industry(
        "express",
        "快递企业/网点",
        ("快递", "快递企业", "快递网点", "快递物流", "快递驿站", "邮政快递", "物流"),
    ),
    Industry(
        "finance",
        "金融/保险网点",
        (
            *("金融", "银行", "银行网点", "保险", "保险机构", "保险网点", "证券"),
            *("证券营业部", "金融机构"),
        ),
    ),
    Industry(
        "utilities",
        "供电/供水/供气营业网点",
        (
            *("供电", "电力", "电力网点", "供电营业厅", "供水", "自来水", "供气", "燃气"),
            *("公用事业", "水电气"),
        ),
    ),
    Industry("elderly_care", "养老机构", ("养老", "养老院", "养老服务", "敬老院", "老年公寓")),
    Industry(
        "transport",
        "客运站/出租车/网约车/驾培",
        (
            *("客运站", "汽车客运站", "客运", "出租车", "出租汽车", "网约车"),
            *("驾校", "驾培", "驾驶员培训", "机动车驾驶员培训", "交通运输"),
        ),
    ),
    Industry("property", "物业服务", ("物业", "物业公司", "物业管理", "物业服务企业")),
    Industry(
        "culture",
        "文化娱乐(电影院/网吧/演出场所)",
        (
            *("文化娱乐", "文化", "娱乐", "电影院", "影院", "影城", "网吧", "上网服务"),
            *("演出场所", "剧院", "ktv", "歌厅", "娱乐场所"),
        ),
    ),
    Industry(
        "medical",
        "医疗机构",
        ("医院", "诊所", "门诊部", "卫生院", "医疗", "医疗卫生", "口腔诊所", "医疗美容", "医美"),
    ),
    Industry(
        "real_estate",
        "房地产/住宅装修",
        (
            *("房地产", "房产", "房地产开发", "售楼处", "房产中介", "房地产经纪"),
            *("住宅装修", "装修", "家装", "装饰装修", "装修公司"),
        ),
    ),
    Industry("tv_shopping", "电视购物", ("电视购物频道", "电视购物企业")),
    Industry(
        "school_canteen",
        "学校食堂阳光厨房",
        (
            *("学校食堂", "中小学食堂", "幼儿园食堂", "校园食堂", "阳光厨房"),
            *("智能阳光厨房", "中小学、等级幼儿园食堂“智能阳光厨房”"),
        ),
    ),
    Industry(
        "banquet_kitchen",
        "农村家宴放心厨房",
        ("农村家宴", "家宴厨房", "家宴放心厨房", "家宴中心", "改造提升农村家宴放心厨房"),
        rural=True,
    ),
    Industry("other", "其他", ("其它", "其他行业")),
)
OTHER_INDUSTRY = "other"  # not an industry of its own: coverage figures leave it out

_INDUSTRY_LOOKUP: dict[str, Industry] = {}
for _industry in INDUSTRIES:
    for _alias in (_industry.code, _industry.label, *_industry.aliases):
        _INDUSTRY_LOOKUP[canon(_alias)] = _industry

INDUSTRY_CODES = frozenset(i.code for i in INDUSTRIES)


def parse_industry(text: str) -> Industry | None:
    return _INDUSTRY_LOOKUP.get(canon(text))


def industry_label(code: str | None) -> str:
    if not code:
        return ""
    found = _INDUSTRY_LOOKUP.get(canon(code))
    return found.label if found else code


class _Labelled(Protocol):
    @property
    def label(self) -> str: ...


def label_or(enum_cls: Callable[[str], _Labelled], value: str | None, empty: str = "") -> str:
    """The label of ``value`` as a member of ``enum_cls``; ``empty`` when there is no value and
    the value itself when it is not a member (an unknown code is shown as it is stored)."""
    if not value:
        return empty
    try:
        return enum_cls(value).label
    except ValueError:
        return value
