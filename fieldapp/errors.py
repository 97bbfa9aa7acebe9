"""Errors the core raises for bad input, each naming where the problem is and what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and what is wrong.

    ``where`` names the file, and ``row``/``column`` or ``item`` narrow it down, so that a
    message can always be traced to the exact cell or checklist item.
    """

    where: str
    message: str
    row: int | None = None
    column: str | None = None
    item: str | None = None

    def __str__(self) -> str:
        parts = [self.where]
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"列「{self.column}」")
        if self.item:
            parts.append(f"条目 {self.item}")
        return "，".join(parts) + f"：{self.message}"


class FieldappError(Exception):
    """Base of the errors a user can act on; ``str()`` is the message to show."""


class InvalidInput(FieldappError):
    """Input was refused; nothing was written. ``problems`` lists every reason."""

    def __init__(self, summary: str, problems: list[Problem] | None = None) -> None:
        super().__init__(summary)
        self.summary = summary
        self.problems = list(problems or [])

    def __str__(self) -> str:
        if not self.problems:
            return self.summary
        return self.summary + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class NotFound(FieldappError):
    """A unit, station, checklist or record that was asked for does not exist."""


class IllegalTransition(FieldappError):
    """A lifecycle change that the rules do not allow."""


class Locked(FieldappError):
    """A finalized evaluation was asked to change; a correction is a new revision."""
