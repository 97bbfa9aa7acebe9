"""The 放心消费单位 lifecycle (DOMAIN.md B): states, allowed moves, exits and their reasons.

选育池 → 培育库 → 承诺公示 → 后评价 → 放心消费单位(年度) (with 标识张贴) → next year's 后评价.
后评价 outcomes: 保留 (stay confirmed), 提升 → 星级库, 整改 → 预警库 → re-check, 移出, 注销.
Seed 002 §二(三) names three exits of a business (关停、转让、注销) and three reasons to 移出 a unit
(不宜培育、多次违法违规、经评估难以达到创建标准); each is its own state or coded reason here, so a
county can report by them. Pure rules, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fieldapp.domain.vocab import canon


class State(StrEnum):
    CANDIDATE = "candidate"
    CULTIVATING = "cultivating"
    COMMITTED = "committed"
    EVALUATING = "evaluating"
    CONFIRMED = "confirmed"
    STARRED = "starred"
    WARNING = "warning"
    REMOVED = "removed"
    SHUT = "shut"
    TRANSFERRED = "transferred"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


STATE_LABELS: dict[State, str] = {
    State.CANDIDATE: "选育池",
    State.CULTIVATING: "培育库",
    State.COMMITTED: "承诺公示",
    State.EVALUATING: "后评价",
    State.CONFIRMED: "放心消费单位",
    State.STARRED: "星级库",
    State.WARNING: "预警库",
    State.REMOVED: "移出",
    State.SHUT: "关停",
    State.TRANSFERRED: "转让",
    State.CLOSED: "注销",
}

_STATE_ALIASES: dict[State, tuple[str, ...]] = {
    State.CANDIDATE: ("选育池", "选育", "候选"),
    State.CULTIVATING: ("培育库", "培育", "培育中", "入库"),
    State.COMMITTED: ("承诺公示", "已公示", "公示"),
    State.EVALUATING: ("后评价", "待后评价", "评价中"),
    State.CONFIRMED: ("放心消费单位", "年度放心消费单位", "已命名", "命名", "保留", "通过", "在期"),
    State.STARRED: ("星级库", "星级", "提升"),
    State.WARNING: ("预警库", "预警", "整改", "整改中"),
    State.REMOVED: ("移出", "撤销", "剔除", "摘牌", "淘汰"),
    State.SHUT: ("关停", "已关停", "停业", "歇业"),
    State.TRANSFERRED: ("转让", "已转让"),
    State.CLOSED: ("注销", "已注销"),
}

_STATE_LOOKUP = {
    canon(alias): state
    for state, aliases in _STATE_ALIASES.items()
    for alias in (state.value, *aliases)
}


def parse_state(text: str) -> State | None:
    return _STATE_LOOKUP.get(canon(text))


class ExitReason(StrEnum):
    """Why a unit is 移出 (seed 002 §二(三)), coded so the county can count by reason."""

    UNSUITABLE = "unsuitable"
    VIOLATIONS = "violations"
    UNREACHABLE = "unreachable"
    OTHER = "other"

    @property
    def label(self) -> str:
        return EXIT_REASON_LABELS[self]


EXIT_REASON_LABELS: dict[ExitReason, str] = {
    ExitReason.UNSUITABLE: "不宜培育",
    ExitReason.VIOLATIONS: "多次违法违规",
    ExitReason.UNREACHABLE: "经评估难以达到创建标准",
    ExitReason.OTHER: "其他",
}
_EXIT_REASON_LOOKUP = {
    canon(alias): reason
    for reason, label in EXIT_REASON_LABELS.items()
    for alias in (reason.value, label)
} | {canon("难以达到创建标准"): ExitReason.UNREACHABLE, canon("难以达标"): ExitReason.UNREACHABLE}


def parse_exit_reason(text: str) -> ExitReason | None:
    return _EXIT_REASON_LOOKUP.get(canon(text))


# The business is gone or no longer the same business: 关停、转让、注销 (seed 002 §二(三)).
BUSINESS_EXITS: tuple[State, ...] = (State.SHUT, State.TRANSFERRED, State.CLOSED)
EXITS: tuple[State, ...] = (State.REMOVED, *BUSINESS_EXITS)

TRANSITIONS: dict[State, tuple[State, ...]] = {
    State.CANDIDATE: (State.CULTIVATING, *EXITS),
    State.CULTIVATING: (State.COMMITTED, *EXITS),
    State.COMMITTED: (State.EVALUATING, State.WARNING, *EXITS),
    State.EVALUATING: (State.CONFIRMED, State.STARRED, State.WARNING, *EXITS),
    State.CONFIRMED: (State.EVALUATING, State.STARRED, State.WARNING, *EXITS),
    State.STARRED: (State.EVALUATING, State.WARNING, *EXITS),
    State.WARNING: (State.EVALUATING, State.CONFIRMED, *EXITS),
    State.REMOVED: (State.CANDIDATE, *BUSINESS_EXITS),
    State.SHUT: (State.CANDIDATE, State.CLOSED),  # reopened (a new 选育), or deregistered
    State.TRANSFERRED: (State.CLOSED,),  # the new operator is a new unit with its own code
    State.CLOSED: (),
}

# Moving into these states must say why (整改 names what is to be rectified; 关停/转让/注销 say
# what happened); leaving 移出 (re-entering the pool) must say why too.
REASON_REQUIRED: frozenset[State] = frozenset({State.WARNING, *EXITS})
REASON_REQUIRED_FROM: frozenset[State] = frozenset({State.REMOVED})

# States in which a unit counts toward the year's task (not candidates, not exited).
ACTIVE_STATES: frozenset[State] = frozenset(
    {
        State.CULTIVATING,
        State.COMMITTED,
        State.EVALUATING,
        State.CONFIRMED,
        State.STARRED,
        State.WARNING,
    }
)

# 建成: named 放心消费单位 (or raised to 星级库). Only these moves need the evidence of a passing
# 后评价 of the same year (:func:`naming_refusal`).
CONFIRMED_STATES: frozenset[State] = frozenset({State.CONFIRMED, State.STARRED})
NAMED_STATES = CONFIRMED_STATES

# Reached 承诺公示 (the June milestone): the state itself or any later one in the pool.
COMMITTED_OR_LATER: frozenset[State] = frozenset(
    {State.COMMITTED, State.EVALUATING, State.CONFIRMED, State.STARRED, State.WARNING}
)


def enters_pool(before: State | None, after: State | None) -> bool:
    """入库: a move into the pool from outside it (no state, 选育池 or an exit). The date of the
    last such move is the unit's 入库日期, from which it counts as 新培育."""
    return after in ACTIVE_STATES and before not in ACTIVE_STATES


def allowed_from(state: State | None) -> tuple[State, ...]:
    """Where a unit may go next; a unit with no state yet may start anywhere but the exits."""
    if state is None:
        return tuple(s for s in State if s not in EXITS)
    return TRANSITIONS[state]


def check_transition(
    current: State | None,
    target: State,
    reason: str | None,
    exit_reason: ExitReason | None = None,
) -> str | None:
    """Return why the move is refused, or None if it is allowed."""
    if current == target:
        return f"单位已处于「{target.label}」状态"
    allowed = allowed_from(current)
    if target not in allowed:
        names = "、".join(s.label for s in allowed) or "无（已注销的单位不能再变更）"
        here = current.label if current else "（无状态）"
        return f"不能从「{here}」变为「{target.label}」；允许的变更：{names}"
    if target is State.REMOVED:
        if exit_reason is None:
            codes = "、".join(r.label for r in ExitReason)
            return f"移出必须选择原因：{codes}"
        if exit_reason is ExitReason.OTHER and not (reason and reason.strip()):
            return "移出原因为「其他」时必须写明具体原因"
        return None
    if exit_reason is not None:
        return (
            f"只有「移出」才选择移出原因（{exit_reason.label}）；变为「{target.label}」请写明原因"
        )
    needs_reason = target in REASON_REQUIRED or current in REASON_REQUIRED_FROM
    if needs_reason and not (reason and reason.strip()):
        return f"变为「{target.label}」必须填写原因"
    return None


@dataclass(frozen=True)
class NamingEvidence:
    """What the store knows when a unit is to be named 放心消费单位 (or 星级库) for ``year``.

    ``passing_evaluation``: a finalised, passing 后评价 of the unit visited in ``year`` (its id);
    ``needs_confirmation``: that evaluation, or the unit, carries the 审慎培育 warning.
    """

    year: int
    passing_evaluation: int | None
    needs_confirmation: bool = False


def naming_refusal(evidence: NamingEvidence, *, county_override: bool) -> str | None:
    """Why naming is refused without a county confirmation, or None.

    With ``county_override`` (role county, reason given, checked by the caller) nothing is
    refused: the confirmation is recorded on the event and shown as 县局确认.
    """
    if county_override:
        return None
    if evidence.passing_evaluation is None:
        return (
            f"没有 {evidence.year} 年已定稿且通过的后评价，不能命名为放心消费单位。"
            "请先完成该单位的后评价并定稿；如县局已另行核实，由县局账号确认并写明原因"
        )
    if evidence.needs_confirmation:
        return (
            "该单位属于审慎培育（后评价 G4 或单位标记），命名须县局确认。"
            "请县局账号用「县局确认」并写明原因"
        )
    return None
