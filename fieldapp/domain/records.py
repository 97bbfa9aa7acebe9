"""States of the records fieldapp keeps: an evaluation's status, a signer's role, a sync batch.

Stored as these values, compared as these members: no module outside ``fieldapp/domain/``
spells them as strings (a test reads the source for that). Pure vocabulary, no I/O.
"""

from __future__ import annotations

from enum import StrEnum


class EvaluationStatus(StrEnum):
    DRAFT = "draft"
    FINALIZED = "finalized"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "finalized": "已定稿"}[self.value]


class EvaluationKind(StrEnum):
    POST_EVALUATION = "post_evaluation"
    ROUTINE = "routine"
    THREE_SERVICES = "three_services"
    FOLLOW_UP = "follow_up"
    RECTIFICATION_RECHECK = "rectification_recheck"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS: dict[EvaluationKind, str] = {
    EvaluationKind.POST_EVALUATION: "后评价",
    EvaluationKind.ROUTINE: "日常检查",
    EvaluationKind.THREE_SERVICES: "三服务走访",
    EvaluationKind.FOLLOW_UP: "回头看",
    EvaluationKind.RECTIFICATION_RECHECK: "暗访整改复查",
}


class ChecklistOrigin(StrEnum):
    """Where a checklist version in the library came from."""

    BUNDLED = "bundled"  # shipped with fieldapp
    COUNTY = "county"  # the county's own file in <data>/checklists
    SERVER = "server"  # sent down by the county server at a sync

    @property
    def label(self) -> str:
        # A checklist the server sent is the county's: both read 县局.
        return "内置" if self is ChecklistOrigin.BUNDLED else "县局"


class SignerRole(StrEnum):
    """Who signs an evaluation sheet (not an account's role: see ``events.Role``)."""

    INSPECTOR = "inspector"
    UNIT = "unit"

    @property
    def label(self) -> str:
        return {"inspector": "检查人员", "unit": "单位负责人"}[self.value]


class BatchStatus(StrEnum):
    """A sync batch in the laptop's ledger."""

    STARTED = "started"  # sent (or being sent); resent first at the next sync
    DONE = "done"  # the server's receipt confirmed it
    REFUSED = "refused"  # the server refused it as it is: resending cannot help
    EXPORTED = "exported"  # written to an offline bundle for the county to import


class BatchSource(StrEnum):
    ONLINE = "online"
    BUNDLE = "bundle"


class UnitChangeKind(StrEnum):
    """A unit change sent to the county: a unit found on site, or an edit of a known one."""

    NEW = "new"
    UPDATE = "update"


class ChangeOutcome(StrEnum):
    """What the county server did with a unit change."""

    APPLIED = "applied"
    CONFLICT = "conflict"  # held for the station: the server's version moved, or the rules refused


class ConflictKind(StrEnum):
    """What a conflict the server holds is about."""

    EVALUATION = "evaluation"
    UNIT_CHANGE = "unit_change"
    UNIT_PUBLISH = "unit_publish"  # a county list whose history the rules refuse
    CASE = "case"  # a 联络站's case the caller may not write, or an older version of one


class Published(StrEnum):
    """What publishing a county list did with one unit on the server."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"  # its history is refused by the rules: held for the county
