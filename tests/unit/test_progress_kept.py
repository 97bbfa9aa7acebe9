"""The kept progress shares (services/progress_kept) give the figures ``progress.compute`` folds.

A demo county of 300 units with its task table is kept, then changed in every way that can move
a unit's share (a state move, a station change, a record field, a 标识张贴, a new unit, a
deleted unit, an event dated later, a renamed station, the year's first deadline). After each
change the kept figures, before and after a refresh, equal a fold of every unit; a refresh
counts again only the units that changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from fieldapp.domain.lifecycle import State
from fieldapp.imports.targets import import_targets
from fieldapp.imports.units import import_units
from fieldapp.services import demo, plan, progress, progress_kept, unit_changes
from fieldapp.services.unit_changes import Change
from fieldapp.storage.models import ProgressShare, ProgressYear, Station, Unit, UnitEvent
from fieldapp.store import Store

TODAY = date.today()
YEAR = TODAY.year


@pytest.fixture
def county(store: Store, tmp_path: Path) -> Store:
    demo.write_csv(tmp_path / "units.csv", 300)
    with store.session() as session:
        import_units(session, tmp_path / "units.csv", actor="测试")
        import_targets(session, demo.write_targets_csv(tmp_path / "t.csv", YEAR), source="测试")
    return store


def _same(store: Store, today: date = TODAY, year: int = YEAR) -> None:
    """The kept figures equal a fold of every unit (cells, deadlines, reference date)."""
    with store.read() as session:
        kept = progress_kept.compute(session, year, today)
        folded = progress.compute(session, year, today)
    assert kept.cells == folded.cells
    assert kept.deadlines == folded.deadlines
    assert kept.as_of == folded.as_of
    assert sum(c.listed for c in kept.cells) > 0


def _some_unit(session: Session, state: State | None = None) -> Unit:
    query = select(Unit).order_by(Unit.id)
    if state is not None:
        query = query.where(Unit.state == state)
    unit = session.scalars(query).first()
    assert unit is not None
    return unit


def _move_state(session: Session) -> None:
    unit = _some_unit(session, State.COMMITTED)
    unit_changes.move(session, unit, State.EVALUATING, Change("张三", today=TODAY), on=TODAY)


def _move_station(session: Session) -> None:
    unit = _some_unit(session)
    other = session.scalars(select(Station.name).where(Station.id != unit.station_id)).first()
    unit_changes.update_fields(session, unit, {"station": other}, Change("张三", today=TODAY))


def _blank_phone(session: Session) -> None:
    unit = _some_unit(session)
    unit_changes.update_fields(session, unit, {"contact_phone": ""}, Change("张三", today=TODAY))


def _sticker(session: Session) -> None:
    unit = _some_unit(session, State.CONFIRMED)
    unit_changes.post_sticker(session, unit, Change("张三", today=TODAY), on=TODAY)


def _new_unit(session: Session) -> None:
    station = session.scalars(select(Station.name)).first()
    values = {
        "credit_code": "TEST00000000000042",
        "name": "新单位",
        "station": station,
        "unit_type": "general",
        "industry": "retail",
        "address": "解放街1号",
        "contact_person": "王芳",
        "contact_phone": "13857800001",
    }
    unit_changes.create(session, values, Change("张三", today=TODAY), state=State.CULTIVATING)


def _delete_unit(session: Session) -> None:
    unit = _some_unit(session, State.CONFIRMED)
    session.execute(delete(UnitEvent).where(UnitEvent.unit_id == unit.id))
    session.delete(unit)


def _rename_station(session: Session) -> None:
    station = session.scalars(select(Station).order_by(Station.id)).first()
    assert station is not None
    station.name = station.name + "（新）"


def _first_deadline(session: Session) -> None:
    plan.set_deadlines(session, YEAR, first_due=date(YEAR, 6, 20))


CHANGES: dict[str, Callable[[Session], None]] = {
    "state": _move_state,
    "station": _move_station,
    "record field": _blank_phone,
    "sticker": _sticker,
    "new unit": _new_unit,
    "deleted unit": _delete_unit,
    "renamed station": _rename_station,
    "first deadline": _first_deadline,
}
EVERY_UNIT = {"renamed station", "first deadline"}  # the context changes: all counted again


@pytest.mark.parametrize("change", CHANGES, ids=str)
def test_kept_figures_equal_the_fold_after_each_change(county: Store, change: str) -> None:
    assert progress_kept.refresh(county, YEAR) > 0
    _same(county)
    assert progress_kept.refresh(county, YEAR) == 0  # nothing changed: nothing counted
    with county.session() as session:
        CHANGES[change](session)
    _same(county)  # before a refresh: the changed units counted again in memory
    with county.read() as session:
        units = session.scalar(select(func.count()).select_from(Unit))
    recounted = progress_kept.refresh(county, YEAR)
    if change in EVERY_UNIT:
        assert recounted == units
    else:
        assert recounted <= 1
    _same(county)
    with county.read() as session:
        kept = session.get(ProgressYear, YEAR)
        assert kept is not None and kept.units == units


def test_a_later_reference_date_counts_again_the_units_whose_dates_passed(county: Store) -> None:
    with county.session() as session:  # a unit moves on a day after the kept reference date
        unit = _some_unit(session, State.COMMITTED)
        later = TODAY + timedelta(days=3)
        unit_changes.move(session, unit, State.EVALUATING, Change("张三", today=later), on=later)
    progress_kept.refresh(county, YEAR)
    with county.read() as session:
        share = session.get(ProgressShare, (YEAR, unit.id))
        assert share is not None and share.until == later
    _same(county)
    if later.year == YEAR:
        _same(county, today=later)
        assert progress_kept.refresh(county, YEAR, today=later) == 1
        _same(county, today=later)


def test_an_earlier_year_is_kept_as_at_its_end(county: Store) -> None:
    progress_kept.refresh(county, YEAR - 1)
    _same(county, year=YEAR - 1)
    with county.session() as session:
        _move_state(session)  # today's move does not change last year's figures
    _same(county, year=YEAR - 1)


def test_other_counting_code_counts_every_unit_again(
    county: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    progress_kept.refresh(county, YEAR)
    monkeypatch.setattr(progress_kept, "_code", lambda: "another version")
    with county.read() as session:
        units = session.scalar(select(func.count()).select_from(Unit))
    _same(county)
    assert progress_kept.refresh(county, YEAR) == units
    _same(county)


def test_many_changes_fold_every_unit_and_a_read_only_store_keeps_nothing(
    county: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    progress_kept.refresh(county, YEAR)
    with county.session() as session:  # every unit's phone: more than FOLD_ABOVE changed
        session.execute(text("UPDATE units SET contact_phone = ''"))
    monkeypatch.setattr(progress_kept, "FOLD_ABOVE", 10)
    _same(county)
    readonly = Store.open(county.folder, readonly=True)
    try:
        assert progress_kept.refresh(readonly, YEAR) == 0
        _same(readonly)
    finally:
        readonly.close()


def test_a_share_counted_later_is_not_replaced_by_an_older_one(county: Store) -> None:
    progress_kept.refresh(county, YEAR)
    with county.session() as session:
        share = session.scalars(select(ProgressShare).where(ProgressShare.year == YEAR)).first()
        assert share is not None
        row = {
            "year": YEAR,
            "unit_id": share.unit_id,
            "seq": share.seq - 1,
            "since": share.since,
            "until": share.until,
            "share": "[]",
        }
        progress_kept._put_shares(session, YEAR, [row])  # type: ignore[list-item]
    with county.read() as session:
        kept = session.get(ProgressShare, (YEAR, share.unit_id))
        assert kept is not None and kept.share != "[]"


def test_the_triggers_mark_a_unit_for_every_change_to_it_or_its_history(county: Store) -> None:
    with county.session() as session:
        clock = progress_kept.clock(session)
        unit = _some_unit(session)
        unit_id = unit.id
        session.execute(text("UPDATE units SET town = town || 'x' WHERE id = :u"), {"u": unit_id})
    with county.read() as session:  # a column progress does not read moves only the clock
        assert progress_kept.clock(session) > clock
        mark = session.scalar(text("SELECT seq FROM unit_marks WHERE unit_id = :u"), {"u": unit_id})
        assert mark is not None and mark <= clock
    with county.session() as session:
        before = progress_kept.clock(session)
        session.execute(
            text("UPDATE unit_events SET reason = 'x' WHERE unit_id = :u"), {"u": unit_id}
        )
    with county.read() as session:  # any change of its history marks it, after the clock read
        mark = session.scalar(text("SELECT seq FROM unit_marks WHERE unit_id = :u"), {"u": unit_id})
        assert mark > before
