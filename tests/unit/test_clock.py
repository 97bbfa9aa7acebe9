"""Which clock each timestamp is on (docs/architecture.md, "Time").

The laptop's store keeps local aware time (``local_now``): SQLite keeps only the digits, and every
reader takes them as the laptop's local time. The server stamps in UTC (``utc_now``), and times
cross the wire in UTC. Only properties are checked, never the time of day.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from fieldapp.server.models import as_utc, utc_now
from fieldapp.storage.models import Base, Station, local_now
from fieldapp.sync.mapping import local, utc

BEIJING = timezone(timedelta(hours=8))


@pytest.fixture
def in_beijing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone set to UTC+8 (a POSIX rule, so no tz database is needed)."""
    if not hasattr(time, "tzset"):
        pytest.skip("the local zone can be switched only where time.tzset exists")
    monkeypatch.setenv("TZ", "CST-8")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_local_now_is_the_laptops_clock_aware_to_the_second(in_beijing: None) -> None:
    moment = local_now()
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(hours=8)  # the local offset, not UTC's
    assert moment.microsecond == 0
    assert abs(moment.replace(tzinfo=None) - datetime.now()) < timedelta(seconds=5)


def test_a_stored_local_time_keeps_its_day_and_its_instant(in_beijing: None) -> None:
    """07:00 on 1 January in Beijing is still 31 December in UTC: stored as local digits, the
    visit keeps its day and year, and the wire (and so the content hash) sees the same instant."""
    visit = datetime(2025, 1, 1, 7, 0, tzinfo=BEIJING)
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine, tables=[Station.__table__])  # type: ignore[list-item]
    with Session(engine) as session:
        session.add(Station(name="五云所", created_at=visit))
        session.commit()
    with Session(engine) as session:
        stored = session.scalars(select(Station.created_at)).one()
    engine.dispose()

    assert stored.tzinfo is None  # SQLite kept the digits, not the offset
    assert stored.date() == date(2025, 1, 1)
    assert utc(stored) == utc(visit) == datetime(2024, 12, 31, 23, 0, tzinfo=UTC)


def test_a_default_column_value_is_local_time(in_beijing: None) -> None:
    column_default = Station.__table__.c.created_at.default
    assert column_default is not None
    assert getattr(column_default.arg, "__name__", "") == "local_now"


def test_server_stamps_are_utc() -> None:
    moment = utc_now()
    assert moment.tzinfo is UTC


def test_as_utc_takes_naive_as_utc_and_converts_aware() -> None:
    naive = datetime(2025, 1, 1, 7, 0)
    assert as_utc(naive) == naive.replace(tzinfo=UTC)
    assert as_utc(naive).tzinfo is UTC
    beijing = datetime(2025, 1, 1, 7, 0, tzinfo=BEIJING)
    converted = as_utc(beijing)
    assert converted.tzinfo is UTC
    assert converted == beijing
    assert converted.replace(tzinfo=None) == datetime(2024, 12, 31, 23, 0)  # the digits stored


def test_a_time_from_the_wire_is_stored_as_local_time(in_beijing: None) -> None:
    from_server = datetime(2024, 12, 31, 23, 0, tzinfo=UTC)
    mine = local(from_server)
    assert mine == from_server
    assert mine.utcoffset() == timedelta(hours=8)
    assert local(from_server.replace(tzinfo=None)) == mine  # naive on the wire is UTC
