"""打印 through Qt's print dialog, with a preview, and what happens when no PDF viewer is there.

The sheets are PDFs made by ReportLab; PySide6-Essentials has no QtPdf, so the pages are turned
into images with PDFium (the ``pypdfium2`` package) off the UI thread, at a resolution fit for
paper, and Qt's preview and print dialog lay them on the printer's page: the inspector chooses
the office printer, the copies and the pages where every Qt application does, and sees the pages
first. When a PDF was saved and no viewer can open it, :func:`tell_where` says where the file is
and offers 打开所在文件夹 (and the path can be copied).
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from fieldapp.errors import InvalidInput
from fieldapp.ui.strings import tr
from fieldapp.ui.tasks import TaskRunner

_open_boxes: set[QMessageBox] = set()
PRINT_DPI = 200  # sharp text on paper; an A4 page is about 11 MB in memory at this resolution


def render_pages(pdf: Path, dpi: int = PRINT_DPI) -> list[QImage]:
    """The pages of ``pdf`` as images (a worker-thread job: QImage, unlike QPixmap, may be made
    off the UI thread)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError as exc:
        raise InvalidInput(tr("printer.unreadable", path=pdf, error=exc)) from None
    pages: list[QImage] = []
    try:
        for page in document:
            bitmap = page.render(scale=dpi / 72)
            image = bitmap.to_pil().convert("RGB")
            width, height = image.size
            data = image.tobytes("raw", "RGB")
            pages.append(QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy())
            page.close()
    finally:
        document.close()
    return pages


def paint_pages(printer: QPrinter, pages: list[QImage]) -> None:
    """Each page image fitted (aspect kept, centred) on a page of ``printer``."""
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError(tr("printer.cannot_start"))
    try:
        for number, image in enumerate(pages):
            if number:
                printer.newPage()
            area = printer.pageLayout().paintRectPixels(printer.resolution())
            size = QSize(image.width(), image.height())
            size.scale(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            x = area.x() + (area.width() - size.width()) / 2
            y = area.y() + (area.height() - size.height()) / 2
            target = QRectF(x - area.x(), y - area.y(), size.width(), size.height())
            painter.drawImage(target, image)
    finally:
        painter.end()


def preview_dialog(parent: QWidget | None, title: str, pages: list[QImage]) -> QPrintPreviewDialog:
    """Qt's preview of ``pages`` (its 打印 button opens Qt's print dialog); not shown yet. The
    dialog owns its printer (``printer()``)."""
    dialog = QPrintPreviewDialog(parent)
    dialog.setObjectName("printPreview")
    dialog.setWindowTitle(tr("printer.preview_title", title=title))
    dialog.printer().setDocName(title)
    dialog.paintRequested.connect(lambda target: paint_pages(target, pages))
    screen = dialog.screen()
    if screen is not None:  # the pages large enough to read, inside the screen
        area = screen.availableGeometry()
        dialog.resize(int(area.width() * 0.9), int(area.height() * 0.9))
    return dialog


def print_pdf(
    parent: QWidget,
    runner: TaskRunner,
    title: str,
    write: Callable[[], Path],
    shown: Callable[[QPrintPreviewDialog], None] | None = None,
) -> int:
    """Write the PDF and turn its pages into images (worker), then open the preview (UI)."""

    def work() -> list[QImage]:
        return render_pages(write())

    def ready(pages: list[QImage]) -> None:
        dialog = preview_dialog(parent, title, pages)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        if shown is not None:
            shown(dialog)

    return runner.submit_long(work, ready)


def _no_program_for(path: Path) -> bool:
    """On Linux, whether no program is set to open files like ``path`` (xdg-open starts even
    when none is, and then fails where nobody sees it); elsewhere the system answers at once
    (Windows' ShellExecute refuses a file type nothing opens), so never."""
    if not sys.platform.startswith("linux") or shutil.which("xdg-mime") is None:
        return False
    kind = "inode/directory" if path.is_dir() else mimetypes.guess_type(path.name)[0]
    if kind is None:
        return False
    try:
        found = subprocess.run(
            ["xdg-mime", "query", "default", kind],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return found.returncode == 0 and not found.stdout.strip()


def open_or_tell(path: Path) -> None:
    """Open ``path`` with the system's program; with none, say where it is (:func:`tell_where`)."""
    if _no_program_for(path) or not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        tell_where(path)


def open_folder(path: Path) -> bool:
    """Open the folder that holds ``path`` in the file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


def tell_where(path: Path, parent: QWidget | None = None) -> QMessageBox:
    """No program opened the PDF: say where it was saved and offer to open its folder."""
    box = QMessageBox(parent or QApplication.activeWindow())
    box.setObjectName("savedWhere")
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(tr("printer.saved_title"))
    box.setText(tr("printer.no_viewer", name=path.name))
    box.setInformativeText(os.fspath(path))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    folder = box.addButton(tr("printer.open_folder"), QMessageBox.ButtonRole.ActionRole)
    folder.setObjectName("openFolder")
    folder.clicked.connect(lambda _checked=False: open_folder(path))
    box.addButton(QMessageBox.StandardButton.Close)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    # A box without a parent belongs to Python: keep it alive until it is closed.
    _open_boxes.add(box)
    box.finished.connect(lambda _result: _open_boxes.discard(box))
    box.open()
    return box


__all__ = ["paint_pages", "preview_dialog", "print_pdf", "render_pages", "tell_where"]
