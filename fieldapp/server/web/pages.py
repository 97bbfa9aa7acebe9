"""What every console page shares: who is signed in, CSRF, rendering; and the sign-in pages.

A page takes :data:`Signed` (the account behind the session cookie, or a redirect to the sign-in
page) and renders a template with :func:`render`; a form handler first calls :func:`check_csrf`.
Errors the services raise (:class:`~fieldapp.server.accounts.ServerError`: another station's
record, a missing one, a bad value) become a page saying what was wrong and what to do, with
the same status the API would answer.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from fieldapp import __version__
from fieldapp.domain.events import Role
from fieldapp.reports.sheet import MARKS
from fieldapp.server.accounts import ServerError
from fieldapp.server.db import Database
from fieldapp.server.models import utc_now
from fieldapp.server.web import signin

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
COOKIE = "fieldapp_session"
LOGIN_COOKIE = "fieldapp_login"  # the sign-in form's double-submit CSRF value

# No script, no frame, nothing from another origin: the console works on a LAN with no internet.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

router = APIRouter()


class NotSignedIn(Exception):
    """The request has no valid session: the browser goes to the sign-in page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class Forged(ServerError):
    status = 403


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def signed_in(request: Request) -> signin.Current:
    with database(request).session() as session:
        current = signin.current(session, request.cookies.get(COOKIE), utc_now())
    if current is None:
        raise NotSignedIn(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return current


Signed = Annotated[signin.Current, Depends(signed_in)]


def check_csrf(current: signin.Current, given: str | None) -> None:
    """Refuse a form that does not carry the session's CSRF token (another site's form)."""
    if not signin.csrf_matches(current.csrf, given):
        raise Forged(
            "表单缺少有效的安全令牌（可能已过期或来自其他网站），未保存；请刷新页面后重新提交"
        )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


TEMPLATES.env.filters["percent"] = _percent
TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["mark"] = lambda result: MARKS.get(result or "", "未检查")  # as the sheet
TEMPLATES.env.globals["version"] = __version__
TEMPLATES.env.globals["Role"] = Role


def render(
    request: Request,
    template: str,
    current: signin.Current | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {"me": current.caller if current else None, "csrf": current.csrf if current else ""}
        | context,
        status_code=status_code,
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never ``//host`` or a full address) after signing in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/overview"


def _login_page(
    request: Request, message: str = "", name: str = "", target: str = "", status_code: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        None,
        status_code=status_code,
        message=message,
        name=name,
        target=target,
        login_csrf=token,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, next: str = "") -> Response:
    with database(request).session() as session:
        current = signin.current(session, request.cookies.get(COOKIE), utc_now())
    if current is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, target=next)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not signin.csrf_matches(expected, csrf):
        return _login_page(
            request,
            "登录表单已过期或来源不明，请重新输入姓名和密码",
            name,
            next,
            status_code=403,
        )
    with database(request).session() as session:
        result = signin.sign_in(session, name, password, utc_now())
    if isinstance(result, signin.Refused):
        return _login_page(request, result.message, name, next, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        result.cookie,
        max_age=signin.SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(
    request: Request, current: Signed, csrf: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    check_csrf(current, csrf)
    with database(request).session() as session:
        signin.sign_out(session, request.cookies.get(COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def is_console(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path in ("/health", "/openapi.json", "/docs"))


def error_page(request: Request, exc: ServerError) -> HTMLResponse:
    with database(request).session() as session:
        current = signin.current(session, request.cookies.get(COOKIE), utc_now())
    titles = {401: "请先登录", 403: "无权访问", 404: "找不到", 409: "有冲突", 413: "内容太大"}
    return render(
        request,
        "error.html",
        current,
        status_code=exc.status,
        title=titles.get(exc.status, "未能完成"),
        message=str(exc),
    )


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(_request: Request, exc: NotSignedIn) -> Response:
        return RedirectResponse(f"/?next={quote(exc.path, safe='/')}", status_code=303)
