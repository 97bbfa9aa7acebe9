"""The ``fieldapp`` office command line: :func:`main` runs one command (or starts the window).

The package holds the parser and the way a command opens the data folder (:mod:`.app`), what
the command groups share (:mod:`.common`), and one module per group: :mod:`.units`,
:mod:`.targets` (and ``progress``), :mod:`.checklists`, :mod:`.maintenance` (and ``demo``),
:mod:`.evaluations` (and ``photos``), :mod:`.backup`, :mod:`.sync`, :mod:`.exports`,
:mod:`.reports`. The build's hidden ``selftest`` is :mod:`fieldapp.frozen_check`.

Building the parser imports every group, so a group's module body imports only the standard
library and light core modules; SQLAlchemy, pydantic, the checklists and the report libraries
load inside the command that needs them. ``units list`` with text, station, type and state
reads a plain ``sqlite3`` connection and loads none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

__all__ = ["main"]


def main(
    argv: Sequence[str] | None = None,
    window: Callable[[argparse.Namespace], int] | None = None,
) -> int:
    """Run a subcommand; with none, start the window through ``window`` (see
    :func:`fieldapp.cli.app.main`). Importing this package loads no command: the command
    groups' helpers (:mod:`.common`) import it without the parser."""
    from fieldapp.cli.app import main as run

    return run(argv, window)
