"""A received evaluation as the county reads it: answers with their items' texts, photos,
signatures and review, and the same printed sheet as the inspector's laptop makes.

The item texts come from the checklist versions the evaluation pinned, as the server holds them;
the sheet is :func:`fieldapp.reports.sheet.sheet_flowables` fed from the server's tables instead
of a laptop's store, so paper from either side reads alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session

from fieldapp.checklists.schema import Checklist
from fieldapp.domain import text
from fieldapp.domain.records import EvaluationKind, SignerRole
from fieldapp.domain.review import ReviewStatus
from fieldapp.domain.verdict import Answer, Outcome
from fieldapp.domain.vocab import UnitType, industry_label, label_or
from fieldapp.reports import pdfkit
from fieldapp.reports.pdfkit import UnitBlock
from fieldapp.reports.sheet import (
    SHORT_TEXT,
    SheetChecklist,
    SheetData,
    SheetItem,
    SheetPhoto,
    SheetSignature,
)
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller, Missing, checked
from fieldapp.server.blobs import BlobStore
from fieldapp.sync import wire


@dataclass(frozen=True)
class Photo:
    sha256: str
    caption: str
    item: str  # "B1a", or "" for the whole visit
    taken_at: datetime | None
    width: int
    height: int


@dataclass(frozen=True)
class Signature:
    role_label: str
    name: str
    signed_at: datetime
    sha256: str


@dataclass(frozen=True)
class Received:
    """One received evaluation, everything the review page and the sheet show."""

    uuid: str
    station: str
    inspector: str
    kind: str  # the kind's label
    verdict: str  # the outcome's label
    outcome: str  # the outcome's value (Outcome), as it travelled
    verdict_text: str
    started_at: datetime
    finalized_at: datetime
    received_at: datetime
    content_sha256: str
    replaces_uuid: str | None
    follows_uuid: str | None
    clock_skewed: bool
    status: ReviewStatus
    comment: str
    reviewed_by: str
    reviewed_at: datetime | None
    unit: UnitBlock
    unit_uuid: str
    checklists: tuple[SheetChecklist, ...]
    photos: tuple[Photo, ...]
    signatures: tuple[Signature, ...]

    @property
    def failed(self) -> int:
        return sum(1 for c in self.checklists for i in c.items if i.result == Answer.FAIL)


def _checklist(session: Session, pin: wire.WirePin) -> Checklist | None:
    row = session.get(m.Checklist, (pin.checklist_id, pin.version))
    if row is None:
        return None
    try:
        return Checklist.model_validate_json(row.content_json)
    except ValidationError:
        return None


def unit_block(unit: wire.WireUnit) -> UnitBlock:
    return UnitBlock(
        name=unit.name,
        credit_code=unit.credit_code,
        address=unit.address or "—",
        station=unit.station,
        issuer=unit.station,
        unit_type=label_or(UnitType, str(unit.unit_type)),
        industry=industry_label(unit.industry) or "—",
        contact=unit.contact_person or "—",
        phone=unit.contact_phone or "—",
    )


def _checklists(session: Session, content: wire.WireEvaluation) -> list[SheetChecklist]:
    answers = {(a.checklist_id, a.item_code): a for a in content.answers}
    out = []
    for pin in content.checklists:
        checklist = _checklist(session, pin)
        if checklist is None:  # not published to this server: the answers alone, by code
            codes = [code for (cid, code) in answers if cid == pin.checklist_id]
            title, texts = (
                pin.checklist_id,
                dict.fromkeys(codes, "（服务器上没有这一版检查表的条文）"),
            )
        else:
            title, texts = checklist.title, {i.code: i.text for i in checklist.items}
        items = []
        for code, item_text in texts.items():
            answer = answers.get((pin.checklist_id, code))
            items.append(
                SheetItem(
                    code=code,
                    text=item_text,
                    result=str(answer.result) if answer else None,
                    note=answer.note if answer else "",
                    rectify=answer.rectify if answer else None,
                    due=answer.due.isoformat() if answer and answer.due else None,
                    previous="",
                )
            )
        out.append(SheetChecklist(pin.checklist_id, pin.version, title, items))
    return out


def read(session: Session, caller: Caller, uuid: str) -> Received:
    """The evaluation ``uuid`` if the caller may see it (403 for another station's, 404 if
    the server has none)."""
    checked(uuid, text.NAME, "评价编号")
    row = session.get(m.Evaluation, uuid)
    if row is None:
        raise Missing(f"服务器上没有评价 {uuid}；请回到审核列表重新选择")
    caller.check_station(row.station, "这份评价")
    content = wire.WireEvaluation.model_validate_json(row.content_json)
    unit_row = session.get(m.Unit, row.unit_uuid)
    if unit_row is None:
        raise Missing(f"评价 {uuid} 的单位不在服务器上；请联系县局管理员")
    unit = wire.WireUnit.model_validate_json(unit_row.data_json)
    checklists = _checklists(session, content)
    texts = {(c.id, i.code): i.text for c in checklists for i in c.items}
    photos = tuple(
        Photo(
            sha256=p.sha256,
            caption=(
                f"{p.item_code} {texts.get((p.checklist_id or '', p.item_code), '')[:SHORT_TEXT]}"
                if p.item_code
                else "整体"
            ),
            item=p.item_code or "",
            taken_at=p.taken_at,
            width=p.width,
            height=p.height,
        )
        for p in content.photos
    )
    signatures = tuple(
        Signature(SignerRole(s.role).label, s.name, s.signed_at, s.image_sha256)
        for s in sorted(content.signatures, key=lambda s: s.role != SignerRole.INSPECTOR)
    )
    return Received(
        uuid=row.uuid,
        station=row.station,
        inspector=row.inspector,
        kind=label_or(EvaluationKind, content.kind),
        verdict=label_or(Outcome, content.verdict),
        outcome=content.verdict,
        verdict_text=content.verdict_text,
        started_at=m.as_utc(content.started_at),
        finalized_at=m.as_utc(row.finalized_at),
        received_at=m.as_utc(row.received_at),
        content_sha256=row.content_sha256,
        replaces_uuid=row.replaces_uuid,
        follows_uuid=content.follows_uuid,
        clock_skewed=row.clock_skewed,
        status=ReviewStatus(row.review_status),
        comment=row.review_comment,
        reviewed_by=row.reviewed_by,
        reviewed_at=m.as_utc(row.reviewed_at) if row.reviewed_at is not None else None,
        unit=unit_block(unit),
        unit_uuid=unit.uuid,
        checklists=tuple(checklists),
        photos=photos,
        signatures=signatures,
    )


def blob_of(session: Session, caller: Caller, uuid: str, sha256: str) -> None:
    """Refuse a photo or signature that is not part of an evaluation the caller may see."""
    received = read(session, caller, uuid)
    known = {p.sha256 for p in received.photos} | {s.sha256 for s in received.signatures}
    if sha256 not in known:
        raise Missing("这份评价没有这张照片；请回到评价页面重新打开")


def sheet_data(received: Received, blobs: BlobStore) -> SheetData:
    """What the printed sheet shows, with the server's copies of the photos and signatures."""
    return SheetData(
        id=received.uuid[:8],
        uuid=received.uuid,
        kind_label=received.kind,
        draft=False,
        inspector=received.inspector,
        started_at=received.started_at.astimezone(),
        finalized_at=received.finalized_at.astimezone(),
        verdict=received.outcome,
        verdict_text=received.verdict_text,
        content_sha256=received.content_sha256,
        replaces=received.replaces_uuid[:8] if received.replaces_uuid else None,
        follows=received.follows_uuid[:8] if received.follows_uuid else None,
        unit=received.unit,
        checklists=list(received.checklists),
        photos=[
            SheetPhoto(
                path=blobs.path(p.sha256),
                width=p.width,
                height=p.height,
                caption=p.caption,
                taken_at=p.taken_at.astimezone() if p.taken_at else None,
                sha256=p.sha256,
            )
            for p in received.photos
        ],
        signatures=[
            SheetSignature(s.role_label, s.name, s.signed_at.astimezone(), blobs.path(s.sha256))
            for s in received.signatures
        ],
    )


def write_sheet(received: Received, blobs: BlobStore, out: Path) -> None:
    from fieldapp.reports.sheet import sheet_flowables

    data = sheet_data(received, blobs)
    pdfkit.build(out, data.title, sheet_flowables(data))


__all__ = ["Received", "blob_of", "read", "sheet_data", "write_sheet"]
