"""``fieldapp demo`` (training and benchmark data) and ``fieldapp maintenance sweep|upgrade``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fieldapp import paths
from fieldapp.cli.common import EXIT_OK, Parser, UsageError
from fieldapp.store import Store
from fieldapp.textout import ProgressLine


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


def cmd_sweep(args: argparse.Namespace, store: Store) -> int:
    removed = store.sweep_orphans()
    if removed:
        print(f"已删除 {removed} 个没有任何记录使用的照片或签名文件（一天内的文件都保留）")
    else:
        print("没有需要清理的照片或签名文件（一天内的文件都保留）")
    print(f"数据目录：{store.folder}")
    return EXIT_OK


def cmd_upgrade(args: argparse.Namespace) -> int:
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


def register(sub: Any) -> None:
    """Add ``demo`` and ``maintenance`` (sweep, upgrade)."""
    p = sub.add_parser("demo", help="生成演示单位（培训和性能测试用）")
    p.add_argument("--units", type=int, required=True, help="单位数量")
    p.add_argument("--seed", type=int, default=2023, help="随机种子")
    p.add_argument("--targets", action="store_true", help="同时载入今年的演示任务表")
    p.add_argument("--evaluations", type=int, default=0, help="再生成几次已定稿的后评价")
    p.add_argument("--photos", metavar="DIR", help="演示评价用的照片文件夹（默认自动绘制）")
    p.set_defaults(func=cmd_demo)

    maintenance = sub.add_parser(
        "maintenance", help="维护：清理无用的照片文件、升级数据库"
    ).add_subparsers(dest="action", metavar="操作", required=True, parser_class=Parser)
    p = maintenance.add_parser(
        "sweep", help="删除没有任何记录使用的照片和签名文件（只删一天前的；窗口启动后也会自动做）"
    )
    p.set_defaults(func=cmd_sweep)
    p = maintenance.add_parser(
        "upgrade", help="把数据库升级到本程序的版本（只读命令不升级；窗口打开时会自动升级）"
    )
    p.set_defaults(func=cmd_upgrade, no_store=True)
