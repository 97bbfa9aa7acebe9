"""``fieldapp targets …`` and ``fieldapp progress``: the stations' task tables, the year's two
deadlines, and how far each station has come against them."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldapp.cli.common import EXIT_OK, Parser, UsageError, date_arg
from fieldapp.domain.vocab import GROUP_LABELS
from fieldapp.imports import cells
from fieldapp.textout import print_json, table

if TYPE_CHECKING:
    from fieldapp.imports.targets import TargetImportResult
    from fieldapp.services.plan_progress import PlanProgress
    from fieldapp.store import Store


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


def cmd_import(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.imports.targets import import_targets

    path = Path(args.file)
    county = _county_pairs(args.county)
    with store.session() as session:
        result = import_targets(
            session, path, year=args.year, county=county, ignore_columns=args.ignore_column or ()
        )
    _print_import(path, result)
    return EXIT_OK


def cmd_denominators(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.imports.targets import import_denominators

    path = Path(args.file)
    with store.session() as session:
        result = import_denominators(
            session, path, year=args.year, ignore_columns=args.ignore_column or ()
        )
    _print_import(path, result)
    return EXIT_OK


def cmd_deadlines(args: argparse.Namespace, store: Store) -> int:
    from fieldapp.services import plan
    from fieldapp.storage import models

    year = args.year
    if args.june or args.november:
        with store.session() as session:
            plan.set_deadlines(
                session,
                year,
                first_due=date_arg(args.june),
                final_due=date_arg(args.november),
                source=args.source or "命令行 fieldapp targets deadlines",
            )
    with store.read() as session:
        first, final = plan.deadlines_for(session, year)
        row = session.get(models.PlanYear, year)
        source = None if row is None else row.source
    if args.json:
        print_json({"year": year, "first_due": first, "final_due": final, "set": row is not None})
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
    from fieldapp.services import plan_progress, progress_kept
    from fieldapp.services import progress as progress_service

    year = args.year or date.today().year
    with store.read() as session:  # a read-only open: the kept shares as they are
        report = progress_kept.compute(session, year)
        plan_report = plan_progress.compute(session, year)
    if args.json:
        print_json(progress_service.as_json(report) | {"plan": plan_report.as_dict()})
        return EXIT_OK
    groups = {group: report.total(group) for group in GROUP_LABELS}
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


def register(sub: Any) -> None:
    """Add ``targets`` (import, denominators, deadlines) and ``progress``."""
    targets = sub.add_parser("targets", help="任务表").add_subparsers(
        dest="action", metavar="操作", required=True, parser_class=Parser
    )
    p = targets.add_parser(
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
    p.set_defaults(func=cmd_import)
    p = targets.add_parser("denominators", help="录入比例目标的分母（年度、所、指标、分母）")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--year", type=int, help="文件中没有年度列时指定年度")
    p.add_argument("--ignore-column", action="append", metavar="NAME", help="跳过无法识别的列")
    p.set_defaults(func=cmd_denominators)
    p = targets.add_parser("deadlines", help="查看或设置任务年度的两个节点（默认 6/30、11/30）")
    p.add_argument("--year", type=int, required=True, help="任务年度")
    p.add_argument("--june", metavar="DATE", help="培育、承诺公示、系统录入节点，如 2023-06-30")
    p.add_argument("--november", metavar="DATE", help="后评价、标识张贴节点，如 2023-11-30")
    p.add_argument("--source", help="依据，如 上级通知文号")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_deadlines)

    p = sub.add_parser("progress", help="任务完成进度")
    p.add_argument("--year", type=int, help="年度，默认今年")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_progress)
