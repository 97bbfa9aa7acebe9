"""Start-up: from nothing to a shown main window with the first page of N units listed.

fieldapp's side opens the store, reads the settings, builds the MainWindow, shows it and spins
the event loop until the units tab's first page (count + 200 rows, read in the background) is in.
The baseline, in the same process and QApplication, builds a bare QMainWindow holding an empty
QTableView of the same size, shows it and processes events once: the price of Qt itself.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop
from PySide6.QtWidgets import QMainWindow, QTableView

from benchmarks.bench_stall import qapp
from benchmarks.common import Result, log
from fieldapp import settings
from fieldapp.settings import Settings
from fieldapp.store import Store
from fieldapp.ui.main_window import MainWindow

DEADLINE_S = 120.0
SIZE = (1280, 800)  # MainWindow's own size


def _flush_deletes() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


def fieldapp_startup(folder: Path, expected: int) -> float:
    """Seconds from opening the store to the first page of units shown in the window."""
    start = time.perf_counter()
    store = Store.open(folder)
    try:
        if not settings.load(store.folder).inspector_name.strip():
            raise RuntimeError("no inspector name saved: the first-run dialog would come first")
        window = MainWindow(store)
        window.show()
        model = window.units_tab.model
        deadline = start + DEADLINE_S
        while model.loading or model.rowCount() == 0:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"the first page did not load within {DEADLINE_S} s")
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        elapsed = time.perf_counter() - start
        if model.total != expected:
            raise RuntimeError(f"window lists {model.total} units, expected {expected}")
        window.close()  # waits for background jobs (closeEvent -> shutdown)
        window.deleteLater()
        _flush_deletes()
    finally:
        store.close()
    return elapsed


def baseline_startup() -> float:
    """Seconds to build and show a bare QMainWindow with a QTableView, events processed once."""
    start = time.perf_counter()
    window = QMainWindow()
    window.resize(*SIZE)
    window.setCentralWidget(QTableView())
    window.show()
    QCoreApplication.processEvents()
    elapsed = time.perf_counter() - start
    window.close()
    window.deleteLater()
    _flush_deletes()
    return elapsed


def _median(work: Callable[[], float], repeat: int) -> float:
    work()  # warm-up: Qt styles, fonts, SQLAlchemy's compiled statements
    return statistics.median(work() for _ in range(repeat))


def run(store_dir: Path, units: int, repeat: int) -> Result:
    """``store_dir`` already holds ``units`` units (the import figure leaves it behind)."""
    qapp()
    settings.save(store_dir, Settings(inspector_name="王芳"))
    log(f"startup: MainWindow over {units} units, median of {repeat} …")
    value = _median(lambda: fieldapp_startup(store_dir, units), repeat)
    log(f"startup: fieldapp took {value * 1000:.1f} ms; bare QMainWindow + QTableView …")
    baseline = _median(baseline_startup, repeat)
    log(f"startup: bare Qt took {baseline * 1000:.1f} ms")
    note = f"open store + MainWindow + show + first page vs bare QMainWindow+QTableView; median of {repeat}"
    return Result("startup_main_window_50k", value * 1000, baseline * 1000, "ms", units, note)
