"""The 放心消费单位 lifecycle (DOMAIN.md B): states, allowed moves and which need a reason.

选育池 → 培育库 → 承诺公示 → 后评价 → 放心消费单位(年度) (with 标识张贴) → next year's 后评价.
后评价 outcomes: 保留 (stay confirmed), 提升 → 星级库, 整改 → 预警库 → re-check, 撤销/移出, 注销.
Any live state may be 移出 (removed) or 注销 (closed). Pure rules, no I/O.
"""

from __future__ import annotations

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
    State.CLOSED: "注销",
}

_STATE_ALIASES: dict[State, tuple[str, ...]] = {
    State.CANDIDATE: ("选育池", "选育", "候选"),
    State.CULTIVATING: ("培育库", "培育", "培育中", "入库"),
    State.COMMITTED: ("承诺公示", "已公示", "公示"),
    State.EVALUATING: ("后评价", "待后评价", "评价中"),
    State.CONFIRMED: ("放心消费单位", "年度放心消费单位", "已命名", "保留", "通过", "在期"),
    State.STARRED: ("星级库", "星级", "提升"),
    State.WARNING: ("预警库", "预警", "整改", "整改中"),
    State.REMOVED: ("移出", "撤销", "剔除", "摘牌", "淘汰"),
    State.CLOSED: ("注销", "关停", "已注销", "关停注销"),
}

_STATE_LOOKUP = {
    canon(alias): state
    for state, aliases in _STATE_ALIASES.items()
    for alias in (state.value, *aliases)
}


def parse_state(text: str) -> State | None:
    return _STATE_LOOKUP.get(canon(text))


_EXITS = (State.REMOVED, State.CLOSED)

TRANSITIONS: dict[State, tuple[State, ...]] = {
    State.CANDIDATE: (State.CULTIVATING, *_EXITS),
    State.CULTIVATING: (State.COMMITTED, *_EXITS),
    State.COMMITTED: (State.EVALUATING, State.WARNING, *_EXITS),
    State.EVALUATING: (State.CONFIRMED, State.STARRED, State.WARNING, *_EXITS),
    State.CONFIRMED: (State.EVALUATING, State.STARRED, State.WARNING, *_EXITS),
    State.STARRED: (State.EVALUATING, State.WARNING, *_EXITS),
    State.WARNING: (State.EVALUATING, State.CONFIRMED, *_EXITS),
    State.REMOVED: (State.CANDIDATE, State.CLOSED),
    State.CLOSED: (),
}

# Moving into these states must say why (seed 002: 移出 for 不宜培育、多次违法违规、难以达标;
# 注销 for 关停转让注销; 整改 names what is to be rectified; re-entering the pool after removal).
REASON_REQUIRED: frozenset[State] = frozenset({State.REMOVED, State.CLOSED, State.WARNING})
REASON_REQUIRED_FROM: frozenset[State] = frozenset({State.REMOVED})

# States in which a unit counts toward the year's task (not candidates, not removed or closed).
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

# States that mean the unit has passed a 后评价 at some point this year.
CONFIRMED_STATES: frozenset[State] = frozenset({State.CONFIRMED, State.STARRED})


def allowed_from(state: State | None) -> tuple[State, ...]:
    """Where a unit may go next; a unit with no state yet may start anywhere but the exits."""
    if state is None:
        return tuple(s for s in State if s not in _EXITS)
    return TRANSITIONS[state]


def check_transition(current: State | None, target: State, reason: str | None) -> str | None:
    """Return why the move is refused, or None if it is allowed."""
    if current == target:
        return f"单位已处于「{target.label}」状态"
    allowed = allowed_from(current)
    if target not in allowed:
        names = "、".join(s.label for s in allowed) or "无（已注销的单位不能再变更）"
        here = current.label if current else "（无状态）"
        return f"不能从「{here}」变为「{target.label}」；允许的变更：{names}"
    needs_reason = target in REASON_REQUIRED or current in REASON_REQUIRED_FROM
    if needs_reason and not (reason and reason.strip()):
        return f"变为「{target.label}」必须填写原因"
    return None
