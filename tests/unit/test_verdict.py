from fieldapp.checklists import Library
from fieldapp.domain.verdict import Answer, Outcome, judge
from fieldapp.domain.vocab import UnitType


def composed():
    return Library.load().compose(UnitType.GENERAL, "catering")


def all_pass(checklists):
    return {(c.id, i.code): Answer.PASS for c in checklists for i in c.items}


def test_everything_met_passes() -> None:
    checklists = composed()
    verdict = judge(checklists, all_pass(checklists))
    assert verdict.outcome is Outcome.PASS
    assert verdict.explain() == "通过：全部符合"


def test_unanswered_items_make_it_incomplete() -> None:
    checklists = composed()
    answers = all_pass(checklists)
    del answers[("bayou-bawu", "B3b")]  # B3a is answered through Q1 and Q2 (same_as)
    verdict = judge(checklists, answers)
    assert verdict.outcome is Outcome.INCOMPLETE
    assert verdict.unanswered == [("bayou-bawu", "B3b")]


def test_any_bayou_bawu_failure_fails() -> None:
    checklists = composed()
    answers = all_pass(checklists) | {("bayou-bawu", "B5b"): Answer.FAIL}
    verdict = judge(checklists, answers)
    assert verdict.outcome is Outcome.FAIL
    assert "B5b 无价格欺诈" in verdict.explain()


def test_veto_gate_fails_and_is_explained() -> None:
    checklists = composed()
    answers = all_pass(checklists) | {("general-1", "G3"): Answer.FAIL}  # no 八有八无 item is G3
    verdict = judge(checklists, answers)
    assert verdict.outcome is Outcome.FAIL
    assert verdict.explain().startswith("不通过：G3 ")
    assert "否决项" in verdict.explain()


def test_ordinary_failure_asks_for_rectification_and_na_is_fine() -> None:
    checklists = composed()
    answers = all_pass(checklists) | {
        ("general-1", "Q3"): Answer.FAIL,  # Q5 would fail 八有八无's B6a and B6b with it
        ("x-catering", "CT5"): Answer.NA,  # 外卖封签: no delivery
    }
    verdict = judge(checklists, answers)
    assert verdict.outcome is Outcome.RECTIFY
    assert verdict.explain().startswith("需整改：Q3 ")


def test_warn_gate_only_warns() -> None:
    checklists = composed()
    answers = all_pass(checklists) | {("general-1", "G4"): Answer.FAIL}
    verdict = judge(checklists, answers)
    assert verdict.outcome is Outcome.PASS
    assert verdict.needs_confirmation
    # The warning is never dropped from the verdict text that is stored and printed.
    assert verdict.explain().startswith("通过（审慎培育，待县局确认）：G4 ")
    assert "全部符合" not in verdict.explain()


def test_village_station_six_musts_all_required() -> None:
    checklists = Library.load().compose(UnitType.VILLAGE_STATION, None)
    assert [c.id for c in checklists] == ["x-village-station"]
    answers = all_pass(checklists) | {("x-village-station", "LY4"): Answer.FAIL}
    assert judge(checklists, answers).outcome is Outcome.FAIL
