"""The sync engine of the desktop app and of ``fieldapp sync``.

One sync: check the clock and the token, push the finalised evaluations not yet confirmed (in
batches: manifest → upload only the blobs the server lacks → commit → receipt), pull what changed
on the server since the cursor, and report this device's unsynced work. An evaluation is marked
synced only when a receipt lists it and every one of its blobs; the pull cursor moves in the same
local transaction as the rows it brought. Everything returned is plain data, safe to hand from a
worker thread to the window.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp import paths
from fieldapp import settings as settings_module
from fieldapp.domain.events import Role
from fieldapp.domain.records import (
    BatchSource,
    BatchStatus,
    ChangeOutcome,
    ConflictKind,
    UnitChangeKind,
)
from fieldapp.errors import InvalidInput
from fieldapp.reports.output import atomic_output
from fieldapp.services import cases as case_service
from fieldapp.services import plan, unit_sync
from fieldapp.services.stations import station_ids
from fieldapp.services.unit_changes import Change
from fieldapp.services.units import ADD_REASON
from fieldapp.settings import Settings
from fieldapp.storage.models import (
    Evaluation,
    PulledAnswer,
    PulledEvaluation,
    SyncAssignment,
    SyncBatch,
    SyncUnit,
    Target,
    TaskPlan,
    Unit,
    UnitEvent,
    local_now,
)
from fieldapp.store import Store
from fieldapp.sync import state, wire
from fieldapp.sync.mapping import local, utc, wire_evaluation, wire_target, wire_unit
from fieldapp.sync.transport import ServerRefused, SyncError, Transport

BATCH_SIZE = 50
CASES_PULLED = "cases"  # sync state: the 联络站 cases held are complete up to the cursor ("1")
# A pull writes its units in transactions of about WRITE_BUDGET seconds (at most WRITE_CHUNK
# units, the first FIRST_CHUNK): an inspector's answer never waits for more than one of them.
WRITE_BUDGET = 0.04
WRITE_CHUNK = 200
FIRST_CHUNK = 10
MARK_EVERY = 50  # uploaded blobs recorded locally per commit
Progress = Callable[[str, int, int], None]
Cancelled = Callable[[], bool]


class SyncCancelled(SyncError):
    """The user stopped the sync; what was confirmed so far is kept."""


@dataclass
class SyncReport:
    """What one sync did, in plain data."""

    pushed: int = 0
    accepted: int = 0
    blobs_uploaded: int = 0
    bytes_uploaded: int = 0
    conflicts: list[str] = field(default_factory=list)
    units_received: int = 0
    summaries_received: int = 0  # evaluations other laptops synced, as summaries
    cases_sent: int = 0  # 联络站 cases (台账) the server confirmed
    cases_received: int = 0
    reviews_received: int = 0
    checklists_received: int = 0
    returned: list[dict[str, str]] = field(default_factory=list)
    clock_offset_seconds: float = 0.0
    clock_skewed: bool = False
    pending: int = 0
    batches: list[str] = field(default_factory=list)
    role: Role | None = None  # the account's role on the server (kept in the settings)

    def summary(self) -> str:
        lines = [
            f"上传评价 {self.accepted}/{self.pushed} 份（服务器已确认），"
            f"照片和签名 {self.blobs_uploaded} 个（{self.bytes_uploaded / 1_048_576:.1f} MB）",
            f"收到单位更新 {self.units_received} 条，审核结果 {self.reviews_received} 条"
            + (f"，其他电脑的评价 {self.summaries_received} 份" if self.summaries_received else "")
            + (f"，检查表 {self.checklists_received} 个" if self.checklists_received else ""),
            f"本机还有 {self.pending} 份已定稿评价未同步",
        ]
        if self.cases_sent or self.cases_received:
            lines.insert(2, f"联络站台账：上传 {self.cases_sent} 条，收到 {self.cases_received} 条")
        if self.clock_skewed:
            lines.append(
                f"注意：本机时钟与服务器相差 {self.clock_offset_seconds:+.0f} 秒，"
                "本次上传的评价已标记为“时钟可疑”，请校准电脑时间"
            )
        lines += [f"冲突：{c}" for c in self.conflicts]
        lines += [f"被退回：{r['unit']}（评价 {r['id']}）：{r['comment']}" for r in self.returned]
        return "\n".join(lines)


def _blob_path(store: Store, sha256: str) -> Path | None:
    for candidate in (store.photos.path(sha256), store.signatures.path(sha256)):
        if candidate.is_file():
            return candidate
    return None


class SyncClient:
    """Syncs one store with one server; ``transport`` is swappable for tests."""

    def __init__(
        self,
        store: Store,
        transport: Transport,
        *,
        label: str = "",
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        batch_size: int = BATCH_SIZE,
        write_chunk: int = WRITE_CHUNK,
    ) -> None:
        self.store = store
        self.transport = transport
        self.label = label[:64]
        self.progress = progress or (lambda _stage, _done, _total: None)
        self.cancelled = cancelled or (lambda: False)
        self.batch_size = batch_size
        self.write_chunk = write_chunk
        # Evaluations left out of this sync: content the wire refuses, or refused by the server.
        self.unsendable: set[str] = set()

    def _check_cancel(self) -> None:
        if self.cancelled():
            raise SyncCancelled("同步已取消；已确认的评价都已记好，下次同步会从中断处继续")

    # --- the whole sync -------------------------------------------------------------------

    def run(self) -> SyncReport:
        report = SyncReport()
        self.clock(report)
        me = wire.Me.model_validate(self.transport.request("GET", "/me"))
        report.role = me.role
        self.push(report)
        self.pull(report)
        if self._cases_waiting():  # the pull showed this server takes cases: send them now
            self.push(report)
        self.report_device(report)
        return report

    def _cases_waiting(self) -> bool:
        with self.store.read() as session:
            if state.get(session, CASES_PULLED) != "1":
                return False
            return bool(case_service.pending(session, exclude=sorted(self.unsendable), limit=1))

    def clock(self, report: SyncReport) -> None:
        before = datetime.now(UTC)
        health = self.transport.request("GET", "/health")
        after = datetime.now(UTC)
        server_time = datetime.fromisoformat(health["server_time"])
        local = before + (after - before) / 2
        report.clock_offset_seconds = (local - server_time).total_seconds()
        report.clock_skewed = abs(report.clock_offset_seconds) > wire.SKEW_LIMIT_SECONDS

    def report_device(self, report: SyncReport) -> None:
        with self.store.session() as session:
            device = device_report(session, self.label)
            report.pending = device.unsynced
        self.transport.request("POST", "/devices/report", data=device.model_dump_json())

    # --- push -----------------------------------------------------------------------------

    def push(self, report: SyncReport) -> None:
        """Send every unconfirmed evaluation: first any batch left unfinished, then new ones."""
        while True:
            self._check_cancel()
            with self.store.session() as session:
                manifest = self._unfinished(session) or self._new_batch(session, report)
            if manifest is None:
                return
            self._send(manifest, report)

    def _unfinished(self, session: Session) -> wire.Manifest | None:
        """The oldest batch left unfinished; one whose stored content the wire now refuses (a
        NUL or an over-long text saved before the text policy) is set aside as refused, with
        the reason, so it never blocks the batches after it."""
        while True:
            row = session.scalar(
                select(SyncBatch)
                .where(
                    SyncBatch.status == BatchStatus.STARTED,
                    SyncBatch.source == BatchSource.ONLINE,
                )
                .order_by(SyncBatch.started_at)
                .limit(1)
            )
            if row is None or row.manifest_json is None:
                return None
            try:
                return wire.Manifest.model_validate_json(row.manifest_json)
            except ValidationError as exc:
                row.status = BatchStatus.REFUSED
                row.error = f"本机保存的批次内容不合规，已搁置：{_first_error(exc)}"[:2000]
                row.finished_at = local_now()
                session.flush()

    def _new_batch(self, session: Session, report: SyncReport) -> wire.Manifest | None:
        skipped: list[str] = []
        manifest = build_manifest(
            session,
            report.clock_skewed,
            self.batch_size,
            self.label,
            exclude=self.unsendable,
            unsendable=skipped,
        )
        report.conflicts += skipped
        if manifest is None:
            return None
        state.start_batch(session, manifest, "online")
        return manifest

    def _send(self, manifest: wire.Manifest, report: SyncReport) -> None:
        with self.store.session() as session:
            manifest = manifest.model_copy(update={"device": device_report(session, self.label)})
        body = manifest.model_dump_json()
        before = (report.blobs_uploaded, report.bytes_uploaded)
        try:
            answer = wire.ManifestAnswer.model_validate(
                self.transport.request("POST", "/batches", data=body)
            )
            receipt = answer.receipt
            if receipt is None:
                self._upload(answer.missing_blobs, report)
                self._check_cancel()
                receipt = wire.Receipt.model_validate(
                    self.transport.request(
                        "POST", f"/batches/{manifest.batch_id}/commit", data=body
                    )
                )
        except SyncError as exc:
            with self.store.session() as session:
                row = session.get(SyncBatch, manifest.batch_id)
                if row is not None:
                    row.error = str(exc)[:2000]
                    row.blobs_uploaded += report.blobs_uploaded - before[0]
                    row.bytes_uploaded += report.bytes_uploaded - before[1]
                    if isinstance(exc, ServerRefused) and exc.status not in (401, 409):
                        row.status = BatchStatus.REFUSED  # resending the same batch cannot help
                        row.finished_at = local_now()
            raise
        sent = (report.blobs_uploaded - before[0], report.bytes_uploaded - before[1])
        self._apply_receipt(manifest, receipt, report, sent)

    def _upload(self, missing: list[str], report: SyncReport) -> None:
        """Upload the blobs the server lacks, one request each (a retry resends one photo).

        The server's answer to the manifest is what makes a resumed sync skip finished blobs;
        the local marks are written every few dozen blobs (each write is a full-sync commit).
        """
        total = len(missing)
        done_marks: list[str] = []

        def write_marks() -> None:
            if done_marks:
                with self.store.session() as session:
                    state.mark_uploaded(session, done_marks)
                done_marks.clear()

        try:
            for done, sha in enumerate(missing, start=1):
                self._check_cancel()
                path = _blob_path(self.store, sha)
                if path is None:
                    raise SyncError(
                        f"照片或签名文件 {sha} 在本机找不到，含这张照片的评价无法同步。"
                        "请从备份恢复照片文件夹后再同步"
                    )
                data = path.read_bytes()
                self.transport.request(
                    "PUT",
                    f"/blobs/{sha}",
                    data=data,
                    headers={"Content-Type": "application/octet-stream"},
                )
                done_marks.append(sha)
                report.blobs_uploaded += 1
                report.bytes_uploaded += len(data)
                if len(done_marks) >= MARK_EVERY:
                    write_marks()
                self.progress("上传照片", done, total)
        finally:
            write_marks()

    def _apply_receipt(
        self,
        manifest: wire.Manifest,
        receipt: wire.Receipt,
        report: SyncReport,
        sent: tuple[int, int],
    ) -> None:
        confirmed_blobs = set(receipt.blobs)
        by_uuid = {e.uuid: e for e in manifest.evaluations}
        with self.store.session() as session:
            apply_receipt(session, manifest, receipt)
            row = session.get(SyncBatch, manifest.batch_id)
            if row is not None:
                row.status = BatchStatus.DONE
                row.finished_at = local_now()
                row.blobs_uploaded += sent[0]
                row.bytes_uploaded += sent[1]
                row.accepted = len(receipt.accepted)
                row.conflicts = len(receipt.conflicts)
                row.error = ""
            state.put(session, state.LAST_SYNC, local_now().isoformat())
        report.pushed += len(manifest.evaluations)
        report.accepted += sum(
            1
            for entry in receipt.accepted
            if entry.uuid in by_uuid and set(entry.blobs) <= confirmed_blobs
        )
        report.conflicts += [c.message for c in receipt.conflicts]
        # An evaluation the server refused (another station's, or a clash) stays pending and
        # is listed with its reason; it is not sent again in this sync, so it blocks nothing.
        self.unsendable.update(
            c.subject
            for c in receipt.conflicts
            if c.kind in (ConflictKind.EVALUATION, ConflictKind.CASE)
        )
        report.cases_sent += len(receipt.cases)
        report.batches.append(manifest.batch_id)
        self.progress("上传评价", report.pushed, report.pushed)

    # --- pull -----------------------------------------------------------------------------

    def pull(self, report: SyncReport) -> None:
        with self.store.read() as session:
            cursor = state.cursor(session)
            # the summaries held here are complete up to the cursor (or nothing was pulled yet)
            complete = cursor == 0 or state.get(session, state.SUMMARIES) == "1"
            has_cases = cursor == 0 or state.get(session, CASES_PULLED) == "1"
        while True:
            self._check_cancel()
            data = self.transport.request(
                "GET", "/pull", params={"cursor": cursor, "summaries": "1", "cases": "1"}
            )
            # An older server leaves the summaries out (and ignores the question).
            honoured = isinstance(data, dict) and "summaries" in data
            # The same for the 联络站 cases: a store that pulled before they came down pulls
            # them from the beginning once.
            with_cases = isinstance(data, dict) and "cases" in data
            if with_cases and not has_cases:
                cursor, complete, has_cases = 0, True, True
                continue
            if honoured and not complete:
                # This store pulled before the server sent summaries: the evaluations synced
                # until then come only from the beginning. Everything else the pull brings
                # again is applied as before, changing nothing that is already here.
                cursor, complete = 0, True
                continue
            page = _pull_page(data)
            # Checklist files first: a crash before the commit leaves a file the next pull
            # writes again, never a cursor past a checklist that is not on disk.
            written = save_checklists(self.store, page)
            # A page (up to thousands of units and evaluation summaries) is written in short
            # transactions, sized to take about WRITE_BUDGET seconds each, so an inspector's
            # answer saved meanwhile waits for one short commit, never for the page. Targets,
            # assignments, reviews and the cursor commit last: a crash re-applies the page,
            # which changes nothing already applied (events merge by uuid, fields compare equal,
            # summaries are replaced by uuid).
            for name in ("units", "summaries", "cases"):
                items: list[Any] = getattr(page, name) or []
                size, start = FIRST_CHUNK, 0
                while start < len(items):
                    self._check_cancel()
                    part = page.model_copy(update={**_NOTHING, name: items[start : start + size]})
                    began = time.perf_counter()
                    with self.store.session() as session:
                        pulled = apply_pull(session, part)
                    done = min(size, len(items) - start)
                    per_item = (time.perf_counter() - began) / done
                    start += done
                    size = max(1, min(self.write_chunk, int(WRITE_BUDGET / max(per_item, 1e-6))))
                    report.units_received += pulled.units
                    report.summaries_received += pulled.summaries
                    report.cases_received += pulled.cases
                    report.conflicts += pulled.conflicts
            with self.store.session() as session:
                pulled = apply_pull(
                    session, page.model_copy(update={"units": [], "summaries": [], "cases": []})
                )
                state.put(session, state.CURSOR, str(page.cursor))
                state.put(session, state.SUMMARIES, "1" if honoured else "")
                state.put(session, CASES_PULLED, "1" if with_cases else "")
                if not page.more:
                    state.put(session, state.LAST_PULL, local_now().isoformat())
            report.reviews_received += pulled.reviews
            report.conflicts += pulled.conflicts
            cursor = page.cursor
            report.checklists_received += written
            if not page.more:
                break
        if report.checklists_received:
            self.store.reload_checklists()  # new evaluations can use them at once
        with self.store.read() as session:
            report.returned = [
                {"id": str(e.id), "uuid": e.uuid, "unit": e.unit.name, "comment": s.review_comment}
                for e, s in state.returned(session)
            ]


# A page of the pull with nothing in it but its cursor: a part of a page is this with some units
# or some summaries (targets, reviews and the cursor are written once, last).
_NOTHING: dict[str, list[Any]] = {
    "units": [],
    "summaries": [],
    "cases": [],
    "targets": [],
    "plan_years": [],
    "ratios": [],
    "assignments": [],
    "reviews": [],
}


def _pull_page(data: Any) -> wire.Pull:
    """A page of the pull, or a SyncError naming what this version cannot read."""
    try:
        return wire.Pull.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = str(first.get("msg", "")).removeprefix("Value error, ")
        raise SyncError(
            f"服务器发来的数据本机无法识别（{where}：{message}），未写入任何内容。"
            "请升级 fieldapp 到与县局服务器相同的版本后再同步"
        ) from None


# --- building a manifest ----------------------------------------------------------------------


def _unit_changes(
    session: Session, evaluations: list[Evaluation], stations: list[Unit] | None = None
) -> list[wire.UnitChange]:
    """Units to send: changed locally since the server's version, found on site, or evaluated
    (or, for ``stations``, with cases sent) here but not yet known to the server."""
    changes: list[wire.UnitChange] = []
    known = {s.unit_id: s for s in session.scalars(select(SyncUnit))}
    candidates: dict[int, Unit] = {e.unit.id: e.unit for e in evaluations}
    candidates |= {u.id: u for u in stations or []}
    field_found = select(UnitEvent.unit_id).where(UnitEvent.reason == ADD_REASON)
    for unit in session.scalars(select(Unit).where(Unit.id.in_(field_found))):
        candidates.setdefault(unit.id, unit)
    changed_here = (
        select(Unit)
        .join(SyncUnit, SyncUnit.unit_id == Unit.id)
        .where(SyncUnit.conflict.is_(None), Unit.version > SyncUnit.local_version)
    )
    for unit in session.scalars(changed_here):  # one query, not one per unit the server sent
        candidates.setdefault(unit.id, unit)
    evaluated = {e.unit.id for e in evaluations} | {u.id for u in stations or []}
    for unit in candidates.values():
        record = known.get(unit.id)
        if record is None or (record.server_version == 0 and unit.id in evaluated):
            # Never accepted by the server: sent with the evaluations that need it (a refusal
            # then holds back only those evaluations, not the whole batch).
            kind = UnitChangeKind.NEW
            base = 0
        elif unit.version > record.local_version and record.conflict is None:
            kind, base = UnitChangeKind.UPDATE, record.server_version
        else:
            continue
        last = unit.events[-1] if unit.events else None
        changes.append(
            wire.UnitChange(
                change_id=str(uuid.uuid4()),
                kind=kind,
                base_version=base,
                unit=wire_unit(unit),
                reason=last.reason if last else "",
                recorded_by=(last.actor if last else "")[:64],
                recorded_at=utc(unit.updated_at),
            )
        )
    return changes


def device_report(session: Session, label: str, unsynced: int | None = None) -> wire.DeviceReport:
    """What this device tells the server about itself; ``unsynced`` counted if not given."""
    return wire.DeviceReport(
        device_id=state.device_id(session),
        label=label,
        unsynced=state.pending_count(session) if unsynced is None else unsynced,
        last_sync_at=state.last_sync(session),
        client_time=datetime.now(UTC),
    )


def build_manifest(
    session: Session,
    skewed: bool,
    limit: int,
    label: str = "",
    *,
    exclude: set[str] | None = None,
    unsendable: list[str] | None = None,
) -> wire.Manifest | None:
    """The next batch of unconfirmed evaluations and unit changes (None: nothing to send).

    Blobs are not checked here: a missing one is reported when it is uploaded or exported. An
    evaluation whose content the wire refuses (text saved before the text policy) is left out:
    its uuid is added to ``exclude`` and a message saying what to correct to ``unsendable``;
    without those lists it raises, as before.
    """
    in_flight = set(
        session.scalars(
            select(SyncBatch.manifest_json).where(SyncBatch.status == BatchStatus.STARTED)
        )
    )
    sending = set()
    for text in in_flight:
        if text:
            sending |= {e["uuid"] for e in json.loads(text)["evaluations"]}
            sending |= {c["uuid"] for c in json.loads(text).get("cases", [])}
    pending = state.pending(session)
    left_out = exclude if exclude is not None else set()
    evaluations = []
    chosen: list[Evaluation] = []
    for evaluation in (e for e in pending if e.uuid not in sending and e.uuid not in left_out):
        if len(chosen) == limit:
            break
        record = state.record(session, evaluation)
        if skewed:
            record.clock_skewed = True
        try:
            item = wire_evaluation(session, evaluation, record.clock_skewed)
        except ValidationError as exc:
            if exclude is None or unsendable is None:
                raise
            left_out.add(evaluation.uuid)
            unsendable.append(
                f"评价 {evaluation.id}（{evaluation.unit.name}）没有发送：{_first_error(exc)}。"
                "请修订这份评价后再同步"
            )
            continue
        record.wire_sha256 = item.content_sha256
        evaluations.append(item)
        chosen.append(evaluation)
    # Cases go only to a server known to take them (a pull of this store brought them): an
    # older server refuses a batch with a field it does not know, evaluations and all.
    cases, stations = (
        case_service.to_send(
            session, left_out, min(limit * 10, wire.MAX_CASES_PER_BATCH), unsendable, sending
        )
        if state.get(session, CASES_PULLED) == "1"
        else ([], [])
    )
    changes = _unit_changes(session, chosen, stations)
    if not chosen and not changes and not cases:
        return None
    device = device_report(session, label, unsynced=len(pending))
    return wire.Manifest(
        batch_id=str(uuid.uuid4()),
        device=device,
        evaluations=evaluations,
        unit_changes=changes,
        cases=cases,
    )


def _first_error(exc: ValidationError) -> str:
    """The first thing the wire refused, as a person reads it: where, and why."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}：{first.get('msg', '')}" if where else str(first.get("msg", ""))


def apply_receipt(session: Session, manifest: wire.Manifest, receipt: wire.Receipt) -> None:
    """Mark synced exactly what the receipt confirms: each evaluation with all its blobs."""
    confirmed_blobs = set(receipt.blobs)
    sent = {e.uuid: e for e in manifest.evaluations}
    stamp = local_now()
    confirmed = [
        entry.uuid
        for entry in receipt.accepted
        if entry.uuid in sent
        and entry.content_sha256 == sent[entry.uuid].content_sha256
        and set(sent[entry.uuid].blob_hashes()) <= confirmed_blobs
    ]
    marked: set[str] = set()
    for evaluation in session.scalars(select(Evaluation).where(Evaluation.uuid.in_(confirmed))):
        record = state.record(session, evaluation)
        record.synced_at = stamp
        record.batch_id = receipt.batch_id
        record.conflict = None
        marked.update(sent[evaluation.uuid].blob_hashes())
    state.mark_uploaded(session, marked)
    case_service.confirm(session, manifest.cases, receipt)
    for conflict in receipt.conflicts:
        if conflict.kind == ConflictKind.EVALUATION:
            clashing = session.scalar(select(Evaluation).where(Evaluation.uuid == conflict.subject))
            if clashing is not None:
                state.record(session, clashing).conflict = conflict.message
    changes = {c.change_id: c for c in manifest.unit_changes}
    refused = {
        c.subject: c.message for c in receipt.conflicts if c.kind == ConflictKind.UNIT_CHANGE
    }
    for outcome in receipt.unit_changes:
        change = changes.get(outcome.change_id)
        if change is None:
            continue
        unit = session.scalar(select(Unit).where(Unit.uuid == change.unit.uuid))
        if unit is None:
            continue
        synced_unit = session.get(SyncUnit, unit.id)
        if synced_unit is None:
            synced_unit = SyncUnit(unit_id=unit.id, server_version=0, local_version=0)
            session.add(synced_unit)
        synced_unit.local_version = change.unit.version
        if outcome.status == ChangeOutcome.APPLIED:
            synced_unit.server_version = outcome.version
            synced_unit.conflict = None
        else:
            synced_unit.conflict = refused.get(
                outcome.change_id, f"服务器上已是第 {outcome.version} 版，变更待所（分局）核对"
            )
    session.flush()


# --- applying a pull --------------------------------------------------------------------------


def save_checklists(store: Store, page: wire.Pull) -> int:
    """Write each checklist version the server sent as ``<data>/checklists/server/<id>-v<n>.json``
    (the checklist's canonical JSON, checked against the schema first), so the library loads it
    like any county file and new evaluations can be composed with it. Returns how many are new."""
    from fieldapp.checklists import Checklist

    folder = paths.server_checklists_dir(store.folder)
    written = 0
    for item in page.checklists:
        target = folder / f"{item.checklist_id}-v{item.version}.json"
        if target.exists() or (item.checklist_id, item.version) in store.library.entries:
            continue  # already here (bundled, the county's own file, or an earlier sync)
        parsed = Checklist.model_validate_json(item.content_json)  # refuse what would not load
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_output(target) as tmp:
            tmp.write_text(parsed.canonical_json(), encoding="utf-8")
        written += 1
    return written


@dataclass
class Pulled:
    """What one page of a pull changed here."""

    units: int = 0
    reviews: int = 0
    summaries: int = 0
    cases: int = 0
    conflicts: list[str] = field(default_factory=list)


def apply_pull(session: Session, page: wire.Pull, change: Change | None = None) -> Pulled:
    """Write one page of server changes; local edits not yet confirmed are kept, not overwritten.

    Each unit goes through the domain with its dated history (:func:`unit_sync.adopt`); a
    history the domain refuses is kept as a conflict on the unit's sync record and reported.
    Checklists are not written here: :func:`save_checklists` saves them as files, and the store
    records a snapshot of every version it loads.
    """
    change = change or unit_sync.sync_change()
    names = (
        {u.station for u in page.units}
        | {t.station for t in page.targets if t.station}
        | {r.station for r in page.ratios if r.station}
    )
    station_ids(session, sorted(names))
    pulled = Pulled()
    for incoming in page.units:
        adopted = unit_sync.adopt(session, incoming, change)
        if adopted.outcome is unit_sync.Outcome.CONFLICT:
            pulled.conflicts.append(adopted.message)
        elif adopted.outcome is not unit_sync.Outcome.KEPT_LOCAL:
            pulled.units += 1
    pulled.summaries = apply_summaries(session, page.summaries or [])
    for case in page.cases or []:
        message = case_service.adopt(session, case)
        if message is not None:
            pulled.conflicts.append(message)
        pulled.cases += 1
    pulled.conflicts += apply_targets(session, page.targets)
    pulled.conflicts += apply_plan_years(session, page.plan_years)
    apply_ratios(session, page.ratios)
    for assignment in page.assignments:
        row_a = session.get(SyncAssignment, (assignment.unit_uuid, assignment.year))
        if row_a is None:
            session.add(
                SyncAssignment(
                    unit_uuid=assignment.unit_uuid,
                    year=assignment.year,
                    inspector=assignment.inspector,
                )
            )
        else:
            row_a.inspector = assignment.inspector
    for review in page.reviews:
        evaluation = session.scalar(
            select(Evaluation).where(Evaluation.uuid == review.evaluation_uuid)
        )
        if evaluation is None:
            continue
        record_e = state.record(session, evaluation)
        record_e.review_status = review.status.value
        record_e.review_comment = review.comment
        record_e.reviewed_by = review.reviewed_by
        record_e.reviewed_at = local(review.reviewed_at) if review.reviewed_at else None
        pulled.reviews += 1
    session.flush()
    return pulled


def apply_summaries(session: Session, summaries: list[wire.WireEvaluationSummary]) -> int:
    """Keep each evaluation another laptop synced, as summarised, replacing what an earlier pull
    kept of it. One that is an evaluation of this store is not kept twice: the store's own
    record wins (a summary kept of it before is removed). Returns how many were kept."""
    if not summaries:
        return 0
    uuids = [s.uuid for s in summaries]
    own = set(session.scalars(select(Evaluation.uuid).where(Evaluation.uuid.in_(uuids))))
    earlier = list(
        session.scalars(select(PulledEvaluation).where(PulledEvaluation.uuid.in_(uuids)))
    )
    for row in earlier:
        session.delete(row)  # with its answers
    session.flush()
    kept = 0
    for summary in summaries:
        if summary.uuid in own:
            continue
        pins = {p.checklist_id: p.version for p in summary.checklists}
        session.add(
            PulledEvaluation(
                uuid=summary.uuid,
                unit_uuid=summary.unit_uuid,
                station=summary.station,
                kind=summary.kind,
                inspector=summary.inspector,
                started_at=local(summary.started_at),
                finalized_at=local(summary.finalized_at),
                verdict=summary.verdict,
                replaces_uuid=summary.replaces_uuid,
                follows_uuid=summary.follows_uuid,
                answers=[
                    PulledAnswer(
                        checklist_id=a.checklist_id,
                        version=pins.get(a.checklist_id, 0),
                        item_code=a.item_code,
                        result=a.result,
                        rectify=a.rectify,
                        due=a.due,
                    )
                    for a in summary.answers
                ],
            )
        )
        kept += 1
    session.flush()
    return kept


def apply_targets(session: Session, targets: list[wire.WireTarget]) -> list[str]:
    """Write the county's task-table figures, each found by what it counts (its key); a 其中
    row after the row it is a subset of. Returns what could not be written, and why."""
    if not targets:
        return []
    years = sorted({t.year for t in targets})
    local = {
        wire_target(row).key(): row
        for row in session.scalars(select(Target).where(Target.year.in_(years)))
    }
    stations, _ = station_ids(session, sorted({t.station for t in targets if t.station}))
    waiting = list(targets)
    while waiting:
        ready = [t for t in waiting if t.parent is None or t.parent in local]
        later = [t for t in waiting if not (t.parent is None or t.parent in local)]
        if not ready:
            break
        for target in ready:
            row = local.get(target.key())
            if row is None:
                row = Target(
                    year=target.year,
                    station_id=stations[target.station] if target.station else None,
                    kind=target.kind,
                    unit_type=target.unit_type,
                    industry=target.industry,
                    parent=local[target.parent] if target.parent is not None else None,
                    source="县局服务器",
                )
                session.add(row)
                local[target.key()] = row
            row.count = target.count
            row.note = target.note
            row.sector = target.sector
            row.responsible_dept = target.responsible_dept
            row.plan = _plan(session, target.plan) if target.plan is not None else None
            row.updated_at = local_now()
        session.flush()
        waiting = later
    return [
        f"{t.year} 年任务表「{t.kind.label}」{t.station or '县局'} 一行：它所属的上级行没有下发，"
        "未写入；请县局重新发布任务表后再同步"
        for t in waiting
    ]


def apply_plan_years(session: Session, plan_years: list[wire.WirePlanYear]) -> list[str]:
    """Take each task year's deadlines as the county set them. Returns what could not be
    written, and why."""
    refused = []
    for plan_year in plan_years:
        try:
            plan.set_deadlines(
                session,
                plan_year.year,
                first_due=plan_year.first_due,
                final_due=plan_year.final_due,
                source=plan_year.source or "县局服务器",
            )
        except InvalidInput as error:
            refused.append(str(error))
    return refused


def apply_ratios(session: Session, ratios: list[wire.WireRatioTarget]) -> None:
    """Write the county's ratio targets, each found by year, station and kind."""
    if not ratios:
        return
    stations, _ = station_ids(session, sorted({r.station for r in ratios if r.station}))
    for ratio in ratios:
        station_id = stations[ratio.station] if ratio.station else None
        row = plan.ratio_row(session, ratio.year, ratio.kind, station_id)
        row.threshold = ratio.threshold
        row.denominator = ratio.denominator
        row.source = ratio.source or "县局服务器"
        row.updated_at = local_now()
    session.flush()


def _plan(session: Session, plan: wire.WireTargetPlan) -> TaskPlan:
    row = session.scalar(
        select(TaskPlan).where(
            TaskPlan.start_year == plan.start_year, TaskPlan.end_year == plan.end_year
        )
    )
    if row is None:
        row = TaskPlan(start_year=plan.start_year, end_year=plan.end_year, source="县局服务器")
        session.add(row)
    row.first_share_num = plan.first_share_num
    row.first_share_den = plan.first_share_den
    return row


# --- the entry point for the window and the CLI ------------------------------------------------


def run_sync(
    store: Store,
    settings: Settings | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    *,
    transport: Transport | None = None,
) -> SyncReport:
    """One full sync with the server in ``settings`` (default: the store's saved settings)."""
    stored = settings is None  # the store's own settings, not ones given for this sync
    settings = settings or settings_module.load(store.folder)
    if transport is None:
        if not settings.server_url or not settings.has_token:
            raise SyncError(
                "还没有设置县局服务器：请运行 fieldapp sync --server 地址 --token 令牌"
                "（令牌由县局管理员用 fieldapp-server users add 生成）"
            )
        if stored and settings.server_token:
            settings_module.save(store.folder, settings)  # a token left in the file moves out
        token = settings_module.server_token(store.folder, settings)
        if not token:
            raise SyncError(
                "系统凭据管理器中找不到县局服务器令牌（换了电脑、系统账号或数据文件夹？）："
                "请在 设置 中重新填写令牌，或运行 fieldapp sync --token 令牌"
            )
        transport = Transport(settings.server_url, token, ca_bundle=settings.ca_bundle)
    label = settings.inspector_name or ""
    client = SyncClient(store, transport, label=label, progress=progress, cancelled=cancelled)
    try:
        report = client.run()
    finally:
        transport.close()
    saved = settings_module.load(store.folder)
    if report.role is not None and saved.role != report.role:
        # The county server decides who may confirm a 命名 (县局确认); the laptop follows it.
        settings_module.save(store.folder, saved.replace(role=report.role))
    return report
