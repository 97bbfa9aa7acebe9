"""Evidence flags: the same photo elsewhere, no capture time, another day, positions far apart.

The rules are checked first on plain rows (:func:`evidence.judge`), then over a real store with
generated JPEGs carrying EXIF capture times and GPS positions, attached through the service.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from PIL import Image

from fieldapp.imports.units import import_units
from fieldapp.services import evaluations as ev
from fieldapp.services import evidence
from fieldapp.services import units as unit_service
from fieldapp.services.evidence import EvaluationRow, FlagKind, PhotoRow
from fieldapp.store import Store

SHOP = "92331122MA2A00018H"  # 缙云县五云好又多超市, 五云所
INN = "91331122MA2A00026F"  # 缙云县壶镇老街饭店, 壶镇分局
VISIT = date(2026, 8, 20)
HERE = (28.6585, 120.0833)  # 五云街道
NEAR = (28.6620, 120.0880)  # about 600 m away
FAR = (28.6850, 120.1100)  # about 4 km away


def exif_photo(
    path: Path,
    colour: tuple[int, int, int],
    taken: datetime | None = None,
    gps: tuple[float, float] | None = None,
) -> Path:
    """A small JPEG with an EXIF capture time and GPS position (either may be left out)."""
    img = Image.new("RGB", (96, 72), colour)
    exif = Image.Exif()
    if taken is not None:
        stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
        exif[0x0132] = stamp  # DateTime
        exif.get_ifd(0x8769)[0x9003] = stamp  # DateTimeOriginal
    if gps is not None:
        gps_ifd = exif.get_ifd(0x8825)
        for ref_tag, value_tag, value, refs in ((1, 2, gps[0], "NS"), (3, 4, gps[1], "EW")):
            degrees = abs(value)
            minutes = (degrees % 1) * 60
            gps_ifd[ref_tag] = refs[0] if value >= 0 else refs[1]
            gps_ifd[value_tag] = (float(int(degrees)), float(int(minutes)), (minutes % 1) * 60)
    img.save(path, exif=exif)
    return path


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, datetime.min.time()).replace(hour=hour)


# --- the rules on rows ----------------------------------------------------------------------


def test_distance_is_the_great_circle_distance() -> None:
    assert evidence.distance_m((0.0, 0.0), (1.0, 0.0)) == pytest.approx(111_195, rel=1e-3)
    assert evidence.distance_m(HERE, HERE) == 0
    # 杭州 to 缙云 is about 190 km as the crow flies.
    assert evidence.distance_m((30.2741, 120.1551), HERE) == pytest.approx(181_500, rel=0.02)
    assert 500 < evidence.distance_m(HERE, NEAR) < 700
    assert 3_500 < evidence.distance_m(HERE, FAR) < 4_500


def row(eid: int, unit: int = 1, day: date = VISIT, **extra: object) -> EvaluationRow:
    return EvaluationRow(eid, unit, f"CODE{unit}", f"单位{unit}", at(day, 9), **extra)  # type: ignore[arg-type]


def photo(pid: int, eid: int, sha: str, code: str | None = "B1a", **extra: object) -> PhotoRow:
    checklist = "bayou-bawu" if code else None
    values: dict[str, object] = {"taken_at": at(VISIT)} | extra
    return PhotoRow(pid, eid, sha, checklist, code, **values)  # type: ignore[arg-type]


def kinds(found: dict[int, tuple[evidence.EvidenceFlag, ...]], eid: int) -> list[FlagKind]:
    return [f.kind for f in found.get(eid, ())]


def test_a_photo_on_another_units_evaluation_is_flagged_on_both() -> None:
    evaluations = {1: row(1, unit=1), 2: row(2, unit=2)}
    photos = [photo(10, 1, "x"), photo(11, 1, "y"), photo(20, 2, "x", code="C3")]
    found = evidence.judge([1, 2], evaluations, photos)
    (flag,) = found[1]
    assert flag.kind is FlagKind.DUPLICATE
    assert flag.photo_ids == (10,) and flag.other_evaluations == (2,)
    assert flag.message == "1 张照片（B1a）与另一单位「单位2」（CODE2）的评价 2的照片相同"
    assert flag.text.startswith("重复照片：")
    assert kinds(found, 2) == [FlagKind.DUPLICATE]


def test_revisions_and_carried_over_photos_are_not_duplicates() -> None:
    failed = frozenset({("bayou-bawu", "B5a")})
    evaluations = {
        1: row(1, failed=failed),
        2: row(2, day=date(2026, 8, 25), replaces_id=1, failed=failed),  # revised days later
        3: row(3, day=date(2026, 9, 10), follows_id=2),  # 回头看 of the revision
        4: row(4, day=date(2026, 9, 12), replaces_id=3, follows_id=2),  # and its revision
    }
    photos = [
        photo(10, 1, "ok"),
        photo(11, 1, "before", code="B5a"),
        photo(20, 2, "ok"),
        photo(21, 2, "before", code="B6b"),  # a revision may move a photo to another item
        photo(30, 3, "ok"),  # carried over by the 回头看 (B1a did not fail)
        photo(31, 3, "after", code="B5a", taken_at=at(date(2026, 9, 10))),
        photo(40, 4, "ok"),
        photo(41, 4, "after", code="B5a", taken_at=at(date(2026, 9, 10))),
    ]
    assert evidence.judge([1, 2, 3, 4], evaluations, photos) == {}


def test_a_recheck_showing_the_photo_from_before_the_rectification_is_flagged() -> None:
    failed = frozenset({("bayou-bawu", "B5a")})
    evaluations = {1: row(1, failed=failed), 2: row(2, day=date(2026, 9, 10), follows_id=1)}
    photos = [
        photo(10, 1, "before", code="B5a"),
        photo(20, 2, "before", code="B5a", taken_at=at(date(2026, 9, 10))),
    ]
    found = evidence.judge([1, 2], evaluations, photos)
    (flag,) = found[2]
    assert flag.kind is FlagKind.DUPLICATE
    assert flag.message == (
        "1 张照片（B5a）与本单位评价 1（2026-08-20）的照片相同，不是修订或回头看沿用的照片；"
        "整改复查须重新拍照"
    )
    assert kinds(found, 1) == [FlagKind.DUPLICATE]


def test_same_unit_unrelated_evaluations_share_no_photo() -> None:
    evaluations = {1: row(1), 2: row(2, day=date(2026, 10, 1))}
    photos = [photo(10, 1, "x"), photo(20, 2, "x", taken_at=at(date(2026, 10, 1)))]
    found = evidence.judge([2], evaluations, photos)
    assert [f.message for f in found[2]] == [
        "1 张照片（B1a）与本单位评价 1（2026-08-20）的照片相同"
    ]


def test_many_other_uses_share_one_flag_after_the_first_five() -> None:
    evaluations = {n: row(n, unit=n) for n in range(1, 10)}
    photos = [photo(n * 10, n, "stock") for n in range(1, 10)]
    flags = evidence.judge([1], evaluations, photos)[1]
    assert [f.other_evaluations for f in flags] == [(2,), (3,), (4,), (5,), (6,), (7, 8, 9)]
    assert flags[-1].message == "1 张照片（B1a）还与另外 3 次评价（评价 7、8、9）的照片相同"


def test_undated_and_other_day_photos() -> None:
    evaluations = {1: row(1)}
    photos = [
        photo(10, 1, "a", taken_at=None),
        photo(11, 1, "b", code=None, taken_at=None),
        photo(12, 1, "c", code="B2a", taken_at=at(date(2026, 8, 19), 23)),
        photo(13, 1, "d", code="B3a", taken_at=at(VISIT, 23)),
    ]
    no_time, other_day = evidence.judge([1], evaluations, photos)[1]
    assert no_time.kind is FlagKind.NO_TIME and no_time.photo_ids == (10, 11)
    assert no_time.message == "2 张照片（B1a、整体）没有拍摄时间，无法证明是检查当天拍摄"
    assert other_day.kind is FlagKind.OTHER_DAY and other_day.photo_ids == (12,)
    assert other_day.message == "1 张照片不是检查当天（2026-08-20）拍摄：B2a 摄于 2026-08-19"


def test_a_carried_over_photo_counts_on_the_day_of_its_own_visit() -> None:
    evaluations = {1: row(1), 2: row(2, day=date(2026, 9, 10), follows_id=1)}
    photos = [photo(10, 1, "kept"), photo(20, 2, "kept"), photo(21, 2, "old", code="B2a")]
    (flag,) = evidence.judge([2], evaluations, photos)[2]
    assert flag.kind is FlagKind.OTHER_DAY and flag.photo_ids == (21,)  # not the carried one


def test_positions_more_than_a_kilometre_apart() -> None:
    evaluations = {1: row(1), 2: row(2, unit=2)}
    photos = [
        photo(10, 1, "a", gps_lat=HERE[0], gps_lon=HERE[1]),
        photo(11, 1, "b", code="B2a", gps_lat=NEAR[0], gps_lon=NEAR[1]),
        photo(12, 1, "c", code=None, gps_lat=FAR[0], gps_lon=FAR[1]),
        photo(13, 1, "d", code="B4a"),  # no GPS: not counted
        photo(20, 2, "e", gps_lat=HERE[0], gps_lon=HERE[1]),
        photo(21, 2, "f", code="B2a", gps_lat=NEAR[0], gps_lon=NEAR[1]),
    ]
    found = evidence.judge([1, 2], evaluations, photos)
    assert 2 not in found  # 600 m apart: one site
    (flag,) = found[1]
    assert flag.kind is FlagKind.SPREAD and set(flag.photo_ids) == {10, 12}
    assert flag.distance_m == pytest.approx(evidence.distance_m(HERE, FAR))
    assert flag.message == (
        "照片拍摄位置最远相距 3.9 公里（B1a 与 整体），超过 1.0 公里，可能不在同一现场"
    )
    assert flag.as_dict()["distance_m"] == round(flag.distance_m or 0)


# --- over a store -------------------------------------------------------------------------


@pytest.fixture
def units_store(store: Store, data_path: Path) -> Store:
    with store.session() as session:
        import_units(session, data_path / "units-sample.csv", actor="测试")
    return store


def evaluate(
    store: Store,
    code: str,
    photos: dict[str | None, list[Path]],
    signature: Path,
    *,
    on: date = VISIT,
    fails: tuple[str, ...] = (),
    kind: str = "post_evaluation",
    finalize: bool = True,
) -> int:
    """An evaluation of ``code`` visited ``on``: everything 符合 (photo items 不适用) except
    ``fails``; ``photos`` maps item codes (None: the whole visit) to files to attach."""
    with store.session() as session:
        unit = unit_service.by_code(session, code)
        evaluation = ev.start(session, store.library, unit, kind, "张三", today=on)
        for checklist in ev.checklists_of(session, store.library, evaluation):
            for item in checklist.items:
                if item.same_as:
                    continue  # answered through the items it is the same as
                ref = f"{checklist.id}:{item.code}"
                if item.code in fails:
                    ev.answer(
                        session,
                        store.library,
                        evaluation,
                        ref,
                        "fail",
                        rectify="整改",
                        due=date(2026, 12, 31),
                        today=on,
                    )
                elif not any(a.item_code == item.code for a in evaluation.answers):
                    result = "na" if item.photo_required else "pass"
                    ev.answer(session, store.library, evaluation, ref, result)
        for code_, files in photos.items():
            ev.attach(session, store.photos, evaluation, files, code_, library=store.library)
        if finalize:
            ev.sign(session, store.signatures, evaluation, "inspector", "张三", signature)
            ev.sign(session, store.signatures, evaluation, "unit", "王芳", signature)
            ev.finalize(session, store.library, evaluation)
        return evaluation.id


def flags_of(store: Store, evaluation_id: int) -> tuple[evidence.EvidenceFlag, ...]:
    with store.read() as session:
        return evidence.for_evaluation(session, evaluation_id)


def test_a_clean_evaluation_has_no_flags(
    units_store: Store, tmp_path: Path, signature: Path
) -> None:
    shelf = exif_photo(tmp_path / "shelf.jpg", (10, 120, 10), at(VISIT), HERE)
    board = exif_photo(tmp_path / "board.jpg", (10, 10, 120), at(VISIT, 11), NEAR)
    eid = evaluate(units_store, SHOP, {"B1a": [shelf], None: [board]}, signature)
    assert flags_of(units_store, eid) == ()
    with units_store.read() as session:
        assert evidence.for_station_year(session, 2026) == []
        assert evidence.for_evaluation(session, 9999) == ()


def test_store_flags_a_photo_reused_for_another_unit_and_spares_the_revision(
    units_store: Store, tmp_path: Path, signature: Path
) -> None:
    shelf = exif_photo(tmp_path / "shelf.jpg", (10, 120, 10), at(VISIT), HERE)
    own = exif_photo(tmp_path / "own.jpg", (120, 10, 10), at(VISIT), HERE)
    first = evaluate(units_store, SHOP, {"B1a": [shelf, own]}, signature)
    second = evaluate(units_store, INN, {"B2a": [shelf]}, signature)
    (flag,) = flags_of(units_store, second)
    assert flag.kind is FlagKind.DUPLICATE and flag.other_evaluations == (first,)
    assert "另一单位「缙云县五云好又多超市」（92331122MA2A00018H）的评价" in flag.message

    with units_store.session() as session:
        revision = ev.revise(session, ev.get(session, first), "张三").id
    # The revision (a draft) is the same visit: not a duplicate of its original, but it is of
    # the other unit's evaluation, and that one now names both.
    (on_revision,) = flags_of(units_store, revision)
    assert on_revision.other_evaluations == (second,)
    assert [f.other_evaluations for f in flags_of(units_store, second)] == [
        (first,),
        (revision,),
    ]
    assert "（草稿）" in flags_of(units_store, second)[1].message

    with units_store.read() as session:
        found = evidence.for_station_year(session, 2026)
        assert [(e.evaluation_id, e.station) for e in found] == [
            (first, "五云所"),
            (second, "壶镇分局"),
        ]
        assert found[0].summary == f"评价 {first}（2026-08-20）：重复照片 1 处"
        assert evidence.for_station_year(session, 2025) == []


def test_store_follow_up_carries_photos_but_a_recheck_needs_a_new_one(
    units_store: Store, tmp_path: Path, signature: Path
) -> None:
    kept = exif_photo(tmp_path / "kept.jpg", (10, 120, 10), at(VISIT), HERE)
    before = exif_photo(tmp_path / "before.jpg", (120, 10, 10), at(VISIT), HERE)
    first = evaluate(units_store, SHOP, {"B1a": [kept], "B2a": [before]}, signature, fails=("B2a",))
    later = date(2026, 9, 10)
    recheck = evaluate(
        units_store,
        SHOP,
        {"B2a": [before]},
        signature,
        on=later,
        fails=(),
        kind="follow_up",
        finalize=False,
    )
    with units_store.read() as session:
        follow = ev.get(session, recheck)
        assert follow.follows_id == first
        assert [p.item_code for p in follow.photos] == ["B1a", "B2a"]  # B1a carried over
    duplicate, other_day = flags_of(units_store, recheck)
    assert duplicate.kind is FlagKind.DUPLICATE and duplicate.message.endswith("整改复查须重新拍照")
    # The carried B1a keeps its own visit's day; the re-used B2a photo is from the day before.
    assert other_day.kind is FlagKind.OTHER_DAY
    assert other_day.message == "1 张照片不是检查当天（2026-09-10）拍摄：B2a 摄于 2026-08-20"


def test_store_flags_times_and_positions_and_the_dashboard_narrows_in_sql(
    units_store: Store, tmp_path: Path, signature: Path
) -> None:
    files = {
        "B1a": [exif_photo(tmp_path / "a.jpg", (10, 120, 10), None, HERE)],
        "B2a": [exif_photo(tmp_path / "b.jpg", (120, 10, 10), at(date(2026, 8, 1)), HERE)],
        None: [exif_photo(tmp_path / "c.jpg", (10, 10, 120), at(VISIT), FAR)],
    }
    eid = evaluate(units_store, SHOP, files, signature)
    clean = evaluate(
        units_store,
        INN,
        {"B1a": [exif_photo(tmp_path / "d.jpg", (90, 90, 9), at(VISIT), HERE)]},
        signature,
    )
    assert [f.kind for f in flags_of(units_store, eid)] == [
        FlagKind.NO_TIME,
        FlagKind.OTHER_DAY,
        FlagKind.SPREAD,
    ]
    assert flags_of(units_store, clean) == ()
    with units_store.read() as session:
        (found,) = evidence.for_station_year(session, 2026)
        one_station = evidence.for_station_year(session, 2026, station_id=_station(session))
        other_station = evidence.for_station_year(
            session, 2026, station_id=_station(session, "壶镇分局")
        )
        before_it = evidence.for_station_year(session, 2026, as_of=date(2026, 8, 1))
    assert found.flags == flags_of(units_store, eid)
    assert (
        found.summary
        == f"评价 {eid}（2026-08-20）：无拍摄时间 1 张、非当日拍摄 1 张、位置分散 3.9 公里"
    )
    assert [e.evaluation_id for e in one_station] == [eid]
    assert other_station == [] and before_it == []


def _station(session, name: str = "五云所") -> int:  # type: ignore[no-untyped-def]
    from fieldapp.services.stations import find_station

    return find_station(session, name).id
