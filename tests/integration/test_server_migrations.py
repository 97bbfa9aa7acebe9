"""The county server's migrations on SQLite and PostgreSQL: data an older server stored (any unit
type or state a client sent, task figures by station × type) reads as the domain knows it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text

from fieldapp.domain.events import Role
from fieldapp.domain.lifecycle import State
from fieldapp.domain.vocab import UnitType
from fieldapp.server import models as sm
from fieldapp.server.accounts import Caller
from fieldapp.server.db import Database, make_engine, next_seq, upgrade
from fieldapp.server.reference import pull
from fieldapp.sync import wire
from tests.integration import test_sync_support as support

database_url = support.database_url


def _unit(n: int, unit_type: str, state: str | None) -> dict[str, Any]:
    return {
        "uuid": f"11111111-2222-4333-8444-{n:012d}",
        "credit_code": f"9233112200000{n:05d}",
        "name": f"单位{n}",
        "shop_name": "",
        "address": "",
        "town": "",
        "station": "五云所",
        "unit_type": unit_type,
        "industry": None,
        "category": "",
        "contact_person": "",
        "contact_phone": "",
        "state": state,
        "state_since": "2025-03-01" if state else None,
        "version": 1,
    }


def test_0002_keeps_old_rows_and_what_the_domain_does_not_know_is_held(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as connection:
            for n, (unit_type, state) in enumerate(
                [("general", "committed"), ("放心工厂", "培育库"), ("shop", "limbo")], start=1
            ):
                data = _unit(n, unit_type, state)
                connection.execute(
                    text(
                        "INSERT INTO units (uuid, credit_code, station, name, data_json, version,"
                        " seq) VALUES (:uuid, :code, '五云所', :name, :data, 1, 1)"
                    ),
                    {
                        "uuid": data["uuid"],
                        "code": data["credit_code"],
                        "name": data["name"],
                        "data": json.dumps(data, ensure_ascii=False),
                    },
                )
            for station, unit_type, count in (
                ("五云所", "general", 40),
                ("五云所", "一般单位", 7),
                ("壶镇分局", "factory", 3),
            ):
                connection.execute(
                    text(
                        "INSERT INTO targets (year, station, unit_type, count, seq) "
                        "VALUES (2026, :station, :type, :count, 1)"
                    ),
                    {"station": station, "type": unit_type, "count": count},
                )
            connection.execute(text("UPDATE counters SET value = 1 WHERE name = 'seq'"))
        upgrade(engine)
    finally:
        engine.dispose()
    db = Database(database_url)
    try:
        with db.session() as session:
            page = pull(session, Caller(1, "县局", "县局", Role.COUNTY), 0)
            units = sorted(page.units, key=lambda u: u.credit_code)
            assert [(u.unit_type, u.state) for u in units] == [
                (UnitType.GENERAL, State.COMMITTED),
                (UnitType.FACTORY, State.CULTIVATING),
                (UnitType.GENERAL, None),
            ]
            assert all(u.events == [] for u in page.units)
            assert sorted((t.station, t.unit_type, t.count) for t in page.targets) == [
                ("五云所", UnitType.GENERAL, 40),
                ("壶镇分局", UnitType.FACTORY, 3),
            ]
            held = {c.subject: c.message for c in session.scalars(select(sm.Conflict))}
            assert len(held) == 3
            messages = "\n".join(held.values())
            for needle in ("单位类型「shop」", "状态「limbo」", "单位类型「放心工厂」", "重复"):
                assert needle in messages
            inspector = pull(session, Caller(2, "张三", "壶镇分局", Role.INSPECTOR), 0)
            assert [t.count for t in inspector.targets] == [3] and inspector.units == []
            county_row = wire.WireTarget(year=2026, unit_type=UnitType.VILLAGE_STATION, count=19)
            session.add(
                sm.Target(
                    key=county_row.key(),
                    year=2026,
                    station=None,
                    data_json=wire.canonical_json(county_row.model_dump(mode="json")),
                    seq=next_seq(session),
                )
            )
        with db.session() as session:  # the county's own figure goes to every station
            inspector = pull(session, Caller(2, "张三", "壶镇分局", Role.INSPECTOR), 0)
            assert sorted(t.count or 0 for t in inspector.targets) == [3, 19]
    finally:
        db.dispose()


def test_0002_downgrade_keeps_what_the_old_schema_can_hold(database_url: str) -> None:
    from alembic import command

    from fieldapp.server.db import alembic_config
    from fieldapp.server.reference import upsert_target

    db = Database(database_url)
    try:
        with db.session() as session:
            seq = next_seq(session)
            plain = wire.WireTarget(
                year=2026, station="五云所", unit_type=UnitType.GENERAL, count=40
            )
            upsert_target(session, plain, seq)
            county = wire.WireTarget(year=2026, unit_type=UnitType.VILLAGE_STATION, count=19)
            upsert_target(session, county, seq)
            subset = wire.WireTarget(
                year=2026,
                station="五云所",
                unit_type=UnitType.NO_REASON_RETURN,
                count=10,
                parent=plain.key(),
            )
            upsert_target(session, subset, seq)
        command.downgrade(alembic_config(db.engine), "0001")
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT year, station, unit_type, count FROM targets")
            ).all()
        assert [tuple(r) for r in rows] == [(2026, "五云所", "general", 40)]
        upgrade(db.engine)
        with db.session() as session:
            page = pull(session, Caller(1, "县局", "县局", Role.COUNTY), 0)
            assert [t.key() for t in page.targets] == [plain.key()]
    finally:
        db.dispose()


def test_the_server_models_are_what_the_migrations_make(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database(database_url)
    try:
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, sm.Base.metadata) == []
    finally:
        db.dispose()
