"""``fieldapp export evaluations|units``: tables for Excel, from the same core as the window.

Registered by :func:`fieldapp.cli.app.build_parser`; exit codes as there: an unknown format is a
usage error (2), a folder that cannot be written or an unknown station is invalid input (1).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp.cli.common import EXIT_OK, UsageError, date_arg
from fieldapp.formats import EXPORT_FORMATS

if TYPE_CHECKING:
    from fieldapp.store import Store

FORMATS = EXPORT_FORMATS  # offered without importing the exporter (and openpyxl)


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    suffix = Path(args.output).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise UsageError(
        f"不知道 {args.output} 要导出成什么格式：请加 --format xlsx 或 --format csv，"
        "或把文件名改为 .xlsx / .csv 结尾"
    )


def cmd_export(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.reports import exports

    fmt = _format(args)
    since, until = date_arg(args.since), date_arg(args.until)
    out = Path(args.output)
    if args.what == "evaluations":
        result = exports.export_evaluations(
            store, out, fmt, since=since, until=until, station=args.station
        )
        if fmt == "xlsx":
            print(
                f"已导出 {result.rows['评价汇总']} 次评价、{result.rows['检查条目']} 条检查结果到 {out}"
                "（工作表：评价汇总、检查条目）"
            )
        else:
            print(f"已导出 {result.rows['检查条目']} 条检查结果到 {out}")
    else:
        result = exports.export_units(
            store, out, fmt, since=since, until=until, station=args.station
        )
        units, events = result.rows["单位"], result.rows["历史记录"]
        if fmt == "xlsx":
            print(f"已导出 {units} 家单位、{events} 条历史记录到 {out}（工作表：单位、历史记录）")
        else:
            print(f"已导出 {units} 家单位到 {out}，{events} 条历史记录到 {result.files[1]}")
    if not any(result.rows.values()):
        print("提示：没有符合条件的记录，文件中只有表头")
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="导出评价或单位（Excel 或 CSV）",
        description=(
            "evaluations：每个检查结果一行（xlsx 另有“评价汇总”表，每次评价一行）；"
            "units：每家单位一行，另附历史记录（xlsx 为第二个工作表，"
            "csv 为同名加 -events 的第二个文件）。CSV 为带 BOM 的 UTF-8，Excel 可直接打开。"
        ),
    )
    p.add_argument("what", choices=("evaluations", "units"), metavar="evaluations|units")
    p.add_argument("--format", choices=FORMATS, help="xlsx 或 csv（默认按文件扩展名）")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="保存到的文件")
    p.add_argument("--since", metavar="DATE", help="起始日期（含），如 2026-11-01")
    p.add_argument("--until", metavar="DATE", help="截止日期（含）")
    p.add_argument("--station", help="只导出一个所（分局）")
    p.set_defaults(func=cmd_export)
