"""What can happen to a unit, as dated events: the kinds, and the roles of those who act.

Every change of a unit (state, station, address, type, industry, 审慎培育 flag, sticker and the
other record fields) is one :class:`EventKind`; figures for an earlier date are folded from these
events, so a change made today never rewrites an earlier year. Pure vocabulary, no I/O.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    STATE = "state"  # lifecycle move (old/new state in from_state/to_state)
    STICKER = "sticker"  # 标识张贴
    STATION = "station"  # 所属所变更 (old/new station name)
    ADDRESS = "address"  # 地址变更
    UNIT_TYPE = "unit_type"  # 单位类型变更
    INDUSTRY = "industry"  # 行业变更
    PRUDENT = "prudent"  # 审慎培育 flag set or cleared
    DETAILS = "details"  # any other record field (``field`` names it)

    @property
    def label(self) -> str:
        return EVENT_KIND_LABELS[self]


EVENT_KIND_LABELS: dict[EventKind, str] = {
    EventKind.STATE: "状态变更",
    EventKind.STICKER: "标识张贴",
    EventKind.STATION: "所属所变更",
    EventKind.ADDRESS: "地址变更",
    EventKind.UNIT_TYPE: "单位类型变更",
    EventKind.INDUSTRY: "行业变更",
    EventKind.PRUDENT: "审慎培育标记",
    EventKind.DETAILS: "信息变更",
}

# The record fields that have an event kind of their own; every other field is DETAILS.
FIELD_KINDS: dict[str, EventKind] = {
    "station": EventKind.STATION,
    "address": EventKind.ADDRESS,
    "unit_type": EventKind.UNIT_TYPE,
    "industry": EventKind.INDUSTRY,
    "prudent": EventKind.PRUDENT,
}


class Role(StrEnum):
    """Who is acting: the account roles of the county server, also used on the desktop."""

    INSPECTOR = "inspector"
    STATION = "station"
    COUNTY = "county"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.INSPECTOR: "检查人员",
    Role.STATION: "所（分局）负责人",
    Role.COUNTY: "县局",
}

COUNTY_CONFIRMED = "县局确认"
