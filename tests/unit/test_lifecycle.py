import itertools
from datetime import date

import pytest

from fieldapp.domain import lifecycle
from fieldapp.domain.lifecycle import State
from fieldapp.errors import IllegalTransition
from fieldapp.services import lifecycle as service
from fieldapp.services.stations import station_ids
from fieldapp.storage.models import Unit


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


def test_removal_and_closure_need_a_reason() -> None:
    assert "必须填写原因" in (
        lifecycle.check_transition(State.CULTIVATING, State.REMOVED, " ") or ""
    )
    assert lifecycle.check_transition(State.CULTIVATING, State.REMOVED, "多次违法违规") is None
    assert "必须填写原因" in (lifecycle.check_transition(State.REMOVED, State.CANDIDATE, "") or "")


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
            state=State.CANDIDATE.value,
            state_since=date(2026, 1, 5),
        )
        session.add(unit)
    return unit


def test_changes_are_kept_as_dated_history(store, unit) -> None:  # type: ignore[no-untyped-def]
    today = date(2026, 11, 1)
    with store.session() as session:
        u = session.get(Unit, unit.id)
        service.change_state(
            session, u, State.CULTIVATING, actor="张三", on=date(2026, 2, 1), today=today
        )
        service.change_state(
            session, u, State.COMMITTED, actor="张三", on=date(2026, 3, 1), today=today
        )
        service.change_state(
            session, u, State.EVALUATING, actor="李四", on=date(2026, 9, 1), today=today
        )
        service.change_state(
            session, u, State.CONFIRMED, actor="李四", on=date(2026, 9, 2), today=today
        )
        service.post_sticker(session, u, actor="李四", on=date(2026, 9, 10), today=today)
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
        pytest.raises(IllegalTransition, match="允许的变更：培育库、移出、注销"),
        store.session() as session,
    ):
        service.change_state(session, session.get(Unit, unit.id), State.CONFIRMED, actor="张三")
    with pytest.raises(IllegalTransition, match="早于上次变更"), store.session() as session:
        service.change_state(
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
        service.post_sticker(s, s.get(Unit, unit.id), actor="张三")
    with store.read() as session:
        u = session.get(Unit, unit.id)
        assert u.state == "candidate" and u.events == []
