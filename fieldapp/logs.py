"""The log file: ``<data folder>/logs/fieldapp.log``, rotated at 1 MB, five old files kept.

Both the command line and the window call :func:`setup`, so an inspector who reports a problem
can send one file that tells what both did. The file is opened at the first message, not at
set-up, so ``fieldapp --version`` leaves no trace and a missing data folder is created only
when there is something to write. Setting up again (another data folder) replaces fieldapp's
handler rather than adding a second one.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import logging.handlers
from collections.abc import Iterator, Sequence
from pathlib import Path

from fieldapp import paths

LOG_SUBDIR = "logs"
LOG_FILE = "fieldapp.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"

_HANDLER_NAME = "fieldapp-file"


class _FolderCreatingHandler(logging.handlers.RotatingFileHandler):
    """A rotating handler that creates the log folder when it first opens the file."""

    def _open(self):  # type: ignore[no-untyped-def]
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


def log_path(folder: Path) -> Path:
    """The current log file of the data folder ``folder``."""
    return Path(folder) / LOG_SUBDIR / LOG_FILE


def _our_handler() -> logging.Handler | None:
    for handler in logging.getLogger().handlers:
        if handler.get_name() == _HANDLER_NAME:
            return handler
    return None


def current_path() -> Path | None:
    """The file the log goes to now, or None before :func:`setup`."""
    handler = _our_handler()
    if isinstance(handler, logging.handlers.RotatingFileHandler):
        return Path(handler.baseFilename)
    return None


def setup(folder: Path, level: int = logging.INFO) -> Path:
    """Send fieldapp's log (INFO and up, with tracebacks) to the data folder's log file."""
    target = log_path(folder)
    close()
    handler = _FolderCreatingHandler(
        target, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
    )
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    return target


def setup_from_argv(argv: Sequence[str] | None) -> Path:
    """:func:`setup` for the data folder a command line names (``--data-dir``), or the default."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data-dir")
    known, _rest = parser.parse_known_args(list(argv) if argv is not None else None)
    return setup(paths.resolve_data_dir(known.data_dir))


def close() -> None:
    """Detach and close fieldapp's log handler (before the data folder is renamed)."""
    handler = _our_handler()
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """Close the log file for the duration (Windows cannot rename a folder with an open file),
    then log to the same path again."""
    path = current_path()
    close()
    try:
        yield
    finally:
        if path is not None:
            setup(path.parent.parent)
