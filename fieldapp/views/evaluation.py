"""One evaluation as every reader shows it: the evaluation screen, ``evaluations show --json`` and
the printed sheet.

:func:`read` copies the evaluation out of its session once: each pinned checklist's items with
their answers and photos, and, for a follow-up (回头看 / 整改复查), what the followed evaluation
found for each item (its *baseline*). The screen adds its labels, the sheet its layout and the
command line :func:`as_json`; none of them reads the ORM objects or rebuilds the baseline again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from fieldapp.domain import links
from fieldapp.domain.records import EvaluationKind, EvaluationStatus
from fieldapp.domain.verdict import Answer, Outcome, judge

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from fieldapp.checklists import Library
    from fieldapp.services.evidence import EvidenceFlag
    from fieldapp.storage.models import Evaluation

PhotoKey = tuple[str | None, str | None]  # (checklist id, item code); (None, None): 整体


@dataclass(frozen=True)
class PreviousAnswer:
    """What the followed evaluation found for the item (回头看 / 整改复查)."""

    result: str | None
    rectify: str | None
    due: date | None
    photos: tuple[str, ...]  # sha256 of the earlier evaluation's photos of this item


NOT_ANSWERED = PreviousAnswer(None, None, None, ())  # an item the followed evaluation left open


@dataclass(frozen=True)
class ItemRecord:
    """One item of a pinned checklist version, with this evaluation's answer to it."""

    checklist_id: str
    checklist_title: str
    version: int
    code: str
    text: str
    guidance: str
    evidence: str
    photo_required: bool
    gate: bool
    result: str | None
    note: str
    rectify: str | None
    due: date | None
    photos: tuple[str, ...]  # sha256 of this item's photos
    photo_ids: tuple[int, ...] = ()  # their record ids, in the same order
    previous: PreviousAnswer | None = None  # set only in a follow-up
    group: str = ""  # the item's section within its checklist ("": the checklist is one)
    source: str = ""  # the item's source tag: [S2] …, [R] …
    same_as: str = ""  # "同 B5a" when answered through other items (read-only), else ""
    # Why the unit's facts make the item 不适用 (applies_when), whatever the answer now is.
    not_applicable: str = ""
    photo_times: tuple[datetime | None, ...] = ()  # their capture times, in the same order

    @property
    def linked(self) -> bool:
        return bool(self.same_as)

    @property
    def ref(self) -> str:
        return f"{self.checklist_id}:{self.code}"

    @property
    def key(self) -> tuple[str, str]:
        return (self.checklist_id, self.code)


@dataclass(frozen=True)
class ChecklistPin:
    id: str
    version: int
    title: str


@dataclass(frozen=True)
class PhotoRecord:
    id: int
    sha256: str
    checklist_id: str | None
    item_code: str | None
    original_name: str
    width: int
    height: int
    taken_at: datetime | None


@dataclass(frozen=True)
class SignatureRecord:
    role: str
    name: str
    signed_at: datetime
    image_sha256: str


@dataclass(frozen=True)
class EvaluationRecord:
    id: int
    uuid: str
    credit_code: str
    unit_name: str
    prudent: bool  # the unit is 审慎培育: 命名 waits for the county's confirmation
    kind: EvaluationKind
    status: EvaluationStatus
    inspector: str
    started_at: datetime
    finalized_at: datetime | None
    verdict: str | None  # as finalised (None for a draft)
    verdict_text: str | None
    content_sha256: str | None
    replaces: int | None
    follows: int | None
    checklists: list[ChecklistPin]
    items: list[ItemRecord]
    photos: list[PhotoRecord]
    signatures: list[SignatureRecord]
    evidence: tuple[EvidenceFlag, ...]
    missing: list[str]  # what a draft still lacks before it can be finalised
    # The outcome and its explanation: judged from the answers so far for a draft, as
    # finalised otherwise (the screen shows it live).
    outcome: str
    outcome_text: str

    @property
    def draft(self) -> bool:
        return self.status == EvaluationStatus.DRAFT

    def general_photos(self) -> tuple[str, ...]:
        """The photos of the whole place (整体), attached to no item."""
        return tuple(p.sha256 for p in self.photos if p.item_code is None)


def _photos_by_item(photos: list[PhotoRecord]) -> dict[PhotoKey, list[PhotoRecord]]:
    found: dict[PhotoKey, list[PhotoRecord]] = {}
    for photo in photos:
        found.setdefault((photo.checklist_id, photo.item_code), []).append(photo)
    return found


def _photo_records(evaluation: Evaluation) -> list[PhotoRecord]:
    return [
        PhotoRecord(
            p.id,
            p.sha256,
            p.checklist_id,
            p.item_code,
            p.original_name,
            p.width,
            p.height,
            p.taken_at,
        )
        for p in evaluation.photos
    ]


def baseline(evaluation: Evaluation | None) -> dict[tuple[str, str], PreviousAnswer]:
    """What ``evaluation`` (the one a follow-up follows) found, item by item."""
    if evaluation is None:
        return {}
    photos = _photos_by_item(_photo_records(evaluation))
    return {
        (a.checklist_id, a.item_code): PreviousAnswer(
            a.result,
            a.rectify,
            a.due,
            tuple(p.sha256 for p in photos.get((a.checklist_id, a.item_code), [])),
        )
        for a in evaluation.answers
    }


def read(session: Session, library: Library, evaluation: Evaluation) -> EvaluationRecord:
    """Everything about ``evaluation``, copied out of ``session``."""
    from fieldapp.services import evaluations as service
    from fieldapp.services import evidence

    checklists = service.checklists_of(session, library, evaluation)
    answers = {(a.checklist_id, a.item_code): a for a in evaluation.answers}
    photos = _photo_records(evaluation)
    by_item = _photos_by_item(photos)
    followed = service.get(session, evaluation.follows_id) if evaluation.follows_id else None
    before = baseline(followed)
    pins = []
    items: list[ItemRecord] = []
    linked = links.links(checklists)
    reasons = links.not_applicable(checklists, links.facts_of(evaluation.unit))
    for pin, checklist in zip(evaluation.checklists, checklists, strict=True):
        pins.append(ChecklistPin(checklist.id, pin.version, checklist.title))
        for item in checklist.items:
            key = (checklist.id, item.code)
            answer = answers.get(key)
            shown = by_item.get(key, [])
            previous = None
            if followed is not None:
                previous = before.get((checklist.id, item.code), NOT_ANSWERED)
            items.append(
                ItemRecord(
                    checklist_id=checklist.id,
                    checklist_title=checklist.title,
                    version=pin.version,
                    code=item.code,
                    text=item.text,
                    guidance=item.guidance,
                    evidence=item.evidence,
                    photo_required=item.photo_required,
                    gate=item.gate,
                    result=answer.result if answer else None,
                    note=answer.note if answer else "",
                    rectify=answer.rectify if answer else None,
                    due=answer.due if answer else None,
                    photos=tuple(p.sha256 for p in shown),
                    photo_ids=tuple(p.id for p in shown),
                    previous=previous,
                    group=item.group,
                    source=item.source,
                    same_as=links.same_as_label(linked[key]) if key in linked else "",
                    not_applicable=reasons.get(key, ""),
                    photo_times=tuple(p.taken_at for p in shown),
                )
            )
    draft = evaluation.status == EvaluationStatus.DRAFT
    if draft:
        judged = judge(checklists, {k: Answer(a.result) for k, a in answers.items() if a.result})
        outcome, outcome_text = judged.outcome.value, judged.explain()
    else:
        outcome = evaluation.verdict or Outcome.INCOMPLETE.value
        outcome_text = evaluation.verdict_text or ""
    return EvaluationRecord(
        id=evaluation.id,
        uuid=evaluation.uuid,
        credit_code=evaluation.unit.credit_code,
        unit_name=evaluation.unit.name,
        prudent=bool(evaluation.unit.prudent),
        kind=EvaluationKind(evaluation.kind),
        status=EvaluationStatus(evaluation.status),
        inspector=evaluation.inspector,
        started_at=evaluation.started_at,
        finalized_at=evaluation.finalized_at,
        verdict=evaluation.verdict,
        verdict_text=evaluation.verdict_text,
        content_sha256=evaluation.content_sha256,
        replaces=evaluation.replaces_id,
        follows=evaluation.follows_id,
        checklists=pins,
        items=items,
        photos=photos,
        signatures=[
            SignatureRecord(s.role, s.name, s.signed_at, s.image_sha256)
            for s in evaluation.signatures
        ],
        evidence=evidence.for_evaluation(session, evaluation.id),
        missing=service.missing(session, library, evaluation) if draft else [],
        outcome=outcome,
        outcome_text=outcome_text,
    )


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def as_json(record: EvaluationRecord) -> dict[str, Any]:
    """The record as ``evaluations show --json`` prints it (dates as ISO strings)."""
    items: list[dict[str, Any]] = []
    for item in record.items:
        entry: dict[str, Any] = {
            "checklist_id": item.checklist_id,
            "version": item.version,
            "code": item.code,
            "text": item.text,
            "photo_required": item.photo_required,
            "source": item.source,
            "same_as": item.same_as,
            "result": item.result,
            "note": item.note,
            "rectify": item.rectify,
            "due": _day(item.due),
        }
        if item.previous is not None:
            entry["previous"] = {
                "result": item.previous.result,
                "rectify": item.previous.rectify,
                "due": _day(item.previous.due),
                "photos": list(item.previous.photos),
            }
        items.append(entry)
    return {
        "id": record.id,
        "uuid": record.uuid,
        "unit": {"credit_code": record.credit_code, "name": record.unit_name},
        "kind": record.kind.value,
        "kind_label": record.kind.label,
        "status": record.status.value,
        "inspector": record.inspector,
        "started_at": record.started_at.isoformat(),
        "finalized_at": record.finalized_at.isoformat() if record.finalized_at else None,
        "verdict": record.verdict,
        "verdict_text": record.verdict_text,
        "content_sha256": record.content_sha256,
        "checklists": [{"id": c.id, "version": c.version} for c in record.checklists],
        "items": items,
        "photos": [
            {
                "id": p.id,
                "sha256": p.sha256,
                "checklist_id": p.checklist_id,
                "item": p.item_code,
                "original_name": p.original_name,
            }
            for p in record.photos
        ],
        "signatures": [
            {"role": s.role, "name": s.name, "signed_at": s.signed_at.isoformat()}
            for s in record.signatures
        ],
        "replaces": record.replaces,
        "follows": record.follows,
        "missing": record.missing,
    }
