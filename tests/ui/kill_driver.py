"""Drives the real ``fieldapp`` window in its own process for the kill test (not a test module).

Starts the app through the console script's own entry point, then, from inside its event loop:
finds the unit, starts a 后评价 from the units tab, answers items with the keyboard and attaches
a photo, printing each step only after the window has shown it saved. The test kills this process
with SIGKILL mid-evaluation and checks that a restarted window finds every reported step.

Usage: python kill_driver.py DATA_DIR PHOTO CREDIT_CODE ANSWERS
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from fieldapp.ui.app import application
from fieldapp.ui.entry import main
from fieldapp.ui.main_window import MainWindow

WAIT_MS = 20_000


def wait_until(condition: Callable[[], bool]) -> None:
    """Run the event loop until ``condition()`` holds (checked every 10 ms); exit 3 on timeout."""
    if condition():
        return
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(10)
    poll.timeout.connect(lambda: loop.quit() if condition() else None)
    give_up = QTimer()
    give_up.setSingleShot(True)
    give_up.timeout.connect(lambda: (print("timeout", flush=True), os._exit(3)))
    poll.start()
    give_up.start(WAIT_MS)
    loop.exec()
    poll.stop()
    give_up.stop()


def drive(photo: str, code: str, answers: int) -> None:
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    tab = window.units_tab
    tab.search.setText(code)
    wait_until(lambda: tab.model.query.search == code and tab.model.total == 1)
    tab.table.selectRow(0)
    wait_until(lambda: tab.selected_unit is not None)
    tab.start_evaluation("post_evaluation", "张三")
    wait_until(lambda: bool(window.evaluation_views()))
    view = window.evaluation_views()[0]
    wait_until(lambda: view.data is not None)
    print("started", view.evaluation_id, flush=True)

    def saved(ref: str, check: Callable[[object], bool]) -> bool:
        data = view.data
        if data is None:
            return False
        return any(check(i) for i in data.items if f"{i.checklist_id}:{i.code}" == ref)

    view.table.setFocus()
    for n in range(1, answers + 1):
        item = view.current_item()
        assert item is not None
        while item.linked:  # answered through the items it is the same as: not by hand
            QTest.keyClick(view.table, Qt.Key.Key_Down)
            item = view.current_item()
            assert item is not None
        ref = f"{item.checklist_id}:{item.code}"
        QTest.keyClick(view.table, Qt.Key.Key_1)
        wait_until(lambda ref=ref: saved(ref, lambda i: i.result == "pass"))  # type: ignore[attr-defined]
        print("answered", ref, flush=True)
        if n == 3:
            current = view.current_item()
            assert current is not None
            target = f"{current.checklist_id}:{current.code}"
            view.attach([photo], for_item=True)
            wait_until(lambda t=target: saved(t, lambda i: bool(i.photos)))  # type: ignore[attr-defined]
            print("attached", target, flush=True)
    print("ready", flush=True)  # the window stays open until the test kills it


if __name__ == "__main__":
    folder, photo, code, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    application()  # the same QApplication the entry point will use
    QTimer.singleShot(0, lambda: drive(photo, code, count))
    sys.exit(main(["--data-dir", folder]))
