"""The 村级联络站's case ledger (台账): record, correct, list and total a 联络站's cases.

Every write of a case goes through here, in the caller's session and transaction: the window
(through its store thread), the command line, and a sync pull (:func:`adopt`). Each write checks
the case with the domain's one rule (:func:`fieldapp.domain.cases.check`); a correction counts up
the case's ``version``, so the next sync sends it again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from fieldapp.domain import cases as rule
from fieldapp.domain import text
from fieldapp.domain.cases import CaseFields
from fieldapp.domain.records import ConflictKind
from fieldapp.domain.vocab import UnitType
from fieldapp.errors import InvalidInput, NotFound
from fieldapp.storage.models import Case, Station, Unit, local_now
from fieldapp.sync import wire
from fieldapp.sync.mapping import local, utc


def _checked(fields: CaseFields, unit: Unit | None, where: str = "") -> CaseFields:
    try:
        return rule.check(fields, unit.unit_type if unit is not None else UnitType.VILLAGE_STATION)
    except ValueError as refused:
        raise InvalidInput(f"{where}：{refused}" if where else str(refused)) from None


def _recorder(name: str) -> str:
    name = name.strip()
    message = text.problem(name, text.NAME, "记录人")
    if message is not None:
        raise InvalidInput(message)
    return name


def _as_local(value: datetime | None) -> datetime | None:
    """A time typed or picked on this laptop, as the store keeps it (local, aware, seconds)."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.astimezone()
    return aware.astimezone().replace(microsecond=0)


def _local_fields(fields: CaseFields) -> CaseFields:
    return dataclasses.replace(
        fields,
        consulted_at=_as_local(fields.consulted_at),
        handled_at=_as_local(fields.handled_at),
    )


def _write(case: Case, fields: CaseFields) -> None:
    assert fields.consulted_at is not None
    case.case_type = rule.CaseType(fields.case_type)
    case.consultant = fields.consultant
    case.consulted_at = fields.consulted_at
    case.description = fields.description
    case.handled_at = fields.handled_at
    case.result = fields.result
    case.recovered_fen = fields.recovered_fen


def station_unit(session: Session, unit_id: int) -> Unit:
    """The 联络站 ``unit_id``; a unit of another type is refused saying why."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"没有编号为 {unit_id} 的单位")
    if unit.unit_type != UnitType.VILLAGE_STATION:
        raise InvalidInput(
            f"「{unit.name}」是{unit.unit_type.label}，不是{UnitType.VILLAGE_STATION.label}："
            "台账只记在联络站名下"
        )
    return unit


def add(session: Session, unit: Unit, fields: CaseFields, recorded_by: str) -> Case:
    """Record a new case of the 联络站 ``unit``; returns it (flushed, with its id and uuid)."""
    checked = _checked(_local_fields(fields), unit)
    stamp = local_now()
    case = Case(
        unit_uuid=unit.uuid,
        recorded_by=_recorder(recorded_by),
        recorded_at=stamp,
        updated_at=stamp,
        version=1,
    )
    _write(case, checked)
    session.add(case)
    session.flush()
    return case


def update(session: Session, case: Case, fields: CaseFields) -> Case:
    """Correct a case (its 处理时间 and 处理结果 are often added later); an unchanged case is
    left as it is, a changed one counts up its version and goes to the server at the next sync."""
    unit = session.scalar(select(Unit).where(Unit.uuid == case.unit_uuid))
    checked = _checked(_local_fields(fields), unit, f"台账 {case.id}")
    if checked == fields_of(case):
        return case
    _write(case, checked)
    case.version += 1
    case.updated_at = local_now()
    session.flush()
    return case


def get(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"没有编号为 {case_id} 的台账记录，请用 fieldapp cases list 查看")
    return case


def fields_of(case: Case) -> CaseFields:
    stored = CaseFields(
        case_type=case.case_type,
        consultant=case.consultant,
        consulted_at=case.consulted_at,
        description=case.description,
        handled_at=case.handled_at,
        result=case.result,
        recovered_fen=case.recovered_fen,
    )
    return _local_fields(stored)


def _year_range(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1), datetime(year + 1, 1, 1)


def _in_year(year: int) -> ColumnElement[bool]:
    start, end = _year_range(year)
    return (Case.consulted_at >= start) & (Case.consulted_at < end)


def list_cases(
    session: Session,
    unit: Unit | None = None,
    *,
    year: int | None = None,
    station: Station | None = None,
) -> list[Case]:
    """Cases (of ``unit``, of ``year``, of ``station``'s 联络站), by 咨询时间."""
    statement = select(Case).order_by(Case.consulted_at, Case.id)
    if unit is not None:
        statement = statement.where(Case.unit_uuid == unit.uuid)
    if year is not None:
        statement = statement.where(_in_year(year))
    if station is not None:
        units = select(Unit.uuid).where(Unit.station_id == station.id)
        statement = statement.where(Case.unit_uuid.in_(units))
    return list(session.scalars(statement))


@dataclass(frozen=True)
class Totals:
    """A 联络站's cases in a year: how many, how many handled, and 挽回经济损失 in 分."""

    year: int
    cases: int
    handled: int
    recovered_fen: int

    @property
    def recovered(self) -> str:
        return rule.yuan(self.recovered_fen)


def year_totals(session: Session, unit_uuid: str, year: int) -> Totals:
    row = (
        session.execute(
            select(
                func.count(Case.id).label("cases"),
                func.count(Case.handled_at).label("handled"),
                func.coalesce(func.sum(Case.recovered_fen), 0).label("recovered"),
            ).where(Case.unit_uuid == unit_uuid, _in_year(year))
        )
        .mappings()
        .one()
    )
    return Totals(year, int(row["cases"]), int(row["handled"]), int(row["recovered"]))


# --- sync -----------------------------------------------------------------------------------------


def _pending_filter() -> ColumnElement[bool]:
    """Changed since the county server last confirmed the case (or never sent)."""
    return or_(Case.synced_version.is_(None), Case.synced_version < Case.version)


def pending(session: Session, exclude: Sequence[str] = (), limit: int | None = None) -> list[Case]:
    statement = select(Case).where(_pending_filter()).order_by(Case.updated_at, Case.id)
    if exclude:
        statement = statement.where(Case.uuid.not_in(list(exclude)))
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.scalars(statement))


def pending_count(session: Session) -> int:
    return int(session.scalar(select(func.count(Case.id)).where(_pending_filter())) or 0)


def wire_case(case: Case, unit: Unit) -> wire.WireCase:
    """The case as it travels, with its content hash."""
    data = wire.WireCase(
        uuid=case.uuid,
        unit_uuid=unit.uuid,
        unit_credit_code=unit.credit_code,
        station=unit.station.name,
        case_type=case.case_type,
        consultant=case.consultant,
        consulted_at=utc(case.consulted_at),
        description=case.description,
        handled_at=utc(case.handled_at) if case.handled_at is not None else None,
        result=case.result,
        recovered_fen=case.recovered_fen,
        recorded_by=case.recorded_by,
        recorded_at=utc(case.recorded_at),
        version=max(1, case.version),
        content_sha256="0" * 64,
    )
    return data.model_copy(update={"content_sha256": wire.case_hash(data)})


def confirm(session: Session, sent: Sequence[wire.WireCase], receipt: wire.Receipt) -> None:
    """Mark synced the cases the receipt confirms, at the version sent (a correction made since
    stays to send); keep the server's reason on each it refused."""
    by_uuid = {c.uuid: c for c in sent}
    confirmed = {
        entry.uuid: by_uuid[entry.uuid].version
        for entry in receipt.cases
        if entry.uuid in by_uuid and entry.content_sha256 == by_uuid[entry.uuid].content_sha256
    }
    refused = {
        c.subject: c.message
        for c in receipt.conflicts
        if c.kind == ConflictKind.CASE and c.subject in by_uuid
    }
    wanted = set(confirmed) | set(refused)
    if not wanted:
        return
    for case in session.scalars(select(Case).where(Case.uuid.in_(wanted))):
        if case.uuid in confirmed:
            case.synced_version = max(case.synced_version or 0, confirmed[case.uuid])
            case.sync_conflict = None
        else:
            case.sync_conflict = refused[case.uuid]
    session.flush()


def adopt(session: Session, incoming: wire.WireCase) -> str | None:
    """Keep a case the county server sent (another laptop of the station recorded or corrected
    it). A newer correction made here and not yet sent is kept; otherwise the server's version
    replaces this store's. Returns a message when a change made here gave way, or when the
    domain refuses the case (it is then not written)."""
    unit = session.scalar(select(Unit).where(Unit.uuid == incoming.unit_uuid))
    fields = CaseFields(
        case_type=incoming.case_type,
        consultant=incoming.consultant,
        consulted_at=local(incoming.consulted_at),
        description=incoming.description,
        handled_at=local(incoming.handled_at) if incoming.handled_at is not None else None,
        result=incoming.result,
        recovered_fen=incoming.recovered_fen,
    )
    try:
        checked = _checked(fields, unit, f"服务器发来的台账 {incoming.uuid}")
    except InvalidInput as refused:
        return str(refused)
    case = session.scalar(select(Case).where(Case.uuid == incoming.uuid))
    message = None
    if case is None:
        case = Case(
            uuid=incoming.uuid,
            unit_uuid=incoming.unit_uuid,
            recorded_by=incoming.recorded_by,
            recorded_at=local(incoming.recorded_at),
        )
        session.add(case)
    else:
        changed_here = case.synced_version is None or case.synced_version < case.version
        if changed_here and case.version > incoming.version:
            return None  # this store's correction is newer: it goes up at the next sync
        if changed_here and fields_of(case) != checked:
            message = (
                f"台账 {case.id}（咨询人 {case.consultant}）在本机的修改未上传成功，"
                f"已换成县局服务器上第 {incoming.version} 版（其他电脑的修改）；如需要请重新修改"
            )
    _write(case, checked)
    case.unit_uuid = incoming.unit_uuid
    case.version = incoming.version
    case.synced_version = incoming.version
    case.sync_conflict = None
    case.updated_at = local_now()
    session.flush()
    return message


def to_send(
    session: Session,
    exclude: set[str],
    limit: int,
    unsendable: list[str] | None = None,
    busy: set[str] | None = None,
) -> tuple[list[wire.WireCase], list[Unit]]:
    """The next cases to send (changed since the server confirmed them, not in ``exclude`` nor
    in a batch still ``busy``), as they travel, with their 联络站. One the wire refuses is added
    to ``exclude`` with a message in ``unsendable`` (without that list it raises)."""
    out: list[wire.WireCase] = []
    units: dict[str, Unit] = {}
    for case in pending(session, exclude=sorted(exclude | (busy or set()))):
        if len(out) == limit:
            break
        unit = session.scalar(select(Unit).where(Unit.uuid == case.unit_uuid))
        if unit is None:
            continue  # pulled before its 联络站: nothing of it was changed here
        try:
            out.append(wire_case(case, unit))
        except ValidationError as refused:
            if unsendable is None:
                raise
            exclude.add(case.uuid)
            first = refused.errors()[0]
            unsendable.append(
                f"联络站「{unit.name}」的台账 {case.id} 没有发送：{first.get('msg', '')}。"
                "请修改这条台账后再同步"
            )
            continue
        units[unit.uuid] = unit
    return out, list(units.values())


# --- plain data for the window ----------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    """A case as the window shows and edits it (no ORM object crosses to the UI thread)."""

    id: int
    case_type: rule.CaseType
    consultant: str
    consulted_at: datetime
    description: str
    handled_at: datetime | None
    result: str
    recovered_fen: int
    synced: bool
    sync_conflict: str | None

    @property
    def fields(self) -> CaseFields:
        return CaseFields(
            case_type=self.case_type,
            consultant=self.consultant,
            consulted_at=self.consulted_at,
            description=self.description,
            handled_at=self.handled_at,
            result=self.result,
            recovered_fen=self.recovered_fen,
        )


@dataclass(frozen=True)
class Ledger:
    """A 联络站's ledger for a year: its cases and totals (``unit_id`` None: not a 联络站)."""

    unit_id: int | None
    unit_name: str
    totals: Totals
    rows: tuple[CaseRow, ...] = ()


def ledger(session: Session, unit: Unit | None, year: int) -> Ledger:
    if unit is None or unit.unit_type != UnitType.VILLAGE_STATION:
        return Ledger(None, unit.name if unit else "", Totals(year, 0, 0, 0))
    rows = tuple(
        CaseRow(
            id=c.id,
            case_type=c.case_type,
            consultant=c.consultant,
            consulted_at=_as_local(c.consulted_at) or c.consulted_at,
            description=c.description,
            handled_at=_as_local(c.handled_at),
            result=c.result,
            recovered_fen=c.recovered_fen,
            synced=c.synced_version == c.version,
            sync_conflict=c.sync_conflict,
        )
        for c in list_cases(session, unit, year=year)
    )
    return Ledger(unit.id, unit.name, year_totals(session, unit.uuid, year), rows)


def save(
    session: Session, unit_id: int, case_id: int | None, fields: CaseFields, recorded_by: str
) -> Case:
    """Record a new case (``case_id`` None) of the 联络站 ``unit_id``, or correct one of its."""
    unit = station_unit(session, unit_id)
    if case_id is None:
        return add(session, unit, fields, recorded_by)
    case = get(session, case_id)
    if case.unit_uuid != unit.uuid:
        raise InvalidInput(f"台账 {case_id} 不属于「{unit.name}」")
    return update(session, case, fields)


def refused(session: Session) -> list[tuple[Case, str]]:
    """Cases the county server refused at the last sync, with their 联络站's name (the reason is
    the case's ``sync_conflict``)."""
    rows = session.execute(
        select(Case, Unit.name.label("unit"))
        .join(Unit, Unit.uuid == Case.unit_uuid)
        .where(Case.sync_conflict.is_not(None))
        .order_by(Case.id)
    )
    return [(row.Case, row.unit) for row in rows]
