"""Plain-text tables and progress lines for the command line, aligned for Chinese text."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Sequence
from typing import TextIO


def print_json(data: object) -> None:
    """``data`` as indented JSON on stdout (Chinese kept readable; dates and the like as text)."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, size: int, right: bool = False) -> str:
    fill = " " * max(0, size - width(text))
    return fill + text if right else text + fill


def table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int] | None = None
) -> str:
    numeric = numeric or set()
    cells = [[str(c) for c in headers]] + [
        ["" if c is None else str(c) for c in row] for row in rows
    ]
    sizes = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(pad(c, sizes[i], i in numeric) for i, c in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * s for s in sizes))
    return "\n".join(lines)


class ProgressLine:
    """Shows "label done/total" on stderr: redrawn in place on a terminal, a few lines otherwise."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last_percent = -1

    def __call__(self, done: int, total: int) -> None:
        percent = int(done * 100 / total) if total else 100
        if self.tty:
            self.stream.write(f"\r{self.label} {percent:3d}%")
            if done >= total:
                self.stream.write("\n")
        elif percent // 25 != self._last_percent // 25 or done >= total:
            self.stream.write(f"{self.label} {percent}%\n")
        self._last_percent = percent
        self.stream.flush()
