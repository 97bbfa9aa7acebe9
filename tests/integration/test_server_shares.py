"""The county's figures kept as each unit's share stay exact: after the figures were counted
and cached, a changed unit, a day past a unit's next dated event, a new plan target or a
second year give what a fresh fold of every unit gives (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from fieldapp.domain.records import Published
from fieldapp.server import figures
from fieldapp.server import models as sm
from fieldapp.server.db import Database, next_seq
from fieldapp.server.reference import upsert_ratio, upsert_target, upsert_unit
from fieldapp.services.progress import as_json
from fieldapp.sync import wire
from tests.integration import test_sync_support as support
from tests.integration.test_server_scale import YEAR, _unit

database_url = support.database_url


def _answer(report: Any) -> dict[str, Any]:
    progress, plan = report
    return as_json(progress) | {"plan": plan.as_dict()}


def _fresh(db: Database, today: date, year: int = YEAR) -> dict[str, Any]:
    with db.session() as session:
        return _answer(figures.fold(session, year, today))


def _counted(db: Database, today: date, year: int = YEAR) -> dict[str, Any]:
    with db.session() as session:
        return _answer(figures.county_figures(session, year, today))


def _county(db: Database) -> None:
    with db.session() as session:
        seq = next_seq(session)
        for n in range(12):
            station = "五云所" if n % 3 else "壶镇分局"
            upsert_unit(session, _unit(n, station), seq)
        for station, count in (("五云所", 9), ("壶镇分局", 5)):
            upsert_target(
                session,
                wire.WireTarget(year=YEAR, station=station, unit_type="general", count=count),
                seq,
            )
        upsert_target(session, wire.WireTarget(year=YEAR, kind="units", count=20), seq)
        upsert_ratio(
            session,
            wire.WireRatioTarget(year=YEAR, kind="town_coverage", threshold=0.5, denominator=4),
            seq,
        )


def test_a_unit_changed_after_the_figures_were_cached_counts_as_a_fresh_fold(
    database_url: str,
) -> None:
    db = Database(database_url)
    today = date.today()
    try:
        _county(db)
        first = _counted(db, today)
        assert first == _fresh(db, today)
        assert first["plan"]["rows"] and first["plan"]["ratios"]
        with db.session() as session:  # one unit moves to another station
            moved = _unit(5, "壶镇分局", moved_from="五云所")
            assert upsert_unit(session, moved, next_seq(session)) is Published.UPDATED
        second = _counted(db, today)
        assert second != first
        assert second == _fresh(db, today)
        with db.session() as session:  # only that unit was counted again
            units = session.scalar(select(func.count()).select_from(sm.Unit))
            kept = session.get(sm.ShareYear, YEAR)
            assert kept is not None and kept.units == units
            shares = session.scalar(select(func.sum(sm.ShareTotal.units)))
            assert shares == units
        with db.session() as session:  # a unit added, and its change number alone bumped
            seq = next_seq(session)
            upsert_unit(session, _unit(40, "五云所"), seq)
            touched = session.scalars(select(sm.Unit).order_by(sm.Unit.uuid).limit(1)).one()
            touched.seq = seq
        assert _counted(db, today) == _fresh(db, today)
        with db.session() as session:  # a plan target changes what every unit adds
            upsert_target(
                session,
                wire.WireTarget(year=YEAR, station="五云所", kind="units", count=3),
                next_seq(session),
            )
        assert _counted(db, today) == _fresh(db, today)
        assert _counted(db, date(YEAR - 1, 12, 31), YEAR - 1) == _fresh(
            db, date(YEAR - 1, 12, 31), YEAR - 1
        )
    finally:
        db.dispose()


def test_a_share_is_counted_again_once_the_day_passes_the_units_next_event(
    database_url: str,
) -> None:
    db = Database(database_url)
    before, after = date(YEAR, 1, 12), date(YEAR, 1, 25)  # the unit moves on 15 January
    try:
        _county(db)
        with db.session() as session:
            upsert_unit(session, _unit(20, "壶镇分局", moved_from="五云所"), next_seq(session))
        first = _counted(db, before)
        assert first == _fresh(db, before)
        later = _counted(db, after)
        assert later == _fresh(db, after)
        assert later["cells"] != first["cells"]
        assert _counted(db, after + timedelta(days=1)) == _fresh(db, after + timedelta(days=1))
    finally:
        db.dispose()
