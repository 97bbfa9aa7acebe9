"""定稿's confirmation: the verdict the evaluation will carry and what finalising locks.

Shown only when nothing is missing (the 定稿 check's list comes first). Enter takes 确认定稿, Esc
goes back to the items; the dialog is window-modal and opened with ``open()``, so nothing waits
on it.
"""

from __future__ import annotations

from collections import Counter
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from fieldapp.domain.verdict import Answer, Outcome
from fieldapp.services.evaluations import Kind
from fieldapp.ui.operations import EvaluationData
from fieldapp.ui.strings import tr

COLOURS = {
    Outcome.PASS.value: "#1b7f3b",
    Outcome.RECTIFY.value: "#e67e00",
    Outcome.FAIL.value: "#c62828",
}


def summary_lines(data: EvaluationData) -> list[str]:
    """What is being finalised, counted: answers, rectifications, photos, who signed."""
    counts = Counter(item.result for item in data.items)
    photos = sum(len(item.photos) for item in data.items) + len(data.general_photos)
    lines = [
        tr(
            "finalize.answers",
            passed=counts[Answer.PASS.value],
            failed=counts[Answer.FAIL.value],
            na=counts[Answer.NA.value],
        ),
        tr("finalize.photos", n=photos),
    ]
    signers = "、".join(f"{tr(f'role.{s.role}')} {s.name}" for s in data.signatures)
    lines.append(tr("finalize.signed", signers=signers or "—"))
    return lines


class FinalizeDialog(QDialog):
    """Ask once before 定稿: the verdict, the counts, and what it will lock."""

    def __init__(self, data: EvaluationData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("finalizeDialog")
        self.setWindowTitle(tr("finalize.title"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        heading = QLabel(tr("finalize.question", unit=data.unit_name, kind=data.kind_label))
        heading.setWordWrap(True)
        self.verdict = QLabel(data.verdict_text)
        self.verdict.setObjectName("finalizeVerdict")
        self.verdict.setWordWrap(True)
        colour = COLOURS.get(data.outcome, "#555555")
        self.verdict.setStyleSheet(f"color:{colour};font-weight:bold;font-size:15px")
        self.summary = QLabel("<br>".join(escape(line) for line in summary_lines(data)))
        self.summary.setObjectName("finalizeSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        locks = [tr("finalize.locks")]
        if data.kind == Kind.POST_EVALUATION.value:
            locks.append(tr("finalize.proposal_next"))
        self.locks = QLabel("<br>".join(escape(line) for line in locks))
        self.locks.setObjectName("finalizeLocks")
        self.locks.setTextFormat(Qt.TextFormat.RichText)
        self.locks.setWordWrap(True)
        self.locks.setStyleSheet(
            "background:#fff8e1;border:1px solid #f0c36d;padding:6px 8px;color:#4e3b00"
        )
        self.buttons = QDialogButtonBox()
        self.confirm = self.buttons.addButton(
            tr("finalize.confirm"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.confirm.setObjectName("finalizeConfirm")
        back = self.buttons.addButton(tr("finalize.back"), QDialogButtonBox.ButtonRole.RejectRole)
        back.setObjectName("finalizeBack")
        self.confirm.setDefault(True)
        self.confirm.setAutoDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.verdict)
        layout.addWidget(self.summary)
        layout.addWidget(self.locks)
        layout.addStretch(1)  # any spare height below the text, not between its lines
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)
        self.confirm.setFocus(Qt.FocusReason.OtherFocusReason)
