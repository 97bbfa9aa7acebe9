"""设备 (every laptop's unsynced work and last sync) and 账号 (county only: add, set a
password, change a role, revoke). Accounts are written by :mod:`fieldapp.server.accounts` and
:mod:`.signin`, the functions ``fieldapp-server users`` uses."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from fieldapp.domain.events import Role
from fieldapp.server import accounts
from fieldapp.server import review as review_service
from fieldapp.server.accounts import Caller, Forbidden, Invalid
from fieldapp.server.models import Login, utc_now
from fieldapp.server.web import signin
from fieldapp.server.web.pages import Signed, check_csrf, database, render
from fieldapp.server.web.workbook import xlsx_response

router = APIRouter()


@router.get("/devices", response_class=HTMLResponse)
def devices(
    request: Request, current: Signed, station: Annotated[str, Query(max_length=64)] = ""
) -> HTMLResponse:
    with database(request).session() as session:
        rows = review_service.devices(session, current.caller, station or None)
    return render(request, "devices.html", current, title="设备", rows=rows, station=station)


@router.get("/devices.xlsx")
def devices_xlsx(request: Request, current: Signed) -> Response:
    with database(request).session() as session:
        rows = review_service.devices(session, current.caller)
    return xlsx_response(
        "设备同步情况",
        "设备同步情况",
        ("所（分局）", "账号", "设备", "未同步评价", "上次同步", "上次联系", "时钟偏差（秒）"),
        [
            (
                d.station,
                d.account,
                d.label or d.device_id[:8],
                d.unsynced,
                d.last_sync_at,
                d.last_seen_at,
                round(d.clock_offset_seconds),
            )
            for d in rows
        ],
    )


def _county_only(caller: Caller) -> None:
    if caller.role != Role.COUNTY:
        raise Forbidden("账号管理只对县局账号开放；需要新增或重设账号请联系县局管理员")


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, current: Signed) -> HTMLResponse:
    _county_only(current.caller)
    with database(request).session() as session:
        rows = accounts.list_users(session)
        with_password = set(session.scalars(select(Login.account_id)))
    return render(
        request,
        "accounts.html",
        current,
        title="账号",
        rows=rows,
        with_password=with_password,
        roles=list(Role),
        message=request.query_params.get("message", "")[:200],
    )


@router.post("/accounts", response_class=HTMLResponse)
def add_account(
    request: Request,
    current: Signed,
    name: Annotated[str, Form(max_length=64)] = "",
    station: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    check_csrf(current, csrf)
    _county_only(current.caller)
    with database(request).session() as session:
        account, token = accounts.add_user(session, name, station, role)
        shown = (account.name, account.station, account.role.label)
    return render(request, "token.html", current, title="新账号的令牌", account=shown, token=token)


@router.post("/accounts/{account_id}")
def change_account(
    request: Request,
    current: Signed,
    account_id: int,
    action: Annotated[str, Form(max_length=16)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    password_again: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    check_csrf(current, csrf)
    _county_only(current.caller)
    with database(request).session() as session:
        if action == "password":
            if password != password_again:
                raise Invalid("两次输入的密码不一致，未修改；请返回重新输入")
            account = session.get(accounts.Account, account_id)
            if account is None or account.revoked_at is not None:
                raise Invalid("这个账号不存在或已注销，不能设置密码")
            signin.set_password(session, account, password, utc_now())
            message = f"已为「{account.name}」设置密码，其已登录的浏览器需重新登录"
        elif action == "role":
            account = accounts.set_role(session, account_id, role)
            message = f"「{account.name}」的角色已改为{account.role.label}"
        elif action == "revoke":
            if account_id == current.caller.id:
                raise Invalid("不能注销自己正在使用的账号；请用另一个县局账号操作")
            account = accounts.revoke(session, account_id)
            signin.end_sessions(session, account_id)
            message = f"已注销「{account.name}」：令牌和网页登录都已失效"
        else:
            raise Invalid("请选择要进行的操作")
    return RedirectResponse(f"/accounts?message={quote(message)}", status_code=303)
