"""``fieldapp report …``: printed evaluation sheets, blank forms, 整改通知书 and the monthly bulletin.

Registered by :func:`fieldapp.cli.app.build_parser`; the commands share its exit codes and errors.
The last line of stdout is the written path (one per line for a folder of sheets).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp.cli.common import EXIT_OK, Parser, UsageError, date_arg
from fieldapp.errors import InvalidInput
from fieldapp.textout import ProgressLine

if TYPE_CHECKING:
    from fieldapp.store import Store


def _describe_range(args: argparse.Namespace) -> str:
    parts = []
    if args.day:
        parts.append(f"日期 {args.day}")
    if args.since or args.until:
        parts.append(f"日期 {args.since or '最早'} 至 {args.until or '今天'}")
    if args.station:
        parts.append(f"所（分局）{args.station}")
    if args.unit:
        parts.append(f"单位 {args.unit}")
    return "，".join(parts)


def cmd_sheet(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.reports.batch import select_evaluations, write_sheets

    ranged = any((args.day, args.since, args.until, args.station, args.unit))
    if args.evaluation and ranged:
        raise UsageError("--evaluation 不能与 --since/--until/--day/--station/--unit 同时使用")
    if not args.evaluation and not (args.day or args.since or args.until):
        raise UsageError("请用 --evaluation ID 指定评价，或用 --since/--day 给出日期范围")
    with store.read() as session:
        ids = select_evaluations(
            session,
            ids=args.evaluation,
            day=date_arg(args.day),
            since=date_arg(args.since),
            until=date_arg(args.until),
            station=args.station,
            unit_code=args.unit,
            include_drafts=args.drafts,
        )
    if not ids:
        drafts = "（含草稿）" if args.drafts else "（只含已定稿的；加 --drafts 可包括草稿）"
        raise InvalidInput(
            f"{_describe_range(args)}：没有符合条件的评价{drafts}，请放宽日期范围或检查条件"
        )
    out = Path(args.output)
    one_file_each = out.suffix.lower() != ".pdf"
    progress = ProgressLine("打印评价表") if len(ids) > 1 else None
    written = write_sheets(store, ids, out, one_file_each=one_file_each, progress=progress)
    if one_file_each:
        print(f"已打印 {len(written)} 份评价表到文件夹 {out}")
    else:
        print(f"已打印 {len(ids)} 份评价表")
    for path in written:
        print(path)
    return EXIT_OK


def cmd_blank(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.reports.blank import write_blank

    out = Path(args.output)
    if out.suffix.lower() != ".pdf":
        raise UsageError(f"{out}：空白评价表是 PDF，请用以 .pdf 结尾的文件名")
    path = write_blank(store, args.unit, out, kind=args.kind)
    print("已打印空白评价表")
    print(path)
    return EXIT_OK


def cmd_notice(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.reports.notice import write_notice

    out = Path(args.output)
    if out.suffix.lower() != ".pdf":
        raise UsageError(f"{out}：整改通知书是 PDF，请用以 .pdf 结尾的文件名")
    path = write_notice(store, args.evaluation, out)
    print(f"已打印评价 {args.evaluation} 的整改通知书")
    print(path)
    return EXIT_OK


def cmd_bulletin(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.reports.bulletin import FORMATS, write_bulletin

    out = Path(args.output)
    # Checked here too (write_bulletin refuses it as well) so a wrong name is a usage error (exit 2).
    if out.suffix.lower() not in FORMATS:
        raise UsageError(f"{out}：月报可以是 .pdf 或 .xlsx，请换一个文件名")
    path = write_bulletin(store, args.month, out, station=args.station)
    print(f"已生成 {args.month} 月报")
    print(path)
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``report`` (sheet, blank, notice, bulletin) to the main parser's subcommands."""
    report = sub.add_parser("report", help="打印：评价表、空白表、整改通知书、月报").add_subparsers(
        dest="action", metavar="操作", required=True, parser_class=Parser
    )
    p = report.add_parser(
        "sheet",
        help="打印评价表（-o 以 .pdf 结尾为一个 PDF，否则为文件夹，每份一个文件）",
    )
    p.add_argument("--evaluation", type=int, nargs="+", metavar="ID", help="评价编号（可多个）")
    p.add_argument("--day", help="只打印这一天的评价")
    p.add_argument("--since", help="从这一天起（含）")
    p.add_argument("--until", help="到这一天止（含），默认不限")
    p.add_argument("--station", help="只打印这个所（分局）的单位")
    p.add_argument("--unit", metavar="CODE", help="只打印这家单位（统一社会信用代码）")
    p.add_argument("--drafts", action="store_true", help="按日期选择时也包括草稿")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="OUT.pdf 或文件夹")
    p.set_defaults(func=cmd_sheet)
    p = report.add_parser("blank", help="打印某单位的空白评价表（现场手写用）")
    p.add_argument("--unit", required=True, metavar="CODE", help="统一社会信用代码")
    p.add_argument("--kind", default="post_evaluation", help="评价类型，默认后评价")
    p.add_argument("-o", "--output", required=True, metavar="OUT.pdf")
    p.set_defaults(func=cmd_blank)
    p = report.add_parser("notice", help="打印整改通知书（评价中不符合项的整改要求和期限）")
    p.add_argument("--evaluation", type=int, required=True, metavar="ID", help="评价编号")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    p.set_defaults(func=cmd_notice)
    p = report.add_parser("bulletin", help="月度通报（PDF 或 XLSX）")
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="月份，如 2026-03")
    p.add_argument("--station", help="只统计这个所（分局）")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="OUT.pdf 或 OUT.xlsx")
    p.set_defaults(func=cmd_bulletin)
