"""Killing the window's process mid-evaluation loses nothing it showed as saved.

The app runs in its own process (the real entry point, offscreen) driven by tests/ui/kill_driver.py;
it is killed with SIGKILL after some keyboard answers and a photo, then a new window over the same
data folder reopens the draft tab with every answer and the photo, and the work continues.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from fieldapp import settings
from fieldapp.imports.units import import_units
from fieldapp.photos import prepare
from fieldapp.store import Store
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.tasks import TaskRunner

pytestmark = [pytest.mark.gui, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
PHOTO = HERE.parent / "data" / "photos" / "Landscape_6.jpg"
CODE = "92331122MA2A00018H"
ANSWERS = 8
WAIT_MS = 10_000


@pytest.fixture
def killed_app(isolated_data_dir: Path, data_path: Path) -> Iterator[dict[str, Any]]:
    with Store.open(isolated_data_dir, create=True) as store:
        with store.session() as session:
            import_units(session, data_path / "units-sample.csv", actor="测试")
        settings.save(store.folder, settings.Settings(inspector_name="张三", station="五云所"))
    process = subprocess.Popen(
        [sys.executable, str(HERE / "kill_driver.py"), str(isolated_data_dir), str(PHOTO), CODE,
         str(ANSWERS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONIOENCODING": "utf-8"},
    )  # fmt: skip
    assert process.stdout is not None
    seen: dict[str, Any] = {"answered": [], "attached": [], "id": None}
    try:
        for line in process.stdout:
            word, _, rest = line.strip().partition(" ")
            if word == "started":
                seen["id"] = int(rest)
            elif word in ("answered", "attached"):
                seen[word].append(rest)
            elif word in ("ready", "timeout"):
                seen[word] = True
                break
    finally:
        process.send_signal(signal.SIGKILL)
        _, err = process.communicate()
    assert process.returncode == -signal.SIGKILL, err
    assert seen.get("ready"), err
    yield seen


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_window_reopens_the_draft_intact(
    qtbot: Any, isolated_data_dir: Path, killed_app: dict[str, Any]
) -> None:
    assert len(killed_app["answered"]) == ANSWERS and len(killed_app["attached"]) == 1
    with Store.open(isolated_data_dir, create=True) as store:
        runner = TaskRunner(synchronous=True)
        window = MainWindow(store, runner)
        qtbot.addWidget(window)
        try:
            # The tab that was open when the process died is open again, with everything saved.
            (view,) = window.evaluation_views()
            assert view.evaluation_id == killed_app["id"]
            assert window.tabs.currentWidget() is view
            qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
            assert view.data is not None and view.data.status == "draft"
            results = {f"{i.checklist_id}:{i.code}": i for i in view.data.items}
            by_hand = [r for r, i in results.items() if i.result == "pass" and not i.linked]
            assert by_hand == killed_app["answered"]  # linked items follow the ones they copy
            (target,) = killed_app["attached"]
            assert results[target].photos == (prepare(PHOTO).sha256,)
            assert store.photos.verify(results[target].photos[0])

            # The inspector carries on with the keyboard where the draft stopped.
            unanswered = next(
                n for n, i in enumerate(view.data.items) if i.result is None and not i.linked
            )
            view.table.move_to(unanswered)
            view.table.setFocus()
            ref = f"{view.data.items[unanswered].checklist_id}:{view.data.items[unanswered].code}"
            qtbot.keyClick(view.table, Qt.Key.Key_3)
            qtbot.waitUntil(
                lambda: (
                    view.data is not None
                    and any(
                        f"{i.checklist_id}:{i.code}" == ref and i.result == "na"
                        for i in view.data.items
                    )
                ),
                timeout=WAIT_MS,
            )
        finally:
            window.close()
            runner.shutdown()
