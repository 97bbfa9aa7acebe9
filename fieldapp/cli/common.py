"""What every command group shares: exit codes, the usage error, the parser class, and the
helpers that read the acting inspector and a typed date.

Cheap to import on purpose: the parser is built from every command group on each start, so
nothing here (or in a group's module body) may load SQLAlchemy, pydantic, the checklists or a
report library; those load inside the command that needs them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date
from typing import TYPE_CHECKING

from fieldapp.imports import cells

if TYPE_CHECKING:
    from fieldapp.services.unit_changes import Change
    from fieldapp.store import Store

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Wrong use of the command line: exit 2 with the message."""


class Parser(argparse.ArgumentParser):
    """A parser whose usage errors are in Chinese and exit with :data:`EXIT_USAGE`."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: 用法错误：{message}\n")


def actor_of(args: argparse.Namespace, store: Store) -> str:
    """Who does it: ``--actor``, else the inspector in the settings, else the login name."""
    if getattr(args, "actor", None):
        return str(args.actor)
    from fieldapp import settings

    return settings.load(store.folder).inspector_name or getpass.getuser()


def inspector_of(args: argparse.Namespace, store: Store, default: str = "") -> str:
    """Who carries out an evaluation: ``--inspector``, else the inspector in the settings,
    else ``default`` (a revision's: the revised evaluation's inspector). Never the computer's
    login name: it would print and sync as 检查人员 root."""
    if getattr(args, "inspector", None):
        return str(args.inspector).strip()
    from fieldapp import settings
    from fieldapp.errors import InvalidInput

    name = settings.load(store.folder).inspector_name.strip() or default.strip()
    if not name:
        raise InvalidInput(
            "不知道由谁检查：请加上 --inspector 姓名，或先在窗口的“设置”中填写检查人员姓名"
        )
    return name


def change_of(args: argparse.Namespace, store: Store, source: str = "命令行") -> Change:
    """The actor, role and source of a unit change made by this command."""
    from fieldapp import settings
    from fieldapp.services.unit_changes import Change

    return Change(actor_of(args, store), settings.load(store.folder).role, source=source)


def date_arg(text: str | None) -> date | None:
    """A date option as typed (2024-05-01, 2024/5/1, 2024年5月1日); a bad one is a usage error."""
    if text is None:
        return None
    try:
        return cells.parse_date(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
