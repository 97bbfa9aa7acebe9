"""Printing evaluation sheets: fieldapp's sheet vs a bare ReportLab document of the same content.

The baseline gets the sheet's data already read (item rows, photo and signature files) and lays
out the same table (Paragraph cells in the same embedded CJK font, repeated header) and the same
images at the same sizes with a plain ``SimpleDocTemplate``. fieldapp's figure also reads the
evaluation from the store and adds what a real sheet carries: the unit block, the verdict, the
QR code, captions, and the two-pass "第 N 页 共 M 页" canvas. The ratio is the price of those.

The baseline is ReportLab as installed (``rl_settings``' defaults): fieldapp's own documents
change one of them (``rl_config.useA85``, in :mod:`fieldapp.reports.pdfkit`), which would
otherwise carry over to the baseline that runs in the same process.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab import rl_config, rl_settings
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Table,
    TableStyle,
)
from sqlalchemy import select

from benchmarks.common import Result, log, median_time
from fieldapp.errors import InvalidInput
from fieldapp.imports.units import import_units
from fieldapp.reports import batch, fonts
from fieldapp.reports.sheet import PHOTO_BOX, SIGNATURE_BOX, SheetData, read_sheet, write_sheet
from fieldapp.services import demo
from fieldapp.services import evaluations as ev
from fieldapp.storage.models import Unit
from fieldapp.store import Store

PHOTOS = 12
ONE_SHEET_REPEAT = 21


def _store(workdir: Path, units: int) -> Store:
    store = Store.open(workdir / "sheet-store", create=True)
    csv = demo.write_csv(workdir / "sheet-units.csv", units, seed=11)
    with store.session() as session:
        import_units(session, csv, actor="bench")
    return store


def _one_evaluation(store: Store, workdir: Path) -> int:
    """A finalized 后评价 of a retail shop: one failed item, 12 photos, both signatures."""
    rng = random.Random(5)
    pics = workdir / "sheet-photos"
    pics.mkdir()
    with store.session() as session:
        unit = session.scalars(
            select(Unit).where(Unit.unit_type == "general").order_by(Unit.id).limit(1)
        ).first()
        assert unit is not None
        evaluation = ev.start(session, store.library, unit, "post_evaluation", "张三")
        refs = [
            (f"{c.id}:{i.code}", i.photo_required)
            for c in ev.checklists_of(session, store.library, evaluation)
            for i in c.items
        ]
        for n, (ref, _) in enumerate(refs):
            if n == 0:
                ev.answer(
                    session, store.library, evaluation, ref, "fail",
                    note="现场发现部分商品未明码标价", rectify="补齐价格标签",
                    due=ev.local_now().date(),
                )  # fmt: skip
            else:
                with contextlib.suppress(InvalidInput):  # an item answered through others (同 …)
                    ev.answer(session, store.library, evaluation, ref, "pass", note="符合要求")
        for n in range(PHOTOS):
            photo = demo.synthetic_photo(pics / f"{n}.jpg", f"P{n}", rng)
            ev.attach(session, store.photos, evaluation, [photo], refs[n][0], library=store.library)
        for ref, needs_photo in refs[PHOTOS:]:
            if needs_photo:  # answered 不适用 so that no further photo is required
                with contextlib.suppress(InvalidInput):
                    ev.answer(session, store.library, evaluation, ref, "na")
        for role, name in (("inspector", "张三"), ("unit", "王芳")):
            sig = demo.signature_png(pics / f"{role}.png", rng)
            ev.sign(session, store.signatures, evaluation, role, name, sig)
        ev.finalize(session, store.library, evaluation)
        return evaluation.id


def bare_story(data: SheetData, font: str) -> list[Flowable]:
    """The same item table and images, laid out with nothing around them."""
    style = ParagraphStyle("c", fontName=font, fontSize=8.5, leading=11.5, wordWrap="CJK")

    def p(text: object) -> Paragraph:
        return Paragraph(escape(str(text or "")), style)

    rows: list[list[object]] = [[p(h) for h in ("代码", "检查内容", "结果", "备注", "整改")]]
    for checklist in data.checklists:
        for item in checklist.items:
            rows.append([p(item.code), p(item.text), p(item.result), p(item.note), p(item.rectify)])
    table = Table(rows, colWidths=[13 * mm, 62 * mm, 19 * mm, 40 * mm, 44 * mm], repeatRows=1)
    table.setStyle(
        TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("GRID", (0, 0), (-1, -1), 0.5, "grey")])
    )
    story: list[Flowable] = [table]
    story += [Image(str(s.path), *SIGNATURE_BOX, kind="proportional") for s in data.signatures]
    story.append(PageBreak())
    for photo in data.photos:
        scale = min(PHOTO_BOX[0] / photo.width, PHOTO_BOX[1] / photo.height)
        story.append(Image(str(photo.path), photo.width * scale, photo.height * scale))
    return story


@contextmanager
def reportlab_defaults() -> Iterator[None]:
    """ReportLab's shipped setting for what fieldapp's pdfkit changes, while the baseline runs."""
    changed = rl_config.useA85
    rl_config.useA85 = rl_settings.useA85
    try:
        yield
    finally:
        rl_config.useA85 = changed


def bare_build(path: Path, sheets: list[SheetData], font: str) -> None:
    story: list[Flowable] = []
    for n, data in enumerate(sheets):
        if n:
            story.append(PageBreak())
        story.extend(bare_story(data, font))
    with reportlab_defaults():
        SimpleDocTemplate(str(path), pagesize=A4, initialFontName=font).build(story)


def run(workdir: Path, repeat: int, batch_size: int) -> list[Result]:
    font = fonts.register()
    log(f"sheet: one evaluation with {PHOTOS} photos, and {batch_size} demo evaluations …")
    store = _store(workdir, max(200, batch_size * 2))
    try:
        one = _one_evaluation(store, workdir)
        with store.session() as session:
            demo.make_evaluations(session, store, batch_size, seed=3, workdir=workdir)
        with store.read() as session:
            ids = batch.select_evaluations(session, since=None, until=None)
            ids = [i for i in ids if i != one][:batch_size]
            single = read_sheet(session, store, one)
            many = [read_sheet(session, store, i) for i in ids]
        items = sum(len(c.items) for c in single.checklists)
        out = workdir / "sheet.pdf"
        # A sheet takes tens of milliseconds: a median of five moved the ratio by 0.2 from run
        # to run on a shared machine, so this figure takes at least ONE_SHEET_REPEAT runs.
        runs = max(repeat, ONE_SHEET_REPEAT)
        value = median_time(lambda: write_sheet(store, one, out), runs)
        baseline = median_time(lambda: bare_build(workdir / "bare.pdf", [single], font), runs)
        results = [
            Result(
                "sheet_pdf_one",
                value,
                baseline,
                "s",
                1,
                f"{items} items, {PHOTOS} photos, 2 signatures; vs bare ReportLab table+images; "
                f"median of {runs}",
            )
        ]
        log(f"sheet: one sheet {value:.3f} s (bare {baseline:.3f} s); batch of {len(ids)} …")
        start = time.perf_counter()
        batch.write_sheets(store, ids, workdir / "batch.pdf")
        value = time.perf_counter() - start
        start = time.perf_counter()
        bare_build(workdir / "bare-batch.pdf", many, font)
        baseline = time.perf_counter() - start
        photos = sum(len(d.photos) for d in many)
        results.append(
            Result(
                f"sheet_pdf_batch_{len(ids)}",
                value,
                baseline,
                "s",
                len(ids),
                f"one PDF, {photos} photos; {value / len(ids) * 1000:.0f} ms per sheet "
                f"(bare {baseline / len(ids) * 1000:.0f} ms)",
            )
        )
        log(f"sheet: batch {value:.2f} s (bare {baseline:.2f} s)")
        return results
    finally:
        store.close()
