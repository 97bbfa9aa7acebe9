"""``fieldapp backup create|restore``.

Backup and restore work on the data folder itself (see :mod:`fieldapp.backup`), not through an
open store, so a restore never swaps a folder that this process holds open. Restoring while the
fieldapp window runs on the same data folder is not supported from the command line: close the
window first (the window has its own 文件 → 恢复, which closes its store before the swap).
The build's ``selftest`` command is :mod:`fieldapp.frozen_check`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fieldapp import paths
from fieldapp.cli.common import EXIT_OK, Parser, UsageError


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.1f} KB"


def cmd_create(args: argparse.Namespace) -> int:
    from fieldapp import backup, settings

    folder = paths.resolve_data_dir(args.data_dir)
    if args.auto:
        if args.output:
            raise UsageError("--auto 与 -o 不能同时使用：--auto 写入设置中的自动备份文件夹")
        chosen = settings.load(folder)  # the defaults when there is no settings file
        if not chosen.backup_folder:
            raise UsageError(
                "设置中还没有自动备份文件夹：请在窗口的 设置 中选择，或用 -o 文件名 备份一次"
            )
        info, removed = backup.create_auto(folder, Path(chosen.backup_folder), chosen.backup_keep)
        print(f"已备份到 {info.path}（{info.files} 个文件，{_size(info.size)}）")
        for old in removed:
            print(f"已删除较早的自动备份 {old.name}（保留最近 {chosen.backup_keep} 份）")
        return EXIT_OK
    if not args.output:
        raise UsageError("请用 -o 文件名 指定备份文件，例如 -o 备份-2024-05-01.zip；或用 --auto")
    info = backup.create(folder, Path(args.output))
    print(f"已备份到 {info.path}（{info.files} 个文件，{_size(info.size)}）")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from fieldapp import backup

    folder = paths.resolve_data_dir(args.data_dir)
    staged = backup.prepare_restore(Path(args.file), folder)
    print(
        f"{args.file}：{len(staged.manifest['files'])} 个文件校验无误（备份于 {staged.manifest.get('created_at', '?')}）"
    )
    result = staged.swap()
    print(f"已恢复到 {result.data_folder}")
    if result.previous is not None:
        print(f"恢复前的数据保存在 {result.previous}（确认无误后可自行删除）")
    return EXIT_OK


def register(sub: Any) -> None:
    group = sub.add_parser("backup", help="备份与恢复：全部数据打包为一个 zip 文件").add_subparsers(
        dest="action", metavar="操作", required=True, parser_class=Parser
    )
    p = group.add_parser("create", help="备份数据库、照片、签名、设置和县局检查表")
    p.add_argument("-o", "--output", metavar="FILE", help="备份文件名（.zip）")
    p.add_argument(
        "--auto",
        action="store_true",
        help="写入设置中的自动备份文件夹，只保留最近几份（设置中的「保留份数」）",
    )
    p.set_defaults(func=cmd_create, no_store=True)
    p = group.add_parser(
        "restore",
        help="从备份恢复：先完整校验，再替换数据目录；原数据改名保留为 <数据目录>.before-restore-<时间>",
    )
    p.add_argument("file", metavar="FILE", help="备份文件（.zip）")
    p.set_defaults(func=cmd_restore, no_store=True)
