"""The ``fieldapp`` command: office batch work on the same core the window uses.

Exit codes: 0 done, 1 invalid input (every message names the file, row or item), 2 usage.
With no subcommand the desktop window starts.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from fieldapp import __version__, paths, settings
from fieldapp.checklists import load_file
from fieldapp.domain import lifecycle
from fieldapp.domain.lifecycle import State
from fieldapp.domain.vocab import GROUP_LABELS, UnitType, industry_label, parse_unit_type
from fieldapp.errors import FieldappError, InvalidInput
from fieldapp.imports import cells
from fieldapp.storage.models import PlanYear, Unit, UnitEvent
from fieldapp.store import Store, StoreMissing
from fieldapp.textout import ProgressLine, print_json, table

if TYPE_CHECKING:
    from fieldapp.imports.targets import TargetImportResult
    from fieldapp.services.plan_progress import PlanProgress
    from fieldapp.services.unit_changes import Change

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

# Modules that add their own subcommands with ``register(subparsers)``.
COMMAND_MODULES = (
    "fieldapp.cli_evaluations",
    "fieldapp.cli_backup",
    "fieldapp.cli_sync",
    "fieldapp.cli_exports",
    "fieldapp.cli_reports",
    "fieldapp.frozen_check",  # the hidden ``selftest`` of a frozen or installed build
)


class UsageError(Exception):
    """Wrong use of the command line: exit 2 with the message."""


_print_json = print_json  # the name cli_evaluations and cli_sync import


def _actor(args: argparse.Namespace, store: Store) -> str:
    if getattr(args, "actor", None):
        return str(args.actor)
    return settings.load(store.folder).inspector_name or getpass.getuser()


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return cells.parse_date(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


# --- checklists -------------------------------------------------------------------------------


def cmd_checklists_list(args: argparse.Namespace, store: Store) -> int:
    entries = store.library.all()
    if args.json:
        _print_json(
            [
                {
                    "id": e.checklist.id,
                    "version": e.checklist.version,
                    "title": e.checklist.title,
                    "kind": e.checklist.kind,
                    "items": len(e.checklist.items),
                    "unit_types": [t.value for t in e.checklist.applies.unit_types],
                    "industries": e.checklist.applies.industries,
                    "origin": e.origin,
                    "path": str(e.path),
                    "sha256": e.checklist.content_hash(),
                }
                for e in entries
            ]
        )
    else:
        rows = [
            (
                e.checklist.id,
                e.checklist.version,
                e.checklist.title,
                len(e.checklist.items),
                "、".join(t.label for t in e.checklist.applies.unit_types) or "全部",
                "、".join(industry_label(i) for i in e.checklist.applies.industries) or "不限",
                "内置" if e.origin == "bundled" else "县局",
            )
            for e in entries
        ]
        print(table(("编号", "版本", "名称", "条目", "适用单位类型", "行业", "来源"), rows, {1, 3}))
        print(f"\n共 {len(entries)} 张检查表；县局检查表放在 {store.folder / 'checklists'}")
    for problem in store.library.problems:
        print(f"警告：{problem}", file=sys.stderr)
    return EXIT_INVALID if store.library.problems else EXIT_OK


def cmd_checklists_check(args: argparse.Namespace) -> int:
    failed = 0
    for raw in args.paths:
        path = Path(raw)
        files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
        if not files:
            print(f"{path}：文件夹中没有 .toml 检查表文件", file=sys.stderr)
            failed += 1
        for file in files:
            try:
                checklist = load_file(file)
            except InvalidInput as exc:
                failed += 1
                print(str(exc), file=sys.stderr)
                continue
            print(
                f"{file}：正确（{checklist.id} 第 {checklist.version} 版，{len(checklist.items)} 条）"
            )
    return EXIT_INVALID if failed else EXIT_OK


# --- units ------------------------------------------------------------------------------------


def cmd_units_import(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.domain.events import EventKind
    from fieldapp.imports.units import import_units

    path = Path(args.file)
    with store.session() as session:
        result = import_units(
            session,
            path,
            actor=_actor(args, store),
            skip_invalid=args.skip_invalid,
            blank_clears=args.blank_clears,
            ignore_columns=args.ignore_columns or (),
            progress=ProgressLine(f"导入 {path.name}"),
        )
    print(
        f"{path.name}：新增 {result.created} 家，更新 {result.updated} 家，未变 {result.unchanged} 家"
        f"；已有单位状态变更 {result.state_changes} 次"
    )
    counts = [f"{kind.label} {result.events[kind]}" for kind in EventKind if result.events[kind]]
    print(f"写入历史记录 {result.events.total()} 条" + (f"：{'、'.join(counts)}" if counts else ""))
    if result.ignored_columns:
        names = "、".join(f"「{name}」" for name in result.ignored_columns)
        print(f"按 --ignore-column 忽略的列（未导入）：{names}")
    if result.new_stations:
        print(
            f"新建所（分局）：{'、'.join(result.new_stations)}（如有错别字，请改正文件后重新导入）"
        )
    if result.skipped:
        print(f"跳过 {len({p.row for p in result.skipped})} 行：")
        for problem in result.skipped:
            print(f"  - {problem}")
    if result.warnings:
        print(f"提示 {len(result.warnings)} 条（已导入，请核对）：", file=sys.stderr)
        for problem in result.warnings[:20]:
            print(f"  - {problem}", file=sys.stderr)
        if len(result.warnings) > 20:
            print(f"  … 另有 {len(result.warnings) - 20} 条", file=sys.stderr)
    return EXIT_OK


def _unit_type_arg(text: str | None) -> str | None:
    if text is None:
        return None
    parsed = parse_unit_type(text)
    if parsed is None:
        raise UsageError(f"未知的单位类型「{text}」，可用：{'、'.join(t.label for t in UnitType)}")
    return parsed.value


def _state_arg(text: str) -> State:
    parsed = lifecycle.parse_state(text)
    if parsed is None:
        raise UsageError(f"未知的状态「{text}」，可用：{'、'.join(s.label for s in State)}")
    return parsed


def cmd_units_list(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import units
    from fieldapp.services.stations import find_station

    query = units.UnitFilter(
        search=args.search or "",
        station=args.station,
        unit_type=_unit_type_arg(args.type),
        state=_state_arg(args.state).value if args.state else None,
        not_evaluated_in=(args.year or date.today().year) if args.not_evaluated else None,
        rectification_due=args.rectification_due,
    )
    if args.year and not args.not_evaluated:
        raise UsageError("--year 只能与 --not-evaluated 一起使用")
    with store.read() as session:
        if args.station:
            find_station(session, args.station)
        total = units.count(session, query)
        found = units.search(session, query, limit=args.limit or None)
        if args.json:
            _print_json([_unit_dict(u) for u in found])
            return EXIT_OK
        rows = [
            (
                u.credit_code,
                u.name,
                u.station.name,
                UnitType(u.unit_type).label,
                State(u.state).label if u.state else "",
                u.address,
            )
            for u in found
        ]
    print(table(("统一社会信用代码", "单位名称", "所属所", "单位类型", "状态", "经营地址"), rows))
    shown = len(rows)
    more = "，用 --limit 0 显示全部" if shown < total else ""
    print(f"\n显示 {shown} / 共 {total} 家{more}")
    return EXIT_OK


def _unit_dict(unit: Unit) -> dict[str, object]:
    return {
        "credit_code": unit.credit_code,
        "uuid": unit.uuid,
        "name": unit.name,
        "shop_name": unit.shop_name,
        "address": unit.address,
        "town": unit.town,
        "station": unit.station.name,
        "unit_type": unit.unit_type,
        "industry": unit.industry,
        "contact_person": unit.contact_person,
        "contact_phone": unit.contact_phone,
        "online_shop_name": unit.online_shop_name,
        "online_platform": unit.online_platform,
        "online_url": unit.online_url,
        "prudent": bool(unit.prudent),
        "state": unit.state,
        "state_since": unit.state_since,
        "entered_on": unit.entered_on,
        "sticker_posted_on": unit.sticker_posted_on,
        "version": unit.version,
    }


def cmd_units_show(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import units

    with store.read() as session:
        unit = units.by_code(session, args.code)
        if args.json:
            data = _unit_dict(unit)
            data["history"] = [_event_dict(e) for e in unit.events]
            _print_json(data)
            return EXIT_OK
        print(f"{unit.name}（{unit.credit_code}）")
        print(f"  所属所：{unit.station.name}    单位类型：{UnitType(unit.unit_type).label}")
        print(f"  行业：{industry_label(unit.industry) or '—'}    地址：{unit.address or '—'}")
        print(f"  负责人：{unit.contact_person or '—'}  {unit.contact_phone}")
        state = State(unit.state).label if unit.state else "—"
        print(f"  状态：{state}（自 {unit.state_since}）  入库日期：{unit.entered_on or '—'}")
        if unit.prudent:
            print("  审慎培育：是（命名须县局确认）")
        if unit.sticker_posted_on:
            print(f"  标识张贴：{unit.sticker_posted_on}")
        print("\n历史：")
        rows = [
            (e["occurred_on"], e["what"], e["actor"], e["reason"], e["source"])
            for e in (_event_dict(e) for e in unit.events)
        ]
        print(table(("日期", "变更", "经办人", "原因", "来源"), rows))
    return EXIT_OK


def _event_dict(event: UnitEvent) -> dict[str, object]:
    from fieldapp.services.unit_changes import event_summary

    return {
        "kind": event.kind,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "field": event.field,
        "old_value": event.old_value,
        "new_value": event.new_value,
        "exit_reason": event.exit_reason,
        "county_confirmed": bool(event.county_confirmed),
        "occurred_on": event.occurred_on,
        "actor": event.actor,
        "reason": event.reason,
        "source": event.source,
        "what": event_summary(event),
    }


def cmd_units_add(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import units

    values = {
        "credit_code": args.code,
        "name": args.name,
        "station": args.station,
        "unit_type": args.type,
        "industry": args.industry or "",
        "address": args.address or "",
        "contact_person": args.contact or "",
        "contact_phone": args.phone or "",
    }
    with store.session() as session:
        unit = units.add_unit(session, values, actor=_actor(args, store))
        print(f"已新增 {unit.name}（{unit.credit_code}），状态：{State.CANDIDATE.label}")
    return EXIT_OK


def _change(args: argparse.Namespace, store: Store, source: str = "命令行") -> Change:
    from fieldapp.services.unit_changes import Change

    return Change(_actor(args, store), settings.load(store.folder).role, source=source)


def cmd_units_move(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import unit_changes, units

    target = _state_arg(args.to)
    exit_reason = None
    if args.exit_reason:
        exit_reason = lifecycle.parse_exit_reason(args.exit_reason)
        if exit_reason is None:
            allowed = "、".join(r.label for r in lifecycle.ExitReason)
            raise UsageError(f"未知的移出原因「{args.exit_reason}」，可用：{allowed}")
    with store.session() as session:
        unit = units.by_code(session, args.code)
        before = State(unit.state).label if unit.state else "（无）"
        event = unit_changes.move(
            session,
            unit,
            target,
            _change(args, store),
            reason=args.reason or "",
            exit_reason=exit_reason,
            on=_date(args.date),
            county_confirm=args.county_confirm,
        )
        mark = "（县局确认）" if event.county_confirmed else ""
        print(f"{unit.name}：{before} → {target.label}（{unit.state_since}）{mark}")
    return EXIT_OK


_SET_FIELDS = {
    "station": "station",
    "address": "address",
    "type": "unit_type",
    "industry": "industry",
    "name": "name",
    "contact": "contact_person",
    "phone": "contact_phone",
}


def cmd_units_set(args: argparse.Namespace, store: Store) -> int:
    """地址变更, 所属所变更 and other record changes, each a dated event."""
    from fieldapp.domain.vocab import parse_industry
    from fieldapp.services import unit_changes, units

    values: dict[str, object] = {}
    for option, name in _SET_FIELDS.items():
        text = getattr(args, option)
        if text is None:
            continue
        if name == "unit_type":
            values[name] = _unit_type_arg(text)
        elif name == "industry":
            industry = parse_industry(text) if text.strip() else None
            if text.strip() and industry is None:
                raise UsageError(f"未知的行业「{text}」")
            values[name] = industry.code if industry else None
        elif name == "contact_phone":
            try:
                values[name] = cells.parse_phone(text)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        else:
            values[name] = " ".join(text.split())
    if args.prudent is not None:
        values["prudent"] = args.prudent == "yes"
    if not values:
        raise UsageError("请至少指定一项要变更的信息，如 --address 或 --station")
    with store.session() as session:
        unit = units.by_code(session, args.code)
        events = unit_changes.update_fields(
            session,
            unit,
            values,
            _change(args, store),
            reason=args.reason or "",
            on=_date(args.date),
        )
        if not events:
            print(f"{unit.name}：信息与现有记录相同，未作变更")
        for event in events:
            print(f"{unit.name}：{unit_changes.event_summary(event)}（{event.occurred_on}）")
    return EXIT_OK


def cmd_units_sticker(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import unit_changes, units

    with store.session() as session:
        unit = units.by_code(session, args.code)
        photo = None
        if args.photo:
            long_side = settings.load(store.folder).photo_long_side
            photo = unit_changes.store_sticker_photo(store.photos, args.photo, long_side)
        unit_changes.post_sticker(
            session,
            unit,
            _change(args, store),
            note=args.note or "",
            on=_date(args.date),
            photo_sha256=photo,
        )
        print(f"{unit.name}：已记录标识张贴（{unit.sticker_posted_on}）")
        if photo is None:
            print("提示：没有张贴照片，进度表会把它列为待补；补拍后可用 --photo 重新记录")
    return EXIT_OK


# --- targets and progress ---------------------------------------------------------------------


def _county_pairs(values: Sequence[str] | None) -> list[tuple[str, int]]:
    """``--county 村级联络站=19`` → [("村级联络站", 19)]."""
    pairs = []
    for value in values or ():
        name, sep, number = value.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--county {value}：请写成 类别=数量，如 --county 村级联络站=19")
        try:
            pairs.append((name.strip(), cells.parse_int(number, f"--county {name.strip()} 的数量")))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return pairs


def _print_import(path: Path, result: TargetImportResult) -> None:
    """What was stored, as read back from the database, per year and kind."""
    years = "、".join(str(y) for y in result.years)
    print(f"{path.name}（{result.layout}）：{years} 年任务已导入，共 {result.written} 项")
    for line in result.lines:
        print(f"  {line}")
    if result.ignored_columns:
        print(f"已按 --ignore-column 跳过的列：{'、'.join(result.ignored_columns)}（未导入）")
    for warning in result.warnings:
        print(f"提醒：{warning}")
    if result.new_stations:
        print(
            f"新建所（分局）：{'、'.join(result.new_stations)}（如有错别字，请改正文件后重新导入）"
        )


def cmd_targets_import(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.imports.targets import import_targets

    path = Path(args.file)
    county = _county_pairs(args.county)
    with store.session() as session:
        result = import_targets(
            session, path, year=args.year, county=county, ignore_columns=args.ignore_column or ()
        )
    _print_import(path, result)
    return EXIT_OK


def cmd_targets_denominators(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.imports.targets import import_denominators

    path = Path(args.file)
    with store.session() as session:
        result = import_denominators(
            session, path, year=args.year, ignore_columns=args.ignore_column or ()
        )
    _print_import(path, result)
    return EXIT_OK


def cmd_targets_deadlines(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import plan

    year = args.year
    if args.june or args.november:
        with store.session() as session:
            plan.set_deadlines(
                session,
                year,
                first_due=_date(args.june),
                final_due=_date(args.november),
                source=args.source or "命令行 fieldapp targets deadlines",
            )
    with store.read() as session:
        first, final = plan.deadlines_for(session, year)
        row = session.get(PlanYear, year)
        source = None if row is None else row.source
    if args.json:
        _print_json({"year": year, "first_due": first, "final_due": final, "set": row is not None})
        return EXIT_OK
    how = f"已设置，依据：{source}" if source else "已设置"
    if row is None:
        how = "未设置，按默认 6月30日、11月30日"
    print(f"{year} 年任务节点（{how}）：")
    print(f"  {first}：培育、承诺公示、系统录入率100%")
    print(f"  {final}：后评价、标识张贴")
    return EXIT_OK


def _pct(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


def cmd_progress(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import plan_progress
    from fieldapp.services import progress as progress_service

    year = args.year or date.today().year
    with store.read() as session:
        report = progress_service.compute(session, year)
        plan_report = plan_progress.compute(session, year, snapshots=report.snapshots)
    groups = {group: report.total(group) for group in GROUP_LABELS}
    if args.json:
        _print_json(
            {
                "year": report.year,
                "as_of": report.as_of,
                "cells": [c.as_dict() for c in report.cells],
                "totals": {
                    **{
                        group: cell.as_dict() | {"unit_type": group}
                        for group, cell in groups.items()
                    },
                    "by_type": {t.value: c.as_dict() for t, c in report.by_type().items()},
                },
                "deadlines": [
                    {"name": d.name, "due": d.due, "days_left": d.days_left}
                    for d in report.deadlines
                ],
                "plan": plan_report.as_dict(),
            }
        )
        return EXIT_OK
    if not report.cells:
        if not _print_plan(plan_report):
            print(f"{year} 年没有任务，也没有计入的单位。请先用 fieldapp targets import 导入任务表")
        return EXIT_OK
    rows = [
        (
            c.station,
            c.unit_type.label,
            c.target,
            c.achieved,
            c.stock,
            c.new,
            _pct(c.ratio),
            c.carried,
            c.committed_by_june,
            _pct(c.entry_ratio),
            c.confirmed,
            c.stickers,
        )
        for c in report.cells
    ]
    for group, agg in groups.items():
        if not (agg.target or agg.achieved):
            continue
        label = GROUP_LABELS[group]
        rows.append(
            (
                label,
                "",
                agg.target,
                agg.achieved,
                agg.stock,
                agg.new,
                _pct(agg.ratio),
                agg.carried,
                agg.committed_by_june,
                _pct(agg.entry_ratio),
                agg.confirmed,
                agg.stickers,
            )
        )
    print(f"{year} 年放心消费建设进度（截至 {report.as_of}；完成数 = 去年建成现存 + 今年新培育）\n")
    headers = (
        "所（分局）",
        "单位类型",
        "任务数",
        "完成数",
        "现存",
        "新培育",
        "完成率",
        "往年入库未建成",
        f"{report.deadlines[0].name.split('：')[0]}承诺公示",
        "系统录入率",
        "本年命名",
        "标识张贴",
    )
    print(table(headers, rows, set(range(2, 12))))
    print(
        "往年入库未建成：在库但从未命名、往年入库的单位，不计入完成数。口径见 docs/figures/口径.md"
    )
    print()
    for deadline in report.deadlines:
        when = (
            f"还有 {deadline.days_left} 天"
            if deadline.days_left >= 0
            else f"已过 {-deadline.days_left} 天"
        )
        print(f"{deadline.name}（{deadline.due}）：{when}")
    _print_plan(plan_report)
    return EXIT_OK


def _print_plan(report: PlanProgress) -> bool:
    """The targets beyond station × unit type (county rows, categories, 其中, 待分解, plans,
    ratios); False when the year has none."""
    if not (report.rows or report.ratios):
        return False
    if report.rows:
        print(
            f"\n{report.year} 年其他任务（截至 {report.as_of}；单位按现存+新培育计，"
            "农贸市场等类别和示范单位按已命名放心消费单位/星级库计）\n"
        )
        rows = [
            (
                r.scope,
                r.label,
                r.status or r.target,
                "—" if r.achieved is None else r.achieved,
                _pct(r.ratio),
                "；".join(x for x in (r.responsible, r.note, r.plan) if x),
            )
            for r in report.rows
        ]
        print(
            table(("范围", "任务", "任务数", "完成数", "完成率", "责任单位、说明"), rows, {2, 3, 4})
        )
    if report.ratios:
        print(f"\n{report.year} 年比例目标\n")
        ratio_rows = [
            (
                r.scope,
                r.kind.label,
                r.threshold_text,
                r.numerator,
                "—" if r.denominator is None else r.denominator,
                _pct(r.ratio),
                {True: "达标", False: "未达标", None: "缺分母"}[r.met]
                if r.denominator is None or r.threshold is not None
                else "缺比例",
                r.denominator_note
                or (
                    ""
                    if r.denominator
                    else f"请录入{r.kind.denominator_label}：fieldapp targets denominators"
                ),
            )
            for r in report.ratios
        ]
        headers = ("范围", "指标", "目标", "分子", "分母", "实际", "达标", "说明")
        print(table(headers, ratio_rows, {3, 4, 5}))
    return True


# --- demo -------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import demo

    if args.units < 1:
        raise UsageError("--units 应为正整数")
    if args.evaluations < 0:
        raise UsageError("--evaluations 不能为负数")
    if args.photos and not Path(args.photos).is_dir():
        raise UsageError(f"--photos {args.photos} 不是文件夹")
    loaded = demo.load(
        store,
        args.units,
        targets=args.targets,
        evaluations=args.evaluations,
        seed=args.seed,
        photos_dir=Path(args.photos) if args.photos else None,
        unit_progress=ProgressLine("生成演示单位"),
        evaluation_progress=ProgressLine("生成演示评价"),
    )
    if loaded.targets_year is not None:
        print(f"已载入 {loaded.targets_year} 年演示任务表（按缙云县 2023 年任务表）")
    print(
        f"演示单位：新增 {loaded.units_created} 家，更新 {loaded.units_updated} 家"
        "（含街区、乡村和村级联络站）"
    )
    if args.evaluations:
        print(f"演示评价：已定稿 {loaded.evaluations} 次后评价（含照片和双方签名）")
    print(f"数据目录：{store.folder}")
    return EXIT_OK


# --- maintenance ------------------------------------------------------------------------------


def cmd_maintenance_sweep(args: argparse.Namespace, store: Store) -> int:
    removed = store.sweep_orphans()
    if removed:
        print(f"已删除 {removed} 个没有任何记录使用的照片或签名文件（一天内的文件都保留）")
    else:
        print("没有需要清理的照片或签名文件（一天内的文件都保留）")
    print(f"数据目录：{store.folder}")
    return EXIT_OK


def cmd_maintenance_upgrade(args: argparse.Namespace) -> int:
    """Bring the database to the newest schema (what the window does when it opens the folder)."""
    from fieldapp.storage import db

    database = paths.database_path(paths.resolve_data_dir(args.data_dir))
    before = None
    if database.is_file():
        engine = db.make_engine(database, readonly=True)
        try:
            before = db.current_revision(engine)
        finally:
            engine.dispose()
    with Store.open(args.data_dir) as store:  # never creates: a missing folder is an error
        after = db.current_revision(store.engine)
    if before == after:
        print(f"{database}：数据库已是最新版本（架构 {after}），无需升级")
    else:
        print(f"{database}：数据库已从架构 {before} 升级到 {after}")
    return EXIT_OK


# --- parser -----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: 用法错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fieldapp",
        description="放心消费单位现场评价。不带子命令时打开桌面窗口。",
    )
    parser.add_argument("--version", action="version", version=f"fieldapp {__version__}")
    parser.add_argument(
        "--data-dir", help="数据目录（默认为系统用户数据目录，或环境变量 FIELDAPP_DATA_DIR）"
    )
    parser.add_argument("--lang", choices=("zh_CN", "en"), help="界面语言")
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)

    checklists = sub.add_parser("checklists", help="检查表：列出、检查文件").add_subparsers(
        dest="action", metavar="操作", required=True, parser_class=_Parser
    )
    p = checklists.add_parser("list", help="列出所有检查表及版本")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_checklists_list)
    p = checklists.add_parser("check", help="检查检查表文件格式")
    p.add_argument("paths", nargs="+", metavar="PATH", help=".toml 文件或文件夹")
    p.set_defaults(func=cmd_checklists_check, no_store=True)

    unit_cmd = sub.add_parser("units", help="单位：导入、查询、状态变更").add_subparsers(
        dest="action", metavar="操作", required=True, parser_class=_Parser
    )
    p = unit_cmd.add_parser("import", help="从 CSV 或 XLSX 导入单位名单")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--skip-invalid", action="store_true", help="跳过有误的行，导入其余行")
    p.add_argument(
        "--blank-clears",
        action="store_true",
        help="文件中已有的列里的空格清空单位的该项（默认空格保留原值）",
    )
    p.add_argument(
        "--ignore-column",
        dest="ignore_columns",
        action="append",
        metavar="NAME",
        help="忽略文件中名为 NAME 的列，不导入（可重复；不认识的列必须用它明确忽略）",
    )
    p.add_argument("--actor", help="经办人（默认为设置中的检查人员）")
    p.set_defaults(func=cmd_units_import)
    p = unit_cmd.add_parser("list", help="查询单位")
    p.add_argument("--search", help="名称、信用代码或地址中的文字")
    p.add_argument("--station", help="所属所（分局）")
    p.add_argument("--type", help="单位类型")
    p.add_argument("--state", help="状态，如 培育库")
    p.add_argument(
        "--not-evaluated", action="store_true", help="只列当年（或 --year 年）没有定稿评价的单位"
    )
    p.add_argument("--year", type=int, help="与 --not-evaluated 一起用：年度，默认今年")
    p.add_argument(
        "--rectification-due", action="store_true", help="只列整改已到期、尚未复查通过的单位"
    )
    p.add_argument("--limit", type=int, default=100, help="最多显示几家，0 为全部（默认 100）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_units_list)
    p = unit_cmd.add_parser("show", help="显示单位档案和历史")
    p.add_argument("code", metavar="CODE", help="统一社会信用代码")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_units_show)
    p = unit_cmd.add_parser("add", help="新增现场发现的单位（进入选育池）")
    p.add_argument("--code", required=True, help="统一社会信用代码")
    p.add_argument("--name", required=True, help="单位名称")
    p.add_argument("--station", required=True, help="所属所（分局）")
    p.add_argument("--type", required=True, help="单位类型，如 一般单位")
    p.add_argument("--industry", help="行业，如 超市")
    p.add_argument("--address", help="经营地址")
    p.add_argument("--contact", help="负责人")
    p.add_argument("--phone", help="联系电话")
    p.add_argument("--actor", help="经办人（默认为设置中的检查人员）")
    p.set_defaults(func=cmd_units_add)
    p = unit_cmd.add_parser("move", help="变更单位状态（如 承诺公示 → 后评价）")
    p.add_argument("code", metavar="CODE")
    p.add_argument("--to", required=True, help="新状态")
    p.add_argument(
        "--reason", help="原因（预警、关停、转让、注销、县局确认必填；移出选「其他」时必填）"
    )
    p.add_argument(
        "--exit-reason",
        metavar="原因",
        help="移出原因：不宜培育、多次违法违规、经评估难以达到创建标准、其他",
    )
    p.add_argument(
        "--county-confirm",
        action="store_true",
        help="县局确认命名（县局账号；无本年通过的后评价或审慎培育时），须写 --reason",
    )
    p.add_argument("--date", help="变更日期，默认今天")
    p.add_argument("--actor", help="经办人")
    p.set_defaults(func=cmd_units_move)
    p = unit_cmd.add_parser("set", help="变更单位信息（地址变更、所属所变更等），记入历史")
    p.add_argument("code", metavar="CODE")
    p.add_argument("--station", help="新的所属所（分局）")
    p.add_argument("--address", help="新的经营地址")
    p.add_argument("--type", help="新的单位类型")
    p.add_argument("--industry", help="新的行业")
    p.add_argument("--name", help="新的单位名称")
    p.add_argument("--contact", help="新的负责人")
    p.add_argument("--phone", help="新的联系电话")
    p.add_argument("--prudent", choices=("yes", "no"), help="审慎培育标记")
    p.add_argument("--reason", help="变更原因")
    p.add_argument("--date", help="变更日期，默认今天")
    p.add_argument("--actor", help="经办人")
    p.set_defaults(func=cmd_units_set)
    p = unit_cmd.add_parser("sticker", help="记录年度放心消费标识张贴")
    p.add_argument("code", metavar="CODE")
    p.add_argument("--date", help="张贴日期，默认今天")
    p.add_argument("--note", help="备注")
    p.add_argument("--photo", metavar="FILE", help="张贴后的标识照片（JPEG、PNG、HEIC）")
    p.add_argument("--actor", help="经办人")
    p.set_defaults(func=cmd_units_sticker)

    target_cmd = sub.add_parser("targets", help="任务表").add_subparsers(
        dest="action", metavar="操作", required=True, parser_class=_Parser
    )
    p = target_cmd.add_parser(
        "import",
        help="导入任务表（CSV 或 XLSX：各所任务表、重点行业示范单位表、任务清单、比例目标）",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--year", type=int, help="文件中没有年度列、标题中也没有年份时指定年度")
    p.add_argument(
        "--county",
        action="append",
        metavar="类别=数量",
        help="不分所的县级任务，如 --county 村级联络站=19（可重复）",
    )
    p.add_argument(
        "--ignore-column",
        action="append",
        metavar="NAME",
        help="跳过无法识别的列（写表头文字，无表头的列写列号如 L；可重复）",
    )
    p.set_defaults(func=cmd_targets_import)
    p = target_cmd.add_parser("denominators", help="录入比例目标的分母（年度、所、指标、分母）")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--year", type=int, help="文件中没有年度列时指定年度")
    p.add_argument("--ignore-column", action="append", metavar="NAME", help="跳过无法识别的列")
    p.set_defaults(func=cmd_targets_denominators)
    p = target_cmd.add_parser("deadlines", help="查看或设置任务年度的两个节点（默认 6/30、11/30）")
    p.add_argument("--year", type=int, required=True, help="任务年度")
    p.add_argument("--june", metavar="DATE", help="培育、承诺公示、系统录入节点，如 2023-06-30")
    p.add_argument("--november", metavar="DATE", help="后评价、标识张贴节点，如 2023-11-30")
    p.add_argument("--source", help="依据，如 上级通知文号")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_targets_deadlines)

    p = sub.add_parser("progress", help="任务完成进度")
    p.add_argument("--year", type=int, help="年度，默认今年")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_progress)

    p = sub.add_parser("demo", help="生成演示单位（培训和性能测试用）")
    p.add_argument("--units", type=int, required=True, help="单位数量")
    p.add_argument("--seed", type=int, default=2023, help="随机种子")
    p.add_argument("--targets", action="store_true", help="同时载入今年的演示任务表")
    p.add_argument("--evaluations", type=int, default=0, help="再生成几次已定稿的后评价")
    p.add_argument("--photos", metavar="DIR", help="演示评价用的照片文件夹（默认自动绘制）")
    p.set_defaults(func=cmd_demo)

    maintenance = sub.add_parser(
        "maintenance", help="维护：清理无用的照片文件、升级数据库"
    ).add_subparsers(dest="action", metavar="操作", required=True, parser_class=_Parser)
    p = maintenance.add_parser(
        "sweep", help="删除没有任何记录使用的照片和签名文件（只删一天前的；窗口启动后也会自动做）"
    )
    p.set_defaults(func=cmd_maintenance_sweep)
    p = maintenance.add_parser(
        "upgrade", help="把数据库升级到本程序的版本（只读命令不升级；窗口打开时会自动升级）"
    )
    p.set_defaults(func=cmd_maintenance_upgrade, no_store=True)

    # Command groups in modules of their own; each imports this module, so they register late.
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


Launcher = Callable[[argparse.Namespace], int]

# How each command opens the data folder (Store.open). Inspection commands open it read-only:
# nothing in the folder changes, an older schema is reported, not migrated. Commands that set up
# new data may create a folder someone named. Every other command opens an existing store for
# writing; only the platform's default folder (no --data-dir, no FIELDAPP_DATA_DIR) is created
# for them, as the window creates it at its first start.
READ_ONLY_COMMANDS = frozenset(
    {
        ("checklists", "list"),
        ("units", "list"),
        ("units", "show"),
        ("progress",),
        ("evaluations", "list"),
        ("evaluations", "show"),
        ("photos", "export"),
        ("export",),
        ("report", "sheet"),
        ("report", "blank"),
        ("report", "bulletin"),
        ("sync", "status"),
    }
)
# ``sync`` sets up a new laptop from the county server (units, targets, checklists come down).
CREATING_COMMANDS = frozenset(
    {("demo",), ("units", "import"), ("targets", "import"), ("selftest",), ("sync",)}
)


def command_words(args: argparse.Namespace) -> tuple[str, ...]:
    """The subcommand as typed: ``("units", "list")``, ``("progress",)``, ``("sync", "status")``."""
    words = [str(args.command)]
    for dest in ("action", "sync_action"):
        value = getattr(args, dest, None)
        if isinstance(value, str) and value:
            words.append(value)
    return tuple(words)


def open_store(args: argparse.Namespace) -> Store:
    """Open the data folder the way the command needs (see :data:`READ_ONLY_COMMANDS`)."""
    words = command_words(args)
    if words in READ_ONLY_COMMANDS:
        return Store.open(args.data_dir, readonly=True)
    default_folder = paths.named_data_dir(args.data_dir) is None
    return Store.open(args.data_dir, create=default_folder or words in CREATING_COMMANDS)


def _missing_hint(exc: StoreMissing, args: argparse.Namespace) -> str:
    """The store's message with where the folder was named and how to set up new data."""
    if exc.folder.is_file():
        return str(exc)
    named = paths.named_data_dir(args.data_dir)
    if named is None:
        where = "默认数据目录"
    else:
        where = f"{'环境变量 ' if named == paths.DATA_DIR_ENV else ''}{named} 指定的数据目录"
    if exc.folder.exists():
        where += f" {exc.folder} 中没有 fieldapp 数据库（{paths.DATABASE_FILE}）"
    else:
        where += f" {exc.folder} 不存在"
    if named is None:
        problem = f"{where}，这里还没有数据。要开始"
    else:
        problem = f"{where}，请检查路径是否写错。要在这里新建数据"
    return (
        f"{problem}，请用 fieldapp units import 导入单位名单"
        "或 fieldapp demo 生成演示数据（会新建该文件夹），或打开 fieldapp 窗口"
    )


def main(argv: Sequence[str] | None = None, window: Launcher | None = None) -> int:
    """Run a subcommand; with none, start the window through ``window``.

    The core never imports the UI: the ``fieldapp`` console script (``fieldapp.ui.entry``) passes
    the launcher in. Without one (the core alone), the help is printed instead.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if window is None:
            parser.print_help()
            return EXIT_OK
        return window(args)
    func: Callable[..., int] = args.func
    try:
        if getattr(args, "no_store", False):
            if command_words(args) in CREATING_COMMANDS:  # selftest opens the store itself
                open_store(args).close()
            return func(args)
        with open_store(args) as store:
            if store.created and paths.named_data_dir(args.data_dir):
                print(f"已新建数据目录 {store.folder}", file=sys.stderr)
            return func(args, store)
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except UsageError as exc:
        print(f"fieldapp: 用法错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreMissing as exc:
        print(_missing_hint(exc, args), file=sys.stderr)
        return EXIT_INVALID
    except FieldappError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
