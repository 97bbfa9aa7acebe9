"""Every read and write the window runs on the store: the one UI module that opens sessions.

Like Anki's ``aqt.operations``, each function is a job for the task runner's threads (reads on
the read pool, writes on the writer thread, see :mod:`fieldapp.ui.tasks`). Each opens its own
session (or a plain read connection for the unit list, :mod:`fieldapp.views.units`) and copies
what the window needs into tuples and dataclasses before it closes, so no ORM object (bound to a
session, lazy-loading on access) ever crosses to the UI thread (Picard copies data the same way
before handing it over). A write commits first and then reads its result back: what the screen
shows is what is saved. Finalising a 后评价 also returns what it proposes for the unit
(:func:`fieldapp.services.unit_changes.propose`), which :func:`write_accept_proposal` carries out
when the inspector confirms it.

No Qt here, and the ORM, the services and Pillow are imported inside the jobs: importing this
module at the window's start costs nothing, and the jobs can be tested without a window.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from fieldapp import settings
from fieldapp.domain.events import Role
from fieldapp.domain.lifecycle import ExitReason, State
from fieldapp.domain.records import BatchStatus, EvaluationStatus
from fieldapp.errors import NotFound
from fieldapp.ui.strings import tr
from fieldapp.views import evaluation as view
from fieldapp.views import units as unit_view
from fieldapp.views.evaluation import ItemRecord
from fieldapp.views.units import EventRecord, Page, UnitFilter, UnitRow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from fieldapp.domain.cases import CaseFields
    from fieldapp.domain.holdbacks import Reason
    from fieldapp.services.cases import Ledger
    from fieldapp.services.evidence import EvidenceFlag
    from fieldapp.services.progress import Progress
    from fieldapp.services.unit_changes import Change, Proposal
    from fieldapp.services.worklists import ChangedUnit, HoldBack, Rectification
    from fieldapp.store import Store

__all__ = ["Page", "UnitRow"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnitDetail:
    id: int
    credit_code: str
    name: str
    shop_name: str
    station: str
    unit_type: str
    industry: str | None
    address: str
    town: str
    contact_person: str
    contact_phone: str
    online_shop_name: str
    online_platform: str
    state: str | None
    state_since: date | None
    entered_on: date | None
    sticker_posted_on: date | None
    events: list[EventRecord] = field(default_factory=list)
    thumbs: dict[str, str] = field(default_factory=dict)  # sticker photo sha256 → thumbnail file
    prudent: bool = False  # 审慎培育


def fetch_units(store: Store, query: UnitFilter, after_id: int, limit: int) -> list[UnitRow]:
    """The next ``limit`` units matching ``query`` after id ``after_id``, in id order.

    A filter on text, station, type and state is answered by the read model on ``sqlite3``; the
    two that need the evaluation rules go through the ORM (:mod:`fieldapp.services.units`)."""
    if query.plain:
        with store.raw_read() as connection:
            return unit_view.rows(connection, query, limit=limit, after_id=after_id)
    from fieldapp.services import units as unit_service

    with store.read() as session:
        found = unit_service.search(session, query, limit=limit, after_id=after_id)
        return [unit_view.row_from(u) for u in found]


def all_units(store: Store, query: UnitFilter) -> list[UnitRow]:
    """Every unit matching ``query``, in id order (a sorted list, an export): one read."""
    if query.plain:
        with store.raw_read() as connection:
            return unit_view.rows(connection, query, limit=None)
    from fieldapp.services import units as unit_service

    with store.read() as session:
        found = unit_service.search(session, query, limit=None)
        return [unit_view.row_from(u) for u in found]


def first_page(store: Store, query: UnitFilter, limit: int) -> Page:
    """Count and first rows in one read, so both describe the same moment."""
    if query.plain:
        with store.raw_read() as connection:
            return unit_view.first_page(connection, query, limit)
    from fieldapp.services import units as unit_service

    with store.read() as session:
        total = unit_service.count(session, query)
        found = unit_service.search(session, query, limit=limit, offset=0)
        return Page(query, total, [unit_view.row_from(u) for u in found])


def station_names(store: Store) -> list[str]:
    with store.raw_read() as connection:
        return unit_view.station_names(connection)


def unit_detail_by_code(store: Store, credit_code: str) -> UnitDetail | None:
    """The unit's record and history by credit code, or None if there is no such unit."""
    from sqlalchemy import select

    from fieldapp.storage.models import Unit

    with store.read() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.credit_code == credit_code))
    return None if unit_id is None else unit_detail(store, unit_id)


def unit_detail(store: Store, unit_id: int) -> UnitDetail | None:
    """The unit's record and history, or None if it has been deleted since it was listed."""
    from fieldapp.storage.models import Unit

    with store.read() as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            return None
        events = unit_view.event_records(unit)
        thumbs = {
            e.photo_sha256: str(store.photos.thumb_path(e.photo_sha256))
            for e in events
            if e.photo_sha256
        }
        return UnitDetail(
            id=unit.id,
            credit_code=unit.credit_code,
            name=unit.name,
            shop_name=unit.shop_name,
            station=unit.station.name,
            unit_type=unit.unit_type,
            industry=unit.industry,
            address=unit.address,
            town=unit.town,
            contact_person=unit.contact_person,
            contact_phone=unit.contact_phone,
            online_shop_name=unit.online_shop_name,
            online_platform=unit.online_platform,
            state=unit.state,
            state_since=unit.state_since,
            entered_on=unit.entered_on,
            sticker_posted_on=unit.sticker_posted_on,
            events=events,
            thumbs=thumbs,
            prudent=bool(unit.prudent),
        )


def hold_back_counts(store: Store, year: int) -> dict[str, dict[Reason, int]]:
    """The year's hold-back counts as kept (:mod:`fieldapp.services.holdback_kept`), counted
    and kept first when anything changed since; counted in full on a read-only store."""
    from fieldapp.services import holdback_kept

    return holdback_kept.current(store, year, date.today(), None)


def hold_backs(
    store: Store, year: int, station: str, reason: Reason, limit: int
) -> tuple[int, list[HoldBack]]:
    """How many units ``reason`` holds back at ``station``, and the first ``limit`` of them."""
    from fieldapp.services import worklists

    with store.read() as session:
        (found,) = worklists.hold_backs(session, year, date.today(), station=station)
    units = [h for h in found.items if h.reason is reason]
    return len(units), units[:limit]


def progress(store: Store, year: int) -> Progress:
    """The year's progress from the kept shares, brought up to date first (in short write
    transactions: an answer saved meanwhile waits for one at most). Plain dataclasses (no ORM
    objects), so it can cross as it is."""
    from fieldapp.services import progress_kept

    progress_kept.refresh(store, year)
    with store.read() as session:
        return progress_kept.compute(session, year)


@dataclass(frozen=True)
class SignatureRow:
    role: str
    name: str


@dataclass(frozen=True)
class ReviewNote:
    """The station's or county's review as pulled: of this evaluation, or (on a revision that
    has none yet) of the evaluation it revises, ``of`` naming which."""

    of: int
    status: str
    label: str
    comment: str
    reviewer: str
    reviewed_at: datetime | None


@dataclass(frozen=True)
class EvaluationData:
    id: int
    unit_name: str
    credit_code: str
    kind: str
    inspector: str
    status: str
    replaces: int | None
    outcome: str
    verdict_text: str
    items: list[ItemRecord]
    general_photos: tuple[str, ...] = ()
    signatures: list[SignatureRow] = field(default_factory=list)
    follows: int | None = None  # the evaluation this one follows up
    review: ReviewNote | None = None  # the county's review, if pulled (a revision: its source's)
    prudent: bool = False  # the unit is 审慎培育: 命名 waits for the county's confirmation
    evidence: tuple[EvidenceFlag, ...] = ()  # doubts about the photos (shown, never blocking)

    @property
    def locked(self) -> bool:
        return self.status != EvaluationStatus.DRAFT

    @property
    def kind_label(self) -> str:
        return tr(f"kind.{self.kind}")


def load_evaluation(store: Store, evaluation_id: int) -> EvaluationData:
    """Everything the screen shows about one evaluation, with the live verdict."""
    from fieldapp.services import evaluations as service

    with store.read() as session:
        record = view.read(session, store.library, service.get(session, evaluation_id))
        review = _review_note(session, evaluation_id, record.replaces)
    return EvaluationData(
        id=record.id,
        unit_name=record.unit_name,
        credit_code=record.credit_code,
        kind=record.kind,
        inspector=record.inspector,
        status=record.status,
        replaces=record.replaces,
        outcome=record.outcome,
        verdict_text=record.outcome_text,
        items=record.items,
        general_photos=record.general_photos(),
        signatures=[SignatureRow(s.role, s.name) for s in record.signatures],
        follows=record.follows,
        review=review,
        prudent=record.prudent,
        evidence=record.evidence,
    )


def _review_note(session: Session, evaluation_id: int, replaces: int | None) -> ReviewNote | None:
    """The review pulled for this evaluation; a revision without one of its own carries the
    review of the evaluation it revises (the comment it answers), up the chain of revisions."""
    from fieldapp.storage.models import Evaluation
    from fieldapp.sync import state as sync_state

    current: int | None = evaluation_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        review = sync_state.review_of(session, current)
        if review is not None:
            return ReviewNote(
                of=current,
                status=review.status,
                label=review.label,
                comment=review.comment,
                reviewer=review.reviewed_by,
                reviewed_at=review.reviewed_at,
            )
        if current == evaluation_id:
            current = replaces
        else:
            earlier = session.get(Evaluation, current)
            current = None if earlier is None else earlier.replaces_id
    return None


def start_evaluation(
    store: Store,
    unit_id: int,
    kind: str,
    inspector: str,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> int:
    from fieldapp.services import evaluations as service
    from fieldapp.storage.models import Unit

    with store.session() as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(tr("eval.unit_gone"))
        evaluation = service.start(
            session, store.library, unit, kind, inspector, add=add, remove=remove
        )
        return evaluation.id


def write_answer(
    store: Store,
    evaluation_id: int,
    item_ref: str,
    result: str,
    note: str = "",
    rectify: str | None = None,
    due: date | None = None,
) -> EvaluationData:
    from fieldapp.services import evaluations as service

    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        service.answer(
            session, store.library, evaluation, item_ref, result, note, rectify=rectify, due=due
        )
    return load_evaluation(store, evaluation_id)


def write_pass_group(
    store: Store, evaluation_id: int, refs: Sequence[str]
) -> tuple[EvaluationData, list[str]]:
    """本节全部符合: every item of ``refs`` still unchecked becomes 符合 (one transaction);
    returns the snapshot and the refs it answered, which 撤销 takes back."""
    from fieldapp.domain.verdict import Answer
    from fieldapp.services import evaluations as service

    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        answered = {f"{a.checklist_id}:{a.item_code}" for a in evaluation.answers}
        changed = [ref for ref in refs if ref not in answered]
        for ref in changed:
            service.answer(session, store.library, evaluation, ref, Answer.PASS)
    return load_evaluation(store, evaluation_id), changed


def write_clear_answers(store: Store, evaluation_id: int, refs: Sequence[str]) -> EvaluationData:
    """Take back the answers to ``refs`` (undo of 本节全部符合), in one transaction."""
    from fieldapp.services import evaluations as service

    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        for ref in refs:
            service.clear_answer(session, store.library, evaluation, ref)
    return load_evaluation(store, evaluation_id)


def write_photos(
    store: Store,
    evaluation_id: int,
    paths: Sequence[str | os.PathLike[str]],
    item_ref: str | None,
) -> EvaluationData:
    """Attach photos (resizing and hashing happen here, on the writer thread)."""
    from fieldapp.services import evaluations as service

    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        service.attach(
            session,
            store.photos,
            evaluation,
            paths,
            item_ref,
            library=store.library,
            max_side=settings.load(store.folder).photo_long_side,
        )
    return load_evaluation(store, evaluation_id)


def write_upright_photo(
    store: Store, evaluation_id: int, photo_id: int, quarter_turns: int
) -> EvaluationData:
    """Attach an upright copy of a sideways photo beside it, on the same item (or the whole
    evaluation), with the original's capture time and place; the original stays as it was."""
    import tempfile
    from pathlib import Path

    from fieldapp.photos.rotate import upright_copy
    from fieldapp.services import evaluations as service
    from fieldapp.storage.models import Photo

    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        photo = session.get(Photo, photo_id)
        if photo is None or photo.evaluation_id != evaluation_id:
            raise NotFound(tr("eval.photo_gone"))
        lat, lon = photo.gps_lat, photo.gps_lon
        gps = (lat, lon) if lat is not None and lon is not None else None
        ref = f"{photo.checklist_id}:{photo.item_code}" if photo.item_code else None
        stem = Path(photo.original_name).stem or photo.sha256[:8]
        with tempfile.TemporaryDirectory(prefix="fieldapp-upright-") as folder:
            copy = upright_copy(
                store.photos.path(photo.sha256),
                quarter_turns,
                Path(folder) / tr("eval.upright_name", stem=stem),
                taken_at=photo.taken_at,
                gps=gps,
            )
            service.attach(
                session,
                store.photos,
                evaluation,
                [copy],
                ref,
                library=store.library,
                max_side=settings.load(store.folder).photo_long_side,
            )
    return load_evaluation(store, evaluation_id)


def write_remove_photo(store: Store, evaluation_id: int, photo_id: int) -> EvaluationData:
    """Take one photo off the draft; its file goes after the commit unless still used."""
    from fieldapp.services import evaluations as service

    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        service.remove_photo(session, evaluation, photo_id, store.photos)
    return load_evaluation(store, evaluation_id)


def write_link_photo(
    store: Store, evaluation_id: int, photo_id: int, item_refs: Sequence[str]
) -> EvaluationData:
    """The same photo on more items, without a second copy of the file."""
    from fieldapp.services import evaluations as service

    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        service.link_photo(session, store.library, evaluation, photo_id, item_refs)
    return load_evaluation(store, evaluation_id)


def write_move_photo(
    store: Store, evaluation_id: int, photo_id: int, item_ref: str
) -> EvaluationData:
    """A photo dragged onto another item."""
    from fieldapp.services import evaluations as service

    with store.session() as session:
        evaluation = service.get(session, evaluation_id)
        service.move_photo(session, store.library, evaluation, photo_id, item_ref)
    return load_evaluation(store, evaluation_id)


def write_signature(
    store: Store, evaluation_id: int, role: str, name: str, png_path: str
) -> EvaluationData:
    from fieldapp.services import evaluations as service

    try:
        with store.session() as session:
            evaluation = service.get(session, evaluation_id)
            service.sign(session, store.signatures, evaluation, role, name, png_path)
    finally:
        with contextlib.suppress(OSError):
            os.remove(png_path)
    return load_evaluation(store, evaluation_id)


@dataclass(frozen=True)
class Finalized:
    """A finalised evaluation's snapshot and, for a 后评价, the next state it proposes."""

    data: EvaluationData
    proposal: Proposal | None


def write_finalize(store: Store, evaluation_id: int) -> Finalized:
    """Finalise (one transaction), then read back the snapshot and the proposal."""
    from fieldapp.services import evaluations as service
    from fieldapp.services import unit_changes

    with store.session() as session:
        service.finalize(session, store.library, service.get(session, evaluation_id))
    with store.read() as session:
        proposal = unit_changes.propose(session, service.get(session, evaluation_id))
    return Finalized(load_evaluation(store, evaluation_id), proposal)


PROPOSAL_SOURCE = "评价定稿"


def proposal_change(store: Store, inspector: str) -> Change:
    """Who confirms a proposal: the inspector of the settings (else the evaluation's), in the
    settings' role (an inspector unless set otherwise)."""
    from fieldapp.services.unit_changes import Change

    chosen = settings.load(store.folder)
    actor = chosen.inspector_name.strip() or inspector
    return Change(actor=actor, role=chosen.role, source=PROPOSAL_SOURCE)


def write_accept_proposal(store: Store, proposal: Proposal, inspector: str) -> str:
    """Carry out a confirmed proposal through the unit's one write path; return what changed."""
    from fieldapp.services import unit_changes

    change = proposal_change(store, inspector)
    with store.session() as session:
        event = unit_changes.accept_proposal(session, proposal, change)
        return unit_changes.event_summary(event)


def write_revision(store: Store, evaluation_id: int, inspector: str) -> EvaluationData:
    from fieldapp.services import evaluations as service

    with store.session() as session:
        revision = service.revise(session, service.get(session, evaluation_id), inspector)
        new_id = revision.id
    return load_evaluation(store, new_id)


@dataclass(frozen=True)
class EvaluationSummary:
    id: int
    kind: str
    status: str
    verdict: str | None
    started_on: date


def unit_evaluations(store: Store, unit_id: int) -> list[EvaluationSummary]:
    from fieldapp.services import evaluations as service
    from fieldapp.storage.models import Unit

    with store.read() as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            return []
        return [
            EvaluationSummary(e.id, e.kind, e.status, e.verdict, e.started_at.date())
            for e in service.list_evaluations(session, unit)
        ]


def _detail_after(store: Store, unit_id: int) -> UnitDetail:
    detail = unit_detail(store, unit_id)
    if detail is None:
        raise NotFound(tr("eval.unit_gone"))
    return detail


def write_state(
    store: Store,
    unit_id: int,
    target: State,
    *,
    actor: str,
    reason: str,
    on: date,
    exit_reason: ExitReason | None = None,
    county_confirm: bool = False,
    role: Role = Role.INSPECTOR,
) -> UnitDetail:
    from fieldapp.services import unit_changes
    from fieldapp.storage.models import Unit

    with store.session() as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(tr("eval.unit_gone"))
        change = unit_changes.Change(actor, role, source="窗口")
        unit_changes.move(
            session,
            unit,
            target,
            change,
            reason=reason,
            exit_reason=exit_reason,
            on=on,
            county_confirm=county_confirm,
        )
    return _detail_after(store, unit_id)


def write_sticker(
    store: Store,
    unit_id: int,
    *,
    actor: str,
    note: str,
    on: date,
    photo: str | None = None,
) -> UnitDetail:
    """Record the sticker; the photo is ingested here (off the UI thread) before the record."""
    from fieldapp.services import unit_changes
    from fieldapp.storage.models import Unit

    with store.session() as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(tr("eval.unit_gone"))
        sha = None
        if photo is not None:
            long_side = settings.load(store.folder).photo_long_side
            sha = unit_changes.store_sticker_photo(store.photos, photo, long_side)
        change = unit_changes.Change(actor, source="窗口")
        unit_changes.post_sticker(session, unit, change, note=note, on=on, photo_sha256=sha)
    return _detail_after(store, unit_id)


def write_new_unit(store: Store, values: dict[str, str], actor: str) -> UnitDetail:
    """Add the unit (writer thread) and read back its detail."""
    from fieldapp.services import units as unit_service

    with store.session() as session:
        unit = unit_service.add_unit(session, values, actor)
        unit_id = unit.id
    return _detail_after(store, unit_id)


def case_ledger(store: Store, unit_id: int | None, year: int, code: str = "") -> Ledger:
    """A 联络站's ledger (台账) for ``year``, by unit id or credit code (a unit of another type:
    an empty ledger whose ``unit_id`` is None)."""
    from sqlalchemy import select

    from fieldapp.services import cases
    from fieldapp.storage.models import Unit

    with store.read() as session:
        unit = session.get(Unit, unit_id) if unit_id is not None else None
        if unit is None and code:
            unit = session.scalar(select(Unit).where(Unit.credit_code == code))
        return cases.ledger(session, unit, year)


def write_case(
    store: Store, unit_id: int, case_id: int | None, fields: CaseFields, by: str, year: int
) -> Ledger:
    """Record or correct a case of the 联络站 ``unit_id``; returns its ledger as saved."""
    from fieldapp.services import cases

    with store.session() as session:
        cases.save(session, unit_id, case_id, fields, by)
    return case_ledger(store, unit_id, year)


def last_sync(store: Store) -> datetime | None:
    """When the last sync finished, or None (never, or no sync state in this database)."""
    try:
        from fieldapp.sync import state

        with store.read() as session:
            return state.last_sync(session)
    except Exception:  # no sync table yet, or a value that does not parse
        log.debug("last sync unknown", exc_info=True)
        return None


def last_pull(store: Store) -> datetime | None:
    """When a pull last brought everything the county server had (the other laptops'
    evaluations counted by 进度 and 工作清单), or None (never, or no sync state here)."""
    try:
        from fieldapp.sync import state

        with store.read() as session:
            return state.last_pull(session)
    except Exception:  # no sync table yet, or a value that does not parse
        log.debug("last pull unknown", exc_info=True)
        return None


def load_lists(
    store: Store, today: date, later: bool = False
) -> tuple[list[ChangedUnit], list[Rectification]]:
    """Today's changed units and the open 整改 (due this week, or ``later`` every open one)."""
    from fieldapp.services import worklists

    with store.read() as session:
        return worklists.changed_today(session, today), worklists.followups_due(
            session, today, later=later
        )


@dataclass(frozen=True)
class LedgerRow:
    started_at: datetime
    source: str
    status: str
    evaluations: int
    accepted: int
    blobs_uploaded: int
    blobs_waiting: int
    error: str

    def text(self) -> str:
        """ "23 份评价，412 张照片，3 张待传"."""
        out = tr("sync.ledger_line", n=self.evaluations, photos=self.blobs_uploaded)
        if self.blobs_waiting:
            out += tr("sync.ledger_waiting", n=self.blobs_waiting)
        return out


@dataclass(frozen=True)
class Returned:
    evaluation_id: int
    unit: str
    comment: str


@dataclass(frozen=True)
class SyncStatus:
    configured: bool
    server: str
    pending: int
    last_sync: datetime | None
    returned: list[Returned] = field(default_factory=list)
    ledger: list[LedgerRow] = field(default_factory=list)


def _manifest_blobs(manifest_json: str | None) -> set[str]:
    if not manifest_json:
        return set()
    try:
        manifest = json.loads(manifest_json)
    except ValueError:
        return set()
    found: set[str] = set()
    for evaluation in manifest.get("evaluations", []):
        for part in (*evaluation.get("photos", []), *evaluation.get("signatures", [])):
            sha = part.get("sha256") or part.get("image_sha256")
            if sha:
                found.add(sha)
    return found


def read_status(store: Store, *, ledger: bool = True) -> SyncStatus:
    """Everything the dialog shows, as plain data (worker thread); the status-bar indicator,
    refreshed on every tab change, asks without the ledger."""
    from fieldapp import settings as settings_module
    from fieldapp.sync import state

    saved = settings_module.load(store.folder)
    with store.read() as session:
        rows = []
        for batch in state.ledger(session, limit=30) if ledger else []:
            waiting = 0
            if batch.status != BatchStatus.DONE:  # a confirmed batch has every blob on the server
                blobs = _manifest_blobs(batch.manifest_json)
                waiting = len(blobs - state.uploaded(session, sorted(blobs))) if blobs else 0
            rows.append(
                LedgerRow(
                    started_at=batch.started_at,
                    source=batch.source,
                    status=batch.status,
                    evaluations=batch.evaluations,
                    accepted=batch.accepted,
                    blobs_uploaded=batch.blobs_uploaded,
                    blobs_waiting=waiting,
                    error=batch.error,
                )
            )
        returned = [
            Returned(e.id, e.unit.name, s.review_comment) for e, s in state.returned(session)
        ]
        return SyncStatus(
            configured=bool(saved.server_url and saved.has_token),
            server=saved.server_url,
            pending=state.pending_count(session),
            last_sync=state.last_sync(session),
            returned=returned,
            ledger=rows,
        )


def select_evaluations(
    store: Store,
    *,
    since: date | None,
    until: date | None,
    station: str | None,
    unit_code: str | None,
    include_drafts: bool,
) -> list[int]:
    """The evaluations a batch print covers (see :func:`fieldapp.reports.batch.select_evaluations`)."""
    from fieldapp.reports import batch

    with store.read() as session:
        return batch.select_evaluations(
            session,
            since=since,
            until=until,
            station=station,
            unit_code=unit_code,
            include_drafts=include_drafts,
        )
