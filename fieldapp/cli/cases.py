"""``fieldapp cases add|update|list|export``: the 村级联络站's case ledger (台账) from the shell.

Registered by :func:`fieldapp.cli.app.build_parser`; exit codes as there. Every case goes through
:mod:`fieldapp.services.cases` and the domain's rule, as from the window; a bad value is refused
naming the option and the field (``--consulted（咨询时间）``).
"""

from __future__ import annotations

import argparse
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp.cli.common import EXIT_OK, Parser, UsageError, actor_of
from fieldapp.domain import cases as rule
from fieldapp.errors import InvalidInput
from fieldapp.formats import EXPORT_FORMATS
from fieldapp.textout import print_json, table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from fieldapp.storage.models import Case, Unit
    from fieldapp.store import Store

_WHEN = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?\s*秒?)?\s*$"
)


def parse_when(value: str, option: str, label: str) -> datetime:
    """``2026-11-03 09:30`` (or 2026/11/3 9:30, 2026年11月3日, a date alone: 0:00) as a local
    time; InvalidInput naming the option and the field otherwise."""
    match = _WHEN.match(value or "")
    try:
        if match is None:
            raise ValueError
        year, month, day, hour, minute, second = (int(p) if p else 0 for p in match.groups())
        return datetime(year, month, day, hour, minute, second).astimezone()
    except ValueError:
        raise InvalidInput(
            f"{option}（{label}）「{value}」不是日期时间，请写成 2026-11-03 09:30"
        ) from None


def _money(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        return rule.parse_yuan(value)
    except ValueError as refused:
        raise InvalidInput(f"{option}：{refused}") from None


def _type(value: str | None) -> rule.CaseType | None:
    if value is None:
        return None
    found = rule.parse_case_type(value)
    if found is None:
        raise InvalidInput(f"--type（投诉问题类型）「{value}」未知，可用：{rule.type_choices()}")
    return found


def _unit(session: Session, code: str) -> Unit:
    """The 联络站 by 统一社会信用代码 or unit number, checked to be one."""
    from fieldapp.services import cases as service
    from fieldapp.services import units

    if code.strip().isdigit() and len(code.strip()) < 18:
        return service.station_unit(session, int(code))
    return service.station_unit(session, units.by_code(session, code).id)


def _given(args: argparse.Namespace, base: rule.CaseFields) -> rule.CaseFields:
    """``base`` with what the options give."""
    changes: dict[str, Any] = {}
    case_type = _type(args.type)
    if case_type is not None:
        changes["case_type"] = case_type
    if args.consultant is not None:
        changes["consultant"] = args.consultant
    if args.consulted is not None:
        changes["consulted_at"] = parse_when(args.consulted, "--consulted", "咨询时间")
    if args.description is not None:
        changes["description"] = args.description
    if args.handled is not None:
        changes["handled_at"] = (
            parse_when(args.handled, "--handled", "处理时间") if args.handled.strip() else None
        )
    if args.result is not None:
        changes["result"] = args.result
    recovered = _money(args.recovered, "--recovered（挽回经济损失）")
    if recovered is not None:
        changes["recovered_fen"] = recovered
    return replace(base, **changes)


def _line(case: Case, unit_name: str) -> str:
    handled = f"{case.handled_at:%Y-%m-%d %H:%M}" if case.handled_at else "未处理"
    return (
        f"台账 {case.id}：{unit_name}，{case.case_type.label}，咨询人 {case.consultant}，"
        f"{case.consulted_at:%Y-%m-%d %H:%M}，{handled}，挽回经济损失 {rule.yuan(case.recovered_fen)} 元"
    )


def cmd_add(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import cases as service

    if args.type is None or args.consultant is None or args.consulted is None:
        raise UsageError("新增台账须有 --type、--consultant 和 --consulted")
    empty = rule.CaseFields(case_type="", consultant="", consulted_at=None, description="")
    fields = _given(args, empty)
    with store.session() as session:
        unit = _unit(session, args.unit)
        case = service.add(session, unit, fields, actor_of(args, store))
        print(_line(case, unit.name))
        print(case.id)
    return EXIT_OK


def cmd_update(args: argparse.Namespace, store: Store) -> int:
    from sqlalchemy import select

    from fieldapp.services import cases as service
    from fieldapp.storage.models import Unit

    with store.session() as session:
        case = service.get(session, args.id)
        case = service.update(session, case, _given(args, service.fields_of(case)))
        unit = session.scalar(select(Unit).where(Unit.uuid == case.unit_uuid))
        print(_line(case, unit.name if unit else case.unit_uuid))
    return EXIT_OK


def cmd_list(args: argparse.Namespace, store: Store) -> int:
    from sqlalchemy import select

    from fieldapp.services import cases as service
    from fieldapp.services.stations import find_station
    from fieldapp.storage.models import Unit

    with store.read() as session:
        unit = _unit(session, args.unit) if args.unit else None
        station = find_station(session, args.station) if args.station else None
        found = service.list_cases(session, unit, year=args.year, station=station)
        names = {u.uuid: u.name for u in session.scalars(select(Unit))}
        if args.json:
            print_json(
                [
                    {
                        "id": c.id,
                        "uuid": c.uuid,
                        "unit": names.get(c.unit_uuid, ""),
                        "unit_uuid": c.unit_uuid,
                        "case_type": c.case_type.value,
                        "case_type_label": c.case_type.label,
                        "consultant": c.consultant,
                        "consulted_at": c.consulted_at.isoformat(),
                        "description": c.description,
                        "handled_at": c.handled_at.isoformat() if c.handled_at else None,
                        "result": c.result,
                        "recovered_fen": c.recovered_fen,
                        "recovered_yuan": rule.yuan(c.recovered_fen),
                        "synced": c.synced_version == c.version,
                        "sync_conflict": c.sync_conflict,
                    }
                    for c in found
                ]
            )
            return EXIT_OK
        rows = [
            [
                str(c.id),
                names.get(c.unit_uuid, ""),
                c.case_type.label,
                c.consultant,
                f"{c.consulted_at:%Y-%m-%d %H:%M}",
                f"{c.handled_at:%Y-%m-%d}" if c.handled_at else "未处理",
                rule.yuan(c.recovered_fen),
            ]
            for c in found
        ]
        print(
            table(
                ["编号", "联络站", "投诉问题类型", "咨询人", "咨询时间", "处理", "挽回（元）"], rows
            )
        )
        total = sum(c.recovered_fen for c in found)
        print(f"共 {len(found)} 条，挽回经济损失合计 {rule.yuan(total)} 元")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.reports import case_export

    out = Path(args.output)
    fmt = args.format or out.suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        raise UsageError(
            f"不知道 {args.output} 要导出成什么格式：请加 --format xlsx 或 --format csv，"
            "或把文件名改为 .xlsx / .csv 结尾"
        )
    unit_id = None
    if args.unit:
        with store.read() as session:
            unit_id = _unit(session, args.unit).id
    result = case_export.export_cases(
        store, out, fmt, unit_id=unit_id, station=args.station, year=args.year
    )
    print(f"已导出 {result.rows['台账']} 条台账到 {out}")
    return EXIT_OK


def _fields(p: argparse.ArgumentParser, required: bool) -> None:
    p.add_argument(
        "--type", required=required, metavar="TYPE", help=f"投诉问题类型：{rule.type_choices()}"
    )
    p.add_argument("--consultant", required=required, help="咨询人")
    p.add_argument(
        "--consulted", required=required, metavar="TIME", help="咨询时间，如 2026-11-03 09:30"
    )
    p.add_argument("--description", required=required, help="问题描述")
    p.add_argument("--handled", metavar="TIME", help="处理时间（空字符串：改回未处理）")
    p.add_argument("--result", help="处理结果")
    p.add_argument("--recovered", metavar="YUAN", help="挽回经济损失（元），如 120.50")


def register(sub: Any) -> None:
    """Add ``cases`` to the main parser's subcommands."""
    cases = sub.add_parser("cases", help="村级联络站台账：新增、修改、列出、导出").add_subparsers(
        dest="action", metavar="操作", required=True, parser_class=Parser
    )
    p = cases.add_parser("add", help="新增一条台账（最后一行输出台账编号）")
    p.add_argument("--unit", required=True, metavar="CODE", help="联络站的统一社会信用代码")
    _fields(p, required=True)
    p.add_argument("--actor", help="记录人（默认为设置中的检查人员）")
    p.set_defaults(func=cmd_add)
    p = cases.add_parser("update", help="修改一条台账（如补上处理时间和处理结果）")
    p.add_argument("id", type=int, metavar="ID")
    _fields(p, required=False)
    p.set_defaults(func=cmd_update)
    p = cases.add_parser("list", help="列出台账")
    p.add_argument("--unit", metavar="CODE", help="只列一个联络站（统一社会信用代码）")
    p.add_argument("--station", help="只列一个所（分局）的联络站")
    p.add_argument("--year", type=int, help="只列一年（按咨询时间）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    p = cases.add_parser("export", help="导出台账（Excel 或 CSV）")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="保存到的文件")
    p.add_argument("--format", choices=EXPORT_FORMATS, help="xlsx 或 csv（默认按文件扩展名）")
    p.add_argument("--unit", metavar="CODE", help="只导出一个联络站")
    p.add_argument("--station", help="只导出一个所（分局）的联络站")
    p.add_argument("--year", type=int, help="只导出一年（按咨询时间）")
    p.set_defaults(func=cmd_export)
