"""The FastAPI application of the county server: API v1 for sync, review and devices, and the
county office's web console (:mod:`fieldapp.server.web`).

Every endpoint but ``/health`` needs ``Authorization: Bearer <token>``. Bodies are size-limited
before they are read; every refusal is a 4xx with a message in Chinese saying what was wrong and
what to do, and nothing is written by a refused request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from fieldapp import __version__
from fieldapp.domain import text
from fieldapp.domain.events import Role
from fieldapp.domain.holdbacks import Reason
from fieldapp.domain.review import ReviewStatus
from fieldapp.server import (
    accounts,
    figures,
    holdback_counts,
    holdbacks,
    ingest,
    reference,
    uploads,
)
from fieldapp.server import review as review_service
from fieldapp.server import worklists as server_worklists
from fieldapp.server.accounts import Caller, Invalid, ServerError
from fieldapp.server.blobs import BlobRefused, BlobStore
from fieldapp.server.config import ServerConfig
from fieldapp.server.db import Database
from fieldapp.server.models import utc_now
from fieldapp.server.web import mount as mount_console
from fieldapp.server.web import pages
from fieldapp.services.progress import as_json
from fieldapp.sync import wire
from fieldapp.sync.wire import API_PREFIX

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Health(BaseModel):
    status: str
    version: str
    server_time: datetime


class BodyLimit:
    """Refuse a body over the limit with 413 before the application reads it all."""

    def __init__(self, app: ASGIApp, json_limit: int, blob_limit: int) -> None:
        self.app = app
        self.json_limit = json_limit
        self.blob_limit = blob_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.blob_limit if "/blobs/" in scope["path"] else self.json_limit
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(send, limit)
            return
        received = 0
        refused = False

        async def limited() -> Message:
            # Over the limit, the 413 goes out at once and the application is told the client
            # left: FastAPI would turn an exception raised while it parses a body into a 400.
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not refused:
                        refused = True
                        await _too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, limited, unless_refused)
        except Exception:
            if not refused:
                raise


async def _too_large(send: Send, limit: int) -> None:
    response = JSONResponse(
        {"detail": f"请求内容超过 {limit // (1024 * 1024)} MB 上限，未保存；请分批同步"},
        status_code=413,
    )
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def _describe(errors: list[Any]) -> str:
    """pydantic's errors as one Chinese message naming each field and, for a value the domain
    does not know, the value and the choices."""
    parts = []
    for error in errors[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "请求"
        kind = error.get("type", "")
        if kind == "json_invalid":
            parts.append("请求内容不是有效的 JSON")
        elif kind == "missing":
            parts.append(f"缺少字段 {where}")
        elif kind == "extra_forbidden":
            parts.append(f"多余的字段 {where}")
        elif kind == "value_error":  # our own validators: the message is already Chinese
            message = str(error.get("msg", "无效")).removeprefix("Value error, ")
            parts.append(f"字段 {where}：{message}")
        elif kind == "string_too_short":
            parts.append(f"字段 {where}：不能为空")
        elif kind == "string_too_long":
            limit = (error.get("ctx") or {}).get("max_length", "")
            parts.append(f"字段 {where}：太长（最多 {limit} 个字）")
        elif kind in ("enum", "literal_error"):
            value = str(error.get("input", ""))[:60]
            expected = (error.get("ctx") or {}).get("expected", "")
            parts.append(f"字段 {where}：「{value}」不是可用的值，可用：{expected}")
        else:
            parts.append(f"字段 {where}：{error.get('msg', '无效')}")
    more = f"等 {len(errors)} 处" if len(errors) > 5 else ""
    return "请求被拒绝，未保存：" + "；".join(parts) + more + "。请检查客户端版本是否与服务器一致"


# A station query parameter as the server checks it (the text policy's one-line rule).
STATION_SCHEMA = {"pattern": text.ONE_LINE_PATTERN}

bearer = HTTPBearer(auto_error=False, description="fieldapp-server users add 给出的令牌")


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """The account behind the request's bearer token (401 without a valid one)."""
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    db: Database = request.app.state.db
    with db.session() as session:
        return accounts.authenticate(session, header)


Auth = Annotated[Caller, Depends(caller)]


def create_app(config: ServerConfig | None = None) -> FastAPI:
    config = config or ServerConfig.resolve()
    db = Database(config.database_url)
    blobs = BlobStore(config.blob_dir, config.tmp_dir)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(holdback_counts.wait_for_refresh)  # a fold under way is kept
        db.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="fieldapp county server",
        version=__version__,
        description="放心消费单位评价县级服务器：接收各所检查人员同步的评价与照片。",
    )
    app.state.db = db
    app.state.blobs = blobs
    app.state.config = config
    app.add_middleware(
        BodyLimit,
        json_limit=config.max_json_bytes,
        blob_limit=config.max_blob_bytes,
    )

    @app.exception_handler(ServerError)
    async def _server_error(request: Request, exc: ServerError) -> Response:
        if pages.is_console(request):
            return pages.error_page(request, exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"detail": str(exc)}, status_code=exc.status, headers=headers)

    @app.exception_handler(BlobRefused)
    async def _blob_refused(_request: Request, exc: BlobRefused) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # FastAPI answers a body it cannot decode (not UTF-8, broken form data) with a 400 of
        # its own; it is an invalid request like any other: a 422 saying what to do.
        if exc.status_code == 400 and not pages.is_console(request):
            return JSONResponse(
                {"detail": "请求内容无法解析（不是有效的 UTF-8 JSON），未保存；请检查客户端版本"},
                status_code=422,
            )
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if pages.is_console(request):
            message = _describe(list(exc.errors())).removesuffix(
                "。请检查客户端版本是否与服务器一致"
            )
            return pages.error_page(request, Invalid(message + "。请修改后重新提交"))
        return JSONResponse({"detail": _describe(list(exc.errors()))}, status_code=422)

    errors: dict[int | str, dict[str, Any]] = {
        code: {"model": wire.ErrorBody} for code in (401, 403, 404, 409, 413, 422)
    }

    @app.get("/health", response_model=Health, tags=["health"])
    def health() -> Health:
        """Liveness and the server's clock (clients compare it with theirs at every sync)."""
        return Health(status="ok", version=__version__, server_time=utc_now())

    @app.get(f"{API_PREFIX}/me", tags=["sync"], responses=errors)
    def me(who: Auth) -> wire.Me:
        """Who the token belongs to, and the server's clock."""
        return wire.Me(
            name=who.name,
            station=who.station,
            role=who.role,
            server_time=utc_now(),
        )

    @app.post(f"{API_PREFIX}/batches", tags=["sync"], responses=errors)
    def check_batch(manifest: wire.Manifest, who: Auth) -> wire.ManifestAnswer:
        """Step 1 of a push: the manifest; the answer lists the blobs the server lacks."""
        return ingest.check(db, blobs, who, manifest)

    @app.put(
        f"{API_PREFIX}/blobs/{{sha256}}",
        tags=["sync"],
        responses=errors,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        },
    )
    async def put_blob(
        request: Request,
        who: Auth,
        sha256: Annotated[
            str,
            Path(
                max_length=200,
                description="内容的 SHA-256",
                json_schema_extra={"pattern": wire.SHA256_PATTERN},
            ),
        ],
    ) -> wire.BlobStored:
        """Step 2: one photo or signature image, verified against its hash while it streams.

        An account's uploads that no committed batch references are bounded
        (``--max-pending-mb``): past the bound the answer is 413 until its batches commit.
        """
        left = config.max_pending_bytes - await run_in_threadpool(_pending, who.id, sha256)
        if left <= 0:
            raise BlobRefused(uploads.refused_message(config.max_pending_bytes), status=413)
        limit = min(config.max_blob_bytes, left)
        try:
            size, created = await blobs.put_stream(sha256, request.stream(), limit)
        except BlobRefused as exc:
            if exc.status == 413 and limit < config.max_blob_bytes:
                raise BlobRefused(uploads.refused_message(config.max_pending_bytes), 413) from exc
            raise
        await run_in_threadpool(_record_upload, who.id, sha256, size)
        return wire.BlobStored(sha256=sha256, size=size, created=created)

    def _pending(account_id: int, sha256: str) -> int:
        with db.session() as session:
            return uploads.pending_bytes(session, account_id, besides=sha256)

    def _record_upload(account_id: int, sha256: str, size: int) -> None:
        with db.session() as session:
            uploads.record(session, account_id, sha256, size, utc_now())

    @app.post(f"{API_PREFIX}/batches/{{batch_id}}/commit", tags=["sync"], responses=errors)
    def commit_batch(
        batch_id: Annotated[
            str, Path(max_length=64, json_schema_extra={"pattern": wire.UUID_PATTERN})
        ],
        manifest: wire.Manifest,
        who: Auth,
    ) -> wire.Receipt:
        """Step 3: commit the batch in one transaction; the receipt lists what was stored."""
        if batch_id != manifest.batch_id:
            raise Invalid(f"地址中的批次号 {batch_id[:64]} 与内容中的 {manifest.batch_id} 不一致")
        return ingest.commit(db, blobs, who, manifest)

    @app.post(f"{API_PREFIX}/devices/report", tags=["sync"], responses=errors)
    def report_device(report: wire.DeviceReport, who: Auth) -> wire.DeviceInfo:
        """A device's unsynced count and last sync, sent at the end of every sync."""
        with db.session() as session:
            return ingest.report_device(session, who, report)

    @app.get(f"{API_PREFIX}/pull", tags=["sync"], responses=errors)
    def pull(
        who: Auth,
        cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
        limit: Annotated[int, Query(ge=1, le=reference.PULL_LIMIT)] = reference.PULL_LIMIT,
        summaries: Annotated[
            bool,
            Query(description="同时下发本所（县局：全县）其他电脑的评价摘要（不含照片）"),
        ] = False,
        cases: Annotated[
            bool, Query(description="同时下发本所（县局：全县）联络站的台账记录")
        ] = False,
    ) -> wire.Pull:
        """Units, checklists, targets, assignments and review outcomes changed after ``cursor``."""
        with db.session() as session:
            return reference.pull(session, who, cursor, limit, summaries, cases)

    @app.get(f"{API_PREFIX}/evaluations", tags=["review"], responses=errors)
    def list_evaluations(
        who: Auth,
        status: Annotated[
            str | None,
            Query(max_length=16, json_schema_extra={"enum": [r.value for r in ReviewStatus]}),
        ] = None,
        station: Annotated[
            str | None, Query(max_length=64, json_schema_extra=STATION_SCHEMA)
        ] = None,
    ) -> list[wire.ReceivedEvaluation]:
        """Received evaluations in the caller's scope, optionally by review status and station."""
        with db.session() as session:
            return review_service.received(session, who, status, station)

    @app.post(f"{API_PREFIX}/evaluations/{{uuid}}/review", tags=["review"], responses=errors)
    def review(
        uuid: Annotated[str, Path(max_length=64, json_schema_extra={"pattern": wire.UUID_PATTERN})],
        request: wire.ReviewRequest,
        who: Auth,
    ) -> wire.WireReview:
        """Accept or return (with a comment) a received evaluation."""
        with db.session() as session:
            return review_service.review(session, who, uuid, request.status, request.comment)

    @app.get(f"{API_PREFIX}/devices", tags=["review"], responses=errors)
    def list_devices(
        who: Auth,
        station: Annotated[
            str | None, Query(max_length=64, json_schema_extra=STATION_SCHEMA)
        ] = None,
    ) -> list[wire.DeviceInfo]:
        """Devices and their stranded work (evaluations finalised but not yet synced)."""
        with db.session() as session:
            return review_service.devices(session, who, station)

    @app.get(f"{API_PREFIX}/progress", tags=["figures"], responses=errors)
    def get_progress(
        who: Auth,
        year: Annotated[int, Query(ge=1900, le=2200, description="任务年度")],
        station: Annotated[
            str | None, Query(max_length=64, json_schema_extra=STATION_SCHEMA)
        ] = None,
    ) -> dict[str, Any]:
        """A year's progress against the station task tables, as ``fieldapp progress --json``
        prints it (with its ``plan`` section of the other target kinds), counted by the
        desktop's own rules from the units' dated histories: the county sees every station (or
        ``station``), a station's account its own."""
        with db.session() as session:
            report, plan_report = figures.figures(session, who, year, station)
        return jsonable_encoder(as_json(report) | {"plan": plan_report.as_dict()})

    @app.get(f"{API_PREFIX}/holdbacks", tags=["figures"], responses=errors)
    def get_holdbacks(
        who: Auth,
        year: Annotated[int, Query(ge=1900, le=2200, description="任务年度")],
        station: Annotated[
            str | None, Query(max_length=64, json_schema_extra=STATION_SCHEMA)
        ] = None,
        reason: Annotated[Reason | None, Query(description="只列这一种原因的单位")] = None,
    ) -> dict[str, Any]:
        """Per station, the units holding it back and why (本年未评价, 整改逾期, 未张贴标识,
        标识无照片, 长期未变化, 证据存疑) as of today, decided by the desktop dashboard's own fold
        over the server's records: the county sees every station (or ``station``), a station's
        account its own. With ``reason``, only that reason's units are listed."""
        today = date.today()
        with db.session() as session:
            lists = holdbacks.hold_backs(session, who, year, today, station)
        return holdbacks.as_json(lists, year, today, reason)

    @app.get(f"{API_PREFIX}/worklists", tags=["figures"], responses=errors)
    def get_worklists(
        who: Auth,
        day: Annotated[
            date | None, Query(description="哪一天（默认今天）；每周回头看取这一天所在的一周")
        ] = None,
        station: Annotated[
            str | None, Query(max_length=64, json_schema_extra=STATION_SCHEMA)
        ] = None,
        later: Annotated[bool, Query(description="每周回头看也列以后才到期的整改")] = False,
    ) -> dict[str, Any]:
        """每天网上巡 (units with a step of their history dated the day, or an evaluation begun or
        finalised on it) and 每周回头看 (open 整改 due by that week's Sunday, overdue included),
        made by the desktop's own functions over the server's records, in the caller's scope."""
        on = day or date.today()
        with db.session() as session:
            changed = server_worklists.daily(session, who, on, station)
            due = server_worklists.weekly(session, who, on, station, later=later)
        return server_worklists.as_json(on, changed, due)

    @app.get(f"{API_PREFIX}/stats", tags=["review"], responses=errors)
    def get_stats(who: Auth) -> wire.Stats:
        """Counts of units, evaluations, blobs, conflicts and devices (county staff only)."""
        if who.role != Role.COUNTY:
            raise accounts.Forbidden(
                "统计数据只对县局账号开放；所（分局）请查看 devices 和 evaluations"
            )
        with db.session() as session:
            return review_service.stats(session)

    mount_console(app)
    return app
