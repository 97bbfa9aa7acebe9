"""No module outside fieldapp/domain/ spells a status, answer, kind or role as a bare string.

The domain's enums are what the ORM returns and stores; a comparison with a string literal would
go on working only as long as the spelling matches, and silently stop when it changes. The test
reads every module's source (comparisons, assignments to status-like attributes, keyword
arguments) and fails on a literal that is a value of these enums. Record field names that happen
to equal an event kind ("station", "unit_type" …) are names, not values, and are not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import fieldapp
from fieldapp.domain.lifecycle import ExitReason, State
from fieldapp.domain.records import (
    BatchSource,
    BatchStatus,
    ChangeOutcome,
    ConflictKind,
    EvaluationKind,
    EvaluationStatus,
    Published,
    SignerRole,
    UnitChangeKind,
)
from fieldapp.domain.verdict import Answer, Outcome

ROOT = Path(fieldapp.__file__).resolve().parent
ENUMS = (
    EvaluationStatus,
    EvaluationKind,
    SignerRole,
    BatchStatus,
    BatchSource,
    Answer,
    Outcome,
    State,
    ExitReason,
    UnitChangeKind,
    ChangeOutcome,
    ConflictKind,
    Published,
)
VALUES = {member.value for enum in ENUMS for member in enum} | {"sticker"}
ATTRIBUTES = {"status", "result", "kind", "role", "verdict", "state", "source", "to_state"}


def _strings(node: ast.AST) -> list[ast.Constant]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [c for element in node.elts for c in _strings(element)]
    return []


def bare_values(source: str, name: str) -> list[str]:
    found: list[ast.Constant] = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                found += _strings(side)
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Attribute) and t.attr in ATTRIBUTES for t in node.targets):
                found += _strings(node.value)
        elif isinstance(node, ast.keyword) and node.arg in ATTRIBUTES:
            found += _strings(node.value)
    return [f"{name}:{c.lineno} {c.value!r}" for c in found if c.value in VALUES]


def test_no_bare_status_answer_kind_or_role_outside_the_domain() -> None:
    offences = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("domain/") or "/migrations/" in relative:
            continue
        offences += bare_values(path.read_text(encoding="utf-8"), relative)
    assert offences == []


def test_the_check_finds_a_bare_value() -> None:
    sample = (
        "rows = select(E).where(E.status == 'finalized')\n"
        "if answer.result in ('fail', 'na'):\n"
        "    batch.status = 'done'\n"
        "make(kind='sticker', name='station')\n"
        "if field == 'station':\n"
        "    pass\n"
    )
    assert len(bare_values(sample, "sample.py")) == 5
