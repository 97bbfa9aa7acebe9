"""Why a unit holds a station back (the dashboard's 暂缓 lists): one reason per list."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    NOT_EVALUATED = "not_evaluated"
    RECTIFICATION_OVERDUE = "rectification_overdue"
    NO_STICKER = "no_sticker"
    STICKER_NO_PHOTO = "sticker_no_photo"
    STALE = "stale"
    EVIDENCE = "evidence"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS: dict[Reason, str] = {
    Reason.NOT_EVALUATED: "本年未评价",
    Reason.RECTIFICATION_OVERDUE: "整改逾期",
    Reason.NO_STICKER: "未张贴标识",
    Reason.STICKER_NO_PHOTO: "标识无照片",
    Reason.STALE: "长期未变化",
    Reason.EVIDENCE: "证据存疑",
}
