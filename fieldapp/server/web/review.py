"""审核: the queue of received evaluations, one evaluation with its photos and sheet, and the
decision (通过 / 退回 with a comment) that reaches the inspector at the next pull.

The decision goes through :func:`fieldapp.server.review.review`, the function behind the API's
``POST /evaluations/{uuid}/review`` and ``fieldapp-server review accept|return``: the same
checks (a reviewer's role, the station's scope, a comment to return) on every path.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from PIL import Image, UnidentifiedImageError

from fieldapp.domain.events import Role
from fieldapp.domain.records import EvaluationKind
from fieldapp.domain.review import DECISIONS, ReviewStatus
from fieldapp.domain.verdict import Outcome
from fieldapp.domain.vocab import label_or
from fieldapp.server import records
from fieldapp.server import review as review_service
from fieldapp.server.accounts import Invalid, Missing
from fieldapp.server.blobs import BlobStore
from fieldapp.server.review import ReviewFilters
from fieldapp.server.web.pages import Signed, check_csrf, database, render
from fieldapp.server.web.workbook import xlsx_response
from fieldapp.sync import wire

router = APIRouter()

PER_PAGE = 50
THUMB_SIZE = 320

Short = Annotated[str, Query(max_length=64)]


@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters as the form gives them (text), and as :class:`ReviewFilters`."""

    station: str = ""
    kind: str = ""
    inspector: str = ""
    verdict: str = ""
    status: str = ""
    since: date | None = None
    until: date | None = None

    def query(self, **extra: object) -> str:
        values = {
            "station": self.station,
            "kind": self.kind,
            "inspector": self.inspector,
            "verdict": self.verdict,
            "status": self.status,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        } | extra
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def filters(self) -> ReviewFilters:
        return ReviewFilters(
            station=self.station or None,
            kind=_choice(EvaluationKind, self.kind, "评价类型"),
            inspector=self.inspector.strip() or None,
            since=self.since,
            until=self.until,
            verdict=_choice(Outcome, self.verdict, "结论"),
            status=_choice(ReviewStatus, self.status, "审核状态"),
        )


_E = TypeVar("_E", EvaluationKind, Outcome, ReviewStatus)


def _choice(enum: type[_E], value: str, label: str) -> _E | None:
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        choices = "、".join(e.label for e in enum)
        raise Invalid(f"{label}「{value[:20]}」不是可选的值，可选：{choices}") from None


def _filter(
    station: Short = "",
    kind: Short = "",
    inspector: Short = "",
    verdict: Short = "",
    status: Short = "",
    since: Short = "",
    until: Short = "",
) -> QueueFilter:
    """The queue's filters from the query string (a dependency of the page and its export)."""

    def day(value: str, label: str) -> date | None:
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Invalid(f"{label}「{value[:20]}」不是日期，请按 2026-06-30 的格式填写") from None

    return QueueFilter(
        station, kind, inspector, verdict, status, day(since, "起始日期"), day(until, "截止日期")
    )


def _every(request: Request, current: Signed, chosen: QueueFilter) -> list[wire.ReceivedEvaluation]:
    """Every evaluation the filters keep, page by page (for the export)."""
    out: list[wire.ReceivedEvaluation] = []
    page = 1
    with database(request).session() as session:
        while True:
            rows, total = review_service.review_page(
                session, current.caller, chosen.filters(), page, review_service.MAX_PER_PAGE
            )
            out += rows
            if not rows or len(out) >= total:
                return out
            page += 1


Chosen = Annotated[QueueFilter, Depends(_filter)]

QUEUE_COLUMNS = (
    "单位",
    "统一社会信用代码",
    "所（分局）",
    "检查人员",
    "评价类型",
    "结论",
    "定稿时间",
    "收到时间",
    "审核状态",
    "审核人",
    "审核意见",
)


@router.get("/review", response_class=HTMLResponse)
def queue(
    request: Request,
    current: Signed,
    chosen: Chosen,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    with database(request).session() as session:
        shown, total = review_service.review_page(
            session, current.caller, chosen.filters(), page, PER_PAGE
        )
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    return render(
        request,
        "review_queue.html",
        current,
        title="审核",
        rows=shown,
        total=total,
        page=page,
        pages=pages,
        chosen=chosen,
        kinds=list(EvaluationKind),
        outcomes=[o for o in Outcome if o is not Outcome.INCOMPLETE],
        statuses=list(ReviewStatus),
        kind_label=lambda v: label_or(EvaluationKind, v),
        verdict_label=lambda v: label_or(Outcome, v),
    )


@router.get("/review.xlsx")
def queue_xlsx(request: Request, current: Signed, chosen: Chosen) -> Response:
    rows = [
        (
            r.unit_name,
            r.unit_credit_code,
            r.station,
            r.inspector,
            label_or(EvaluationKind, r.kind),
            label_or(Outcome, r.verdict),
            r.finalized_at,
            r.received_at,
            r.review.status.label,
            r.review.reviewed_by,
            r.review.comment,
        )
        for r in _every(request, current, chosen)
    ]
    return xlsx_response("评价审核清单", "评价审核清单", QUEUE_COLUMNS, rows)


@router.get("/review/{uuid}", response_class=HTMLResponse)
def evaluation(request: Request, current: Signed, uuid: str, back: str = "") -> HTMLResponse:
    with database(request).session() as session:
        received = records.read(session, current.caller, uuid[:64])
    return render(
        request,
        "review_detail.html",
        current,
        title=f"{received.unit.name} · {received.kind}",
        e=received,
        back=back if back.startswith("/review") and not back.startswith("//") else "/review",
        may_review=current.caller.role in (Role.STATION, Role.COUNTY),
        returned=ReviewStatus.RETURNED,
        accepted=ReviewStatus.ACCEPTED,
    )


@router.post("/review/{uuid}")
def decide(
    request: Request,
    current: Signed,
    uuid: str,
    decision: Annotated[str, Form(max_length=16)] = "",
    comment: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(current, csrf)
    if decision not in {d.value for d in DECISIONS}:
        raise Invalid("请选择「通过」或「退回」后再提交")
    with database(request).session() as session:
        review_service.review(session, current.caller, uuid[:64], decision, comment)
    return RedirectResponse(f"/review/{uuid[:64]}?done={decision}", status_code=303)


def _blobs(request: Request) -> BlobStore:
    blobs: BlobStore = request.app.state.blobs
    return blobs


def _thumb(source: Path, target: Path) -> None:
    """A small JPEG of ``source`` beside the server's data, made once and kept."""
    try:
        with Image.open(source) as image:
            image.thumbnail((THUMB_SIZE, THUMB_SIZE))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
    except (OSError, UnidentifiedImageError):
        raise Missing("照片文件无法打开；请联系县局管理员检查服务器上的照片") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(out.getvalue())
    os.replace(tmp, target)


@router.get("/review/{uuid}/photos/{sha256}")
def photo(
    request: Request,
    current: Signed,
    uuid: str,
    sha256: str,
    size: Annotated[str, Query(pattern="^(full|thumb)$")] = "full",
) -> Response:
    with database(request).session() as session:
        records.blob_of(session, current.caller, uuid[:64], sha256[:64])
    blobs = _blobs(request)
    source = blobs.path(sha256)
    if not source.is_file():
        raise Missing("服务器上缺少这张照片的文件；请让检查人员重新同步")
    if size == "full":
        return FileResponse(source, media_type=_media_type(source))
    target = request.app.state.config.data_dir / "thumbs" / f"{sha256}.jpg"
    if not target.is_file():
        _thumb(source, target)
    return FileResponse(target, media_type="image/jpeg")


def _media_type(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\x89PNG"):
        return "image/png"
    return "image/jpeg"


@router.get("/review/{uuid}/sheet.pdf")
def sheet(request: Request, current: Signed, uuid: str) -> Response:
    with database(request).session() as session:
        received = records.read(session, current.caller, uuid[:64])
    with tempfile.TemporaryDirectory(dir=request.app.state.config.tmp_dir) as folder:
        out = Path(folder) / "sheet.pdf"
        records.write_sheet(received, _blobs(request), out)
        data = out.read_bytes()
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="sheet-{received.uuid[:8]}.pdf"'},
    )
