"""Assigning units to inspectors for a year, from the web console: the scope and the names
checked once, then :func:`fieldapp.server.reference.assign` (which ``fieldapp-server assign``
uses too) writes each, so an assignment reaches the laptops at the next pull as always."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain import text
from fieldapp.domain.events import Role
from fieldapp.server import models as m
from fieldapp.server import reference
from fieldapp.server.accounts import Caller, Forbidden, Invalid, Missing, checked

MAX_AT_ONCE = 500


@dataclass(frozen=True)
class Assigned:
    unit_uuid: str
    credit_code: str
    name: str
    station: str
    inspector: str
    year: int


def inspectors(session: Session, caller: Caller, station: str | None = None) -> list[m.Account]:
    """The active accounts a unit of the caller's scope may be assigned to (inspectors and
    station heads, who also visit), by station and name."""
    statement = select(m.Account).where(
        m.Account.revoked_at.is_(None), m.Account.role.in_((Role.INSPECTOR, Role.STATION))
    )
    if caller.role != Role.COUNTY:
        statement = statement.where(m.Account.station == caller.station)
    elif station:
        statement = statement.where(m.Account.station == station)
    return list(session.scalars(statement.order_by(m.Account.station, m.Account.name)))


def assign(
    session: Session, caller: Caller, unit_uuids: list[str], inspector: str, year: int
) -> list[Assigned]:
    """Assign every unit of ``unit_uuids`` to ``inspector`` for ``year``, or none of them:
    each unit must be in the caller's scope and in the inspector's station."""
    if caller.role == Role.INSPECTOR:
        raise Forbidden(
            f"账号「{caller.name}」是检查人员，不能分派单位；分派由所（分局）负责人或县局进行"
        )
    inspector = checked(inspector.strip(), text.NAME, "检查人员")
    if not inspector:
        raise Invalid("请选择要分派给哪位检查人员")
    if not unit_uuids:
        raise Invalid("请先勾选要分派的单位")
    if len(unit_uuids) > MAX_AT_ONCE:
        raise Invalid(f"一次最多分派 {MAX_AT_ONCE} 家单位（这次 {len(unit_uuids)} 家），请分批")
    if not 2000 <= year <= 2200:
        raise Invalid(f"年度 {year} 不对，请填写任务年度，如 2026")
    stations = {
        a.station
        for a in session.scalars(
            select(m.Account).where(m.Account.name == inspector, m.Account.revoked_at.is_(None))
        )
    }
    if not stations:
        raise Invalid(f"没有名为「{inspector}」的有效账号；请先在「账号」中新增，或选择其他人员")
    done = []
    for uuid in dict.fromkeys(unit_uuids):
        checked(uuid, text.NAME, "单位编号")
        unit = session.get(m.Unit, uuid)
        if unit is None:
            raise Missing(f"服务器上没有这家单位（{uuid[:8]}…）；请刷新清单后重试，未分派任何单位")
        caller.check_station(unit.station, f"单位「{unit.name}」")
        if unit.station not in stations:
            raise Invalid(
                f"「{inspector}」不是「{unit.station}」的人员，不能分派单位「{unit.name}」；"
                "未分派任何单位"
            )
        reference.assign(session, uuid, inspector, year)
        done.append(Assigned(uuid, unit.credit_code, unit.name, unit.station, inspector, year))
    return done


def unit_by_code(session: Session, credit_code: str) -> m.Unit:
    code = credit_code.strip().upper()
    unit = session.scalar(select(m.Unit).where(m.Unit.credit_code == code))
    if unit is None:
        raise Missing(f"服务器上没有统一社会信用代码为 {code[:18]} 的单位；请核对代码")
    return unit


def listed(
    session: Session, caller: Caller, year: int, station: str | None = None
) -> list[Assigned]:
    """The year's assignments in the caller's scope, by station, inspector and unit name."""
    statement = (
        select(m.Assignment, m.Unit)
        .join(m.Unit, m.Unit.uuid == m.Assignment.unit_uuid)
        .where(m.Assignment.year == year)
    )
    if station:
        caller.check_station(station, "所（分局）的分派")
        statement = statement.where(m.Assignment.station == station)
    elif caller.role != Role.COUNTY:
        statement = statement.where(m.Assignment.station == caller.station)
    rows = session.execute(
        statement.order_by(m.Assignment.station, m.Assignment.inspector, m.Unit.name)
    )
    return [
        Assigned(u.uuid, u.credit_code, u.name, a.station, a.inspector, a.year) for a, u in rows
    ]
