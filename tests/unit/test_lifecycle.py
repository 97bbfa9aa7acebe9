import itertools
from datetime import date

import pytest

from fieldapp.domain import lifecycle
from fieldapp.domain.lifecycle import ExitReason, State
from fieldapp.errors import IllegalTransition
from fieldapp.services.stations import station_ids
from fieldapp.storage.models import Unit, UnitEvent
from tests import lifecycle_helpers as service


def test_the_main_path_is_allowed() -> None:
    path = [
        None,
        State.CANDIDATE,
        State.CULTIVATING,
        State.COMMITTED,
        State.EVALUATING,
        State.CONFIRMED,
    ]
    for before, after in itertools.pairwise(path):
        assert lifecycle.check_transition(before, after, None) is None


def test_illegal_move_names_the_allowed_ones() -> None:
    message = lifecycle.check_transition(State.CANDIDATE, State.CONFIRMED, None)
    assert message is not None
    assert "不能从「选育池」变为「放心消费单位」" in message
    assert "培育库" in message and "移出" in message and "注销" in message


def test_removal_needs_a_coded_reason_and_exits_need_a_reason() -> None:
    assert "移出必须选择原因" in (
        lifecycle.check_transition(State.CULTIVATING, State.REMOVED, "多次违法") or ""
    )
    for code in ExitReason:
        text = "具体原因" if code is ExitReason.OTHER else ""
        assert lifecycle.check_transition(State.CULTIVATING, State.REMOVED, text, code) is None
    assert "必须写明具体原因" in (
        lifecycle.check_transition(State.CULTIVATING, State.REMOVED, " ", ExitReason.OTHER) or ""
    )
    for exit_state in (State.SHUT, State.TRANSFERRED, State.CLOSED):
        assert "必须填写原因" in (lifecycle.check_transition(State.COMMITTED, exit_state, "") or "")
        assert lifecycle.check_transition(State.COMMITTED, exit_state, "店主告知") is None
    assert "只有「移出」才选择移出原因" in (
        lifecycle.check_transition(State.COMMITTED, State.SHUT, "x", ExitReason.VIOLATIONS) or ""
    )
    assert "必须填写原因" in (lifecycle.check_transition(State.REMOVED, State.CANDIDATE, "") or "")


def test_three_business_exits_are_distinct_states() -> None:
    assert {lifecycle.parse_state(t) for t in ("关停", "转让", "注销")} == {
        State.SHUT,
        State.TRANSFERRED,
        State.CLOSED,
    }
    assert lifecycle.parse_exit_reason("经评估难以达到创建标准") is ExitReason.UNREACHABLE
    assert lifecycle.parse_exit_reason("不宜培育") is ExitReason.UNSUITABLE


def test_closed_is_final() -> None:
    message = lifecycle.check_transition(State.CLOSED, State.CANDIDATE, "重新开业")
    assert message is not None and "已注销" in message


def test_every_state_is_reachable_from_a_new_unit() -> None:
    seen = {State.CANDIDATE}
    frontier = [State.CANDIDATE]
    while frontier:
        state = frontier.pop()
        for nxt in lifecycle.TRANSITIONS[state]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(State)


def test_labels_parse_back() -> None:
    for state in State:
        assert lifecycle.parse_state(state.label) is state
    assert lifecycle.parse_state("撤销") is State.REMOVED
    assert lifecycle.parse_state("无此状态") is None


@pytest.fixture
def unit(store):  # type: ignore[no-untyped-def]
    with store.session() as session:
        ids, _ = station_ids(session, ["五云所"])
        unit = Unit(
            credit_code="91331122MA2000000X",
            name="缙云县测试超市",
            station_id=ids["五云所"],
            unit_type="general",
        )
        session.add(unit)
        session.flush()
        service.move(session, unit, State.CANDIDATE, on=date(2026, 1, 5), today=date(2026, 1, 5))
        session.query(UnitEvent).delete()  # a unit with no history yet, for the tests below
    return unit


def test_changes_are_kept_as_dated_history(store, unit) -> None:  # type: ignore[no-untyped-def]
    today = date(2026, 11, 1)
    with store.session() as session:
        u = session.get(Unit, unit.id)
        service.move(session, u, State.CULTIVATING, actor="张三", on=date(2026, 2, 1), today=today)
        service.move(session, u, State.COMMITTED, actor="张三", on=date(2026, 3, 1), today=today)
        service.move(session, u, State.EVALUATING, actor="李四", on=date(2026, 9, 1), today=today)
        service.name(session, u, actor="李四", on=date(2026, 9, 2), today=today)
        service.sticker(session, u, actor="李四", on=date(2026, 9, 10), today=today)
    with store.read() as session:
        u = session.get(Unit, unit.id)
        assert u.state == "confirmed"
        assert u.entered_on == date(2026, 2, 1)
        assert u.sticker_posted_on == date(2026, 9, 10)
        kinds = [(e.kind, e.from_state, e.to_state, e.actor) for e in u.events]
        assert kinds == [
            ("state", "candidate", "cultivating", "张三"),
            ("state", "cultivating", "committed", "张三"),
            ("state", "committed", "evaluating", "李四"),
            ("state", "evaluating", "confirmed", "李四"),
            ("sticker", "confirmed", "confirmed", "李四"),
        ]


def test_refused_change_writes_nothing(store, unit) -> None:  # type: ignore[no-untyped-def]
    with (
        pytest.raises(IllegalTransition, match="允许的变更：培育库、移出、关停、转让、注销"),
        store.session() as session,
    ):
        service.move(session, session.get(Unit, unit.id), State.COMMITTED, actor="张三")
    with pytest.raises(IllegalTransition, match="早于上次变更"), store.session() as session:
        service.move(
            session,
            session.get(Unit, unit.id),
            State.CULTIVATING,
            actor="张三",
            on=date(2025, 1, 1),
        )
    with (
        pytest.raises(IllegalTransition, match="只有「放心消费单位」或「星级库」"),
        store.session() as s,
    ):
        service.sticker(s, s.get(Unit, unit.id), actor="张三")
    with store.read() as session:
        u = session.get(Unit, unit.id)
        assert u.state == "candidate" and u.events == []
