"""The bulletin's hold-back counts kept between bulletins (services/holdback_kept).

On a store of demo units and the hand-made county of ``test_worklists`` (every reason, open and
overdue 整改, photos in doubt): kept counts equal a fresh :func:`holdback_fold.counts`, any change
through the services leaves them stale until counted again, and the bulletin counts the same
with them as without, for the running month and a past one, on a writable or read-only store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from fieldapp.domain.holdbacks import Reason
from fieldapp.domain.lifecycle import State
from fieldapp.reports import bulletin
from fieldapp.services import demo, holdback_fold, holdback_kept
from fieldapp.services import worklists as wl
from fieldapp.services.stations import find_station, station_ids
from fieldapp.storage.models import Target, Unit
from fieldapp.store import Store
from fieldapp.sync import wire
from fieldapp.sync.client import apply_pull
from tests import lifecycle_helpers as lifecycle
from tests.unit.test_worklists import TODAY, build_county, evaluate

YEAR = TODAY.year
AUGUST_END = date(2026, 8, 31)
Counts = dict[str, dict[Reason, int]]


@pytest.fixture
def county(store: Store) -> dict[str, int]:
    """300 demo units in the county's stations, then the hand-made units; unit ids by tag."""
    demo.load(store, 300)
    ids = build_county(store)
    with store.session() as session:
        stations, _ = station_ids(session, ["五云所"])
        session.add(Target(year=YEAR, station_id=stations["五云所"], unit_type="general", count=9))
    return ids


def station_id(store: Store, name: str) -> int:
    with store.read() as session:
        return find_station(session, name).id


def fresh(store: Store, today: date = TODAY, station: int | None = None) -> Counts:
    with store.read() as session:
        return holdback_fold.counts(wl.holdback_facts(session, YEAR, today, station))


def kept(store: Store, today: date = TODAY, station: int | None = None) -> Counts | None:
    with store.read() as session:
        return holdback_kept.kept_counts(session, YEAR, today, station)


def test_kept_counts_are_the_folds_counts(store: Store, county: dict[str, int]) -> None:
    wuyun = station_id(store, "五云所")
    assert kept(store) is None and kept(store, station=wuyun) is None  # nothing kept yet
    counts = holdback_kept.keep(store, YEAR, TODAY, None)
    assert counts == fresh(store)
    assert list(counts) == list(fresh(store))  # the stations' order too
    assert counts["五云所"][Reason.STALE] > 0
    assert sum(n for line in counts.values() for n in line.values()) > 100
    assert kept(store) == counts
    assert list(kept(store) or {}) == list(counts)

    one = holdback_kept.keep(store, YEAR, TODAY, wuyun)
    assert one == fresh(store, station=wuyun) and list(one) == ["五云所"]
    assert kept(store, station=wuyun) == one
    assert kept(store) == counts  # each scope has its own row


def test_counts_kept_for_another_day_are_not_used(store: Store, county: dict[str, int]) -> None:
    holdback_kept.keep(store, YEAR, TODAY, None)
    assert kept(store, TODAY + timedelta(days=1)) is None
    assert kept(store, AUGUST_END) is None
    later = holdback_kept.keep(store, YEAR, TODAY + timedelta(days=1), None)
    assert later == fresh(store, TODAY + timedelta(days=1))
    assert kept(store) is None  # one day kept per scope and year: the latest


def test_counts_kept_by_other_code_are_not_used(
    store: Store, county: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = holdback_kept.keep(store, YEAR, TODAY, None)
    monkeypatch.setattr(holdback_kept, "_code", lambda: "another version's rules")
    assert kept(store) is None
    assert holdback_kept.keep(store, YEAR, TODAY, None) == counts
    assert kept(store) == counts


def _move_ub(store: Store, session: Any, ids: dict[str, int]) -> None:
    unit = session.get(Unit, ids["UB"])  # 培育库 since January: 长期未变化
    lifecycle.move(session, unit, State.COMMITTED, on=TODAY, today=TODAY)


def _fail_ue(store: Store, session: Any, ids: dict[str, int]) -> None:
    unit = session.get(Unit, ids["UE"])  # confirmed, evaluated, sticker photographed
    evaluate(store, session, unit, date(2026, 11, 10), {"B1b": date(2026, 11, 15)})


def _sticker_uc(store: Store, session: Any, ids: dict[str, int]) -> None:
    unit = session.get(Unit, ids["UC"])  # confirmed, no 标识张贴 yet
    lifecycle.sticker(session, unit, on=date(2026, 11, 17), today=TODAY)


CHANGES: dict[str, Callable[[Store, Any, dict[str, int]], None]] = {
    "state moved": _move_ub,
    "answer failed": _fail_ue,
    "sticker posted": _sticker_uc,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_change_leaves_the_kept_counts_stale(
    store: Store, county: dict[str, int], change: str
) -> None:
    before = holdback_kept.keep(store, YEAR, TODAY, None)
    wuyun = station_id(store, "五云所")
    holdback_kept.keep(store, YEAR, TODAY, wuyun)
    with store.session() as session:
        CHANGES[change](store, session, county)
    assert kept(store) is None and kept(store, station=wuyun) is None
    after = holdback_kept.keep(store, YEAR, TODAY, None)
    assert after == fresh(store) and after != before
    assert kept(store) == after
    assert holdback_kept.keep(store, YEAR, TODAY, wuyun) == fresh(store, station=wuyun)


def test_a_write_while_counting_leaves_them_stale(
    store: Store, county: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock is read before the facts: a write that lands between the two may or may not
    be in the counts, and the counts kept are counted again at the next call."""
    original = wl.holdback_facts

    def with_a_write(*args: Any, **kwargs: Any) -> holdback_fold.HoldBackFacts:
        with store.session() as session:
            _sticker_uc(store, session, county)
        return original(*args, **kwargs)

    monkeypatch.setattr(wl, "holdback_facts", with_a_write)
    holdback_kept.keep(store, YEAR, TODAY, None)
    monkeypatch.setattr(wl, "holdback_facts", original)
    assert kept(store) is None
    assert holdback_kept.keep(store, YEAR, TODAY, None) == fresh(store)
    assert kept(store) == fresh(store)


@pytest.mark.parametrize(
    ("month", "as_of", "station"),
    [
        ("2026-11", TODAY, None),
        ("2026-11", TODAY, "五云所"),
        ("2026-08", AUGUST_END, None),
        ("2026-10", date(2026, 10, 31), "壶镇分局"),
    ],
)
def test_the_summary_is_the_same_with_kept_counts(
    store: Store, county: dict[str, int], month: str, as_of: date, station: str | None
) -> None:
    scope = station_id(store, station) if station else None
    counts = holdback_kept.keep(store, YEAR, as_of, scope)
    with store.read() as session:
        plain = wl.month_summary(session, month, station, TODAY)
        with_kept = wl.month_summary(session, month, station, TODAY, hold_counts=counts)
        texts = wl.ItemTexts(session)
        full = wl.open_items(wl.holdback_facts(session, YEAR, as_of, scope), texts)
        narrow = wl.open_items(
            wl.holdback_facts(session, YEAR, as_of, scope, open_only=True), texts
        )
    assert with_kept == plain
    assert any(any(s.hold_backs.values()) for s in plain.stations)
    assert narrow == full


def _open_list(store: Store) -> list[wl.Rectification]:
    """The open 整改 from the full facts, checked equal to those from the narrowed read."""
    with store.read() as session:
        texts = wl.ItemTexts(session)
        full = wl.open_items(wl.holdback_facts(session, YEAR, TODAY), texts)
        narrow = wl.open_items(wl.holdback_facts(session, YEAR, TODAY, open_only=True), texts)
    assert narrow == full
    return full


def test_open_only_lists_every_open_rectification(store: Store, county: dict[str, int]) -> None:
    with store.session() as session:
        _fail_ue(store, session, county)
    full = _open_list(store)
    assert {(r.name[3:5], r.code, r.overdue) for r in full} == {
        ("UC", "B1b", True),
        ("UE", "B1b", True),
        ("UG", "B1b", False),
        ("UG", "B7a", False),
    }


def pulled(unit_uuid: str, number: int, answers: list[tuple[str, str, str | None]]) -> Any:
    """An evaluation another laptop finalised on 2026-11-1``number``, as a pull brings it:
    ``answers`` are (item, result, deadline) of 八有八无."""
    return {
        "uuid": f"00000000-0000-4000-8000-00000000000{number}",
        "unit_uuid": unit_uuid,
        "station": "五云所",
        "kind": "post_evaluation",
        "inspector": "李四",
        "started_at": f"2026-11-1{number}T01:30:00Z",
        "finalized_at": f"2026-11-1{number}T03:00:00Z",
        "verdict": "rectify",
        "checklists": [{"checklist_id": "bayou-bawu", "version": 1}],
        "answers": [
            {"checklist_id": "bayou-bawu", "item_code": code, "result": result}
            | ({"rectify": f"整改{code}", "due": due} if due else {})
            for code, result, due in answers
        ],
    }


def test_evaluations_of_other_laptops_count_and_close(store: Store, county: dict[str, int]) -> None:
    """A pulled visit re-checking UC's B1b closes it and opens B6b; one on UA opens B6b."""
    before = holdback_kept.keep(store, YEAR, TODAY, None)
    with store.read() as session:
        uuids = {row.id: row.uuid for row in session.execute(select(Unit.id, Unit.uuid))}
    summaries = [
        pulled(uuids[county["UC"]], 2, [("B1b", "pass", None), ("B6b", "fail", "2026-11-15")]),
        pulled(uuids[county["UA"]], 3, [("B1a", "pass", None), ("B6b", "fail", "2026-12-01")]),
    ]
    page = {"cursor": 7, "units": [], "checklists": [], "targets": [], "assignments": []}
    page |= {"reviews": [], "more": False, "summaries": summaries}
    with store.session() as session:
        apply_pull(session, wire.Pull.model_validate(page))
    assert kept(store) is None
    after = holdback_kept.keep(store, YEAR, TODAY, None)
    assert after == fresh(store) and after != before
    full = _open_list(store)
    assert {(r.name[3:5], r.code, r.overdue) for r in full} == {
        ("UA", "B6b", False),
        ("UC", "B6b", True),
        ("UG", "B1b", False),
        ("UG", "B7a", False),
    }


def sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(path)
    return {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}


def holds(path: Path) -> dict[str, tuple[int, ...]]:
    """The 需关注单位 sheet: each station's counts, in Reason order (合计 left out)."""
    rows = sheets(path)["需关注单位"][1:]
    return {row[0]: tuple(row[1:]) for row in rows if row[0] != "合计"}


def expected(counts: Counts, path: Path) -> dict[str, tuple[int, ...]]:
    zero = dict.fromkeys(Reason, 0)
    return {name: tuple(counts.get(name, zero)[r] for r in Reason) for name in holds(path)}


def plain_workbook(store: Store, month: str, out: Path, station: str | None = None) -> Path:
    with store.read() as session:
        bulletin.write_xlsx(wl.month_summary(session, month, station, TODAY), out, TODAY)
    return out


def test_the_bulletin_keeps_the_counts_and_reads_them_back(
    store: Store, county: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = bulletin.write_bulletin(store, "2026-11", tmp_path / "a.xlsx", today=TODAY)
    assert kept(store) == fresh(store)
    assert sheets(first) == sheets(plain_workbook(store, "2026-11", tmp_path / "plain.xlsx"))
    assert holds(first) == expected(fresh(store), first)

    read: list[bool] = []
    original = wl.holdback_facts

    def spy(*args: Any, open_only: bool = False, **kwargs: Any) -> holdback_fold.HoldBackFacts:
        read.append(open_only)
        return original(*args, open_only=open_only, **kwargs)

    monkeypatch.setattr(wl, "holdback_facts", spy)
    second = bulletin.write_bulletin(store, "2026-11", tmp_path / "b.xlsx", today=TODAY)
    assert read == [True]  # the counts were kept: only the open 整改 are read
    assert sheets(second) == sheets(first)

    with store.session() as session:
        _sticker_uc(store, session, county)
    read.clear()
    third = bulletin.write_bulletin(store, "2026-11", tmp_path / "c.xlsx", today=TODAY)
    assert read == [False, True]  # counted and kept again, then the open 整改
    assert holds(third) == expected(fresh(store), third) and holds(third) != holds(first)


def test_a_past_months_bulletin_counts_as_of_its_last_day(
    store: Store, county: dict[str, int], tmp_path: Path
) -> None:
    bulletin.write_bulletin(store, "2026-11", tmp_path / "now.xlsx", today=TODAY)
    august = bulletin.write_bulletin(store, "2026-08", tmp_path / "aug.xlsx", today=TODAY)
    assert fresh(store, AUGUST_END) != fresh(store)
    assert holds(august) == expected(fresh(store, AUGUST_END), august)
    assert sheets(august) == sheets(plain_workbook(store, "2026-08", tmp_path / "plain.xlsx"))
    assert kept(store) == fresh(store)  # today's kept counts are left as they were

    station = bulletin.write_bulletin(
        store, "2026-11", tmp_path / "one.xlsx", station="壶镇分局", today=TODAY
    )
    assert kept(store, station=station_id(store, "壶镇分局")) is not None
    assert sheets(station) == sheets(
        plain_workbook(store, "2026-11", tmp_path / "plain-one.xlsx", "壶镇分局")
    )


def test_a_read_only_store_writes_a_correct_bulletin(
    store: Store, county: dict[str, int], tmp_path: Path
) -> None:
    holdback_kept.keep(store, YEAR, TODAY, None)
    with store.session() as session:
        _move_ub(store, session, county)  # the kept counts are stale now
    plain = plain_workbook(store, "2026-11", tmp_path / "plain.xlsx")
    store.close()
    readonly = Store.open(store.folder, readonly=True)
    try:
        out = bulletin.write_bulletin(readonly, "2026-11", tmp_path / "ro.xlsx", today=TODAY)
        assert sheets(out) == sheets(plain)
        assert holds(out) == expected(fresh(readonly), out)
        assert kept(readonly) is None  # nothing kept, the stale row left as it was
        assert holdback_kept.keep(readonly, YEAR, TODAY, None) == fresh(readonly)
        assert kept(readonly) is None
    finally:
        readonly.close()
