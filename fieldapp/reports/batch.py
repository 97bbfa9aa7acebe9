"""Printing many evaluation sheets at once: choose them, then write one PDF or a file each.

In one PDF every sheet starts on a new page and its page numbers ("第 N 页 共 M 页") restart, so
each sheet can be handed out on its own. A run can be cancelled between sheets
(:class:`Cancelled`) and then leaves nothing behind: the one PDF is never renamed into place, and
the files a folder run already wrote (and any folder it created) are removed.

Laying sheets out is CPU work in pure Python, independent per sheet: a batch is laid out in the
worker processes (:mod:`fieldapp.workers`), a few sheets to a part, while this thread reads the
store, follows the parts for progress and cancel, and joins them in order (pypdf: ReportLab
writes PDFs but does not read them). Each part numbers its own sheets' pages and draws their QR
codes, so the joined PDF is the one a single pass would make.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.platypus import Flowable, PageBreak
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp import workers
from fieldapp.errors import FieldappError, InvalidInput
from fieldapp.reports import pdfkit
from fieldapp.reports.output import atomic_output
from fieldapp.reports.sheet import SheetData, read_sheet, sheet_flowables
from fieldapp.services import evaluations as service
from fieldapp.services import units
from fieldapp.services.stations import find_station
from fieldapp.storage.models import Evaluation, Unit

if TYPE_CHECKING:
    from fieldapp.store import Store

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
IsCancelled = Callable[[], bool]

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')
NAME_LIMIT = 80  # characters of a file name, before ".pdf"
PART_SHEETS = 8  # at most this many sheets to a part a worker lays out (progress moves per part)
PARTS_PER_WORKER = 4  # fewer, larger parts carry fewer copies of the embedded font subset
POLL_SECONDS = 0.1  # how often a waiting batch asks whether it was cancelled


class Cancelled(FieldappError):
    """The user stopped a batch; nothing it was writing is left."""

    def __init__(self) -> None:
        super().__init__("已取消打印评价表，没有留下文件")


def _local_day(moment: datetime) -> date:
    return moment.astimezone().date() if moment.tzinfo else moment.date()


def select_evaluations(
    session: Session,
    *,
    ids: Sequence[int] | None = None,
    day: date | None = None,
    since: date | None = None,
    until: date | None = None,
    station: str | None = None,
    unit_code: str | None = None,
    include_drafts: bool = False,
) -> list[int]:
    """The evaluations to print, oldest visit first.

    ``ids`` are taken as given, drafts included (printed with a 草稿 mark), and an unknown one is
    :class:`~fieldapp.errors.NotFound`. Otherwise the visit date (``day``, or ``since`` ..
    ``until`` inclusive), the station's name and the unit's credit code narrow the finalized
    evaluations (and drafts too with ``include_drafts``). An unknown station or unit is NotFound.
    """
    if ids:
        chosen: list[int] = []
        for evaluation_id in ids:
            service.get(session, evaluation_id)
            if evaluation_id not in chosen:
                chosen.append(evaluation_id)
        return chosen
    if day is not None:
        since = until = day
    statement = select(Evaluation.id, Evaluation.started_at).join(Unit)
    if not include_drafts:
        statement = statement.where(Evaluation.status == service.FINALIZED)
    if station is not None:
        statement = statement.where(Unit.station_id == find_station(session, station).id)
    if unit_code is not None:
        statement = statement.where(Evaluation.unit_id == units.by_code(session, unit_code).id)
    found = []
    for evaluation_id, started_at in session.execute(statement):
        visited = _local_day(started_at)
        if (since is None or visited >= since) and (until is None or visited <= until):
            found.append((started_at, evaluation_id))
    return [evaluation_id for _, evaluation_id in sorted(found)]


def file_name(data: SheetData) -> str:
    """``2026-03-01-缙云县五云好又多超市-12.pdf``: visit date, unit, id, safe on every system."""
    stem = f"{_local_day(data.started_at).isoformat()}-{data.unit.name}-{data.id}"
    stem = _UNSAFE.sub("_", stem).strip("._")
    if len(stem) > NAME_LIMIT:
        stem = stem[: NAME_LIMIT - len(str(data.id)) - 1] + f"-{data.id}"
    return f"{stem}.pdf"


def _read_all(store: Store, ids: Sequence[int], cancelled: IsCancelled | None) -> list[SheetData]:
    found = []
    with store.read() as session:
        for evaluation_id in ids:
            if cancelled is not None and cancelled():
                raise Cancelled
            found.append(read_sheet(session, store, evaluation_id))
    return found


def render_sheets(sheets: Sequence[SheetData]) -> bytes:
    """One PDF of ``sheets`` (a part of a batch, or a whole file), each a numbered section.

    Runs in a worker process: it gets the sheets' data and returns the PDF's bytes.
    """
    story: list[Flowable] = []
    for index, data in enumerate(sheets):
        if index:
            story.append(PageBreak())
        story.extend(sheet_flowables(data))
    out = io.BytesIO()
    pdfkit.build(out, sheets[0].title, story)
    return out.getvalue()


def ready() -> None:
    """Run in a worker before its first part: ReportLab, the font and the styles loaded."""
    pdfkit.styles()


def _warm_up() -> None:
    """Let every worker load what a sheet needs while this thread reads the store."""
    if workers.count():
        executor = workers.pool()
        for _ in range(workers.count()):
            executor.submit(ready)


def _parts(sheets: list[SheetData]) -> list[list[SheetData]]:
    size = min(PART_SHEETS, math.ceil(len(sheets) / (workers.count() * PARTS_PER_WORKER)))
    return [sheets[start : start + size] for start in range(0, len(sheets), size)]


def _in_workers(
    parts: list[list[SheetData]], progress: Progress | None, cancelled: IsCancelled | None
) -> list[bytes]:
    """Each part's PDF, laid out in the worker processes; progress in sheets (short of the
    total, which the caller reports once the file is written), cancel while waiting.

    A part whose worker died is laid out again here, so a crash costs time, never a sheet.
    """
    total = sum(len(part) for part in parts)
    executor = workers.pool()
    futures: dict[Future[bytes], int] = {
        executor.submit(render_sheets, part): index for index, part in enumerate(parts)
    }
    built: dict[int, bytes] = {}
    lost: list[int] = []
    pending = set(futures)
    try:
        while pending:
            finished, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in finished:
                index = futures[future]
                try:
                    built[index] = future.result()
                except BrokenProcessPool:
                    lost.append(index)
            if cancelled is not None and cancelled():
                raise Cancelled
            done = sum(len(parts[i]) for i in built)
            if finished and progress is not None and done < total:  # the caller says when all is
                progress(done, total)
    finally:
        for future in pending:
            future.cancel()
    if lost:
        log.warning("a sheet worker process died; laying out %d parts here", len(lost))
        workers.discard(executor)
        for index in sorted(lost):
            if cancelled is not None and cancelled():
                raise Cancelled
            built[index] = render_sheets(parts[index])
            done = sum(len(parts[i]) for i in built)
            if progress is not None and done < total:
                progress(done, total)
    return [built[index] for index in range(len(parts))]


def _join(parts: list[bytes], out: Path, title: str) -> None:
    """The parts' pages in order, as one PDF at ``out``."""
    from pypdf import PdfReader, PdfWriter  # loads with the first batch, not at start

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)), import_outline=False)
    writer.add_metadata({"/Title": title, "/Author": "fieldapp", "/Creator": "fieldapp"})
    with open(out, "wb") as handle:
        writer.write(handle)


def _one_pdf(
    store: Store,
    ids: Sequence[int],
    out: Path,
    progress: Progress | None,
    cancelled: IsCancelled | None,
) -> list[Path]:
    if len(ids) > 1:
        _warm_up()
    sheets = _read_all(store, ids, cancelled)
    total = len(sheets)
    title = sheets[0].title if total == 1 else f"放心消费单位评价表（{total} 份）"
    if total == 1 or workers.count() == 0:
        return _one_pdf_here(sheets, out, title, progress, cancelled)
    parts = _in_workers(_parts(sheets), progress, cancelled)
    if cancelled is not None and cancelled():
        raise Cancelled
    with atomic_output(out) as tmp:
        _join(parts, tmp, title)
    if progress is not None:
        progress(total, total)
    return [Path(out)]


def _one_pdf_here(
    sheets: list[SheetData],
    out: Path,
    title: str,
    progress: Progress | None,
    cancelled: IsCancelled | None,
) -> list[Path]:
    """One PDF laid out in this thread: a single sheet, or no worker processes."""
    total = len(sheets)

    def starting(index: int) -> Callable[[], None]:
        def on_start() -> None:  # sheet ``index`` is being laid out: the one before is done
            if index and progress is not None:
                progress(index, total)
            if cancelled is not None and cancelled():
                raise Cancelled

        return on_start

    story: list[Flowable] = []
    for index, data in enumerate(sheets):
        if index:
            story.append(PageBreak())
        story.extend(sheet_flowables(data, on_start=starting(index)))
    with atomic_output(out) as tmp:
        pdfkit.build(tmp, title, story)
    if progress is not None:
        progress(total, total)
    return [Path(out)]


def _missing_ancestors(folder: Path) -> list[Path]:
    """The folders ``folder.mkdir(parents=True)`` would create, deepest first."""
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    return missing


def _each_file(
    store: Store,
    ids: Sequence[int],
    folder: Path,
    progress: Progress | None,
    cancelled: IsCancelled | None,
) -> list[Path]:
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(
            f"{folder}：这是一个文件，不是文件夹；请给出文件夹，或以 .pdf 结尾的文件名"
        )
    created = _missing_ancestors(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(
            f"{folder}：不能建立文件夹（{exc.strerror or exc}），请换一个位置"
        ) from None
    written: list[Path] = []
    total = len(ids)
    try:
        if total > 1 and workers.count():  # laid out in the workers, then written in order
            _warm_up()
            sheets = _read_all(store, ids, cancelled)
            pdfs = _in_workers([[data] for data in sheets], progress, cancelled)
            for data, pdf in zip(sheets, pdfs, strict=True):
                if cancelled is not None and cancelled():
                    raise Cancelled
                target = folder / file_name(data)
                with atomic_output(target) as tmp:
                    tmp.write_bytes(pdf)
                written.append(target)
            if progress is not None:
                progress(total, total)
            return written
        for index, evaluation_id in enumerate(ids):
            if cancelled is not None and cancelled():
                raise Cancelled
            with store.read() as session:
                data = read_sheet(session, store, evaluation_id)
            target = folder / file_name(data)
            with atomic_output(target) as tmp:
                pdfkit.build(tmp, data.title, sheet_flowables(data))
            written.append(target)
            if progress is not None:
                progress(index + 1, total)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        for path in created:  # deepest first; only if nothing else was put there
            try:
                path.rmdir()
            except OSError:
                break
        raise
    return written


def write_sheets(
    store: Store,
    evaluation_ids: Sequence[int],
    out: Path,
    *,
    one_file_each: bool = False,
    progress: Progress | None = None,
    cancelled: IsCancelled | None = None,
) -> list[Path]:
    """Print the sheets of ``evaluation_ids`` into one PDF ``out``, or one file each in folder
    ``out`` (created if missing). ``progress(done, total)`` follows each sheet; ``cancelled()``
    is asked between sheets and, if true, :class:`Cancelled` is raised with nothing left behind.
    Returns the written paths.
    """
    ids = list(dict.fromkeys(evaluation_ids))
    if not ids:
        raise InvalidInput("没有选中任何评价，没有可打印的评价表")
    out = Path(out)
    if one_file_each:
        return _each_file(store, ids, out, progress, cancelled)
    return _one_pdf(store, ids, out, progress, cancelled)
