"""The county's review of a received evaluation: its outcomes, shared by the server and the
desktop app (which shows the outcome it pulled). Pure vocabulary, no I/O."""

from __future__ import annotations

from enum import StrEnum


class ReviewStatus(StrEnum):
    PENDING = "pending"  # received, not reviewed yet
    ACCEPTED = "accepted"
    RETURNED = "returned"  # sent back to the inspector with a comment

    @property
    def label(self) -> str:
        return REVIEW_LABELS[self]


REVIEW_LABELS: dict[ReviewStatus, str] = {
    ReviewStatus.PENDING: "待审核",
    ReviewStatus.ACCEPTED: "已接收",
    ReviewStatus.RETURNED: "已退回",
}

# What a reviewer may decide (a review never sets an evaluation back to pending).
DECISIONS: tuple[ReviewStatus, ...] = (ReviewStatus.ACCEPTED, ReviewStatus.RETURNED)
