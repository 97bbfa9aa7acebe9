"""``python -m benchmarks [--quick] [--json] [--units N]``: run every figure, print the results.

``--units`` above the full size (50,000, a county) is the scale run, not part of CI: a province's
store (``--units 500000``) measured for what grows with the number of units (the import that
builds it, search, the window's start-up to its first page, progress, the bulletin, and the
command and the window as whole processes); photos, sheets, sync and the server, which do not
depend on it, are left to the full run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks import (
    bench_bulletin,
    bench_import,
    bench_photos,
    bench_process,
    bench_progress,
    bench_search,
    bench_server,
    bench_sheet,
    bench_stall,
    bench_startup,
    bench_sync,
)
from benchmarks.common import Result, log

FULL_UNITS, QUICK_UNITS = 50_000, 2_000
FULL_REPEAT, QUICK_REPEAT = 20, 5
FULL_PHOTO_REPEAT, QUICK_PHOTO_REPEAT = 5, 2  # photo ingest and window start-up runs
FULL_STALL_PHOTOS, QUICK_STALL_PHOTOS = 20, 6
FULL_SHEET_BATCH, QUICK_SHEET_BATCH = 100, 10  # evaluation sheets printed into one PDF
FULL_PROCESS_REPEAT, QUICK_PROCESS_REPEAT = 3, 1  # whole-process runs (command, window start)
# Sync: evaluations, distinct photos they draw on, evaluations per device of the 10 at once.
FULL_SYNC, QUICK_SYNC = (200, 1000, 20), (10, 50, 2)
# The county server at a province's size on PostgreSQL: units, received evaluations.
FULL_SERVER = (bench_server.FULL_UNITS, bench_server.FULL_EVALUATIONS)
QUICK_SERVER = (bench_server.QUICK_UNITS, bench_server.QUICK_EVALUATIONS)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "fieldapp vs a bare baseline (sqlite3, Pillow, Qt) doing the same work; "
            "ratio = fieldapp / baseline."
        ),
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_UNITS} units, {QUICK_REPEAT} repeats"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument(
        "--units",
        type=int,
        metavar="N",
        help=(
            f"units to import and search (default {FULL_UNITS}); above {FULL_UNITS}, only the "
            "figures that grow with the units (e.g. 500000, a province)"
        ),
    )
    args = parser.parse_args(argv)
    if args.units is not None and args.units < 1:
        parser.error("--units must be at least 1")
    return args


def run(units: int, repeat: int, *, quick: bool = False) -> list[Result]:
    if units > FULL_UNITS:
        return run_scale(units, repeat)
    photo_repeat = QUICK_PHOTO_REPEAT if quick else FULL_PHOTO_REPEAT
    stall_photos = QUICK_STALL_PHOTOS if quick else FULL_STALL_PHOTOS
    with tempfile.TemporaryDirectory(prefix="fieldapp-bench-") as tmp:
        workdir = Path(tmp)
        imported, store_dir = bench_import.run(units, workdir)
        return [
            imported,
            *bench_search.run(store_dir, units, repeat),
            bench_startup.run(store_dir, units, photo_repeat),
            *bench_progress.run(store_dir, units, photo_repeat),
            *bench_photos.run(workdir, photo_repeat),
            bench_stall.run(workdir, stall_photos),
            *bench_bulletin.run(store_dir, units, photo_repeat, workdir),
            *bench_sheet.run(
                workdir, photo_repeat, QUICK_SHEET_BATCH if quick else FULL_SHEET_BATCH
            ),
            *bench_sync.run(workdir, *(QUICK_SYNC if quick else FULL_SYNC)),
            *bench_process.run(
                workdir, units, QUICK_PROCESS_REPEAT if quick else FULL_PROCESS_REPEAT
            ),
            *bench_server.run(*(QUICK_SERVER if quick else FULL_SERVER), repeat),
        ]


def run_scale(units: int, repeat: int) -> list[Result]:
    """The figures that grow with the number of units, over one store of ``units`` units; the
    whole-process figures run on that same store (building a second would double the hour)."""
    with tempfile.TemporaryDirectory(prefix="fieldapp-bench-") as tmp:
        workdir = Path(tmp)
        imported, store_dir = bench_import.run(units, workdir)
        return [
            imported,
            *bench_search.run(store_dir, units, repeat),
            bench_startup.run(store_dir, units, FULL_PHOTO_REPEAT),
            # Progress (and the bulletin, which computes it) take seconds here: fewer runs.
            *bench_progress.run(store_dir, units, FULL_PROCESS_REPEAT),
            *bench_bulletin.run(store_dir, units, FULL_PROCESS_REPEAT, workdir),
            *bench_process.run(workdir, units, FULL_PROCESS_REPEAT, store_dir),
        ]


def table(results: Sequence[Result]) -> str:
    header = ("name", "n", "fieldapp", "baseline", "ratio", "unit", "note")
    rows = [
        (r.name, str(r.n), f"{r.value:.3f}", f"{r.baseline:.3f}", f"{r.ratio:.1f}×", r.unit, r.note)
        for r in results
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    lines = []
    for row in (header, *rows):
        cells = [
            cell.ljust(w) if i in (0, 5) else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=False))
        ]
        lines.append("  ".join([*cells, row[-1]]))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    units = args.units or (QUICK_UNITS if args.quick else FULL_UNITS)
    repeat = QUICK_REPEAT if args.quick else FULL_REPEAT
    log(f"benchmarks: {units} units, {repeat} repeats per query")
    results = run(units, repeat, quick=args.quick)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
