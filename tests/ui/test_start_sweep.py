"""After the window starts it sweeps, in the background, photo files no record uses that are older
than a day; a younger one (maybe a photo whose record is being written) stays."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from fieldapp import settings
from fieldapp.settings import Settings
from fieldapp.store import Store
from fieldapp.ui import app
from fieldapp.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _orphan(store: Store, byte: str, seconds_old: float) -> Path:
    path = store.photos.path(byte * 64)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"no record uses this file")
    then = time.time() - seconds_old
    os.utime(path, (then, then))
    return path


def test_the_window_sweeps_old_orphans_after_it_starts(
    qtbot: Any, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(isolated_data_dir, create=True) as store:
        settings.save(store.folder, Settings(inspector_name="王芳"))
        old = _orphan(store, "a", 3 * 24 * 3600)
        young = _orphan(store, "b", 600)
    with Store.open(isolated_data_dir):  # opening alone sweeps nothing
        pass
    assert old.exists()

    def close_windows(_app: Any = None) -> int:
        QApplication.processEvents()  # the sweep's timer fires (its delay is 0 here)
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow):
                widget.close()  # waits for the writer thread, where the sweep runs
        return 0

    monkeypatch.setattr(QApplication, "exec", close_windows)
    monkeypatch.setattr(app, "SWEEP_DELAY_MS", 0)  # a minute after start in real use
    assert app.run(argparse.Namespace(data_dir=str(isolated_data_dir), lang=None)) == 0
    assert not old.exists()
    assert young.exists()
