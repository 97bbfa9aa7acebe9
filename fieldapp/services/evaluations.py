"""On-site evaluations: start one against pinned checklists, answer, attach photos, sign, finalize.

Every function works in the caller's session and transaction. A draft can be changed freely; a
finalized evaluation is locked (:class:`~fieldapp.errors.Locked`) and corrected by a revision,
a new draft that copies the answers and photos and points at the one it replaces.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, object_session

from fieldapp.checklists import Checklist, Item, Library
from fieldapp.checklists.loader import in_display_order
from fieldapp.domain import links, text
from fieldapp.domain.lifecycle import EXITS, State
from fieldapp.domain.records import KIND_LABELS, EvaluationStatus, SignerRole
from fieldapp.domain.records import EvaluationKind as Kind
from fieldapp.domain.verdict import Answer, ChecklistKind, judge
from fieldapp.domain.vocab import UnitType, canon
from fieldapp.errors import InvalidInput, Locked, NotFound, Problem
from fieldapp.photos import PhotoStore, prepare_all
from fieldapp.photos.ingest import DEFAULT_MAX_SIDE
from fieldapp.photos.store import SWEEP_MIN_AGE, SignatureStore
from fieldapp.services.checklists import pinned
from fieldapp.storage.models import (
    AnswerRow,
    Evaluation,
    EvaluationChecklist,
    Photo,
    Signature,
    Unit,
    UnitEvent,
    local_now,
)
from fieldapp.sync.mapping import wire_evaluation

_KIND_LOOKUP = {canon(k.value): k for k in Kind} | {canon(v): k for k, v in KIND_LABELS.items()}


def parse_kind(text: str) -> Kind | None:
    """A kind from its code (``routine``) or its Chinese label (``日常检查``)."""
    return _KIND_LOOKUP.get(canon(text))


def require_kind(kind: Kind | str) -> Kind:
    """``kind`` as a :class:`Kind` (value or label, see :func:`parse_kind`); refuses others."""
    parsed = parse_kind(kind) if isinstance(kind, str) else kind
    if parsed is None:
        allowed = "、".join(f"{k.label}（{k.value}）" for k in Kind)
        raise InvalidInput(f"未知的评价类型「{kind}」，可用：{allowed}")
    return parsed


Role = SignerRole  # the signer of a sheet


if TYPE_CHECKING:
    from typing import Protocol

    class _Blobs(Protocol):
        @property
        def photos(self) -> PhotoStore: ...
        @property
        def signatures(self) -> SignatureStore: ...


DRAFT, FINALIZED = EvaluationStatus.DRAFT, EvaluationStatus.FINALIZED
STATUS_LABELS: dict[str, str] = {s: s.label for s in EvaluationStatus}
FOLLOW_KINDS = frozenset({Kind.FOLLOW_UP, Kind.RECTIFICATION_RECHECK})
LOCKED_MESSAGE = "评价已定稿，不能修改；如需更正请新建修订"
_CLOSED_STATES = frozenset(EXITS)


def _refuse(value: str, kind: text.TextKind, label: str, where: str = "") -> None:
    """InvalidInput if ``value`` breaks the text policy: what finalise could not map is never
    accepted into a draft (:mod:`fieldapp.domain.text`)."""
    message = text.problem(value, kind, label)
    if message is not None:
        raise InvalidInput(f"{where}：{message}" if where else message)


def _inspector(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("请填写检查人员姓名")
    _refuse(name, text.NAME, "检查人员姓名")
    return name


def _name(evaluation: Evaluation) -> str:
    return f"评价 {evaluation.id}（{evaluation.unit.name}）"


def get(session: Session, evaluation_id: int) -> Evaluation:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound(f"没有编号为 {evaluation_id} 的评价，请用 fieldapp evaluations list 查看")
    return evaluation


def list_evaluations(session: Session, unit: Unit | None = None) -> list[Evaluation]:
    statement = select(Evaluation).order_by(Evaluation.id)
    if unit is not None:
        statement = statement.where(Evaluation.unit_id == unit.id)
    return list(session.scalars(statement))


def _check_draft(evaluation: Evaluation) -> None:
    if evaluation.status != DRAFT:
        raise Locked(
            f"{_name(evaluation)}：{LOCKED_MESSAGE}（fieldapp evaluations revise {evaluation.id}）"
        )


def start(
    session: Session,
    library: Library,
    unit: Unit,
    kind: Kind | str,
    inspector: str,
    today: date | None = None,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> Evaluation:
    """A new draft pinned to the latest applicable checklist versions for the unit.

    ``add`` and ``remove`` adjust the composed checklists by id (see :func:`plan_checklists`).
    ``today`` dates the visit when it is entered later (the time of day is now's).
    """
    parsed = require_kind(kind)
    if unit.state in _CLOSED_STATES:
        raise InvalidInput(
            f"{unit.name}（{unit.credit_code}）已{State(unit.state).label}，不能再评价；"
            "如单位重新经营，请先变更其状态"
        )
    inspector = _inspector(inspector)
    previous = latest_finalized(session, unit) if parsed in FOLLOW_KINDS else None
    checklists: list[Checklist] = []
    if previous is not None and any(a.result == Answer.FAIL.value for a in previous.answers):
        # 回头看 / 整改复查 of open rectifications: the same checklist versions as before.
        if add or remove:
            raise InvalidInput(
                f"{unit.name}：{parsed.label}按上次评价的检查表逐项复查，不能增减检查表；"
                "如需检查其他模块，请另建一次日常检查"
            )
        pins = [
            EvaluationChecklist(checklist_id=p.checklist_id, version=p.version, position=p.position)
            for p in previous.checklists
        ]
        follows_id: int | None = previous.id
    else:
        checklists = plan_checklists(library, unit, add=add, remove=remove)
        pins = [
            EvaluationChecklist(checklist_id=c.id, version=c.version, position=i)
            for i, c in enumerate(checklists)
        ]
        follows_id = None
    now = local_now()
    if today is not None:
        now = now.replace(year=today.year, month=today.month, day=today.day)
    evaluation = Evaluation(
        unit=unit,
        kind=parsed.value,
        status=DRAFT,
        inspector=inspector,
        started_at=now,
        follows_id=follows_id,
        checklists=pins,
    )
    if previous is not None and follows_id is not None:
        _carry_over(evaluation, previous)  # with the 不适用 it found
    else:
        _not_applicable(evaluation, checklists)
    session.add(evaluation)
    session.flush()
    return evaluation


def _not_applicable(evaluation: Evaluation, checklists: Sequence[Checklist]) -> None:
    """不适用, with the reason, for each item whose ``applies_when`` the unit does not meet
    (:func:`fieldapp.domain.links.not_applicable`); the inspector may answer any of them."""
    facts = links.facts_of(evaluation.unit)
    for (checklist_id, code), reason in links.not_applicable(checklists, facts).items():
        evaluation.answers.append(
            AnswerRow(
                checklist_id=checklist_id,
                item_code=code,
                result=Answer.NA,
                note=reason,
                answered_at=local_now(),
            )
        )


CARRIED_NOTE = "沿用评价 {id} 的结果"


def _carry_over(evaluation: Evaluation, previous: Evaluation) -> None:
    """Start a follow-up from the previous evaluation: every item that did not fail keeps its
    answer (and its photos, with their original capture times); the failed items are left open,
    so the visit is about whether each was fixed. Any carried answer can still be changed."""
    failed = {
        (a.checklist_id, a.item_code) for a in previous.answers if a.result == Answer.FAIL.value
    }
    note = CARRIED_NOTE.format(id=previous.id)
    for row in previous.answers:
        if (row.checklist_id, row.item_code) not in failed:
            carried = _copy_answer(row)
            carried.note = f"{note}；{row.note}" if row.note else note
            carried.answered_at = local_now()
            evaluation.answers.append(carried)
    for photo in previous.photos:
        if photo.item_code is None or (photo.checklist_id, photo.item_code) in failed:
            continue  # earlier photos of failed items are shown beside the new ones instead
        evaluation.photos.append(_copy_photo(photo))


def _copy_answer(row: AnswerRow) -> AnswerRow:
    """An answer for another evaluation (a revision, or a follow-up's carried-over item)."""
    return AnswerRow(
        checklist_id=row.checklist_id,
        item_code=row.item_code,
        result=row.result,
        note=row.note,
        rectify=row.rectify,
        due=row.due,
        answered_at=row.answered_at,
    )


def _copy_photo(photo: Photo) -> Photo:
    """The same stored photo (by hash) recorded on another evaluation, with its capture facts."""
    return Photo(
        checklist_id=photo.checklist_id,
        item_code=photo.item_code,
        sha256=photo.sha256,
        width=photo.width,
        height=photo.height,
        taken_at=photo.taken_at,
        gps_lat=photo.gps_lat,
        gps_lon=photo.gps_lon,
        original_name=photo.original_name,
        added_at=photo.added_at,
    )


def plan_checklists(
    library: Library, unit: Unit, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> list[Checklist]:
    """The checklists a new evaluation of ``unit`` will use: the composition, adjusted.

    Composition is 八有八无 + the "1" general standard + the "X" modules matching the unit's type
    and industry. An inspector may add any module the library has (a supermarket that also runs a
    pharmacy counter) or leave out a composed module that does not apply on site; the 八有八无
    and the general standard are part of every evaluation and cannot be left out.
    """
    composed = library.compose(UnitType(unit.unit_type), unit.industry)
    chosen = {c.id: c for c in composed}
    problems: list[Problem] = []
    available = "、".join(library.ids())
    for checklist_id in remove:
        checklist = chosen.get(checklist_id)
        if checklist is None:
            problems.append(
                Problem(
                    "去掉检查表",
                    f"「{checklist_id}」不在这家单位的检查表中（现有：{'、'.join(chosen)}）",
                )
            )
        elif checklist.kind is not ChecklistKind.MODULE:
            problems.append(
                Problem(
                    "去掉检查表",
                    f"「{checklist.title}」是每次评价都要检查的，不能去掉；只能去掉“X”模块",
                )
            )
        else:
            del chosen[checklist_id]
    for checklist_id in add:
        if checklist_id in chosen:
            continue
        try:
            chosen[checklist_id] = library.latest(checklist_id)
        except NotFound:
            problems.append(
                Problem("增加检查表", f"没有检查表「{checklist_id}」，可用：{available}")
            )
    if problems:
        raise InvalidInput(f"{unit.name}：检查表调整有误", problems)
    if not chosen:
        raise InvalidInput(f"{unit.name}：没有适用于这类单位的检查表，请检查检查表文件夹")
    return in_display_order(chosen.values())


def latest_finalized(session: Session, unit: Unit) -> Evaluation | None:
    """The unit's most recently finalized evaluation, if any."""
    return session.scalar(
        select(Evaluation)
        .where(Evaluation.unit_id == unit.id, Evaluation.status == FINALIZED)
        .order_by(Evaluation.finalized_at.desc(), Evaluation.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class FollowUpItem:
    """One item that failed last time, to be re-checked: pass = fixed, fail = not fixed."""

    checklist_id: str
    code: str
    text: str
    rectify: str | None
    due: date | None
    photos: list[str]  # sha256 of the previous evaluation's photos of this item


def followups(
    session: Session, evaluation: Evaluation, library: Library | None = None
) -> list[FollowUpItem]:
    """The failed items of the evaluation this one follows up, in checklist order.

    Empty when it is not a follow-up. Item texts come from ``library`` or, without one, from the
    stored checklist snapshots.
    """
    if evaluation.follows_id is None:
        return []
    previous = get(session, evaluation.follows_id)
    failed = {
        (a.checklist_id, a.item_code): a for a in previous.answers if a.result == Answer.FAIL.value
    }
    photos: dict[tuple[str | None, str | None], list[str]] = {}
    for photo in previous.photos:
        photos.setdefault((photo.checklist_id, photo.item_code), []).append(photo.sha256)
    found: list[FollowUpItem] = []
    for pin in previous.checklists:
        checklist = pinned(session, library, pin.checklist_id, pin.version)
        for item in checklist.items:
            row = failed.get((checklist.id, item.code))
            if row is not None:
                found.append(
                    FollowUpItem(
                        checklist_id=checklist.id,
                        code=item.code,
                        text=item.text,
                        rectify=row.rectify,
                        due=row.due,
                        photos=photos.get((checklist.id, item.code), []),
                    )
                )
    return found


def checklists_of(session: Session, library: Library, evaluation: Evaluation) -> list[Checklist]:
    """The exact checklist versions the evaluation is pinned to, in order."""
    return [pinned(session, library, p.checklist_id, p.version) for p in evaluation.checklists]


@dataclass(frozen=True)
class ItemRef:
    checklist: Checklist
    item: Item

    @property
    def key(self) -> tuple[str, str]:
        return (self.checklist.id, self.item.code)


def resolve(session: Session, library: Library, evaluation: Evaluation, item_ref: str) -> ItemRef:
    """``B3a`` (unique across the pinned checklists) or ``bayou-bawu:B3a``."""
    ref = item_ref.strip()
    checklist_id, _, code = ref.rpartition(":")
    candidates: list[ItemRef] = []
    for checklist in checklists_of(session, library, evaluation):
        if checklist_id and checklist.id != checklist_id:
            continue
        candidates.extend(ItemRef(checklist, i) for i in checklist.items if i.code == code)
    if not candidates:  # forgive the case of the code (b3a)
        for checklist in checklists_of(session, library, evaluation):
            if checklist_id and checklist.id != checklist_id:
                continue
            candidates.extend(
                ItemRef(checklist, i) for i in checklist.items if i.code.lower() == code.lower()
            )
    if not candidates:
        pinned_ids = "、".join(p.checklist_id for p in evaluation.checklists)
        raise InvalidInput(
            f"{_name(evaluation)}：没有条目「{ref}」。本次评价使用的检查表为 {pinned_ids}，"
            "请用 fieldapp evaluations show 查看条目代码"
        )
    if len(candidates) > 1:
        choices = "、".join(f"{c.checklist.id}:{c.item.code}" for c in candidates)
        raise InvalidInput(f"{_name(evaluation)}：条目「{ref}」不唯一，请写成 {choices}")
    return candidates[0]


def answer(
    session: Session,
    library: Library,
    evaluation: Evaluation,
    item_ref: str,
    result: Answer | str,
    note: str = "",
    rectify: str | None = None,
    due: date | None = None,
    today: date | None = None,
) -> AnswerRow:
    """Record (or replace) the answer to one item. 不符合 needs a 整改 requirement and deadline."""
    _check_draft(evaluation)
    ref = resolve(session, library, evaluation, item_ref)
    label = f"{_name(evaluation)} 条目 {ref.item.code}"
    try:
        parsed = Answer(result)
    except ValueError:
        raise InvalidInput(
            f"{label}：结果「{result}」无效，应为 pass（符合）、fail（不符合）或 na（不适用）"
        ) from None
    checklists = checklists_of(session, library, evaluation)
    linked = links.links(checklists)
    sources = linked.get(ref.key)
    if sources is not None:
        return _linked_row(evaluation, ref, sources, parsed, label)
    note = note.strip()
    _refuse(note, text.NOTE, "备注", label)
    rectify = (rectify or "").strip() or None
    if rectify is not None:
        _refuse(rectify, text.NOTE, "整改要求", label)
    if parsed is Answer.FAIL:
        if rectify is None or due is None:
            raise InvalidInput(f"{label}：不符合的条目须填写整改要求和期限")
        if due < (today or date.today()):
            raise InvalidInput(f"{label}：整改期限 {due} 已经过去，请填写今天或以后的日期")
    else:
        rectify, due = None, None
    row = next((a for a in evaluation.answers if (a.checklist_id, a.item_code) == ref.key), None)
    if row is None:
        row = AnswerRow(checklist_id=ref.checklist.id, item_code=ref.item.code)
        evaluation.answers.append(row)
    row.result = parsed
    row.note = note
    row.rectify = rectify
    row.due = due
    row.answered_at = local_now()
    _refresh_links(evaluation, linked)
    session.flush()
    return row


def _linked_row(
    evaluation: Evaluation,
    ref: ItemRef,
    sources: tuple[links.Key, ...],
    parsed: Answer,
    label: str,
) -> AnswerRow:
    """An item answered through others is not answered by hand: its row, when the answer asked
    for is the one it already has from them (answering every item in turn stays harmless);
    otherwise a refusal naming the items to answer instead."""
    row = next((a for a in evaluation.answers if (a.checklist_id, a.item_code) == ref.key), None)
    same = links.same_as_label(sources)
    if row is not None and row.result == parsed:
        return row
    codes = "、".join(code for _, code in sources)
    now = f"，现在是{Answer(row.result).label}" if row is not None and row.result else ""
    raise InvalidInput(
        f"{label}：本条{same}，随 {codes} 的结果判定{now}，不能单独回答；请回答 {codes}"
    )


def _refresh_links(evaluation: Evaluation, linked: dict[links.Key, tuple[links.Key, ...]]) -> None:
    """Each linked item's row set from its sources (:func:`fieldapp.domain.links.linked_answer`);
    none while a source is unanswered. The one write path of linked rows."""
    rows = {(a.checklist_id, a.item_code): a for a in evaluation.answers}
    for key, sources in linked.items():
        derived = links.linked_answer(sources, rows)
        row = rows.get(key)
        if derived is None:
            if row is not None:
                evaluation.answers.remove(row)
            continue
        if row is None:
            row = AnswerRow(checklist_id=key[0], item_code=key[1])
            evaluation.answers.append(row)
        elif (row.result, row.note, row.rectify, row.due) == (
            derived.result,
            derived.note,
            derived.rectify,
            derived.due,
        ):
            continue
        row.result = derived.result
        row.note = derived.note
        row.rectify = derived.rectify
        row.due = derived.due
        row.answered_at = local_now()


def clear_answer(session: Session, library: Library, evaluation: Evaluation, item_ref: str) -> bool:
    """Take back the answer to one item of a draft, which is unchecked again (the window's
    撤销 of 本节全部符合). Returns whether there was an answer to take back."""
    _check_draft(evaluation)
    ref = resolve(session, library, evaluation, item_ref)
    linked = links.links(checklists_of(session, library, evaluation))
    if ref.key in linked:
        return False  # it follows the items it is the same as
    row = next((a for a in evaluation.answers if (a.checklist_id, a.item_code) == ref.key), None)
    if row is None:
        return False
    evaluation.answers.remove(row)
    _refresh_links(evaluation, linked)
    session.flush()
    return True


def attach(
    session: Session,
    photo_store: PhotoStore,
    evaluation: Evaluation,
    paths: Sequence[str | os.PathLike[str]],
    item_ref: str | None = None,
    library: Library | None = None,
    max_side: int = DEFAULT_MAX_SIDE,
) -> list[Photo]:
    """Attach photos to an item (or to the whole evaluation): all of them, or none if one is refused.

    ``library`` is needed to resolve ``item_ref``. The same photo twice on the same item is kept once.
    ``max_side`` is the long side photos are stored at (the ``photo_long_side`` setting).
    """
    _check_draft(evaluation)
    if not paths:
        raise InvalidInput(f"{_name(evaluation)}：没有选择照片")
    key: tuple[str | None, str | None] = (None, None)
    if item_ref is not None:
        if library is None:
            raise ValueError("a library is needed to attach a photo to an item")
        key = resolve(session, library, evaluation, item_ref).key
    # In worker processes (the window's event loop keeps its GIL); raises before anything is stored.
    prepared = prepare_all(paths, max_side)
    existing = {(p.checklist_id, p.item_code, p.sha256) for p in evaluation.photos}
    added: list[Photo] = []
    for photo in prepared:
        if (*key, photo.sha256) in existing:
            continue
        photo_store.put(photo)
        existing.add((*key, photo.sha256))
        row = Photo(
            checklist_id=key[0],
            item_code=key[1],
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
            taken_at=photo.taken_at,
            gps_lat=photo.gps[0] if photo.gps else None,
            gps_lon=photo.gps[1] if photo.gps else None,
            original_name=photo.original_name[:255],
        )
        evaluation.photos.append(row)
        added.append(row)
    session.flush()
    return added


def _photo_of(evaluation: Evaluation, photo_id: int) -> Photo:
    row = next((p for p in evaluation.photos if p.id == photo_id), None)
    if row is None:
        ids = "、".join(str(p.id) for p in evaluation.photos) or "无"
        raise NotFound(
            f"{_name(evaluation)}没有编号为 {photo_id} 的照片（本次评价的照片编号：{ids}）"
        )
    return row


def link_photo(
    session: Session,
    library: Library,
    evaluation: Evaluation,
    photo_id: int,
    item_refs: Sequence[str],
) -> list[Photo]:
    """The same photo on more items (one shot of the counter for 价签 and 投诉公示): one more
    record per item pointing at the same stored file, with its capture facts; no second copy.
    Items that already have it are left as they are; returns the records added."""
    _check_draft(evaluation)
    photo = _photo_of(evaluation, photo_id)
    keys = [resolve(session, library, evaluation, ref).key for ref in item_refs]
    have = {(p.checklist_id, p.item_code) for p in evaluation.photos if p.sha256 == photo.sha256}
    added: list[Photo] = []
    for key in dict.fromkeys(keys):
        if key in have:
            continue
        copy = _copy_photo(photo)
        copy.checklist_id, copy.item_code = key
        evaluation.photos.append(copy)
        added.append(copy)
    session.flush()
    return added


def move_photo(
    session: Session, library: Library, evaluation: Evaluation, photo_id: int, item_ref: str
) -> Photo:
    """Put a photo on another item (it was added to the wrong one). If that item already has
    the same photo, this record goes and the other stays."""
    _check_draft(evaluation)
    photo = _photo_of(evaluation, photo_id)
    key = resolve(session, library, evaluation, item_ref).key
    same = next(
        (
            p
            for p in evaluation.photos
            if p.sha256 == photo.sha256 and (p.checklist_id, p.item_code) == key
        ),
        None,
    )
    if same is not None and same is not photo:
        evaluation.photos.remove(photo)
        session.flush()
        return same
    photo.checklist_id, photo.item_code = key
    session.flush()
    return photo


def remove_photo(
    session: Session,
    evaluation: Evaluation,
    photo_id: int,
    photo_store: PhotoStore | None = None,
) -> Photo:
    """Take a photo off a draft. The file is deleted after the commit (given ``photo_store``)
    unless another record still uses it; otherwise the start-up sweep removes it later."""
    _check_draft(evaluation)
    row = next((p for p in evaluation.photos if p.id == photo_id), None)
    if row is None:
        ids = "、".join(str(p.id) for p in evaluation.photos) or "无"
        raise NotFound(
            f"{_name(evaluation)}没有编号为 {photo_id} 的照片（本次评价的照片编号：{ids}）"
        )
    sha = row.sha256
    evaluation.photos.remove(row)
    session.flush()
    still_used = session.scalar(select(func.count()).select_from(Photo).where(Photo.sha256 == sha))
    if photo_store is not None and not still_used:

        def _remove_file(committed: Session) -> None:
            photo_store.remove(sha)

        event.listen(session, "after_commit", _remove_file, once=True)
    return row


# SWEEP_MIN_AGE (photos.store): an unreferenced photo or signature file is kept a day before
# :func:`sweep_orphans` may delete it, so a file another process (the command line beside the
# window) has written but not yet committed a record for is never taken.


def sweep_orphans(session: Session, store: _Blobs, older_than: float = SWEEP_MIN_AGE) -> int:
    """Delete photo and signature files no record refers to (left by a crash or a removal).

    A maintenance step, never part of opening the store: the window runs it in the background
    after it starts (on its writer thread, so no photo being attached in that window is between
    its file and its record) and ``fieldapp maintenance sweep`` runs it by hand. Files younger
    than ``older_than`` seconds (a day) are spared: another process may be between writing one
    and committing its record. Returns how many files were removed.
    """
    photos = set(session.scalars(select(Photo.sha256).distinct()))
    photos |= set(
        session.scalars(select(UnitEvent.photo_sha256).where(UnitEvent.photo_sha256.is_not(None)))
    )
    signatures = set(session.scalars(select(Signature.image_sha256).distinct()))
    removed = store.photos.sweep(keep=photos, older_than=older_than)
    removed += store.signatures.sweep(keep=signatures, older_than=older_than)
    return len(removed)


def _signature_png(path: Path, where: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            f"{where}：无法读取签名图片 {path.name}（{exc.strerror or exc}）"
        ) from None
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "PNG":
                raise InvalidInput(f"{where}：签名图片 {path.name} 不是 PNG 文件")
            img.load()
            rgba = img.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(f"{where}：签名图片 {path.name} 不是 PNG 文件或已损坏") from None
    # Fully transparent or all one colour: composited onto paper, nothing is drawn.
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    paper = Image.alpha_composite(background, rgba).convert("RGB")
    bands: Any = paper.getextrema()  # one (low, high) per band for RGB
    if all(low == high for low, high in bands):
        raise InvalidInput(f"{where}：签名是空白的，请重新签名")
    return data


def sign(
    session: Session,
    blob_store: SignatureStore,
    evaluation: Evaluation,
    role: Role | str,
    name: str,
    png_path: str | os.PathLike[str],
) -> Signature:
    """Record the inspector's or the unit's signature; signing again replaces it."""
    _check_draft(evaluation)
    try:
        parsed = Role(role)
    except ValueError:
        raise InvalidInput(
            f"{_name(evaluation)}：签名角色「{role}」无效，应为 inspector（检查人员）或 unit（单位负责人）"
        ) from None
    where = f"{_name(evaluation)} {parsed.label}签名"
    name = name.strip()
    if not name:
        raise InvalidInput(f"{where}：请填写签名人姓名")
    _refuse(name, text.NAME, "签名人姓名", where)
    data = _signature_png(Path(png_path), where)
    sha = blob_store.put(data)
    row = next((s for s in evaluation.signatures if s.role == parsed.value), None)
    if row is None:
        row = Signature(role=parsed.value)
        evaluation.signatures.append(row)
    row.name = name
    row.image_sha256 = sha
    row.signed_at = local_now()
    session.flush()
    return row


def missing(session: Session, library: Library, evaluation: Evaluation) -> list[str]:
    """What still stops finalizing: unanswered items, required photos, signatures."""
    answers = {(a.checklist_id, a.item_code): a for a in evaluation.answers}
    photographed = {(p.checklist_id, p.item_code) for p in evaluation.photos}
    unanswered: list[str] = []
    no_photo: list[str] = []
    checklists = checklists_of(session, library, evaluation)
    linked = links.links(checklists)
    for checklist in checklists:
        for item in checklist.items:
            if (checklist.id, item.code) in linked:
                continue  # answered with the items it is the same as
            row = answers.get((checklist.id, item.code))
            if row is None:
                unanswered.append(f"未检查：{item.code} {item.text}")
            elif (
                item.photo_required
                and row.result != Answer.NA.value
                and (checklist.id, item.code) not in photographed
            ):
                no_photo.append(f"缺照片：{item.code} {item.text}")
    signed = {s.role for s in evaluation.signatures}
    no_signature = [f"缺签名：{r.label}" for r in Role if r.value not in signed]
    return unanswered + no_photo + no_signature


def content_hash(evaluation: Evaluation) -> str:
    """The evaluation's hash as the county server computes it from the copy it receives.

    One canonical form for both: the wire model (:mod:`fieldapp.sync.wire`, times in UTC, other
    evaluations by UUID), so the hash in a printed sheet's QR code can be checked against the
    server's record. Call it on a finalized evaluation that belongs to a session.
    """
    session = object_session(evaluation)
    if session is None:
        raise ValueError("content_hash needs an evaluation that belongs to a session")
    return wire_evaluation(session, evaluation, skewed=False).content_sha256


def finalize(session: Session, library: Library, evaluation: Evaluation) -> Evaluation:
    """Judge and lock a complete evaluation; refuse, listing what is missing, otherwise."""
    _check_draft(evaluation)
    gaps = missing(session, library, evaluation)
    if gaps:
        where = f"评价 {evaluation.id}"
        raise InvalidInput(
            f"{_name(evaluation)}还不能定稿，还缺 {len(gaps)} 项，请补齐后再定稿",
            [Problem(where=where, message=gap) for gap in gaps],
        )
    answers = {(a.checklist_id, a.item_code): Answer(a.result) for a in evaluation.answers}
    verdict = judge(checklists_of(session, library, evaluation), answers)
    evaluation.verdict = verdict.outcome
    evaluation.verdict_text = verdict.explain()
    # 审慎培育: a warn gate (G4) failed, or the unit is flagged; 命名 then waits for 县局确认.
    evaluation.needs_confirmation = verdict.needs_confirmation or bool(evaluation.unit.prudent)
    evaluation.finalized_at = local_now()
    evaluation.status = FINALIZED
    evaluation.content_sha256 = content_hash(evaluation)
    session.flush()
    return evaluation


def revision_of(session: Session, evaluation: Evaluation) -> Evaluation | None:
    """The revision that replaces ``evaluation`` (a draft being corrected, or finalized)."""
    return session.scalar(
        select(Evaluation).where(Evaluation.replaces_id == evaluation.id).order_by(Evaluation.id)
    )


def revise(session: Session, evaluation: Evaluation, inspector: str) -> Evaluation:
    """The draft replacing a finalized evaluation, with its answers, photos and checklists:
    the one already started if there is one (修订 twice opens the same draft), else a new one.
    An evaluation already replaced by a finalized revision is not revised again."""
    if evaluation.status != FINALIZED:
        raise InvalidInput(f"{_name(evaluation)}还是草稿，可以直接修改，不需要新建修订")
    existing = revision_of(session, evaluation)
    if existing is not None:
        if existing.status != FINALIZED:
            return existing
        raise InvalidInput(
            f"{_name(evaluation)}已由评价 {existing.id} 修订并定稿；如需再改，请修订评价 {existing.id}"
        )
    inspector = _inspector(inspector)
    revision = Evaluation(
        unit=evaluation.unit,
        kind=evaluation.kind,
        status=DRAFT,
        inspector=inspector,
        started_at=evaluation.started_at,  # the same visit: its sheet and its year stay the visit's
        replaces_id=evaluation.id,
        follows_id=evaluation.follows_id,
        checklists=[
            EvaluationChecklist(checklist_id=p.checklist_id, version=p.version, position=p.position)
            for p in evaluation.checklists
        ],
        answers=[_copy_answer(a) for a in evaluation.answers],
        photos=[_copy_photo(p) for p in evaluation.photos],
    )
    session.add(revision)
    session.flush()
    return revision


def detail(session: Session, library: Library, evaluation: Evaluation) -> dict[str, Any]:
    """Everything about one evaluation, ready for JSON (dates as ISO strings): the read model
    :mod:`fieldapp.views.evaluation` as ``evaluations show --json`` prints it."""
    from fieldapp.views import evaluation as view

    return view.as_json(view.read(session, library, evaluation))
