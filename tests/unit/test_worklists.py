"""Hold-backs and worklists on a tiny hand-made county, one unit per reason.

The county (built by :func:`build_county`, also used by the bulletin and export tests):

=====  ========  ==============================================================  =================
code   station   story                                                           expected reasons
=====  ========  ==============================================================  =================
UA     五云所    承诺公示 since 2026-08-01, never evaluated                      not_evaluated
UB     五云所    培育库 since 2026-01-10                                         stale
UC     五云所    confirmed, 2026-08 evaluation failed B1b due 2026-11-10        overdue, no_sticker,
              (its B1b photo, with no capture time, is also on UG's 11月 one)  evidence
UD     五云所    confirmed, evaluated, sticker without photo                     sticker_no_photo
UE     壶镇分局  confirmed, evaluated, sticker with photo                        —
UF     壶镇分局  removed                                                         —
UG     壶镇分局  committed, 2026-11 evaluation failed B1b (due 11-20) and B7a     evidence
              (due 11-25), both photographed with UC's photo; B4b failed in
              10月 and fixed by a 回头看
=====  ========  ==============================================================  =================

The failed items are ones no other item is answered through (same_as): a failed B5a would fail
P2 (同 B5a) too and count twice.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from fieldapp.domain import uscc
from fieldapp.domain.lifecycle import ExitReason, State
from fieldapp.errors import InvalidInput, NotFound
from fieldapp.services import evaluations as ev
from fieldapp.services import worklists as wl
from fieldapp.services.stations import station_ids
from fieldapp.storage.models import Target, Unit
from fieldapp.store import Store
from tests import lifecycle_helpers as lifecycle

TODAY = date(2026, 11, 18)  # a Wednesday: the week is 11-16 … 11-22
PHOTO = Path(__file__).resolve().parents[1] / "data" / "photos" / "Landscape_6.jpg"
R = wl.Reason


def code(tag: str) -> str:
    org = "MA2" + "".join(f"{ord(c) % 10}" for c in tag).ljust(5, "0")[:5]
    return uscc.make_code("92", "331122", org)


def evaluate(
    store: Store,
    session: Any,
    unit: Unit,
    on: date,
    fails: dict[str, date] | None = None,
    kind: str = "post_evaluation",
) -> ev.Evaluation:
    """A finalized evaluation visited and finalized on ``on``: ``fails`` maps codes to deadlines."""
    fails = fails or {}
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
                    rectify=f"整改{item.code}",
                    due=fails[item.code],
                    today=on,
                )
                if item.photo_required:
                    ev.attach(
                        session, store.photos, evaluation, [PHOTO], ref, library=store.library
                    )
            else:
                ev.answer(
                    session, store.library, evaluation, ref, "na" if item.photo_required else "pass"
                )
    signature = Path(store.folder) / "sig.png"
    if not signature.exists():
        from PIL import Image, ImageDraw

        img = Image.new("RGB", (200, 80), "white")
        ImageDraw.Draw(img).line([(10, 50), (190, 30)], fill="black", width=3)
        img.save(signature)
    ev.sign(session, store.signatures, evaluation, "inspector", "张三", signature)
    ev.sign(session, store.signatures, evaluation, "unit", "王芳", signature)
    ev.finalize(session, store.library, evaluation)
    evaluation.finalized_at = datetime.combine(on, datetime.min.time()).replace(hour=16)
    session.flush()
    return evaluation


def build_county(store: Store) -> dict[str, int]:
    """The county of the module docstring; returns unit ids by tag."""
    ids: dict[str, int] = {}
    with store.session() as session:
        stations, _ = station_ids(session, ["五云所", "壶镇分局"])

        def unit(tag: str, station: str, steps: list[tuple[State, date]], reason: str = "") -> Unit:
            row = Unit(
                credit_code=code(tag),
                name=f"缙云县{tag}测试商店",
                station_id=stations[station],
                unit_type="general",
            )
            session.add(row)
            session.flush()
            for state, on in steps:
                exit_reason = ExitReason.UNSUITABLE if state is State.REMOVED else None
                lifecycle.move(
                    session, row, state, on=on, today=TODAY, reason=reason, exit_reason=exit_reason
                )
            ids[tag] = row.id
            return row

        cultivated = [(State.CULTIVATING, date(2025, 3, 1)), (State.COMMITTED, date(2025, 5, 1))]
        confirmed = [*cultivated, (State.EVALUATING, date(2026, 6, 1))]
        unit(
            "UA",
            "五云所",
            [(State.CULTIVATING, date(2026, 2, 1)), (State.COMMITTED, date(2026, 8, 1))],
        )
        unit("UB", "五云所", [(State.CULTIVATING, date(2026, 1, 10))])
        uc = unit("UC", "五云所", confirmed)
        evaluate(store, session, uc, date(2026, 8, 20), {"B1b": date(2026, 11, 10)})
        lifecycle.move(session, uc, State.CONFIRMED, on=date(2026, 9, 1), today=TODAY)
        ud = unit("UD", "五云所", confirmed)
        evaluate(store, session, ud, date(2026, 8, 21))
        lifecycle.move(session, ud, State.CONFIRMED, on=date(2026, 9, 1), today=TODAY)
        lifecycle.sticker(session, ud, on=date(2026, 9, 5), today=TODAY)
        ue = unit("UE", "壶镇分局", confirmed)
        evaluate(store, session, ue, date(2026, 8, 22))
        lifecycle.move(session, ue, State.CONFIRMED, on=date(2026, 9, 1), today=TODAY)
        lifecycle.sticker(session, ue, on=date(2026, 9, 6), today=TODAY, photo_sha256="a" * 64)
        unit("UF", "壶镇分局", [*cultivated, (State.REMOVED, date(2026, 3, 1))], "不宜培育")
        ug = unit(
            "UG",
            "壶镇分局",
            [(State.CULTIVATING, date(2026, 7, 1)), (State.COMMITTED, date(2026, 9, 1))],
        )
        evaluate(store, session, ug, date(2026, 10, 8), {"B4b": date(2026, 10, 30)})
        evaluate(store, session, ug, date(2026, 10, 20), kind="follow_up")  # B4b fixed
        evaluate(
            store,
            session,
            ug,
            date(2026, 11, 3),
            {"B1b": date(2026, 11, 20), "B7a": date(2026, 11, 25)},
        )
    return ids


@pytest.fixture
def county(store: Store) -> dict[str, int]:
    return build_county(store)


def reasons(found: list[wl.StationHoldBacks]) -> dict[str, set[tuple[str, wl.Reason]]]:
    return {s.station: {(h.name[3:5], h.reason) for h in s.items} for s in found}


def test_hold_backs_name_each_reason_per_station(store: Store, county: dict[str, int]) -> None:
    with store.read() as session:
        found = wl.hold_backs(session, 2026, TODAY)
    assert [s.station for s in found] == ["五云所", "壶镇分局"]
    assert reasons(found) == {
        "五云所": {
            ("UA", R.NOT_EVALUATED),
            ("UB", R.STALE),
            ("UC", R.RECTIFICATION_OVERDUE),
            ("UC", R.NO_STICKER),
            ("UD", R.STICKER_NO_PHOTO),
            ("UC", R.EVIDENCE),
        },
        "壶镇分局": {("UG", R.EVIDENCE)},
    }
    wuyun = found[0]
    assert wuyun.units == 4
    assert wuyun.counts()[R.NO_STICKER] == 1 and wuyun.counts()[R.STALE] == 1
    overdue = next(h for h in wuyun.items if h.reason is R.RECTIFICATION_OVERDUE)
    assert overdue.since == date(2026, 11, 10)
    assert "1 项整改逾期" in overdue.detail and "已过 8 天" in overdue.detail
    stale = next(h for h in wuyun.items if h.reason is R.STALE)
    assert stale.detail.startswith("「培育库」已 312 天未变化")
    assert R.STALE.label == "长期未变化"
    doubtful = next(h for h in wuyun.items if h.reason is R.EVIDENCE)
    assert doubtful.since == date(2026, 8, 20)
    assert doubtful.detail.endswith("（2026-08-20）：重复照片 1 处、无拍摄时间 1 张")
    (other,) = found[1].items
    assert other.detail.endswith("（2026-11-03）：重复照片 1 处、无拍摄时间 2 张")
    assert R.EVIDENCE.label == "证据存疑"


def test_hold_backs_move_with_the_date_and_the_thresholds(
    store: Store, county: dict[str, int]
) -> None:
    with store.read() as session:
        # Before UC's deadline nothing is overdue; before 179 days in 培育库, UB is not stale.
        early = reasons(wl.hold_backs(session, 2026, date(2026, 7, 8)))["五云所"]
        september = reasons(wl.hold_backs(session, 2026, date(2026, 9, 30)))
    assert ("UC", R.RECTIFICATION_OVERDUE) not in early
    # Evidence is judged on evaluations finalised by the day: in September UG's was not yet.
    assert ("UC", R.EVIDENCE) not in early and ("UC", R.EVIDENCE) in september["五云所"]
    assert ("UG", R.EVIDENCE) not in september["壶镇分局"]
    assert ("UB", R.STALE) not in early
    assert wl.STALE_DAYS[State.CULTIVATING] == 180


def test_a_shut_unit_holds_nobody_back(store: Store, county: dict[str, int]) -> None:
    with store.session() as session:
        uc = session.get(Unit, county["UC"])
        assert uc is not None
        lifecycle.move(session, uc, State.SHUT, reason="门店关停", on=TODAY, today=TODAY)
    with store.read() as session:
        found = reasons(wl.hold_backs(session, 2026, TODAY))
        counts = wl.hold_back_counts(session, 2026, TODAY)
    assert not {r for tag, r in found["五云所"] if tag == "UC"}
    assert counts["五云所"][R.EVIDENCE] == 0 and counts["五云所"][R.NO_STICKER] == 0


def test_counts_match_lists_and_station_filter(store: Store, county: dict[str, int]) -> None:
    with store.read() as session:
        counts = wl.hold_back_counts(session, 2026, TODAY)
        lists = wl.hold_backs(session, 2026, TODAY)
        one = wl.hold_backs(session, 2026, TODAY, station="五云所")
        with pytest.raises(NotFound, match="没有名为「东渡所」的所"):
            wl.hold_backs(session, 2026, TODAY, station="东渡所")
    assert counts == {s.station: s.counts() for s in lists}
    assert [s.station for s in one] == ["五云所"] and one[0] == lists[0]


def test_followups_due_this_week_and_overdue(store: Store, county: dict[str, int]) -> None:
    with store.read() as session:
        due = wl.followups_due(session, TODAY)
        hz = wl.followups_due(session, TODAY, station="壶镇分局")
        next_week = wl.followups_due(session, date(2026, 11, 23))
    assert [(r.name[3:5], r.code, r.due, r.overdue) for r in due] == [
        ("UC", "B1b", date(2026, 11, 10), True),
        ("UG", "B1b", date(2026, 11, 20), False),
    ]
    assert due[0].text and due[0].rectify == "整改B1b" and due[0].days_overdue == 8
    assert [r.name[3:5] for r in hz] == ["UG"]
    # B7a (due 11-25) joins next week; B4b was fixed by the 回头看 and never comes back.
    assert [(r.name[3:5], r.code) for r in next_week] == [
        ("UC", "B1b"),
        ("UG", "B1b"),
        ("UG", "B7a"),
    ]
    assert wl.week_of(TODAY) == (date(2026, 11, 16), date(2026, 11, 22))


def test_changed_today_lists_steps_and_evaluations(store: Store, county: dict[str, int]) -> None:
    with store.session() as session:
        ua = session.get(Unit, county["UA"])
        assert ua is not None
        lifecycle.move(session, ua, State.EVALUATING, on=TODAY, today=TODAY)
        ub = session.get(Unit, county["UB"])
        assert ub is not None
        ev.start(session, store.library, ub, "routine", "李四", today=TODAY)
    with store.read() as session:
        changed = wl.changed_today(session, TODAY)
        quiet = wl.changed_today(session, date(2026, 11, 19))
    by_tag = {c.name[3:5]: c.changes for c in changed}
    assert by_tag["UA"] == ("承诺公示 → 后评价",)
    assert by_tag["UB"] == ("日常检查（草稿）",)
    assert quiet == []


def test_month_summary_counts_the_month(store: Store, county: dict[str, int]) -> None:
    with store.session() as session:
        stations, _ = station_ids(session, ["五云所"])
        session.add(Target(year=2026, station_id=stations["五云所"], unit_type="general", count=10))
    with store.read() as session:
        august = wl.month_summary(session, "2026-08", today=TODAY)
        november = wl.month_summary(session, "2026-11", today=TODAY)
        october = wl.month_summary(session, "2026-10", station="壶镇分局", today=TODAY)
    assert august.as_of == date(2026, 8, 31) and november.as_of == TODAY
    totals = august.total()
    # B1b is 八有八无: every pair must be met, so failing it fails the evaluation.
    assert (totals.evaluations, totals.passed, totals.rectify, totals.failed) == (3, 2, 0, 1)
    assert [(k.label, k.total) for k in august.kinds] == [("后评价", 3)]
    assert [(f.code, f.count) for f in august.failed_items] == [("B1b", 1)]
    assert august.failed_items[0].text and august.failed_items[0].checklist_title == "八有八无"
    wuyun = next(s for s in november.stations if s.station == "五云所")
    assert (wuyun.target, wuyun.achieved, wuyun.confirmed) == (10, 4, 2)
    assert (wuyun.rectifications_open, wuyun.rectifications_overdue) == (1, 1)
    assert [o.name[3:5] for o in november.overdue] == ["UC"]
    assert [d.days_left for d in november.deadlines] == [-141, 12]
    assert october.station == "壶镇分局" and [s.station for s in october.stations] == ["壶镇分局"]
    assert [(k.label, k.total) for k in october.kinds] == [("后评价", 1), ("回头看", 1)]
    assert november.has_data


def test_month_without_data_and_bad_months(store: Store, county: dict[str, int]) -> None:
    with store.read() as session:
        assert not wl.month_summary(session, "2026-04", today=TODAY).has_data
        assert wl.month_summary(session, "2026年9月", today=TODAY).has_data
        with pytest.raises(InvalidInput, match="月份「2026-13」无效"):
            wl.month_summary(session, "2026-13", today=TODAY)
        with pytest.raises(InvalidInput, match="还没有开始"):
            wl.month_summary(session, "2026-12", today=TODAY)
