"""Finalized evaluations made through the service, for tests that need history behind a unit."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from fieldapp.services import evaluations as service
from fieldapp.services import units as unit_service

DATA = Path(__file__).resolve().parents[1] / "data"
PHOTO = DATA / "photos" / "Landscape_6.jpg"
RECTIFY = "完善安保制度并上墙公示"


def drawn_png(path: Path) -> Path:
    """A signature: a white PNG with a black scribble (a blank one is refused)."""
    image = QImage(320, 120, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setPen(QPen(QColor("black"), 3))
    painter.drawLine(QPointF(20, 30), QPointF(150, 90))
    painter.drawLine(QPointF(150, 90), QPointF(280, 40))
    painter.end()
    assert image.save(str(path), "PNG")
    return path


def click_finalize(view: Any) -> None:
    """Click 定稿 and, when the confirmation shows (nothing missing), take 确认定稿."""
    view.finalize_button.click()
    dialog = view.finalize_dialog
    if dialog is not None and dialog.isVisible():
        dialog.confirm.click()


def finalize_with_one_failure(
    store: Any, code: str, folder: Path, *, due: date, answered_on: date | None = None
) -> tuple[int, str]:
    """Finalize a 后评价 of the unit: all 符合 except one 不符合 (with photo, 整改要求, ``due``).

    Returns the evaluation id and the failed item's ref.
    """
    with store.session() as session:
        unit = unit_service.by_code(session, code)
        evaluation = service.start(session, store.library, unit, "post_evaluation", "王芳")
        items = [
            (checklist.id, item)
            for checklist in service.checklists_of(session, store.library, evaluation)
            for item in checklist.items
            if not item.same_as  # answered through the items it is the same as
        ]
        failed = next(f"{cid}:{item.code}" for cid, item in items if not item.gate)
        for cid, item in items:
            ref = f"{cid}:{item.code}"
            if ref == failed:
                service.answer(
                    session,
                    store.library,
                    evaluation,
                    ref,
                    "fail",
                    rectify=RECTIFY,
                    due=due,
                    today=answered_on,
                )
            else:
                service.answer(session, store.library, evaluation, ref, "pass")
            if item.photo_required or ref == failed:
                service.attach(
                    session, store.photos, evaluation, [PHOTO], ref, library=store.library
                )
        for role, name in (("inspector", "王芳"), ("unit", "张店长")):
            png = drawn_png(folder / f"{role}.png")
            service.sign(session, store.signatures, evaluation, role, name, png)
        service.finalize(session, store.library, evaluation)
        return evaluation.id, failed
