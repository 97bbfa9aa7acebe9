"""Take the screenshots in docs/screenshots/ from the real window on a real X server.

Run under Xvfb with a CJK font installed (scripts/system-packages.sh installs one):

    xvfb-run -s "-screen 0 1366x768x24" .venv/bin/python scripts/screenshots.py docs/screenshots

It builds a demo store (Jinyun's stations and task table, demo units and finalised evaluations
with photos), starts a county server (``fieldapp-server``) on loopback and syncs once, then opens
the main window maximised and, for each screen, waits until the window has finished its
background work and captures the whole screen with ImageMagick's ``import``. Nothing here is a
test; it is how the pictures in the README and the user guide are made.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ROOT / "tests" / "data" / "photos"
IMPORT = shutil.which("import") or "/usr/bin/import"
WAIT_MS = 30_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str, data: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "fieldapp", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def server_cli(*args: str, data: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "fieldapp.server.cli", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def main(out: Path) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fieldapp-shots-"))
    data, server_data = work / "data", work / "server"
    cli(
        "demo",
        "--units",
        "1200",
        "--targets",
        "--evaluations",
        "24",
        "--photos",
        str(PHOTOS),
        data=data,
    )

    port = free_port()
    token = (
        server_cli(
            "users",
            "add",
            "--name",
            "县局管理员",  # the demo's evaluations span every station
            "--station",
            "县局",
            "--role",
            "county",
            data=server_data,
        )
        .strip()
        .splitlines()[-1]
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "fieldapp.server.cli", "--data-dir", str(server_data),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        return shoot(out, data, f"http://127.0.0.1:{port}", token)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def confirmed_unit(session: Any, skip: int) -> Any:
    from fieldapp.services import units as unit_service
    from fieldapp.services.units import UnitFilter

    found = unit_service.search(session, UnitFilter(state="confirmed", station="五云所"), limit=5)
    return next(u for u in found if u.id != skip)


def follow_up_of(session: Any, store: Any, unit: Any, work: Path) -> int:
    """A finalised 后评价 with one failed item (and its photo), then a 回头看 of it."""
    import random

    from fieldapp.services import demo
    from fieldapp.services import evaluations as ev

    first = ev.start(session, store.library, unit, "post_evaluation", "张三")
    refs = [
        (f"{c.id}:{i.code}", i.photo_required)
        for c in ev.checklists_of(session, store.library, first)
        for i in c.items
    ]
    failed = refs[4][0]
    for ref, needs_photo in refs:
        if ref == failed:
            ev.answer(session, store.library, first, ref, "fail", rectify="补贴价格标签",
                      due=date.today() + timedelta(days=7), note="部分商品未标价")  # fmt: skip
            ev.attach(session, store.photos, first, [PHOTOS / "Landscape_3.jpg"], ref,
                      library=store.library)  # fmt: skip
        else:
            ev.answer(session, store.library, first, ref, "na" if needs_photo else "pass")
    png = demo.signature_png(work / "signature.png", random.Random(7))
    ev.sign(session, store.signatures, first, "inspector", "张三", png)
    ev.sign(session, store.signatures, first, "unit", "王芳", png)
    ev.finalize(session, store.library, first)
    return ev.start(session, store.library, unit, "follow_up", "张三").id


def shoot(out: Path, data: Path, server_url: str, token: str) -> int:
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from fieldapp import settings
    from fieldapp.services import evaluations as ev
    from fieldapp.services import unit_changes
    from fieldapp.services import units as unit_service
    from fieldapp.services.units import UnitFilter
    from fieldapp.store import Store
    from fieldapp.ui import strings
    from fieldapp.ui.about_dialog import AboutDialog
    from fieldapp.ui.app import application, install_qt_translations
    from fieldapp.ui.backup_dialog import BackupDialog
    from fieldapp.ui.first_run import FirstRunWizard
    from fieldapp.ui.main_window import MainWindow

    strings.set_language("zh_CN")
    app = application()
    install_qt_translations(app)  # Qt's own buttons (OK, Cancel, Close) in Chinese
    store = Store.open(data, create=True)
    settings.save(
        store.folder,
        settings.Settings(
            inspector_name="张三", badge_number="33112200123", station="五云所",
            server_url=server_url, server_token=token, backup_folder=str(data.parent / "usb"),
        ),
    )  # fmt: skip

    def wait_until(condition: Callable[[], bool]) -> None:
        loop = QEventLoop()
        poll = QTimer()
        poll.timeout.connect(lambda: loop.quit() if condition() else None)
        poll.start(20)
        give_up = QTimer()
        give_up.setSingleShot(True)
        give_up.timeout.connect(loop.quit)
        give_up.start(WAIT_MS)
        loop.exec()
        poll.stop()

    def settle(window: MainWindow) -> None:
        wait_until(lambda: not window.runner.busy)
        for _ in range(5):
            app.processEvents()

    def capture(name: str) -> None:
        app.processEvents()
        subprocess.run([IMPORT, "-window", "root", str(out / f"{name}.png")], check=True)
        print("wrote", out / f"{name}.png")

    # A unit with a story: a sticker with its photo, and a follow-up of a failed item.
    with store.session() as session:
        confirmed = unit_service.search(
            session, UnitFilter(state="confirmed", station="五云所"), limit=1
        )
        shop = confirmed[0]
        sha = unit_changes.store_sticker_photo(store.photos, PHOTOS / "Landscape_6.jpg")
        unit_changes.post_sticker(
            session, shop, unit_changes.Change("张三"), note="门口玻璃左侧", photo_sha256=sha
        )
        shop_code = shop.credit_code
        draft = ev.start(session, store.library, shop, "routine", "张三")
        checklists = ev.checklists_of(session, store.library, draft)
        items = [f"{c.id}:{i.code}" for c in checklists for i in c.items]
        for ref in items[:5]:
            ev.answer(session, store.library, draft, ref, "pass")
        ev.answer(session, store.library, draft, items[5], "fail", rectify="三日内补齐价格标签",
                  due=date.today() + timedelta(days=3), note="部分商品未标价")  # fmt: skip
        ev.attach(session, store.photos, draft, [PHOTOS / "Portrait_6.jpg"], items[5],
                  library=store.library)  # fmt: skip
        draft_id = draft.id
        follow_id = follow_up_of(session, store, confirmed_unit(session, skip=shop.id), data.parent)

    window = MainWindow(store)
    window.setGeometry(0, 0, 1366, 768)  # no window manager under Xvfb: place it by hand
    window.show()
    units = window.units_tab
    wait_until(lambda: units.model.total > 0 and not units.model.loading)
    units.station_combo.setCurrentIndex(units.station_combo.findData("五云所"))
    wait_until(lambda: units.model.query.station == "五云所" and not units.model.loading)
    rows = [units.model.row_data(r).credit_code for r in range(units.model.rowCount())]
    units.table.selectRow(rows.index(shop_code) if shop_code in rows else 0)
    wait_until(lambda: units.selected_unit is not None)
    settle(window)
    capture("units")

    units.search.setText(shop_code)
    wait_until(lambda: units.model.query.search == shop_code and units.model.total == 1)
    units.table.selectRow(0)
    wait_until(
        lambda: units.selected_unit is not None and units.selected_unit.credit_code == shop_code
    )
    settle(window)
    dialog = units.ask_new_evaluation()
    capture("new-evaluation")
    dialog.reject()
    sticker = units.ask_sticker()
    sticker.set_photo(str(PHOTOS / "Landscape_6.jpg"))
    sticker.note.setPlainText("门口玻璃左侧")
    capture("sticker")
    sticker.reject()
    change = units.ask_change_state()
    capture("lifecycle")
    change.reject()

    follow = window.open_evaluation(follow_id)
    wait_until(lambda: follow.data is not None)
    settle(window)
    capture("follow-up")

    view = window.open_evaluation(draft_id)
    wait_until(lambda: view.data is not None)
    view.table.move_to(5)
    settle(window)
    capture("evaluation")

    window.tabs.setCurrentWidget(window.progress_tab)
    settle(window)
    progress = window.progress_tab
    row = next(r for r in range(progress.holdback_table.rowCount())
               if progress.holdback_table.item(r, 0).text() == "五云所")  # fmt: skip
    progress.holdback_table.cellClicked.emit(row, 1)
    settle(window)
    capture("progress")

    window.tabs.setCurrentWidget(window.worklists_tab)
    settle(window)
    capture("worklists")

    window.tabs.setCurrentWidget(window.checklists_tab)
    settle(window)
    capture("checklists")

    window.tabs.setCurrentWidget(window.units_tab)
    batch = window.open_batch_print()
    start = date.today() - timedelta(days=30)
    from PySide6.QtCore import QDate

    batch.since.setDate(QDate(start.year, start.month, start.day))
    capture("batch-print")
    batch.reject()

    sync = window.open_sync()
    settle(window)
    sync.start()
    wait_until(lambda: not sync.running)
    settle(window)
    capture("sync")
    sync.close()

    backup = BackupDialog(store, window.runner, window)
    backup.open()
    settle(window)
    capture("backup")
    backup.reject()
    about = AboutDialog(store, window.runner, window)
    about.open()
    settle(window)
    capture("about")
    about.reject()

    wizard = FirstRunWizard(settings.Settings(), ["五云所", "壶镇分局"], window)
    wizard.setWindowModality(Qt.WindowModality.ApplicationModal)
    wizard.show()
    settle(window)
    capture("first-run")
    wizard.reject()

    window.close()
    window.shutdown()
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"))
