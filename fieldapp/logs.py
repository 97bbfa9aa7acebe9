"""The log file: ``<data folder>/logs/fieldapp.log``, rotated at 1 MB, five old files kept.

Both the command line and the window call :func:`setup`, so an inspector who reports a problem
can send one file that tells what both did. The file is opened at the first message, not at
set-up, so ``fieldapp --version`` leaves no trace and a missing data folder is created only
when there is something to write; the rotating handler itself (``logging.handlers``, with the
socket and pickle modules it imports) is made then too, so a command that logs nothing does not
load it. Setting up again (another data folder) replaces fieldapp's handler rather than adding a
second one.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from fieldapp import paths

LOG_SUBDIR = "logs"
LOG_FILE = "fieldapp.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s"

_HANDLER_NAME = "fieldapp-file"


class _LogFile(logging.Handler):
    """fieldapp's log file: at the first record it creates the log folder and a rotating file
    handler (``MAX_BYTES``, ``BACKUP_COUNT`` as they were at set-up) and hands it every record."""

    def __init__(self, path: Path, max_bytes: int, backup_count: int) -> None:
        super().__init__()
        self.path = Path(os.path.abspath(path))
        self._max_bytes = max_bytes
        self._backup_count = backup_count
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self._file is None:
            import logging.handlers

            class _Private(logging.handlers.RotatingFileHandler):
                """Each log file (the current one and every rotated one) readable by its owner
                only: it names units, inspectors and what they did."""

                def _open(self):  # type: ignore[no-untyped-def]
                    stream = super()._open()
                    with contextlib.suppress(OSError):  # Windows: the profile restricts it
                        os.chmod(self.baseFilename, 0o600)
                    return stream

            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._file = _Private(
                self.path,
                maxBytes=self._max_bytes,
                backupCount=self._backup_count,
                encoding="utf-8",
            )
            self._file.setFormatter(self.formatter)
        self._file.emit(record)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing must not fail a shutdown
            if self._file is not None:
                self._file.close()
                self._file = None
        super().close()


SECRET_OPTIONS = ("--token", "--password")


def redacted(argv: Sequence[str]) -> list[str]:
    """``argv`` as it may be logged: the value of every secret option replaced by ``***``
    (``--token T`` and ``--token=T`` alike), so a crash report never carries a token."""
    out: list[str] = []
    hide = False
    for arg in argv:
        if hide:
            out.append("***")
            hide = False
            continue
        name, equals, _value = arg.partition("=")
        if name in SECRET_OPTIONS:
            out.append(f"{name}=***" if equals else arg)
            hide = not equals
            continue
        out.append(arg)
    return out


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
    return handler.path if isinstance(handler, _LogFile) else None


def setup(folder: Path, level: int = logging.INFO) -> Path:
    """Send fieldapp's log (INFO and up, with tracebacks) to the data folder's log file."""
    target = log_path(folder)
    close()
    handler = _LogFile(target, MAX_BYTES, BACKUP_COUNT)
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
