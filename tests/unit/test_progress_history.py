"""A scripted year: figures for 2025 and 2026 from the units' dated history, as seed 002 counts.

任务数 = 去年建成的现存数量 + 今年新培育的数量. Stock means named (建成) in an earlier year and in
the pool at the date; new means entered the pool in the year (or entered earlier and named in the
year); a unit sitting in 培育库 since an earlier year counts as neither (carried). Moving a unit to
another station today, closing or transferring it, never changes an earlier year's figure.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from fieldapp.cli import main
from fieldapp.domain.events import Role
from fieldapp.domain.lifecycle import State
from fieldapp.services import unit_changes
from fieldapp.services.stations import station_ids
from fieldapp.services.unit_changes import Change
from fieldapp.storage.models import Target, Unit
from fieldapp.store import Store

A, B = "五云所", "壶镇分局"
TODAY = date(2026, 11, 30)
STEPS = {
    "committed": State.COMMITTED,
    "evaluating": State.EVALUATING,
    "named": State.CONFIRMED,
    "closed": State.CLOSED,
    "transferred": State.TRANSFERRED,
}


def _unit(session, n: int, station: str, entered: date, unit_type: str = "general") -> Unit:  # type: ignore[no-untyped-def]
    values = {
        "credit_code": f"TEST{n:014d}",
        "name": f"单位{n}",
        "station": station,
        "unit_type": unit_type,
        "industry": "retail",
        "address": f"解放街{n}号",
        "contact_person": "王芳",
        "contact_phone": "13857800001",
    }
    change = Change("张三", today=TODAY)
    return unit_changes.create(session, values, change, state=State.CULTIVATING, on=entered)


def _walk(session, unit: Unit, *steps: tuple[str, date]) -> None:  # type: ignore[no-untyped-def]
    for step, on in steps:
        if step == "named":
            county = Change("县局王", Role.COUNTY, today=TODAY)
            unit_changes.move(
                session,
                unit,
                State.CONFIRMED,
                county,
                reason="后评价纸质表",
                on=on,
                county_confirm=True,
            )
        else:
            change = Change("张三", today=TODAY)
            reason = "店主告知" if step in ("closed", "transferred") else ""
            unit_changes.move(session, unit, STEPS[step], change, reason=reason, on=on)


@pytest.fixture
def year_store(store: Store) -> Store:
    d = date
    with store.session() as session:
        station_ids(session, [A, B])
        # U1: entered and named in 2025 at A, re-evaluated in 2026.
        u1 = _unit(session, 1, A, d(2025, 2, 1))
        _walk(session, u1, ("committed", d(2025, 3, 1)), ("evaluating", d(2025, 9, 1)),
              ("named", d(2025, 10, 1)), ("evaluating", d(2026, 9, 1)))  # fmt: skip
        # U2: entered in 2025 at A, 承诺公示 by June, never named: carried in 2026.
        u2 = _unit(session, 2, A, d(2025, 3, 1))
        _walk(session, u2, ("committed", d(2025, 4, 1)))
        # U3: named in 2025 at A, moved to B in 2026.
        u3 = _unit(session, 3, A, d(2025, 2, 1))
        _walk(session, u3, ("committed", d(2025, 3, 1)), ("evaluating", d(2025, 9, 1)),
              ("named", d(2025, 10, 1)))  # fmt: skip
        unit_changes.update_fields(
            session, u3, {"station": B}, Change("张三", today=TODAY), on=d(2026, 3, 1)
        )
        # U4: named in 2025 at B, 注销 in 2026.
        u4 = _unit(session, 4, B, d(2025, 2, 1))
        _walk(session, u4, ("committed", d(2025, 3, 1)), ("evaluating", d(2025, 9, 1)),
              ("named", d(2025, 10, 1)), ("closed", d(2026, 5, 1)))  # fmt: skip
        # U5: named in 2025 at B, 转让 in 2026.
        u5 = _unit(session, 5, B, d(2025, 4, 1))
        _walk(session, u5, ("committed", d(2025, 5, 1)), ("evaluating", d(2025, 9, 1)),
              ("named", d(2025, 10, 15)), ("transferred", d(2026, 6, 1)))  # fmt: skip
        # U6: entered and named in 2026 at A.
        u6 = _unit(session, 6, A, d(2026, 2, 1))
        _walk(session, u6, ("committed", d(2026, 3, 1)), ("evaluating", d(2026, 9, 1)),
              ("named", d(2026, 10, 1)))  # fmt: skip
        # U7: entered in 2026 at B, 审慎培育, waiting for the county in 后评价.
        u7 = _unit(session, 7, B, d(2026, 4, 1))
        unit_changes.update_fields(
            session, u7, {"prudent": True}, Change("张三", today=TODAY), on=d(2026, 4, 1)
        )
        _walk(session, u7, ("committed", d(2026, 7, 1)), ("evaluating", d(2026, 9, 1)))
        # U8: a candidate since 2025: never counts.
        unit_changes.create(
            session,
            {"credit_code": "TEST00000000000008", "name": "单位8", "station": A,
             "unit_type": "general"},
            Change("张三", today=TODAY),
            on=d(2025, 1, 10),
        )  # fmt: skip
        # U9: a no-reason-return unit named in 2025 at A.
        u9 = _unit(session, 9, A, d(2025, 5, 1), "no_reason_return")
        _walk(session, u9, ("committed", d(2025, 6, 1)), ("evaluating", d(2025, 10, 1)),
              ("named", d(2025, 11, 1)))  # fmt: skip
        ids, _ = station_ids(session, [A, B])
        for year in (2025, 2026):
            session.add(Target(year=year, station_id=ids[A], unit_type="general", count=3))
            session.add(Target(year=year, station_id=ids[B], unit_type="general", count=2))
    return store


# (station, type) -> (stock, new, carried, committed by 30 June, named in the year)
EXPECTED = {
    2025: {
        (A, "general"): (0, 3, 0, 3, 2),  # U1 U2 U3 new, all 承诺公示 by June; U1 U3 named
        (B, "general"): (0, 2, 0, 2, 2),  # U4 U5
        (A, "no_reason_return"): (0, 1, 0, 1, 1),  # U9 (承诺公示 on 1 June)
    },
    2026: {
        (A, "general"): (1, 1, 1, 3, 1),  # U1 stock, U6 new, U2 carried; June: U1 U2 U6
        (B, "general"): (1, 1, 0, 1, 0),  # U3 stock (moved here), U7 new; June: U3 (U4 注销 in May)
        (A, "no_reason_return"): (1, 0, 0, 1, 0),  # U9 stock
    },
}


def _progress(capsys, year: int) -> dict[tuple[str, str], tuple[int, ...]]:  # type: ignore[no-untyped-def]
    assert main(["progress", "--year", str(year), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    return {
        (c["station"], c["unit_type"]): (
            c["stock"],
            c["new"],
            c["carried"],
            c["committed_by_june"],
            c["confirmed"],
        )
        for c in data["cells"]
        if c["listed"] or c["committed_by_june"] or c["confirmed"]
    }


def test_the_scripted_years_match_the_hand_count(capsys, year_store: Store) -> None:  # type: ignore[no-untyped-def]
    assert _progress(capsys, 2025) == EXPECTED[2025]
    assert _progress(capsys, 2026) == EXPECTED[2026]


def test_later_changes_never_move_an_earlier_year(capsys, year_store: Store) -> None:  # type: ignore[no-untyped-def]
    before = _progress(capsys, 2025)
    with year_store.session() as session:
        u1 = session.query(Unit).filter_by(name="单位1").one()
        change = Change("张三", today=TODAY)
        unit_changes.update_fields(session, u1, {"station": B, "unit_type": "factory"}, change)
        unit_changes.move(session, u1, State.SHUT, change, reason="停业")
    assert _progress(capsys, 2025) == before == EXPECTED[2025]


def test_the_text_report_shows_both_components_and_the_june_milestone(
    capsys, year_store: Store
) -> None:  # type: ignore[no-untyped-def]
    assert main(["progress", "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "完成数 = 去年建成现存 + 今年新培育" in out
    for header in ("现存", "新培育", "往年入库未建成", "6月底承诺公示", "系统录入率"):
        assert header in out


def test_a_listed_unit_counts_from_its_entry_date_not_the_import_day(capsys, store: Store) -> None:  # type: ignore[no-untyped-def]
    """A county list imported in November 2026 says a unit entered 培育库 on 3 April 2025 and is
    now 承诺公示: it was in the pool in 2025 (new there) and is carried, not new, in 2026."""
    with store.session() as session:
        station_ids(session, [A])
        unit_changes.create(
            session,
            {"credit_code": "TEST00000000000010", "name": "单位10", "station": A,
             "unit_type": "general", "entered_on": date(2025, 4, 3)},
            Change("张三", source="导入 名单.xlsx 第 2 行", today=TODAY),
            state=State.COMMITTED,
            on=date(2026, 11, 16),
        )  # fmt: skip
    assert _progress(capsys, 2025) == {(A, "general"): (0, 1, 0, 0, 0)}
    assert _progress(capsys, 2026) == {(A, "general"): (0, 0, 1, 0, 0)}
