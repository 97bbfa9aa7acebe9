"""The printed evaluation sheet and batch printing, read back with poppler (pdftotext & co.)."""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from fieldapp import workers
from fieldapp.domain.verdict import Outcome
from fieldapp.imports.units import import_units
from fieldapp.reports import batch
from fieldapp.reports.sheet import read_sheet, write_sheet
from fieldapp.services import evaluations as ev
from fieldapp.services import unit_changes
from fieldapp.services import units as unit_service
from fieldapp.services.unit_changes import Change
from fieldapp.storage.models import Unit
from fieldapp.store import Store
from tests.unit.test_evidence import exif_photo

SHOP = "92331122MA2A00018H"  # 缙云县五云好又多超市, 五云所
DINER = "91331122MA2A00026F"  # 缙云县壶镇老街饭店, 壶镇分局
DATA = Path(__file__).resolve().parents[1] / "data"
DUE = date.today() + timedelta(days=15)


# --- building evaluations ---------------------------------------------------------------------


def _jpeg(path: Path, n: int) -> Path:
    """A small distinct photo (160×120; every other one portrait)."""
    size = (160, 120) if n % 2 == 0 else (120, 160)
    img = Image.new("RGB", size, ((n * 53) % 256, (n * 97) % 256, (n * 31) % 256))
    ImageDraw.Draw(img).text((10, 10), str(n), fill="white")
    img.save(path, format="JPEG", quality=70)
    return path


def _signature(path: Path, n: int) -> Path:
    img = Image.new("RGB", (200, 80), "white")
    ImageDraw.Draw(img).line([(10, 50 + n), (100, 20), (190, 40 - n)], fill="black", width=3)
    img.save(path, format="PNG")
    return path


def imported(store: Store) -> Store:
    with store.session() as session:
        if session.scalar(select(func.count()).select_from(Unit)) == 0:
            import_units(session, DATA / "units-sample.csv", actor="测试")
    return store


def make_evaluation(
    store: Store,
    workdir: Path,
    *,
    code: str = SHOP,
    photos: int = 2,
    fail: str | None = "B2b",  # not answered through another item (same_as)
    note: str | None = None,
    finalize: bool = True,
    kind: str = "post_evaluation",
    today: date | None = None,
) -> int:
    """An evaluation of ``code`` with ``photos`` photos (the first of the failed item, the last
    整体 if there are several, the others of items in turn).

    Everything passes (items needing a photo are 不适用 so none is required) except ``fail``.
    ``note``, if given, is a long note on every item, made unique by the item's code.
    """
    imported(store)
    workdir.mkdir(parents=True, exist_ok=True)
    with store.session() as session:
        unit = unit_service.by_code(session, code)
        evaluation = ev.start(session, store.library, unit, kind, "张三", today=today)
        refs = []
        for checklist in ev.checklists_of(session, store.library, evaluation):
            for item in checklist.items:
                if item.same_as:
                    continue  # answered through the items it is the same as
                ref = f"{checklist.id}:{item.code}"
                refs.append(ref)
                text = f"{item.code}号备注：{note}" if note else ""
                if item.code == fail:
                    ev.answer(
                        session,
                        store.library,
                        evaluation,
                        ref,
                        "fail",
                        note=text,
                        rectify="补齐进货台账并张贴价格标签",
                        due=DUE,
                    )
                else:
                    result = "na" if item.photo_required else "pass"
                    ev.answer(session, store.library, evaluation, ref, result, note=text)
        base = evaluation.id * 1000
        for n in range(photos):
            photo = _jpeg(workdir / f"p{base + n}.jpg", base + n)
            if n == 0 and fail:
                item: str | None = next(r for r in refs if r.endswith(f":{fail}"))
            elif n == photos - 1 and photos > 1:
                item = None
            else:
                item = refs[n % len(refs)]
            ev.attach(session, store.photos, evaluation, [photo], item, library=store.library)
        ev.sign(
            session,
            store.signatures,
            evaluation,
            "inspector",
            "张三",
            _signature(workdir / "a.png", 0),
        )
        ev.sign(
            session, store.signatures, evaluation, "unit", "王芳", _signature(workdir / "b.png", 9)
        )
        if finalize:
            ev.finalize(session, store.library, evaluation)
        return evaluation.id


# --- reading PDFs back -----------------------------------------------------------------------


def run(*argv: str | Path) -> str:
    return subprocess.run([str(a) for a in argv], check=True, capture_output=True, text=True).stdout


def text_of(pdf: Path) -> str:
    return run("pdftotext", "-enc", "UTF-8", pdf, "-")


def flat(text: str) -> str:
    """Without whitespace: table cells wrap anywhere, so lines break inside sentences."""
    return re.sub(r"\s+", "", text)


def pages_of(pdf: Path) -> int:
    found = re.search(r"^Pages:\s+(\d+)", run("pdfinfo", pdf), re.M)
    assert found
    return int(found.group(1))


def images_of(pdf: Path) -> int:
    """Images drawn (soft masks are not images of their own)."""
    rows = run("pdfimages", "-list", pdf).splitlines()[2:]
    return sum(1 for row in rows if row.split()[2] == "image")


def assert_fonts_embedded(pdf: Path) -> None:
    rows = run("pdffonts", pdf).splitlines()[2:]
    assert rows, "no font at all"
    for row in rows:
        assert "Helvetica" not in row and "Times" not in row and "Courier" not in row, row
        # name, type (may be two words), encoding, emb, sub, uni, object, id
        assert row.split()[-5] == "yes", row


def numbers(text: str) -> list[tuple[int, int]]:
    """Every "第 N 页 共 M 页" as (N, M), in order (pdftotext may drop the spaces)."""
    return [(int(n), int(m)) for n, m in re.findall(r"第(\d+)页共(\d+)页", flat(text))]


def assert_numbered(text: str, total: int) -> None:
    assert numbers(text) == [(page, total) for page in range(1, total + 1)]


# --- the sheet ---------------------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "work"


def test_sheet_shows_the_whole_evaluation(store: Store, workdir: Path, tmp_path: Path) -> None:
    evaluation_id = make_evaluation(store, workdir, photos=3)
    out = write_sheet(store, evaluation_id, tmp_path / "sheet.pdf")

    text = text_of(out)
    body = flat(text)
    with store.read() as session:
        evaluation = ev.get(session, evaluation_id)
        verdict, reason = evaluation.verdict, evaluation.verdict_text
        uuid, content = evaluation.uuid, evaluation.content_sha256
        shas = [p.sha256 for p in evaluation.photos]
    assert verdict == "fail" and reason and content
    with store.read() as session:  # what the QR code carries, for the county to check
        assert read_sheet(session, store, evaluation_id).qr_text == (
            f"fieldapp:eval:{uuid}:{content}"
        )
    for needle in (
        "放心消费单位后评价表",
        "缙云县五云好又多超市",
        SHOP,
        "五云所",
        "一般放心消费单位",
        "王芳",
        "13857800001",
        "检查人员张三",
        Outcome(verdict).label,
        reason,
        "✘不符合",
        "补齐进货台账并张贴价格标签",
        f"期限：{DUE.isoformat()}",
        "八有八无第2版",
        "“1”通用标准第2版",
        uuid,
        content,
        "附：现场照片（共3张）",
        "整体",
    ):
        assert flat(needle) in body, needle
    for item in store.library.latest("bayou-bawu").items:
        assert flat(item.text) in body, item.code
    for sha in shas:
        assert sha[:12] in body
    assert "草稿" not in body

    total = pages_of(out)
    assert total >= 2  # the photo appendix starts a page of its own
    assert_numbered(text, total)
    assert_fonts_embedded(out)
    assert images_of(out) == 3 + 2  # the photos and two signatures (the QR code is vector)


def test_draft_revision_and_follow_up_say_so(store: Store, workdir: Path, tmp_path: Path) -> None:
    first = make_evaluation(store, workdir, photos=1)
    draft = make_evaluation(store, workdir / "d", photos=1, fail=None, finalize=False)
    text = flat(text_of(write_sheet(store, draft, tmp_path / "draft.pdf")))
    assert "草稿（未定稿）" in text and "未定稿，尚无结论" in text
    assert "草稿没有校验码" in text

    with store.session() as session:
        revision = ev.revise(session, ev.get(session, first), "李四").id
        unit = unit_service.by_code(session, SHOP)
        follow = ev.start(session, store.library, unit, "回头看", "李四").id
    text = flat(text_of(write_sheet(store, revision, tmp_path / "revision.pdf")))
    assert f"取代评价{first}" in text and "草稿（未定稿）" in text
    text = flat(text_of(write_sheet(store, follow, tmp_path / "follow.pdf")))
    assert "放心消费单位回头看表" in text and f"复查评价{first}的整改项" in text
    assert "上次：不符合（整改：补齐进货台账并张贴价格标签" in text


def test_many_photos_and_long_notes_paginate(store: Store, workdir: Path, tmp_path: Path) -> None:
    short = write_sheet(store, make_evaluation(store, workdir, photos=1), tmp_path / "short.pdf")
    note = "货架上部分商品价格标签与实际售价不一致，已当场告知负责人并要求立即更正。" * 6
    long_id = make_evaluation(store, workdir / "long", photos=30, note=note)
    out = write_sheet(store, long_id, tmp_path / "long.pdf")

    body = flat(text_of(out))
    with store.read() as session:
        answers = ev.get(session, long_id).answers
        codes = [a.item_code for a in answers if not a.note.startswith("同 ")]
        linked = [a.item_code for a in answers if a.note.startswith("同 ")]
    assert len(codes) > 30
    for code in codes:  # every note whole: wrapped, not clipped
        assert flat(f"{code}号备注：{note}") in body, code
    assert linked and "同B5a" in body  # an item answered through another says so
    total = pages_of(out)
    assert total > pages_of(short) + 5
    assert_numbered(text_of(out), total)
    assert images_of(out) == 30 + 2
    assert_fonts_embedded(out)


def test_evidence_block_and_prudent_unit(store: Store, workdir: Path, tmp_path: Path) -> None:
    visit = date.today()
    noon = datetime.combine(visit, datetime.min.time()).replace(hour=12)
    imported(store)
    workdir.mkdir(parents=True)
    shelf = exif_photo(workdir / "shelf.jpg", (20, 140, 20), noon, (28.6585, 120.0833))
    far = exif_photo(workdir / "far.jpg", (20, 20, 140), noon, (28.6850, 120.1100))
    old = exif_photo(workdir / "old.jpg", (140, 20, 20), noon - timedelta(days=3), None)
    clean = make_evaluation(store, workdir / "clean", photos=0, fail=None, code=DINER)
    doubtful = make_evaluation(store, workdir / "e", photos=0, fail=None, finalize=False)
    other = make_evaluation(store, workdir / "o", photos=0, fail=None, code=DINER, finalize=False)
    with store.session() as session:
        shop = unit_service.by_code(session, SHOP)
        unit_changes.update_fields(session, shop, {"prudent": True}, Change("测试"))
        for evaluation_id, files, item in (
            (doubtful, [shelf, old], "B1a"),
            (doubtful, [far], None),
            (other, [shelf], "B2a"),
        ):
            evaluation = ev.get(session, evaluation_id)
            ev.attach(session, store.photos, evaluation, files, item, library=store.library)

    body = flat(text_of(write_sheet(store, doubtful, tmp_path / "doubtful.pdf")))
    for needle in (
        "审慎培育是：属于审慎培育，后评价通过后命名须县局确认",
        "证据提示共3条。提示不改变评价结论",
        "重复照片1张照片（B1a）与另一单位「缙云县壶镇老街饭店」",
        f"非当日拍摄1张照片不是检查当天（{visit.isoformat()}）拍摄：B1a摄于",
        "位置分散照片拍摄位置最远相距",
        "证据提示：重复照片",
        "证据提示：非当日拍摄",
    ):
        assert flat(needle) in body, needle
    body = flat(text_of(write_sheet(store, clean, tmp_path / "clean.pdf")))
    assert "证据提示共" not in body and "审慎培育是：" not in body


# --- batches -----------------------------------------------------------------------------------


def test_batch_into_one_pdf_restarts_page_numbers(
    store: Store, workdir: Path, tmp_path: Path
) -> None:
    ids = [
        make_evaluation(store, workdir / str(n), photos=1, code=c)
        for n, c in enumerate((SHOP, DINER))
    ]
    singles = [pages_of(write_sheet(store, i, tmp_path / f"{i}.pdf")) for i in ids]
    calls: list[tuple[int, int]] = []

    written = batch.write_sheets(
        store, ids, tmp_path / "all.pdf", progress=lambda d, t: calls.append((d, t))
    )

    assert written == [tmp_path / "all.pdf"]
    assert pages_of(written[0]) == sum(singles)
    text = text_of(written[0])
    assert numbers(text) == [(p, t) for t in singles for p in range(1, t + 1)]
    assert "缙云县壶镇老街饭店" in text and "缙云县五云好又多超市" in text
    assert calls[-1] == (2, 2) and calls == sorted(set(calls))  # per part laid out, then the end
    assert images_of(written[0]) == 2 * (1 + 2)
    assert_fonts_embedded(written[0])


def test_batch_into_a_folder(store: Store, workdir: Path, tmp_path: Path) -> None:
    ids = [
        make_evaluation(store, workdir / str(n), photos=1, code=c)
        for n, c in enumerate((SHOP, DINER))
    ]
    calls: list[tuple[int, int]] = []
    folder = tmp_path / "new" / "sheets"

    written = batch.write_sheets(
        store, ids, folder, one_file_each=True, progress=lambda d, t: calls.append((d, t))
    )

    today = date.today().isoformat()
    assert [p.name for p in written] == [
        f"{today}-缙云县五云好又多超市-{ids[0]}.pdf",
        f"{today}-缙云县壶镇老街饭店-{ids[1]}.pdf",
    ]
    assert sorted(folder.iterdir()) == sorted(written)
    assert calls == [(1, 2), (2, 2)]
    assert "缙云县壶镇老街饭店" in text_of(written[1])


@pytest.mark.parametrize("one_file_each", [False, True])
def test_cancel_leaves_nothing(
    store: Store,
    workdir: Path,
    tmp_path: Path,
    one_file_each: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(workers.ENV, "0")  # sheet by sheet in this thread: asked before each
    ids = [make_evaluation(store, workdir / str(n), photos=1) for n in range(3)]
    asked: list[int] = []
    calls: list[tuple[int, int]] = []

    def cancelled() -> bool:
        # Asked before each sheet (one PDF: also while reading them): stop after the first one.
        asked.append(1)
        return len(asked) > (1 if one_file_each else 1 + len(ids))

    out = tmp_path / "out" / ("batch" if one_file_each else "batch.pdf")
    if not one_file_each:
        out.parent.mkdir()
    with pytest.raises(batch.Cancelled, match="已取消"):
        batch.write_sheets(
            store,
            ids,
            out,
            one_file_each=one_file_each,
            progress=lambda d, t: calls.append((d, t)),
            cancelled=cancelled,
        )
    assert calls == [(1, 3)]  # one sheet was done when it stopped
    if one_file_each:
        assert not (tmp_path / "out").exists()  # the folders this run made are gone too
    else:
        assert list(out.parent.iterdir()) == []  # no PDF, no temporary file


@pytest.mark.parametrize("one_file_each", [False, True])
def test_cancel_while_the_workers_lay_out_leaves_nothing(
    store: Store, workdir: Path, tmp_path: Path, one_file_each: bool
) -> None:
    ids = [make_evaluation(store, workdir / str(n), photos=1) for n in range(3)]
    calls: list[tuple[int, int]] = []
    out = tmp_path / "out" / ("batch" if one_file_each else "batch.pdf")
    if not one_file_each:
        out.parent.mkdir()
    with pytest.raises(batch.Cancelled, match="已取消"):
        batch.write_sheets(
            store,
            ids,
            out,
            one_file_each=one_file_each,
            progress=lambda d, t: calls.append((d, t)),
            cancelled=lambda: bool(calls),  # 取消 as soon as the first sheet is laid out
        )
    assert calls and calls[-1][0] < 3
    if one_file_each:
        assert not (tmp_path / "out").exists()
    else:
        assert list(out.parent.iterdir()) == []


def test_a_batch_in_the_workers_is_the_batch_laid_out_here(
    store: Store, workdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [make_evaluation(store, workdir / str(n), photos=1 + n % 2) for n in range(5)]
    joined = batch.write_sheets(store, ids, tmp_path / "workers.pdf")[0]
    monkeypatch.setenv(workers.ENV, "0")
    here = batch.write_sheets(store, ids, tmp_path / "here.pdf")[0]
    assert pages_of(joined) == pages_of(here)
    assert numbers(text_of(joined)) == numbers(text_of(here))  # each sheet numbered on its own
    assert flat(text_of(joined)) == flat(text_of(here))
    assert images_of(joined) == images_of(here)
    assert_fonts_embedded(joined)
    assert _page_images(joined) == _page_images(here)  # QR codes, photos, numbers: every pixel


def _page_images(pdf: Path) -> list[bytes]:
    """Each page drawn at 50 dpi (pdftoppm), as raw pixels."""
    folder = pdf.parent / f"{pdf.stem}-pages"
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(folder / "p")], check=True)
    pages = []
    for png in sorted(folder.glob("*.png")):
        with Image.open(png) as page:
            pages.append(page.convert("RGB").tobytes())
    return pages


def test_file_names_are_safe() -> None:
    from fieldapp.reports.pdfkit import UnitBlock
    from fieldapp.reports.sheet import SheetData

    block = UnitBlock("a/b:c*?<>| 店" + "长" * 100, "X", "", "", "", "", "", "", "")
    data = SheetData(
        7,
        "u",
        "后评价",
        False,
        "张三",
        ev.local_now(),
        None,
        None,
        None,
        None,
        None,
        None,
        block,
        [],
        [],
        [],
    )
    name = batch.file_name(data)
    assert name.endswith("-7.pdf") and len(name) <= batch.NAME_LIMIT + 4
    assert not set('/\\:*?"<>| ') & set(name)


def test_select_evaluations(store: Store, workdir: Path) -> None:
    from fieldapp.errors import NotFound

    old = date.today() - timedelta(days=10)
    a = make_evaluation(store, workdir / "a", photos=1, today=old)
    b = make_evaluation(store, workdir / "b", photos=1, code=DINER)
    draft = make_evaluation(store, workdir / "c", photos=1, finalize=False)
    with store.read() as session:
        pick = lambda **kw: batch.select_evaluations(session, **kw)  # noqa: E731
        assert pick(since=old) == [a, b]
        assert pick(since=old, include_drafts=True) == [a, b, draft]
        assert pick(day=old) == [a]
        assert pick(since=old + timedelta(days=1)) == [b]
        assert pick(until=old) == [a]
        assert pick(since=old, station="壶镇分局") == [b]
        assert pick(since=old, unit_code=SHOP) == [a]
        assert pick(ids=[draft, a, draft]) == [draft, a]
        assert pick(day=old - timedelta(days=1)) == []
        with pytest.raises(NotFound, match="没有编号为 99 的评价"):
            pick(ids=[99])
        with pytest.raises(NotFound, match="没有名为「火星所」"):
            pick(since=old, station="火星所")


def test_written_documents_follow_the_umask_not_0600(tmp_path: Path) -> None:
    """A printed sheet is for the whole office: saved like any file, not private to its writer."""
    import os

    from fieldapp.reports.output import atomic_output

    old = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "doc.pdf") as tmp:
            tmp.write_bytes(b"%PDF-1.4\n")
    finally:
        os.umask(old)
    assert (tmp_path / "doc.pdf").stat().st_mode & 0o777 == 0o644
    assert list(tmp_path.glob(".*.part")) == []


def test_a_prudent_pass_prints_its_warning_in_the_conclusion(
    store: Store, workdir: Path, tmp_path: Path
) -> None:
    evaluation_id = make_evaluation(store, workdir, photos=0, fail="G4", finalize=False)
    with store.session() as session:
        evaluation = ev.get(session, evaluation_id)
        ev.finalize(session, store.library, evaluation)
        assert evaluation.verdict == "pass" and evaluation.needs_confirmation
    out = tmp_path / "sheet.pdf"
    write_sheet(store, evaluation_id, out)
    text = flat(text_of(out))
    assert "评价结论通过（审慎培育，待县局确认）" in text
    assert "结论说明通过（审慎培育，待县局确认）：G4" in text
