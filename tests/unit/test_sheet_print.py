"""The printed sheet as issue 12 asks for it: a restaurant's 50-odd items and 26 photos on at most
six pages (nine photos a page), Chinese checklist titles only, the conclusion, both signatures
with the inspectors' 执法证号, the 单位盖章 box and the QR code on one page, the issuer's full name,
the inspector from the settings, CJK line breaking, and a 复查 sheet of the re-checked items only."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from fieldapp import settings
from fieldapp.reports import pdfkit
from fieldapp.reports.sheet import read_sheet, write_sheet
from fieldapp.services import evaluations as ev
from fieldapp.services import units as unit_service
from fieldapp.store import Store
from tests.unit.test_report_sheet import (
    DINER,
    SHOP,
    assert_fonts_embedded,
    flat,
    images_of,
    imported,
    make_evaluation,
    pages_of,
    run,
    text_of,
)

DUE = date.today() + timedelta(days=20)
OFFICE = "缙云县市场监督管理局壶镇市场监督管理所"
PHOTOS = 26
PRICES = "菜单和价目表补齐全部菜品价格，另收费用在点菜前告知"  # fails B5a (明码标价)
LICENCE = "在店堂显著位置悬挂食品经营许可证正本"  # fails the catering module's first item
ID_PATTERN = re.compile(r"bayou|general-\d|x-[a-z]|no-reason", re.I)


def office_settings(store: Store, **changes: object) -> settings.Settings:
    chosen = settings.Settings(
        inspector_name="张三",
        badge_number="33110001",
        station="壶镇分局",
        office_name=OFFICE,
        office_phone="0578-3123000",
        office_address="缙云县壶镇镇卫民路1号",
        colleague_badges="李四 33110002",
    ).replace(**changes)
    settings.save(store.folder, chosen)
    return chosen


def _photo(path: Path, n: int) -> Path:
    """A distinct 640×480 (every third portrait) JPEG taken today, minutes apart, on site."""
    size = (640, 480) if n % 3 else (480, 640)
    img = Image.new("RGB", size, ((n * 53) % 256, (n * 97) % 256, (n * 31) % 256))
    ImageDraw.Draw(img).text((20, 20), f"photo {n}", fill="white")
    taken = datetime.combine(date.today(), time(9, 30)) + timedelta(minutes=n)
    stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
    exif = Image.Exif()
    exif[0x0132] = stamp
    exif.get_ifd(0x8769)[0x9003] = stamp
    img.save(path, format="JPEG", quality=60, exif=exif)
    return path


def _signature(path: Path, n: int) -> Path:
    img = Image.new("RGB", (300, 100), "white")
    ImageDraw.Draw(img).line([(10, 60 + n), (150, 20), (290, 50 - n)], fill="black", width=4)
    img.save(path, format="PNG")
    return path


def restaurant(store: Store, workdir: Path, photos: int = PHOTOS) -> int:
    """A finalized 后评价 of the 壶镇 restaurant: every item answered, two failed with their
    rectification, ``photos`` photos on the items that need one (the rest of those 不适用),
    signed by two inspectors (张三、李四) and the manager."""
    imported(store)
    workdir.mkdir(parents=True, exist_ok=True)
    with store.session() as session:
        unit = unit_service.by_code(session, DINER)
        evaluation = ev.start(session, store.library, unit, "post_evaluation", "张三")
        taken = 0
        checklists = ev.checklists_of(session, store.library, evaluation)
        catering = next(c for c in checklists if "餐饮" in c.title)
        fails = {("bayou-bawu", "B5a"): PRICES, (catering.id, catering.items[0].code): LICENCE}
        needing = [(c.id, i.code) for c in checklists for i in c.items if i.photo_required]
        needing.sort(key=lambda key: key not in fails)  # a failed item needs its photo first
        shot_items = set(needing[:photos])
        for checklist in checklists:
            for item in checklist.items:
                if item.same_as:
                    continue  # answered through the items it is the same as
                ref = f"{checklist.id}:{item.code}"
                with_photo = (checklist.id, item.code) in shot_items
                if with_photo:
                    shot = _photo(workdir / f"{taken}.jpg", taken)
                    ev.attach(session, store.photos, evaluation, [shot], ref, library=store.library)
                    taken += 1
                if (checklist.id, item.code) in fails:
                    ev.answer(
                        session,
                        store.library,
                        evaluation,
                        ref,
                        "fail",
                        note="现场发现：问题属实，已告知负责人",
                        rectify=fails[(checklist.id, item.code)],
                        due=DUE,
                    )
                else:
                    result = "na" if item.photo_required and not with_photo else "pass"
                    ev.answer(session, store.library, evaluation, ref, result)
        assert taken == photos
        ev.sign(
            session,
            store.signatures,
            evaluation,
            "inspector",
            "张三、李四",
            _signature(workdir / "i.png", 0),
        )
        ev.sign(
            session, store.signatures, evaluation, "unit", "李强", _signature(workdir / "u.png", 9)
        )
        ev.finalize(session, store.library, evaluation)
        return evaluation.id


def page_texts(pdf: Path) -> list[str]:
    return run("pdftotext", "-enc", "UTF-8", "-layout", pdf, "-").split("\f")[:-1]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "work"


def test_a_restaurant_sheet_with_26_photos(store: Store, workdir: Path, tmp_path: Path) -> None:
    office_settings(store)
    evaluation_id = restaurant(store, workdir)
    out = write_sheet(store, evaluation_id, tmp_path / "sheet.pdf")

    with store.read() as session:
        items = sum(len(c.items) for c in read_sheet(session, store, evaluation_id).checklists)
    assert items >= 49
    text = text_of(out)
    body = flat(text)
    assert not ID_PATTERN.search(text), ID_PATTERN.findall(text)
    for title in ("八有八无第2版", "“1”通用标准第2版", "餐饮第"):
        assert title in body, title
    assert re.search(r"检查表八有八无第\d+版、“1”通用标准第\d+版、\S*餐饮第\d+版", body)
    assert f"出具单位：{OFFICE}" in body
    assert "检查人员张三" in body
    assert "执法证号：张三33110001；李四33110002" in body
    assert "单位盖章" in body and "（单位公章）" in body
    assert "附：现场照片（共26张）" in body

    pages = page_texts(out)
    assert len(pages) == pages_of(out) <= 6
    closing = [n for n, page in enumerate(pages) if "评价结论" in flat(page)]
    assert len(closing) == 1
    last = flat(pages[closing[0]])
    for needle in (
        "结论说明",
        "检查人员签名",
        "单位负责人签名",
        "执法证号",
        "单位盖章",
        "核验信息",
    ):
        assert needle in last, needle
    photo_pages = pages[closing[0] + 1 :]
    assert len(photo_pages) == 3  # 9 + 9 + 8
    assert [flat(p).count("拍摄：") for p in photo_pages] == [9, 9, 8]
    assert images_of(out) == PHOTOS + 2  # the photos and two signatures (the QR code is vector)
    assert_fonts_embedded(out)


def test_six_photos_a_page_when_the_settings_say_so(
    store: Store, workdir: Path, tmp_path: Path
) -> None:
    office_settings(store, photos_per_page=6)
    evaluation_id = restaurant(store, workdir, photos=13)
    pages = page_texts(write_sheet(store, evaluation_id, tmp_path / "six.pdf"))
    counts = [flat(p).count("拍摄：") for p in pages]
    assert [c for c in counts if c] == [6, 6, 1]


def test_photo_captions_name_the_item_text_and_time(
    store: Store, workdir: Path, tmp_path: Path
) -> None:
    office_settings(store)
    evaluation_id = restaurant(store, workdir, photos=2)
    with store.read() as session:
        photos = read_sheet(session, store, evaluation_id).photos
    body = flat(text_of(write_sheet(store, evaluation_id, tmp_path / "c.pdf")))
    for photo in photos:
        code = photo.caption.split()[0]
        assert re.match(r"^[A-Z]+\d+[a-z]?$", code), photo.caption
        assert flat(photo.caption) in body
    assert len(re.findall(r"拍摄：\d{4}-\d\d-\d\d\d\d:\d\d", body)) == 2


def test_no_line_of_a_cell_starts_with_closing_punctuation(
    store: Store, workdir: Path, tmp_path: Path
) -> None:
    office_settings(store)
    note = "价签与实际售价不一致，已告知负责人；要求：立即更正、补齐台账。（见照片）" * 4
    evaluation_id = make_evaluation(store, workdir, photos=1, note=note)
    out = write_sheet(store, evaluation_id, tmp_path / "wrap.pdf")
    lines = [line.strip() for line in text_of(out).splitlines() if line.strip()]
    assert len(lines) > 100
    bad = [line for line in lines if line[0] in "，。、；：）？！」』》"]
    assert not bad, bad[:5]
    assert all(style.wordWrap == "CJK" for style in pdfkit.styles().values())


def test_the_inspector_comes_from_the_settings_never_the_login(
    store: Store, workdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An evaluation started on the command line before the settings named anyone is stored
    under the computer's login (root): the sheet names the inspector who signed, or the
    settings' inspector, and leaves a line to write in when neither is known."""
    import getpass

    monkeypatch.setattr(getpass, "getuser", lambda: "root")
    imported(store)
    with store.session() as session:
        unit = unit_service.by_code(session, SHOP)
        evaluation_id = ev.start(session, store.library, unit, "routine", "root").id
    blank = flat(text_of(write_sheet(store, evaluation_id, tmp_path / "a.pdf")))
    assert "root" not in blank and "检查人员__________" in blank
    office_settings(store, inspector_name="王芳", badge_number="33110009")
    named = flat(text_of(write_sheet(store, evaluation_id, tmp_path / "b.pdf")))
    assert "root" not in named and "检查人员王芳" in named


def test_the_issuer_falls_back_to_county_and_station(
    store: Store, workdir: Path, tmp_path: Path
) -> None:
    # No office name; or an office name for another station than the unit's.
    evaluation_id = make_evaluation(store, workdir, photos=1)
    with store.session() as session:
        unit_service.by_code(session, SHOP).station.county = "缙云县"
    body = flat(text_of(write_sheet(store, evaluation_id, tmp_path / "a.pdf")))
    assert "出具单位：缙云县市场监督管理局五云所" in body
    assert "执法证号：张三__________" in body
    office_settings(store)  # 壶镇分局's full name: not for a 五云所 unit
    body = flat(text_of(write_sheet(store, evaluation_id, tmp_path / "b.pdf")))
    assert "出具单位：缙云县市场监督管理局五云所" in body
    office_settings(store, station="五云所", office_name="缙云县市场监督管理局五云市场监督管理所")
    body = flat(text_of(write_sheet(store, evaluation_id, tmp_path / "c.pdf")))
    assert "出具单位：缙云县市场监督管理局五云市场监督管理所" in body


def test_a_follow_up_sheet_prints_only_what_it_rechecked(
    store: Store, workdir: Path, tmp_path: Path
) -> None:
    office_settings(store)
    first = restaurant(store, workdir)
    with store.session() as session:
        unit = unit_service.by_code(session, DINER)
        follow = ev.start(session, store.library, unit, "rectification_recheck", "张三")
        library = store.library
        failed = [
            (a.item_code, f"{a.checklist_id}:{a.item_code}")
            for a in ev.get(session, first).answers
            if a.rectify and not a.note.startswith("同 ")  # P2, CT4 同 B5a: follow it
        ]
        (prices, price_ref), (licence, licence_ref) = sorted(failed, key=lambda f: f[1])
        for n, ref in enumerate((licence_ref, price_ref)):
            new = _photo(workdir / f"new{n}.jpg", 99 + n)
            ev.attach(session, store.photos, follow, [new], ref, library=library)
        ev.answer(session, library, follow, licence_ref, "pass", note="已悬挂许可证正本")
        ev.answer(session, library, follow, price_ref, "pass", note="价目表已补齐")
        ev.sign(session, store.signatures, follow, "inspector", "张三", workdir / "i.png")
        ev.sign(session, store.signatures, follow, "unit", "李强", workdir / "u.png")
        ev.finalize(session, library, follow)
        follow_id = follow.id
    out = write_sheet(store, follow_id, tmp_path / "follow.pdf")
    text = text_of(out)
    body = flat(text)
    assert not ID_PATTERN.search(text)
    assert f"复查依据评价{first}" in body and "本表只列本次复查的4项" in body  # B5a with P2, CT4
    assert "上次：不符合（整改：在店堂显著位置悬挂食品经营许可证正本" in body
    assert "附：本次复查的新照片（共2张；此前的照片见原评价表）" in body
    codes = set(re.findall(r"\b([A-Z]{1,2}\d+[a-z]?)\b", text_of(out)))
    assert {licence, prices} <= codes and "B1a" not in codes
    assert images_of(out) == 2 + 2
    assert pages_of(out) <= 3  # 4 items: B5a's 同 P2 and CT4 print with it


def test_the_printing_settings_are_checked() -> None:
    assert settings.Settings().photos_per_page == 9
    assert settings.Settings(photos_per_page=6).photos_per_page == 6
    for bad in ({"photos_per_page": 8}, {"photos_per_page": True}, {"office_name": 3}):
        with pytest.raises(ValueError, match="设置"):
            settings.Settings(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="姓名 执法证号"):
        settings.Settings(colleague_badges="李四")
    assert settings.parse_badges("李四 33110002；王五：33110003\n赵六 33110004;") == {
        "李四": "33110002",
        "王五": "33110003",
        "赵六": "33110004",
    }
    chosen = settings.Settings(office_name=OFFICE, photos_per_page=6, colleague_badges="李四 1")
    assert settings.Settings.from_dict(chosen.to_dict()) == chosen
