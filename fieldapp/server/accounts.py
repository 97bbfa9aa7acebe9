"""Accounts and their tokens, and who may see which station's data.

Tokens are ``secrets.token_urlsafe(32)``, shown once and stored only as their SHA-256. An
inspector and a station head reach their own station, the county every station; anything outside
that is refused with 403, never quietly filtered out.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.domain import text
from fieldapp.domain.events import ROLE_LABELS as ROLE_LABELS
from fieldapp.domain.events import Role
from fieldapp.server.models import Account, utc_now


class ServerError(Exception):
    """A request the server refuses; ``status`` is the HTTP status, ``str()`` the message."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class Unauthorized(ServerError):
    status = 401


class Forbidden(ServerError):
    status = 403


class Missing(ServerError):
    status = 404


class Clash(ServerError):
    status = 409


class Invalid(ServerError):
    status = 422


def checked(value: str, kind: text.TextKind, label: str) -> str:
    """``value`` if the text policy allows it (domain/text.py), else Invalid (422) naming
    ``label``: a NUL would make PostgreSQL fail the request with a 500."""
    message = text.problem(value, kind, label)
    if message is not None:
        raise Invalid(message)
    return value


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Caller:
    """The account behind a request."""

    id: int
    name: str
    station: str
    role: Role

    def sees(self, station: str) -> bool:
        return self.role == Role.COUNTY or station == self.station

    def check_station(self, station: str, what: str) -> None:
        checked(station, text.NAME, "所（分局）")
        if not self.sees(station):
            raise Forbidden(
                f"{what}属于「{station}」，账号「{self.name}」（{self.role.label}，"
                f"{self.station}）无权访问；请使用该所的账号，或请县局处理"
            )

    def check_reviewer(self) -> None:
        if self.role not in (Role.STATION, Role.COUNTY):
            raise Forbidden(
                f"账号「{self.name}」是检查人员，不能审核评价；审核须由所（分局）负责人或县局进行"
            )


def authenticate(session: Session, header: str | None) -> Caller:
    if not header:
        raise Unauthorized("缺少令牌：请在请求头中带上 Authorization: Bearer <令牌>")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("令牌格式不对：应为 Authorization: Bearer <令牌>")
    account = session.scalar(
        select(Account).where(Account.token_sha256 == token_hash(token.strip()))
    )
    if account is None:
        raise Unauthorized("令牌无效：请向县局管理员（fieldapp-server users add）索取新令牌")
    if account.revoked_at is not None:
        raise Unauthorized(f"账号「{account.name}」的令牌已被注销，请向县局管理员索取新令牌")
    return caller_of(account)


def caller_of(account: Account) -> Caller:
    return Caller(account.id, account.name, account.station, Role(account.role))


def parse_role(role: str) -> Role:
    try:
        return Role(role.strip())
    except ValueError:
        choices = "、".join(f"{r.value}（{r.label}）" for r in Role)
        raise Invalid(f"角色「{role}」无效，可用：{choices}") from None


def new_token() -> str:
    """A random token that never starts with ``-``: typed after ``--token`` without ``=``, the
    command line would take such a token for an option and refuse it."""
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def add_user(session: Session, name: str, station: str, role: str) -> tuple[Account, str]:
    """A new account and its token (returned once; only its hash is kept)."""
    name, station = name.strip(), station.strip()
    role = parse_role(role)
    if not name or not station:
        raise Invalid("请填写姓名（--name）和所属所（--station）")
    checked(name, text.NAME, "姓名")
    checked(station, text.NAME, "所属所")
    token = new_token()
    account = Account(name=name, station=station, role=role, token_sha256=token_hash(token))
    session.add(account)
    session.flush()
    return account, token


def list_users(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.id)))


def revoke(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise Missing(f"没有编号为 {account_id} 的账号，请用 fieldapp-server users list 查看")
    if account.revoked_at is None:
        account.revoked_at = utc_now()
    return account


def set_role(session: Session, account_id: int, role: str) -> Account:
    """Change an account's role (its token and station stay)."""
    account = session.get(Account, account_id)
    if account is None:
        raise Missing(f"没有编号为 {account_id} 的账号，请刷新账号列表")
    if account.revoked_at is not None:
        raise Invalid(f"账号「{account.name}」已注销，不能修改角色；请新增账号")
    account.role = parse_role(role)
    return account
