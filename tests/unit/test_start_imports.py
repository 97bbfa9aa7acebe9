"""What the window's start and its first page of units load: Qt and the read model, not the
ORM, the checklist library, Pillow or the report libraries (those load when first used)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from fieldapp.cli import main

HEAVY = ("sqlalchemy", "PIL", "reportlab", "openpyxl", "fieldapp.checklists", "fieldapp.services")

SCRIPT = """
import json, sys
import fieldapp.ui.app  # the window's modules: main window, tabs, dialogs it opens at start
from fieldapp.store import Store
from fieldapp.views import units
store = Store.open(sys.argv[1])
with store.raw_read() as connection:
    page = units.first_page(connection, units.UnitFilter(), 100)
print(json.dumps({"total": page.total, "rows": len(page.rows),
                  "loaded": [m for m in HEAVY if m in sys.modules]}))
""".replace("HEAVY", repr(HEAVY))


def test_the_window_and_its_first_page_load_no_orm(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    assert main(["--data-dir", str(folder), "demo", "--units", "120"]) == 0
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(folder)],
        capture_output=True,
        text=True,
        check=True,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""},
    )
    report = json.loads(done.stdout)
    with sqlite3.connect(folder / "fieldapp.sqlite3") as connection:
        (stored,) = connection.execute("SELECT count(*) FROM units").fetchone()
    connection.close()
    assert report == {"total": stored, "rows": 100, "loaded": []}
