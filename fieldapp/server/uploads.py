"""Each account's uploads that no committed batch references yet, and the bound on their volume.

A push uploads its photos and signatures before the batch that names them commits; a device that
stops halfway leaves files nothing uses, and so would an account uploading files no batch ever
names. Every upload is recorded against its account until a commit references the file (or the
sweep removes it), and an account whose unreferenced volume reached the bound gets no more until
its batches commit. Uploads running at the same moment are each checked against what was left
when they started, so the bound can be passed by at most one file per concurrent upload.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fieldapp.server import models as m
from fieldapp.server.db import put_row

DEFAULT_MAX_PENDING_BYTES = 2 * 1024 * 1024 * 1024  # two of the largest batches a client sends


def pending_bytes(session: Session, account_id: int, besides: str = "") -> int:
    """What the account uploaded that no committed batch references (``besides`` not counted:
    sending a file again replaces it)."""
    total = session.scalar(
        select(func.coalesce(func.sum(m.PendingUpload.size), 0)).where(
            m.PendingUpload.account_id == account_id, m.PendingUpload.sha256 != besides
        )
    )
    return int(total or 0)


def refused_message(limit: int) -> str:
    return (
        f"本账号已上传但尚未提交的照片和签名超过 {limit // (1024 * 1024)} MB 上限，"
        "服务器暂不接收更多照片。请先完成一次同步（让已上传的照片随评价提交）；"
        "仍然如此请联系县局"
    )


def record(session: Session, account_id: int, sha256: str, size: int, now: datetime) -> None:
    """Count ``sha256`` against the account unless a committed batch already references it."""
    if session.get(m.Blob, sha256) is not None:
        return
    key = {"sha256": sha256, "account_id": account_id}
    put_row(session, m.PendingUpload, key, {"size": size, "uploaded_at": now})


def settle(session: Session, hashes: Iterable[str]) -> None:
    """Files a commit now references no longer count against anyone."""
    names = sorted(set(hashes))
    for start in range(0, len(names), 500):
        session.execute(
            delete(m.PendingUpload).where(m.PendingUpload.sha256.in_(names[start : start + 500]))
        )
