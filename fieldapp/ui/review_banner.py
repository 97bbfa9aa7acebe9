"""The reviewer's word over an evaluation: who reviewed it, when, what they decided and said.

A returned evaluation shows its comment in a red banner, and so does the revision made from it
(until the revision has a review of its own), saying what to do next; an accepted one shows a
quiet green line. The text is selectable, so a comment can be copied.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from fieldapp.domain.review import ReviewStatus
from fieldapp.ui.operations import ReviewNote
from fieldapp.ui.strings import tr

STYLES = {
    ReviewStatus.RETURNED.value: (
        "background:#fdecea;border:1px solid #e57373;padding:6px 8px;color:#7f1d1d"
    ),
    ReviewStatus.ACCEPTED.value: (
        "background:#e8f5e9;border:1px solid #81c784;padding:4px 8px;color:#1b5e20"
    ),
}
PLAIN = "background:#f3f3f3;border:1px solid #ccc;padding:4px 8px;color:#333"


def banner_html(note: ReviewNote, evaluation_id: int, locked: bool) -> str:
    """The banner's text: decision, reviewer and time, the comment, and what to do next."""
    who = note.reviewer or tr("review.unknown_reviewer")
    when = note.reviewed_at.strftime("%Y-%m-%d %H:%M") if note.reviewed_at else ""
    head = tr("review.head", label=note.label, reviewer=who, when=when).strip()
    if note.of != evaluation_id:
        head = tr("review.of_revised", id=note.of) + head
    lines = [f"<b>{escape(head)}</b>"]
    if note.comment:
        lines.append(escape(tr("review.comment", comment=note.comment)))
    if note.status == ReviewStatus.RETURNED.value:
        if note.of != evaluation_id:
            step = "review.next_revision"
        elif locked:
            step = "review.next_revise"
        else:
            step = "review.next_draft"
        lines.append(f"<i>{escape(tr(step))}</i>")
    return "<br>".join(lines)


class ReviewBanner(QLabel):
    """Hidden until a review is known; :meth:`show_review` fills it from a snapshot."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewBanner")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_review(self, note: ReviewNote | None, evaluation_id: int, locked: bool) -> None:
        if note is None:
            self.clear()
            self.hide()
            return
        self.setStyleSheet(STYLES.get(note.status, PLAIN))
        self.setText(banner_html(note, evaluation_id, locked))
        self.show()
