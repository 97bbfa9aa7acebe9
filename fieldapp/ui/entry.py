"""The ``fieldapp`` console script: the command line, which opens the window when given no
subcommand. Importing this module does not import Qt; only starting the window does, so office
commands stay fast and work on machines where Qt cannot load."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from fieldapp import logs
from fieldapp.cli import main as cli_main


def launch_window(args: argparse.Namespace) -> int:
    from fieldapp.ui.app import run

    return run(args)


def main(argv: Sequence[str] | None = None) -> int:
    logs.setup_from_argv(argv)  # the window and every command log to <data>/logs/fieldapp.log
    try:
        return cli_main(argv, window=launch_window)
    except Exception:
        typed = sys.argv[1:] if argv is None else list(argv)
        logging.getLogger("fieldapp").exception(
            "unexpected error in: fieldapp %s", " ".join(logs.redacted(typed))
        )
        raise


if __name__ == "__main__":
    import multiprocessing

    # The frozen build starts its worker processes (fieldapp.workers) as this program again:
    # such a start runs the worker here and exits, before the command line or the window.
    multiprocessing.freeze_support()
    sys.exit(main())
