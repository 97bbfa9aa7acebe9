"""Turn answers into a verdict with the checklists' own rules, and explain it.

Per checklist: ``all_pass`` fails on any 不符合 (八有八无: every element must be met); ``gates``
fails on a failed veto gate or on more non-gate failures than ``max_failures``, and otherwise
asks for 整改 when something failed. A failed ``warn`` gate never fails the unit: it asks for a
supervisor's confirmation (审慎培育). The overall verdict is the worst of the checklists'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the labels (the command line's parser) load without pydantic
    from fieldapp.checklists.schema import Checklist


class Answer(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NA = "na"

    @property
    def label(self) -> str:
        return {"pass": "符合", "fail": "不符合", "na": "不适用"}[self.value]


class Outcome(StrEnum):
    INCOMPLETE = "incomplete"
    PASS = "pass"
    RECTIFY = "rectify"
    FAIL = "fail"

    @property
    def label(self) -> str:
        return {"incomplete": "未完成", "pass": "通过", "rectify": "需整改", "fail": "不通过"}[
            self.value
        ]


class PassRule(StrEnum):
    """How a checklist's answers become its verdict (see the module's docstring)."""

    ALL_PASS = "all_pass"
    GATES = "gates"


class GateEffect(StrEnum):
    """What a failed gate item does: ``veto`` fails the unit, ``warn`` (审慎培育) makes 命名
    wait for the county's confirmation."""

    VETO = "veto"
    WARN = "warn"


class ChecklistKind(StrEnum):
    """The place of a checklist in an evaluation: the 八有八无 base, the general "1" standard,
    or an industry module ("X"), the only kind an inspector may leave out."""

    BASE = "base"
    GENERAL = "general"
    MODULE = "module"


_SEVERITY = {Outcome.PASS: 0, Outcome.RECTIFY: 1, Outcome.INCOMPLETE: 2, Outcome.FAIL: 3}


@dataclass
class Verdict:
    outcome: Outcome
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unanswered: list[tuple[str, str]] = field(default_factory=list)

    @property
    def needs_confirmation(self) -> bool:
        """A failed ``warn`` gate (审慎培育, G4): 命名 waits for the county's confirmation."""
        return bool(self.warnings)

    def explain(self) -> str:
        """One line for the screen and the sheet, e.g. "不通过：G2 列入经营异常名录".

        A 审慎培育 warning is never dropped: a pass with it reads
        "通过（审慎培育，待县局确认）：G4 …".
        """
        if self.outcome is Outcome.INCOMPLETE and not self.reasons:
            return f"未完成：还有 {len(self.unanswered)} 项未检查"
        label = self.outcome.label
        if self.needs_confirmation and self.outcome in (Outcome.PASS, Outcome.RECTIFY):
            label += f"（{PRUDENT_PENDING}）"
        parts = [*self.reasons, *self.warnings] or ["全部符合"]
        return f"{label}：{'；'.join(parts)}"


PRUDENT_PENDING = "审慎培育，待县局确认"


Answers = Mapping[tuple[str, str], Answer | None]


def judge(checklists: Sequence[Checklist], answers: Answers) -> Verdict:
    """``answers`` maps (checklist id, item code) to the inspector's answer (None = not yet).

    An item answered through others (``same_as``) takes their combined answer
    (:func:`fieldapp.domain.links.fill_links`), whether or not ``answers`` already holds it.
    """
    from fieldapp.domain.links import fill_links  # links reads Answer from this module

    answers = fill_links(checklists, answers)
    outcome = Outcome.PASS
    reasons: list[str] = []
    warnings: list[str] = []
    unanswered: list[tuple[str, str]] = []
    for checklist in checklists:
        failed = []
        for item in checklist.items:
            answer = answers.get((checklist.id, item.code))
            if answer is None:
                unanswered.append((checklist.id, item.code))
            elif answer is Answer.FAIL:
                failed.append(item)
        own = Outcome.PASS
        if checklist.verdict.rule is PassRule.ALL_PASS:
            if failed:
                own = Outcome.FAIL
                reasons.extend(f"{i.code} {i.text}（{checklist.title}未全部符合）" for i in failed)
        else:
            vetoes = [i for i in failed if i.gate and i.gate_effect is GateEffect.VETO]
            warns = [i for i in failed if i.gate and i.gate_effect is GateEffect.WARN]
            others = [i for i in failed if not i.gate]
            warnings.extend(f"{i.code} {i.text}（审慎培育，需县局确认）" for i in warns)
            limit = checklist.verdict.max_failures
            if vetoes:
                own = Outcome.FAIL
                reasons.extend(f"{i.code} {i.text}（否决项）" for i in vetoes)
            if others:
                too_many = limit is not None and len(others) > limit
                own = Outcome.FAIL if too_many or own is Outcome.FAIL else Outcome.RECTIFY
                if too_many:
                    reasons.append(f"{checklist.title}有 {len(others)} 项不符合，超过 {limit} 项")
                else:
                    reasons.extend(f"{i.code} {i.text}" for i in others)
        if _SEVERITY[own] > _SEVERITY[outcome]:
            outcome = own
    if unanswered and outcome is not Outcome.FAIL:
        outcome = Outcome.INCOMPLETE
    return Verdict(outcome, reasons, warnings, unanswered)
