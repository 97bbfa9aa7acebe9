"""A batch's 联络站 cases (台账) on the county server: checked, scoped, stored exactly once.

Called by :mod:`fieldapp.server.ingest` inside the batch's transaction, with the same rules as
its evaluations: a malformed case (twice in a batch, a hash that does not match, a 联络站 the
server does not know) refuses the whole manifest; a case of another station's 联络站, or one the
domain's rule refuses (``domain/cases.py``), is refused on its own in the receipt; the same
version sent again is confirmed again; an older version than the server holds is refused,
saying the newer one comes down at the next pull.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from fieldapp.domain import cases as rule
from fieldapp.domain.records import ConflictKind, UnitChangeKind
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller, Forbidden, Invalid
from fieldapp.sync import wire


def _unit(session: Session, case: wire.WireCase) -> m.Unit | None:
    from fieldapp.server.ingest import find_unit

    return find_unit(session, case.unit_uuid, case.unit_credit_code)


def _new_units(manifest: wire.Manifest) -> dict[str, wire.WireUnit]:
    return {c.unit.uuid: c.unit for c in manifest.unit_changes if c.kind == UnitChangeKind.NEW}


def validate(session: Session, manifest: wire.Manifest) -> None:
    """Refuse the manifest if one of its cases is malformed (nothing written)."""
    seen: set[str] = set()
    new_units = _new_units(manifest)
    for number, case in enumerate(manifest.cases):
        empty = [
            name
            for name, value in (("station", case.station), ("consultant", case.consultant))
            if not value.strip()
        ]
        if empty:
            named = "；".join(f"字段 cases.{number}.{name}：不能为空" for name in empty)
            raise Invalid(f"请求被拒绝，未保存：{named}。请检查客户端版本是否与服务器一致")
        where = f"台账 {case.uuid}"
        if case.uuid in seen:
            raise Invalid(f"{where} 在同一批次中出现了两次")
        seen.add(case.uuid)
        actual = wire.case_hash(case)
        if actual != case.content_sha256:
            raise Invalid(
                f"{where} 的内容哈希不符：声明 {case.content_sha256}，按内容计算为 {actual}。"
                "内容在传输中被改动，未保存"
            )
        if _unit(session, case) is None and case.unit_uuid not in new_units:
            raise Invalid(
                f"{where}：服务器上没有联络站 {case.unit_credit_code}（{case.unit_uuid}），"
                "同一批次也没有带上该单位。请先拉取单位再同步"
            )


def _fields(case: wire.WireCase) -> rule.CaseFields:
    return rule.CaseFields(
        case_type=case.case_type,
        consultant=case.consultant,
        consulted_at=case.consulted_at,
        description=case.description,
        handled_at=case.handled_at,
        result=case.result,
        recovered_fen=case.recovered_fen,
    )


def refused(session: Session, caller: Caller, manifest: wire.Manifest) -> dict[str, str]:
    """The cases the caller may not write (another station's 联络站) or the domain refuses, by
    uuid, each with why and what to do."""
    out: dict[str, str] = {}
    new_units = _new_units(manifest)
    for case in manifest.cases:
        unit = _unit(session, case)
        if unit is not None:
            station, name = unit.station, unit.name
            unit_type = json.loads(unit.data_json).get("unit_type")
        else:
            sent = new_units[case.unit_uuid]
            station, name, unit_type = sent.station, sent.name, sent.unit_type
        try:
            caller.check_station(station, f"联络站「{name}」的台账")
        except Forbidden as exc:
            out[case.uuid] = f"{exc}。这一条未上传，其他记录照常上传"
            continue
        problems = rule.problems(_fields(case), unit_type)
        if problems:
            out[case.uuid] = f"联络站「{name}」的台账（咨询人 {case.consultant}）：" + "；".join(
                problems
            )
    return out


def store(
    session: Session,
    caller: Caller,
    manifest: wire.Manifest,
    refusals: dict[str, str],
    seq: int,
) -> tuple[list[wire.CaseEntry], list[wire.Conflict]]:
    """Store the batch's cases the caller may write; returns the receipt's entries and the
    refusals, one per case."""
    accepted: list[wire.CaseEntry] = []
    conflicts: list[wire.Conflict] = []

    def refuse(case: wire.WireCase, message: str) -> None:
        conflicts.append(wire.Conflict(kind=ConflictKind.CASE, subject=case.uuid, message=message))

    for case in manifest.cases:
        if case.uuid in refusals:
            refuse(case, refusals[case.uuid])
            continue
        unit = _unit(session, case)
        if unit is None:  # its 联络站 came in this batch and the domain refused it
            refuse(
                case,
                f"台账 {case.uuid} 所属联络站 {case.unit_credit_code} 未被服务器接收（见该单位的"
                "冲突），暂未保存；单位的冲突解决后再同步即可",
            )
            continue
        row = session.get(m.Case, case.uuid)
        entry = wire.CaseEntry(
            uuid=case.uuid, content_sha256=case.content_sha256, version=case.version
        )
        if row is not None and row.content_sha256 == case.content_sha256:
            accepted.append(entry)
            continue
        if row is not None and row.version >= case.version:
            refuse(
                case,
                f"联络站「{unit.name}」的台账（咨询人 {case.consultant}）在服务器上已有第 "
                f"{row.version} 版（其他电脑的修改），本机的第 {case.version} 版未覆盖；"
                "下次同步时服务器上的版本会下发到本机",
            )
            continue
        if row is not None:  # an older version: replaced as a whole
            session.delete(row)
            session.flush()
        session.add(
            m.Case(
                uuid=case.uuid,
                unit_uuid=unit.uuid,
                station=unit.station,
                consulted_at=m.as_utc(case.consulted_at),
                handled_at=m.as_utc(case.handled_at) if case.handled_at is not None else None,
                recovered_fen=case.recovered_fen,
                version=case.version,
                content_sha256=case.content_sha256,
                content_json=wire.canonical_json(case.model_dump(mode="json")),
                account_id=caller.id,
                device_id=manifest.device.device_id,
                batch_id=manifest.batch_id,
                received_at=m.utc_now(),
                seq=seq,
            )
        )
        accepted.append(entry)
    return accepted, conflicts
