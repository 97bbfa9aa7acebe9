"""How long the window freezes while photos are ingested in the background.

A QTimer ticks every 5 ms on the UI thread and records the longest gap between two ticks while
photos arrive the way the evaluation view attaches a drop or a pick of files: one job on the
TaskRunner's writer thread hands them to the worker processes (``prepare_all``: decode, orient,
downscale, thumbnail, hash) and stores each with ``PhotoStore.put``, while the event loop waits
for the result. The
baseline is the longest gap of the same timer while the same event loop runs idle for the same
wall time: the ratio says how much worse than an idle loop the UI gets during an ingest.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from benchmarks.bench_photos import make_photo
from benchmarks.common import Result, log
from fieldapp.photos import PhotoStore, prepare_all
from fieldapp.ui.tasks import TaskRunner

TICK_MS = 5
DEADLINE_S = 300.0


def qapp() -> QApplication:
    """The process's one QApplication (created on first use)."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    return QApplication(["fieldapp-benchmarks"])


def spin() -> None:
    """One pass of the event loop, sleeping until something (at least the timer) happens.

    A polled loop rather than ``QEventLoop.exec``: once anything in the process has called
    ``QCoreApplication.exit`` outside ``exec`` (tests do), every nested ``exec`` returns at once.
    """
    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)


class GapMeter:
    """Longest time between two ticks of a 5 ms timer on the UI thread, in seconds."""

    def __init__(self) -> None:
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.longest = 0.0
        self.ticks = 0

    def start(self) -> None:
        self._last = time.perf_counter()
        self.longest, self.ticks = 0.0, 0
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now
        self.ticks += 1

    def stop(self) -> None:
        self._tick()  # the gap up to the end counts too
        self._timer.stop()


def ingest(paths: list[Path], store: PhotoStore) -> tuple[float, float]:
    """(longest gap, wall seconds) while ``paths`` are ingested by one submit_write job."""
    runner = TaskRunner()
    meter = GapMeter()
    done: list[str] = []
    errors: list[Exception] = []

    def arrived(shas: list[str]) -> None:
        done.extend(shas)

    def failed(error: Exception) -> None:
        errors.append(error)

    meter.start()
    start = time.perf_counter()
    runner.submit_write(lambda: [store.put(photo) for photo in prepare_all(paths)], arrived, failed)
    deadline = start + DEADLINE_S
    while len(done) < len(paths) and not errors and time.perf_counter() < deadline:
        spin()
    wall = time.perf_counter() - start
    meter.stop()
    runner.shutdown()
    if errors:
        raise RuntimeError(f"ingest failed: {errors[0]}") from errors[0]
    if len(done) != len(paths):
        raise RuntimeError(f"only {len(done)} of {len(paths)} photos arrived in {DEADLINE_S} s")
    return meter.longest, wall


def idle(seconds: float) -> float:
    """Longest gap while the same event loop does nothing for ``seconds``."""
    meter = GapMeter()
    meter.start()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        spin()
    meter.stop()
    return meter.longest


def run(workdir: Path, photos: int = 20, size: tuple[int, int] = (2000, 1500)) -> Result:
    qapp()
    folder = workdir / "stall-photos"
    folder.mkdir()
    log(f"stall: making {photos} photos of {size[0]}×{size[1]}")
    paths = [
        make_photo(folder / f"photo-{i:02d}.jpg", *size, orientation=1 + i % 8)
        for i in range(photos)
    ]
    log(f"stall: ingesting {photos} photos in worker processes, timer every {TICK_MS} ms …")
    longest, wall = ingest(paths, PhotoStore(workdir / "stall-store"))
    log(f"stall: longest gap {longest * 1000:.1f} ms over {wall:.2f} s; idle loop …")
    baseline = idle(wall)
    log(f"stall: idle longest gap {baseline * 1000:.1f} ms")
    note = (
        f"longest {TICK_MS} ms-timer gap: prepare_all (workers) + put via submit_write "
        "vs idle loop, "
        f"{size[0]}×{size[1]} JPEGs, {wall:.1f} s"
    )
    return Result("ingest_event_loop_stall", longest * 1000, baseline * 1000, "ms", photos, note)
