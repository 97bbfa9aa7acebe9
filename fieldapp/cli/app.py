"""The ``fieldapp`` command: office batch work on the same core the window uses.

Exit codes: 0 done, 1 invalid input (every message names the file, row or item), 2 usage.
With no subcommand the desktop window starts. Each command group is a module of this package
with its own ``register(subparsers)``; building the parser imports them all, so their module
bodies stay light (see :mod:`fieldapp.cli.common`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from fieldapp import __version__, frozen_check, paths
from fieldapp.cli import (
    backup,
    cases,
    checklists,
    evaluations,
    exports,
    maintenance,
    reports,
    sync,
    targets,
    units,
)
from fieldapp.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, Parser, UsageError
from fieldapp.errors import FieldappError
from fieldapp.store import Store, StoreMissing

# The command groups, in the order ``fieldapp --help`` lists them.
COMMAND_GROUPS: tuple[Callable[[Any], None], ...] = (
    checklists.register,
    units.register,
    targets.register,
    maintenance.register,
    evaluations.register,
    cases.register,
    backup.register,
    sync.register,
    exports.register,
    reports.register,
    frozen_check.register,  # the hidden ``selftest`` of a frozen or installed build
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="fieldapp",
        description="放心消费单位现场评价。不带子命令时打开桌面窗口。",
    )
    parser.add_argument("--version", action="version", version=f"fieldapp {__version__}")
    parser.add_argument(
        "--data-dir", help="数据目录（默认为系统用户数据目录，或环境变量 FIELDAPP_DATA_DIR）"
    )
    parser.add_argument("--lang", choices=("zh_CN", "en"), help="界面语言")
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=Parser)

    for register in COMMAND_GROUPS:
        register(sub)
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
        ("cases", "list"),
        ("cases", "export"),
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
