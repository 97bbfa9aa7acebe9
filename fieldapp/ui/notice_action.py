"""整改通知书 from the evaluation screen: the one-page notice for the shop, for a finalized
evaluation with 不符合 items (the same PDF as ``fieldapp report notice``).

The button shows only where a notice can be printed; the PDF is written off the UI thread where
the inspector chooses, then opened (or, with no viewer, its place is shown).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from fieldapp.domain.verdict import Answer
from fieldapp.store import Store
from fieldapp.ui import printing
from fieldapp.ui.operations import EvaluationData
from fieldapp.ui.strings import tr
from fieldapp.ui.tasks import TaskRunner


def can_print_notice(data: EvaluationData | None) -> bool:
    """A notice lists 不符合 items of a finalized evaluation: none for a draft or a clean pass."""
    return (
        data is not None
        and data.locked
        and any(item.result == Answer.FAIL.value for item in data.items)
    )


def write_notice_pdf(store: Store, runner: TaskRunner, evaluation_id: int, out: Path) -> None:
    """Write the notice to ``out`` in the background, then open it."""

    def work() -> Path:
        from fieldapp.reports.notice import write_notice  # ReportLab loads on the first print

        return write_notice(store, evaluation_id, out)

    runner.submit_long(work, printing.open_document)


def ask_notice(
    parent: QWidget, store: Store, runner: TaskRunner, data: EvaluationData
) -> QFileDialog:
    """Ask where to save the notice (non-blocking), then write and open it."""
    name = tr("notice.file_name", id=data.id, unit=data.unit_name)
    suggested = printing.reports_folder(store) / name
    evaluation_id = data.id
    return printing.ask_save_pdf(
        parent,
        tr("notice.save_title"),
        suggested,
        lambda path: write_notice_pdf(store, runner, evaluation_id, Path(path)),
    )
