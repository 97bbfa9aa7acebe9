"""``fieldapp units …``: import the county's list, find units, and change them with a dated
event each (state, record, sticker).

``units list`` with text, station, type and state reads a plain ``sqlite3`` connection through
:mod:`fieldapp.views.units`, so the command costs about what the query does; the services (and
SQLAlchemy) load for the filters that need the evaluation rules and for every change.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp.cli.common import EXIT_OK, Parser, UsageError, actor_of, change_of, date_arg
from fieldapp.domain import lifecycle
from fieldapp.domain.lifecycle import State
from fieldapp.domain.vocab import UnitType, industry_label, parse_unit_type
from fieldapp.imports import cells
from fieldapp.textout import ProgressLine, print_json, table
from fieldapp.views import units as views
from fieldapp.views.units import UnitFilter

if TYPE_CHECKING:
    from fieldapp.store import Store


def cmd_import(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.domain.events import EventKind
    from fieldapp.imports.units import import_units

    path = Path(args.file)
    with store.session() as session:
        result = import_units(
            session,
            path,
            actor=actor_of(args, store),
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


def _filter(args: argparse.Namespace) -> UnitFilter:
    if args.year and not args.not_evaluated:
        raise UsageError("--year 只能与 --not-evaluated 一起使用")
    return UnitFilter(
        search=args.search or "",
        station=args.station,
        unit_type=_unit_type_arg(args.type),
        state=_state_arg(args.state).value if args.state else None,
        not_evaluated_in=(args.year or date.today().year) if args.not_evaluated else None,
        rectification_due=args.rectification_due,
    )


def cmd_list(args: argparse.Namespace, store: Store) -> int:
    """Text, station, type and state read on ``sqlite3`` (:mod:`fieldapp.views.units`); the two
    filters that need the evaluation rules go through the ORM (:mod:`fieldapp.services.units`)."""
    query = _filter(args)
    limit = args.limit or None
    if not query.plain:
        return _list_with_rules(args, store, query, limit)
    with store.raw_read() as connection:
        if args.station:
            views.check_station(connection, args.station)
        if args.json:
            print_json([asdict(r) for r in views.records(connection, query, limit=limit)])
            return EXIT_OK
        connection.execute("BEGIN")  # the count and the rows of one moment
        try:
            total = views.count(connection, query)
            found = views.rows(connection, query, limit=limit)
        finally:
            connection.rollback()
    _print_list(found, total)
    return EXIT_OK


def _list_with_rules(
    args: argparse.Namespace, store: Store, query: UnitFilter, limit: int | None
) -> int:
    from fieldapp.services import units
    from fieldapp.services.stations import find_station

    with store.read() as session:
        if args.station:
            find_station(session, args.station)
        total = units.count(session, query)
        found = units.search(session, query, limit=limit)
        if args.json:
            print_json([asdict(views.record_from(u)) for u in found])
            return EXIT_OK
        rows = [views.row_from(u) for u in found]
    _print_list(rows, total)
    return EXIT_OK


def _print_list(found: list[views.UnitRow], total: int) -> None:
    rows = [
        (
            u.credit_code,
            u.name,
            u.station,
            UnitType(u.unit_type).label,
            State(u.state).label if u.state else "",
            u.address,
        )
        for u in found
    ]
    print(table(("统一社会信用代码", "单位名称", "所属所", "单位类型", "状态", "经营地址"), rows))
    more = "，用 --limit 0 显示全部" if len(rows) < total else ""
    print(f"\n显示 {len(rows)} / 共 {total} 家{more}")


def cmd_show(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import units

    with store.read() as session:
        unit = units.by_code(session, args.code)
        if args.json:
            data = asdict(views.record_from(unit))
            data["history"] = [asdict(e) for e in views.event_records(unit)]
            print_json(data)
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
            (e.occurred_on, e.what, e.actor, e.reason, e.source) for e in views.event_records(unit)
        ]
        print(table(("日期", "变更", "经办人", "原因", "来源"), rows))
    return EXIT_OK


def cmd_add(args: argparse.Namespace, store: Store) -> int:
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
        unit = units.add_unit(session, values, actor=actor_of(args, store))
        print(f"已新增 {unit.name}（{unit.credit_code}），状态：{State.CANDIDATE.label}")
    return EXIT_OK


def cmd_move(args: argparse.Namespace, store: Store) -> int:
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
            change_of(args, store),
            reason=args.reason or "",
            exit_reason=exit_reason,
            on=date_arg(args.date),
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


def cmd_set(args: argparse.Namespace, store: Store) -> int:
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
            change_of(args, store),
            reason=args.reason or "",
            on=date_arg(args.date),
        )
        if not events:
            print(f"{unit.name}：信息与现有记录相同，未作变更")
        for event in events:
            print(f"{unit.name}：{unit_changes.event_summary(event)}（{event.occurred_on}）")
    return EXIT_OK


def cmd_sticker(args: argparse.Namespace, store: Store) -> int:
    from fieldapp import settings
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
            change_of(args, store),
            note=args.note or "",
            on=date_arg(args.date),
            photo_sha256=photo,
        )
        print(f"{unit.name}：已记录标识张贴（{unit.sticker_posted_on}）")
        if photo is None:
            print("提示：没有张贴照片，进度表会把它列为待补；补拍后可用 --photo 重新记录")
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``units`` to the main parser's subcommands."""
    units = sub.add_parser("units", help="单位：导入、查询、状态变更").add_subparsers(
        dest="action", metavar="操作", required=True, parser_class=Parser
    )
    p = units.add_parser("import", help="从 CSV 或 XLSX 导入单位名单")
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
    p.set_defaults(func=cmd_import)
    p = units.add_parser("list", help="查询单位")
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
    p.set_defaults(func=cmd_list)
    p = units.add_parser("show", help="显示单位档案和历史")
    p.add_argument("code", metavar="CODE", help="统一社会信用代码")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)
    p = units.add_parser("add", help="新增现场发现的单位（进入选育池）")
    p.add_argument("--code", required=True, help="统一社会信用代码")
    p.add_argument("--name", required=True, help="单位名称")
    p.add_argument("--station", required=True, help="所属所（分局）")
    p.add_argument("--type", required=True, help="单位类型，如 一般单位")
    p.add_argument("--industry", help="行业，如 超市")
    p.add_argument("--address", help="经营地址")
    p.add_argument("--contact", help="负责人")
    p.add_argument("--phone", help="联系电话")
    p.add_argument("--actor", help="经办人（默认为设置中的检查人员）")
    p.set_defaults(func=cmd_add)
    p = units.add_parser("move", help="变更单位状态（如 承诺公示 → 后评价）")
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
    p.set_defaults(func=cmd_move)
    p = units.add_parser("set", help="变更单位信息（地址变更、所属所变更等），记入历史")
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
    p.set_defaults(func=cmd_set)
    p = units.add_parser("sticker", help="记录年度放心消费标识张贴")
    p.add_argument("code", metavar="CODE")
    p.add_argument("--date", help="张贴日期，默认今天")
    p.add_argument("--note", help="备注")
    p.add_argument("--photo", metavar="FILE", help="张贴后的标识照片（JPEG、PNG、HEIC）")
    p.add_argument("--actor", help="经办人")
    p.set_defaults(func=cmd_sticker)
