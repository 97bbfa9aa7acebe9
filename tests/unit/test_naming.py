"""命名 rests on evidence: a finalised, passing 后评价 of the year, or a recorded 县局确认."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from fieldapp import settings
from fieldapp.cli import main
from fieldapp.domain.events import Role
from fieldapp.domain.lifecycle import State
from fieldapp.errors import IllegalTransition
from fieldapp.services import evaluations as ev
from fieldapp.services import unit_changes
from fieldapp.services import units as unit_service
from fieldapp.services.stations import station_ids
from fieldapp.services.unit_changes import Change
from fieldapp.store import Store
from tests.unit.test_evaluations import _answer_all, _sign_both

CODE = "92331122MA2A00018H"


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def evaluating(store: Store) -> Store:
    """A shop in 后评价, with its history, entered through the one write path."""
    with store.session() as session:
        station_ids(session, ["五云所"])
        values = {
            "credit_code": CODE,
            "name": "缙云县五云好又多超市",
            "station": "五云所",
            "unit_type": "general",
            "industry": "retail",
            "address": "解放街12号",
        }
        change = Change("张三")
        unit = unit_changes.create(session, values, change, state=State.CULTIVATING)
        unit_changes.move(session, unit, State.COMMITTED, change)
        unit_changes.move(session, unit, State.EVALUATING, change)
    return store


def _finalised_evaluation(store: Store, signature: Path, *, g4_fails: bool = False) -> int:
    with store.session() as session:
        unit = unit_service.by_code(session, CODE)
        evaluation = ev.start(session, store.library, unit, "post_evaluation", "张三")
        _answer_all(store, session, evaluation)
        if g4_fails:
            ev.answer(
                session,
                store.library,
                evaluation,
                "G4",
                "fail",
                rectify="县局确认",
                due=date.today(),
            )
        _sign_both(store, session, evaluation, signature)
        ev.finalize(session, store.library, evaluation)
        return evaluation.id


def test_naming_without_a_passing_evaluation_exits_1_saying_what_is_missing(
    capsys, evaluating: Store
) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = run(capsys, "units", "move", CODE, "--to", "放心消费单位")
    assert code == 1
    assert f"没有 {date.today().year} 年已定稿且通过的后评价" in err
    assert "请先完成该单位的后评价并定稿" in err
    _code, out, _err = run(capsys, "units", "show", CODE, "--json")
    assert json.loads(out)["state"] == "evaluating"


def test_naming_with_a_passing_evaluation_succeeds_and_links_it(
    capsys, evaluating: Store, signature: Path
) -> None:  # type: ignore[no-untyped-def]
    evaluation_id = _finalised_evaluation(evaluating, signature)
    code, out, _err = run(capsys, "units", "move", CODE, "--to", "放心消费单位")
    assert code == 0 and "后评价 → 放心消费单位" in out
    with evaluating.read() as session:
        event = unit_service.by_code(session, CODE).events[-1]
        assert event.evaluation_id == evaluation_id and not event.county_confirmed
    assert run(capsys, "units", "sticker", CODE)[0] == 0


def test_county_override_needs_the_county_role_and_a_reason(capsys, evaluating: Store) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = run(capsys, "units", "move", CODE, "--to", "放心消费单位", "--county-confirm")
    assert code == 1 and "县局确认只能由县局账号进行" in err
    settings.save(evaluating.folder, settings.Settings(inspector_name="县局王", role=Role.COUNTY))
    code, _out, err = run(capsys, "units", "move", CODE, "--to", "放心消费单位", "--county-confirm")
    assert code == 1 and "县局确认必须写明原因" in err
    code, out, _err = run(
        capsys,
        "units",
        "move",
        CODE,
        "--to",
        "放心消费单位",
        "--county-confirm",
        "--reason",
        "县局现场核实，后评价纸质表已存档",
    )
    assert code == 0 and "县局确认" in out
    _code, out, _err = run(capsys, "units", "show", CODE)
    assert "后评价 → 放心消费单位［县局确认］" in out
    assert "县局现场核实" in out
    _code, out, _err = run(capsys, "units", "show", CODE, "--json")
    last = json.loads(out)["history"][-1]
    assert last["county_confirmed"] is True and last["actor"] == "县局王"


def test_a_prudent_pass_waits_for_the_county(capsys, evaluating: Store, signature: Path) -> None:  # type: ignore[no-untyped-def]
    evaluation_id = _finalised_evaluation(evaluating, signature, g4_fails=True)
    _code, out, _err = run(capsys, "evaluations", "show", str(evaluation_id), "--json")
    assert json.loads(out)["verdict_text"].startswith("通过（审慎培育，待县局确认）：G4 ")
    code, _out, err = run(capsys, "units", "move", CODE, "--to", "放心消费单位")
    assert code == 1 and "审慎培育" in err and "县局确认" in err
    with evaluating.session() as session:
        unit = unit_service.by_code(session, CODE)
        county = Change("县局王", Role.COUNTY)
        event = unit_changes.move(
            session, unit, State.CONFIRMED, county, reason="已核实", county_confirm=True
        )
        assert event.county_confirmed and event.evaluation_id == evaluation_id


def test_a_sticker_needs_naming_first(evaluating: Store) -> None:
    with (
        pytest.raises(IllegalTransition, match="请先完成后评价并命名"),
        evaluating.session() as session,
    ):
        unit_changes.post_sticker(session, unit_service.by_code(session, CODE), Change("张三"))


def test_a_finalised_pass_proposes_naming_and_a_rectify_proposes_the_warning_list(
    evaluating: Store, signature: Path
) -> None:
    evaluation_id = _finalised_evaluation(evaluating, signature)
    with evaluating.session() as session:
        evaluation = ev.get(session, evaluation_id)
        proposal = unit_changes.propose(session, evaluation)
        assert proposal is not None and proposal.actionable
        assert proposal.target is State.CONFIRMED
        unit_changes.accept_proposal(session, proposal, Change("张三"))
        assert evaluation.unit.state is State.CONFIRMED
        assert unit_changes.propose(session, evaluation).target is None  # already named
