"""Every string the window shows, in Chinese and English, chosen once at start-up.

Inspectors read Chinese; English is there for reviewers and vendors. One dict per language keeps
the wording in one place until the app needs Qt Linguist (plural forms, translators' tools).
Domain labels (unit types, states, group totals) come from the core in Chinese; English only
overrides them here, so a new unit type shows its Chinese label rather than a raw code.
Data from the store (unit names, station names, checklist text) is shown as it is.
"""

from __future__ import annotations

from fieldapp.domain.lifecycle import State
from fieldapp.domain.vocab import GROUP_LABELS, UnitType

ZH: dict[str, str] = {
    "app.title": "fieldapp 放心消费单位评价",
    "tab.units": "单位",
    "tab.progress": "进度",
    "tab.checklists": "检查表",
    "units.search_placeholder": "输入名称、信用代码或地址",
    "units.all_stations": "全部所",
    "units.all_types": "全部类型",
    "units.all_states": "全部状态",
    "units.count": "共 {n} 家",
    "units.empty_store": "还没有单位。请用 fieldapp units import 导入县局单位名单（CSV 或 XLSX），培训时可用 fieldapp demo --units 1200 --targets 生成演示数据",
    "units.loading": "正在查询…",
    "col.credit_code": "统一社会信用代码",
    "col.name": "单位名称",
    "col.station": "所属所",
    "col.unit_type": "单位类型",
    "col.state": "状态",
    "col.address": "经营地址",
    "detail.empty": "选择一家单位，查看档案和历史。",
    "detail.loading": "正在读取…",
    "detail.shop_name": "门店名称",
    "detail.industry": "行业",
    "detail.town": "乡镇",
    "detail.contact": "负责人",
    "detail.state_since": "（自 {date}）",
    "detail.entered_on": "入库日期",
    "detail.sticker": "标识张贴",
    "detail.online": "网店",
    "detail.history": "历史",
    "detail.no_history": "没有记录。",
    "history.date": "日期",
    "history.change": "变更",
    "history.actor": "经办人",
    "history.reason": "原因",
    "history.sticker": "标识张贴",
    "history.created": "（新建）",
    "progress.year": "年度",
    "progress.as_of": "截至 {date}；完成数 = 去年建成现存 + 今年新培育",
    "progress.total_line": "{label}：任务 {target}，完成 {achieved}（{ratio}）",
    "progress.empty": "{year} 年没有任务，也没有计入的单位。请先导入任务表。",
    "progress.days_left": "{name}（{due}）：还有 {days} 天",
    "progress.days_over": "{name}（{due}）：已过 {days} 天",
    "pcol.station": "所",
    "pcol.unit_type": "单位类型",
    "pcol.target": "任务数",
    "pcol.achieved": "完成数",
    "pcol.stock": "现存",
    "pcol.new": "新培育",
    "pcol.ratio": "完成率",
    "pcol.confirmed": "后评价通过",
    "pcol.stickers": "标识张贴",
    "ccol.title": "名称 / 条目",
    "ccol.id": "编号",
    "ccol.version": "版本",
    "ccol.items": "条目数",
    "ccol.origin": "来源",
    "ccol.gate": "否决",
    "origin.bundled": "内置",
    "origin.county": "县局",
    "gate.veto": "否决项",
    "gate.warn": "警示项",
    "checklists.problems": "有 {n} 个检查表文件未能载入，请检查：\n{problems}",
    "error.title": "fieldapp 出错了",
    "error.store_open": "无法打开数据目录：{folder}\n\n{error}",
    "error.unexpected": "程序内部错误（{kind}）：{error}",
}

EN: dict[str, str] = {
    "app.title": "fieldapp — trusted consumption unit evaluation",
    "tab.units": "Units",
    "tab.progress": "Progress",
    "tab.checklists": "Checklists",
    "units.search_placeholder": "Name, credit code or address",
    "units.all_stations": "All stations",
    "units.all_types": "All unit types",
    "units.all_states": "All states",
    "units.count": "{n} units",
    "units.empty_store": "No units yet. Import the county's unit list with fieldapp units import (CSV or XLSX); for training, fieldapp demo --units 1200 --targets makes demo data",
    "units.loading": "Searching…",
    "col.credit_code": "Credit code",
    "col.name": "Name",
    "col.station": "Station",
    "col.unit_type": "Unit type",
    "col.state": "State",
    "col.address": "Address",
    "detail.empty": "Select a unit to see its record and history.",
    "detail.loading": "Loading…",
    "detail.shop_name": "Shop name",
    "detail.industry": "Industry",
    "detail.town": "Town",
    "detail.contact": "Contact",
    "detail.state_since": " (since {date})",
    "detail.entered_on": "Entered pool",
    "detail.sticker": "Sticker posted",
    "detail.online": "Online shop",
    "detail.history": "History",
    "detail.no_history": "No events.",
    "history.date": "Date",
    "history.change": "Change",
    "history.actor": "By",
    "history.reason": "Reason",
    "history.sticker": "Sticker posted",
    "history.created": "(new)",
    "progress.year": "Year",
    "progress.as_of": "As of {date}; achieved = last year's stock + new this year",
    "progress.total_line": "{label}: target {target}, achieved {achieved} ({ratio})",
    "progress.empty": "No targets and no counted units for {year}. Import the task table first.",
    "progress.days_left": "{name} ({due}): {days} days left",
    "progress.days_over": "{name} ({due}): {days} days overdue",
    "pcol.station": "Station",
    "pcol.unit_type": "Unit type",
    "pcol.target": "Target",
    "pcol.achieved": "Achieved",
    "pcol.stock": "Stock",
    "pcol.new": "New",
    "pcol.ratio": "Ratio",
    "pcol.confirmed": "Passed post-eval.",
    "pcol.stickers": "Stickers",
    "ccol.title": "Title / item",
    "ccol.id": "ID",
    "ccol.version": "Version",
    "ccol.items": "Items",
    "ccol.origin": "Origin",
    "ccol.gate": "Gate",
    "origin.bundled": "bundled",
    "origin.county": "county",
    "gate.veto": "veto",
    "gate.warn": "warning",
    "checklists.problems": "{n} checklist files could not be loaded:\n{problems}",
    "error.title": "fieldapp error",
    "error.store_open": "Cannot open the data folder: {folder}\n\n{error}",
    "error.unexpected": "Internal error ({kind}): {error}",
    # Domain labels: Chinese comes from the core (vocab.py, lifecycle.py).
    "unit_type.general": "Trusted consumption unit",
    "unit_type.no_reason_return": "No-reason-return unit",
    "unit_type.factory": "Trusted factory",
    "unit_type.district": "Trusted district",
    "unit_type.village": "Trusted village",
    "unit_type.village_station": "Village liaison station",
    "state.candidate": "Candidate",
    "state.cultivating": "Cultivating",
    "state.committed": "Committed",
    "state.evaluating": "Post-eval.",
    "state.confirmed": "Trusted unit",
    "state.starred": "Star rated",
    "state.warning": "Warning list",
    "state.removed": "Removed",
    "state.closed": "Closed",
    "group.units": "Units total",
    "group.areas": "Districts/villages total",
    "group.village_stations": "Liaison stations total",
}

LANGUAGES: dict[str, dict[str, str]] = {"zh_CN": ZH, "en": EN}
DEFAULT_LANGUAGE = "zh_CN"

_table: dict[str, str] = ZH
_language = DEFAULT_LANGUAGE


def set_language(language: str | None) -> None:
    """Choose the language once, before any window is built (widgets do not re-translate)."""
    global _table, _language
    _language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    _table = LANGUAGES[_language]


def language() -> str:
    return _language


def tr(key: str, **values: object) -> str:
    """The string for ``key`` in the chosen language (Chinese if English lacks it)."""
    text = _table.get(key) or ZH.get(key) or key
    return text.format(**values) if values else text


def unit_type_label(code: str) -> str:
    try:
        fallback = UnitType(code).label
    except ValueError:
        return code
    return _table.get(f"unit_type.{code}", fallback)


def state_label(code: str | None) -> str:
    if not code:
        return ""
    try:
        fallback = State(code).label
    except ValueError:
        return code
    return _table.get(f"state.{code}", fallback)


def group_label(group: str) -> str:
    return _table.get(f"group.{group}", GROUP_LABELS.get(group, group))
