"""Printing from the window: an evaluation's sheet, a unit's blank form, a batch with cancel,
and the worklists tab's lists and monthly bulletin. PDFs are real; the system viewer is not
opened (``open_document`` is recorded instead)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog, QPrintPreviewWidget
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from sqlalchemy import select

from fieldapp.imports.units import import_units
from fieldapp.services import demo
from fieldapp.storage.models import Evaluation
from fieldapp.ui import print_preview, printing
from fieldapp.ui.main_window import MainWindow
from fieldapp.ui.printing import BatchPrintDialog
from fieldapp.ui.tasks import TaskRunner

pytestmark = pytest.mark.gui

WAIT_MS = 10_000
CODE = "92331122MA2A00018H"


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    seen: list[Path] = []
    monkeypatch.setattr(printing, "open_document", lambda path: seen.append(Path(path)) or True)
    return seen


@pytest.fixture
def window(qtbot: Any, store: Any, tmp_path: Path, data_path: Path) -> Iterator[MainWindow]:
    with store.session() as session:
        import_units(session, data_path / "units-sample.csv", actor="t")
        import_units(session, demo.write_csv(tmp_path / "units.csv", 60), actor="t")
    with store.session() as session:
        made = demo.make_evaluations(session, store, 3, workdir=tmp_path)
        assert made == 3
    main = MainWindow(store, TaskRunner(synchronous=True))
    qtbot.addWidget(main)
    main.show()
    yield main
    main.shutdown()


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(x for x in info.stdout.splitlines() if x.startswith("Pages:")).split()[1])


def first_evaluation(store: Any) -> tuple[int, str]:
    with store.read() as session:
        evaluation = session.scalars(select(Evaluation).order_by(Evaluation.id)).first()
        assert evaluation is not None
        return evaluation.id, evaluation.unit.name


def test_save_as_pdf_saves_the_sheet_where_chosen_and_opens_it(
    window: MainWindow, store: Any, tmp_path: Path, opened: list[Path], qtbot: Any
) -> None:
    evaluation_id, unit_name = first_evaluation(store)
    view = window.open_evaluation(evaluation_id)
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    assert view.save_pdf_button.text() == "另存为 PDF(&I)…"  # Alt+I, and Ctrl+Shift+S
    dialog = view.ask_save_pdf()
    assert dialog is not None
    assert dialog.selectedFiles()[0].endswith(".pdf")
    target = tmp_path / "sheet.pdf"
    dialog.fileSelected.emit(str(target))
    assert opened == [target]
    assert unit_name in pdf_text(target)


def test_print_shows_qt_preview_and_prints_every_page(
    window: MainWindow, store: Any, tmp_path: Path, qtbot: Any
) -> None:
    evaluation_id, _unit = first_evaluation(store)
    view = window.open_evaluation(evaluation_id)
    qtbot.waitUntil(lambda: view.data is not None, timeout=WAIT_MS)
    assert view.print_button.text() == "打印评价表(&P)…"  # Alt+P, and Ctrl+P
    view.ask_print()
    qtbot.waitUntil(lambda: isinstance(view.print_dialog, QPrintPreviewDialog), timeout=WAIT_MS)
    preview = view.print_dialog
    assert isinstance(preview, QPrintPreviewDialog) and preview.isVisible()
    assert "打印预览" in preview.windowTitle()
    sheet = next(printing.reports_folder(store).glob(f"评价表-{evaluation_id}-*.pdf"))
    # What the preview's 打印 sends to the printer chosen in Qt's print dialog; here the
    # printer is a PDF file, so the pages can be counted.
    printer = preview.printer()
    out = tmp_path / "printed.pdf"
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(out))
    widget = preview.findChild(QPrintPreviewWidget)
    assert widget is not None
    widget.print()
    assert pages(out) == pages(sheet) > 0
    preview.close()


def test_without_a_pdf_viewer_the_app_says_where_and_opens_the_folder(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def no_viewer(url: QUrl) -> bool:
        asked.append(url.toLocalFile())
        return len(asked) > 1  # no PDF viewer; the file manager opens the folder

    monkeypatch.setattr(QDesktopServices, "openUrl", no_viewer)
    monkeypatch.setattr(print_preview, "_no_program_for", lambda _path: False)
    sheet = tmp_path / "评价表-1.pdf"
    sheet.write_bytes(b"%PDF-1.4")
    printing.open_document(sheet)
    box = next(
        w for w in QApplication.allWidgets() if w.objectName() == "savedWhere" and w.isVisible()
    )
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert str(sheet) in box.informativeText() and "没有能打开 PDF 的程序" in box.text()
    button = box.findChild(QPushButton, "openFolder")
    assert button is not None and button.text() == "打开所在文件夹(&O)"
    button.click()
    assert asked == [str(sheet), str(tmp_path)]
    box.close()


def test_blank_form_for_the_selected_unit(
    window: MainWindow, tmp_path: Path, opened: list[Path], qtbot: Any
) -> None:
    tab = window.units_tab
    assert not tab.print_blank.isEnabled()
    tab.search.setText(CODE)
    qtbot.waitUntil(
        lambda: tab.model.query.search == CODE and tab.model.total == 1, timeout=WAIT_MS
    )
    tab.table.selectRow(0)
    qtbot.waitUntil(tab.print_blank.isEnabled, timeout=WAIT_MS)
    dialog = tab.ask_print_blank()
    assert dialog is not None
    target = tmp_path / "blank.pdf"
    dialog.fileSelected.emit(str(target))
    assert opened == [target]
    text = pdf_text(target)
    assert CODE in text and "缙云县五云好又多超市" in text


def test_batch_print_of_a_date_range_into_one_pdf(
    window: MainWindow, tmp_path: Path, opened: list[Path]
) -> None:
    dialog = window.open_batch_print()
    assert isinstance(dialog, BatchPrintDialog)
    start = date.today() - timedelta(days=400)
    dialog.since.setDate(QDate(start.year, start.month, start.day))
    target = tmp_path / "batch.pdf"
    dialog.output.setText(str(target))
    dialog.start()
    assert len(dialog.written) == 1 and opened == [target]
    assert pages(target) >= 3  # three sheets, each at least a page
    assert "已生成 1 个文件" in dialog.status.text()


def test_batch_one_file_each_into_a_folder(
    window: MainWindow, tmp_path: Path, opened: list[Path]
) -> None:
    dialog = window.open_batch_print()
    start = date.today() - timedelta(days=400)
    dialog.since.setDate(QDate(start.year, start.month, start.day))
    dialog.each_file.setChecked(True)
    folder = tmp_path / "sheets"
    dialog.output.setText(str(folder))
    dialog.start()
    assert sorted(p.parent for p in dialog.written) == [folder] * 3
    assert opened == [folder]


def test_cancelled_batch_leaves_nothing(
    window: MainWindow, tmp_path: Path, opened: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(printing.JobProgress, "cancelled", lambda self: True)
    dialog = window.open_batch_print()
    start = date.today() - timedelta(days=400)
    dialog.since.setDate(QDate(start.year, start.month, start.day))
    target = tmp_path / "batch.pdf"
    dialog.output.setText(str(target))
    dialog.start()
    assert not target.exists() and opened == []
    assert list(tmp_path.glob("*.part")) == [] and list(tmp_path.glob(".batch*")) == []
    assert "已取消" in dialog.status.text()
    assert dialog.print_button.isEnabled()


def test_worklists_tab_lists_today_and_writes_the_bulletin(
    window: MainWindow, tmp_path: Path, opened: list[Path]
) -> None:
    tab = window.worklists_tab
    window.tabs.setCurrentWidget(tab)
    assert tab.changed.rowCount() > 0  # everything was imported today
    assert "有变动的单位" in tab.changed_caption.text()
    assert "未完成的整改" in tab.followups_caption.text()
    assert tab.chosen_month() == date.today().strftime("%Y-%m")
    assert tab.station.findData("五云所") > 0
    target = tmp_path / "bulletin.pdf"
    tab.write_bulletin(target, tab.chosen_month(), None)
    assert opened == [target]
    assert "通报" in pdf_text(target)
    xlsx = tmp_path / "bulletin.xlsx"
    tab.write_bulletin(xlsx, tab.chosen_month(), "五云所")
    assert opened[-1] == xlsx and xlsx.stat().st_size > 0


def test_with_no_program_set_for_pdf_it_says_where_without_trying(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tried: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: tried.append(url) or True)
    monkeypatch.setattr(print_preview, "_no_program_for", lambda path: path.suffix == ".pdf")
    sheet = tmp_path / "整改通知书-1.pdf"
    sheet.write_bytes(b"%PDF-1.4")
    printing.open_document(sheet)
    box = next(
        w for w in QApplication.allWidgets() if w.objectName() == "savedWhere" and w.isVisible()
    )
    assert isinstance(box, QMessageBox) and str(sheet) in box.informativeText()
    assert tried == []  # xdg-open would start and fail where nobody sees it
    box.close()
