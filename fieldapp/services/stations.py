"""Stations (所/分局): found by name, created on first mention by an import."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.errors import NotFound
from fieldapp.storage.models import Station


def station_ids(session: Session, names: list[str]) -> tuple[dict[str, int], list[str]]:
    """Ids for ``names``, creating the stations that do not exist yet (returned second)."""
    known = dict(session.execute(select(Station.name, Station.id)).all())
    created = [name for name in names if name not in known]
    for name in created:
        station = Station(name=name)
        session.add(station)
        session.flush()
        known[name] = station.id
    return {name: known[name] for name in names}, created


def find_station(session: Session, name: str) -> Station:
    station = session.scalar(select(Station).where(Station.name == name.strip()))
    if station is None:
        names = "、".join(session.scalars(select(Station.name).order_by(Station.name)))
        raise NotFound(
            f"没有名为「{name}」的所（分局）。已有：{names or '（无，请先导入单位或任务表）'}"
        )
    return station
