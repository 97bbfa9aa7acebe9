"""Whole processes: what an inspector waits for when a command or the window starts.

Each side runs in a child process and is measured by the CPU time (user + system) that child
used, from ``resource.getrusage(RUSAGE_CHILDREN)`` before and after: interpreter start, imports,
opening the store, the work and the exit, background threads included.

* ``cli_units_list_process``: ``fieldapp units list --search 超市 --limit 5`` over a store that
  ``fieldapp demo --units N`` built, against ``python -c "import sqlite3; …"`` running the same
  index lookup over the same file (first page of 5 with the station, and the count) and printing
  the rows. Both must find the same number of units.
* ``startup_window_process``: ``FIELDAPP_SMOKE_EXIT=1 fieldapp --data-dir D`` (the window opens
  the store, is shown, then closes; closing waits for the background read of the first page of
  units, so that read is in the figure, painting its rows is not) against a child that shows a
  bare QMainWindow holding a QTableView and exits. Both under ``QT_QPA_PLATFORM=offscreen``.

Children run with bytecode caching on, in a cache folder of the run's own (``PYTHONPYCACHEPREFIX``;
an installed or frozen fieldapp ships compiled modules), after one untimed warm-up run of each side
that fills it. Where ``resource`` does not exist (Windows), wall time is measured instead.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import bench_search
from benchmarks.common import Result, log
from fieldapp import paths, settings

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

SEARCH, LIMIT = "超市", 5
TIMEOUT_S = 600.0
FIELDAPP = ("-m", "fieldapp.ui.entry")  # what the ``fieldapp`` console script runs
BARE_QT = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 800)
window.setCentralWidget(QTableView())
window.show()
app.processEvents()
window.close()
"""
SQLITE_LIST = """
import sqlite3
found, limit = {match!r}, {limit}
connection = sqlite3.connect({database!r})
page = connection.execute({page!r}, (found, limit)).fetchall()
total = connection.execute({count!r}, (found,)).fetchone()[0]
for row in page:
    print("  ".join(str(cell) for cell in row[1:]))
print(len(page), "/", total)
connection.close()
"""
_CLI_TOTAL = re.compile(r"共 (\d+) 家")
_SQLITE_TOTAL = re.compile(r"(\d+) / (\d+)\s*$")


def child_env(workdir: Path) -> dict[str, str]:
    """The environment of every child: offscreen Qt, bytecode cached in the run's own folder."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def child_cpu(argv: Sequence[str], env: dict[str, str]) -> tuple[float, str]:
    """Run ``argv`` to its end; (CPU seconds it used, user + system, its stdout)."""
    if resource is not None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, encoding="utf-8", timeout=TIMEOUT_S
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} … exited {done.returncode}:\n{done.stderr}")
    if resource is None:  # pragma: no cover - Windows
        return elapsed, done.stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, done.stdout


def median_cpu(argv: Sequence[str], env: dict[str, str], repeat: int) -> float:
    """Median CPU seconds of ``repeat`` runs (the warm-up was done by the caller)."""
    return statistics.median(child_cpu(argv, env)[0] for _ in range(repeat))


def build_store(workdir: Path, units: int, env: dict[str, str]) -> Path:
    """``fieldapp demo --units N`` into a new data folder, with an inspector name saved (so the
    window does not open the first-run wizard)."""
    folder = workdir / "process-store"
    log(f"process: fieldapp demo --units {units} …")
    argv = [sys.executable, *FIELDAPP, "--data-dir", str(folder), "demo", "--units", str(units)]
    child_cpu(argv, env)
    chosen = settings.load(folder).replace(inspector_name="王芳")
    settings.save(folder, chosen)
    return folder


def _total(pattern: re.Pattern[str], output: str, who: str) -> int:
    found = pattern.search(output)
    if found is None:
        raise RuntimeError(f"{who} printed no total:\n{output}")
    return int(found.groups()[-1])


def units_list(folder: Path, units: int, repeat: int, env: dict[str, str]) -> Result:
    ours = [sys.executable, *FIELDAPP, "--data-dir", str(folder), "units", "list"]
    ours += ["--search", SEARCH, "--limit", str(LIMIT)]
    code = SQLITE_LIST.format(
        database=str(paths.database_path(folder)),
        match=bench_search.match(SEARCH),
        page=bench_search.PAGE,
        count=bench_search.COUNT,
        limit=LIMIT,
    )
    theirs = [sys.executable, "-c", code]
    # Warm-up, which also checks that both sides found the same units.
    found = _total(_CLI_TOTAL, child_cpu(ours, env)[1], "fieldapp units list")
    expected = _total(_SQLITE_TOTAL, child_cpu(theirs, env)[1], "the sqlite3 baseline")
    if found != expected:
        raise RuntimeError(f"fieldapp found {found} units, sqlite3 {expected}")
    log(f"process: fieldapp units list --search {SEARCH} ({found} found), median of {repeat} …")
    value = median_cpu(ours, env, repeat)
    baseline = median_cpu(theirs, env, repeat)
    log(
        f"process: units list {value * 1000:.0f} ms CPU, python -c sqlite3 {baseline * 1000:.0f} ms"
    )
    note = (
        f"CPU of the whole process: `fieldapp units list --search {SEARCH} --limit {LIMIT}` vs "
        f"python -c sqlite3 (same index lookup, page + count); median of {repeat}"
    )
    return Result("cli_units_list_process", value * 1000, baseline * 1000, "ms", units, note)


def window(folder: Path, units: int, repeat: int, env: dict[str, str]) -> Result:
    ours = [sys.executable, *FIELDAPP, "--data-dir", str(folder)]
    ours_env = {**env, "FIELDAPP_SMOKE_EXIT": "1"}
    theirs = [sys.executable, "-c", BARE_QT]
    child_cpu(ours, ours_env)  # warm-up
    child_cpu(theirs, env)
    log(f"process: FIELDAPP_SMOKE_EXIT=1 fieldapp over {units} units, median of {repeat} …")
    value = median_cpu(ours, ours_env, repeat)
    baseline = median_cpu(theirs, env, repeat)
    log(f"process: window {value * 1000:.0f} ms CPU, bare Qt window {baseline * 1000:.0f} ms")
    note = (
        "CPU of the whole process: FIELDAPP_SMOKE_EXIT=1 fieldapp (store, window shown, first "
        f"page read) vs a bare QApplication + QMainWindow + QTableView shown; median of {repeat}"
    )
    return Result("startup_window_process", value * 1000, baseline * 1000, "ms", units, note)


def run(workdir: Path, units: int, repeat: int, folder: Path | None = None) -> list[Result]:
    """Both figures over ``folder`` if given (a store already holding ``units`` units), else over
    a store ``fieldapp demo`` builds."""
    env = child_env(workdir)
    if folder is None:
        folder = build_store(workdir, units, env)
    else:
        settings.save(folder, settings.load(folder).replace(inspector_name="王芳"))
    return [units_list(folder, units, repeat, env), window(folder, units, repeat, env)]
