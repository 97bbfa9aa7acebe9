"""Timing helpers, the result record and the bare-sqlite3 connection the baselines use."""

from __future__ import annotations

import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fieldapp import paths
from fieldapp.store import Store

# The same pragmas fieldapp's engine sets on every connection (fieldapp/storage/db.py).
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=10000",
)


@dataclass(frozen=True)
class Result:
    """One figure: ``value`` is fieldapp's time, ``baseline`` bare sqlite3's, both in ``unit``."""

    name: str
    value: float
    baseline: float
    unit: str
    n: int
    note: str = ""
    ratio: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ratio", self.value / self.baseline if self.baseline else 0.0)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def log(message: str) -> None:
    """Progress goes to stderr so that stdout holds only the table or the JSON."""
    print(message, file=sys.stderr, flush=True)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """``with stopwatch() as t: ...`` then ``t[0]`` is the elapsed time in seconds."""
    elapsed: list[float] = []
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed.append(time.perf_counter() - start)


def median_time(work: Callable[[], object], repeat: int, *, warmup: int = 1) -> float:
    """Median seconds of ``repeat`` calls of ``work`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextmanager
def connect(database: Path) -> Iterator[sqlite3.Connection]:
    """A bare sqlite3 connection with fieldapp's pragmas, closed on exit (no ResourceWarning)."""
    with closing(sqlite3.connect(database, isolation_level=None)) as connection:
        for pragma in PRAGMAS:
            connection.execute(pragma).close()
        yield connection


def empty_schema_db(folder: Path) -> Path:
    """A database with fieldapp's exact schema (tables, indexes, FTS, triggers), no units."""
    Store.open(folder, create=True).close()
    return paths.database_path(folder)
