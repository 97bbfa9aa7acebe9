"""Passwords, sign-in with a lockout, and browser sessions for the web console.

A console password is an argon2id hash (argon2-cffi) in ``logins``, apart from the account's
device token: setting one never disturbs a laptop's sync. :data:`MAX_FAILURES` wrong passwords in
a row lock the account for :data:`LOCK_MINUTES`; an unknown name costs the same hashing time as a
known one and gets the same answer, so the form does not tell which names exist.

A session is a random cookie value whose SHA-256 is kept in ``web_sessions`` with the session's
CSRF token and its end (:data:`SESSION_HOURS`, a working day). Nothing lives in a worker's
memory, so any worker of a multi-worker server serves any request. Setting a password or
revoking the account ends every session of that account.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fieldapp.domain import text
from fieldapp.server import models as m
from fieldapp.server.accounts import Caller, Invalid, Missing, caller_of, token_hash

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 10
PASSWORD_MIN = 8
PASSWORD_MAX = 128

_hasher = PasswordHasher()
# Verified when the name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def password_problem(password: str) -> str | None:
    """What is wrong with ``password`` as a new password, or None."""
    if len(password) < PASSWORD_MIN:
        return f"密码至少 {PASSWORD_MIN} 个字符"
    if len(password) > PASSWORD_MAX:
        return f"密码最多 {PASSWORD_MAX} 个字符"
    if password != password.strip():
        return "密码首尾不能是空格"
    return text.control_problem(password, label="密码")


def active_account(session: Session, name: str) -> m.Account:
    """The one account named ``name`` that is not revoked (Missing / Invalid otherwise)."""
    found = list(
        session.scalars(
            select(m.Account).where(m.Account.name == name.strip(), m.Account.revoked_at.is_(None))
        )
    )
    if not found:
        raise Missing(f"没有名为「{name}」的有效账号；用 fieldapp-server users list 查看")
    if len(found) > 1:
        ids = "、".join(str(a.id) for a in found)
        raise Invalid(
            f"有 {len(found)} 个有效账号都叫「{name}」（编号 {ids}）：网页登录按姓名识别账号，"
            "请先注销多余的账号（fieldapp-server users revoke 编号）"
        )
    return found[0]


def set_password(session: Session, account: m.Account, password: str, now: datetime) -> None:
    """Give ``account`` a console password (clearing any lockout) and end its sessions."""
    problem = password_problem(password)
    if problem is not None:
        raise Invalid(problem + "，未修改")
    login = session.get(m.Login, account.id)
    if login is None:
        login = m.Login(account_id=account.id)
        session.add(login)
    login.password_hash = _hasher.hash(password)
    login.failures = 0
    login.locked_until = None
    login.changed_at = now
    end_sessions(session, account.id)


def end_sessions(session: Session, account_id: int) -> None:
    session.execute(delete(m.WebSession).where(m.WebSession.account_id == account_id))


@dataclass(frozen=True)
class SignedIn:
    """A new session: the cookie value (given to the browser once) and its CSRF token."""

    caller: Caller
    cookie: str
    csrf: str


@dataclass(frozen=True)
class Refused:
    message: str


def _as_aware(moment: datetime, like: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=like.tzinfo)


def sign_in(session: Session, name: str, password: str, now: datetime) -> SignedIn | Refused:
    """Check ``name`` and ``password``; a refusal is returned (not raised) so the caller's
    transaction keeps the failure count it wrote."""
    wrong = Refused("姓名或密码不对，请重新输入；忘记密码请联系县局管理员重设")
    name = name.strip()
    row = (
        session.execute(
            select(m.Account, m.Login)
            .join(m.Login, m.Login.account_id == m.Account.id)
            .where(m.Account.name == name, m.Account.revoked_at.is_(None))
        ).first()
        if name and len(name) <= 64
        else None
    )
    if row is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return wrong
    account, login = row
    if login.locked_until is not None and _as_aware(login.locked_until, now) > now:
        until = _as_aware(login.locked_until, now).astimezone().strftime("%H:%M")
        return Refused(
            f"连续 {MAX_FAILURES} 次密码错误，账号已锁定到 {until}；"
            "请到时再试，或请县局管理员重设密码"
        )
    try:
        _hasher.verify(login.password_hash, password)
    except (VerificationError, InvalidHashError):
        login.failures += 1
        if login.failures >= MAX_FAILURES:
            login.failures = 0
            login.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            return Refused(
                f"连续 {MAX_FAILURES} 次密码错误，账号已锁定 {LOCK_MINUTES} 分钟；"
                "请稍后再试，或请县局管理员重设密码"
            )
        left = MAX_FAILURES - login.failures
        return Refused(f"{wrong.message}（再错 {left} 次账号将锁定 {LOCK_MINUTES} 分钟）")
    login.failures = 0
    login.locked_until = None
    if _hasher.check_needs_rehash(login.password_hash):
        login.password_hash = _hasher.hash(password)
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        m.WebSession(
            token_sha256=token_hash(cookie),
            account_id=account.id,
            csrf=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    )
    return SignedIn(caller_of(account), cookie, csrf)


@dataclass(frozen=True)
class Current:
    """The signed-in account of a request and its session's CSRF token."""

    caller: Caller
    csrf: str


def current(session: Session, cookie: str | None, now: datetime) -> Current | None:
    """The session behind ``cookie`` if it is still valid and its account not revoked."""
    if not cookie or len(cookie) > 200:
        return None
    row = session.execute(
        select(m.WebSession, m.Account)
        .join(m.Account, m.Account.id == m.WebSession.account_id)
        .where(m.WebSession.token_sha256 == token_hash(cookie))
    ).first()
    if row is None:
        return None
    web, account = row
    if account.revoked_at is not None or _as_aware(web.expires_at, now) <= now:
        return None
    return Current(caller_of(account), web.csrf)


def sign_out(session: Session, cookie: str | None) -> None:
    if cookie and len(cookie) <= 200:
        session.execute(delete(m.WebSession).where(m.WebSession.token_sha256 == token_hash(cookie)))


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected.encode(), (given or "").encode())
