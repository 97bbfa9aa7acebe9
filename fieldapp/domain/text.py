"""What free text may hold, everywhere it comes in: one rule for imports, the window, the command
line, the wire and the county server.

A piece of text may not hold a control character (NUL and the other C0/C1 codes, DEL) nor a lone
surrogate: PostgreSQL refuses a NUL in any text value, so one NUL in a unit's name blocked a
laptop's sync for good, and none of them can be typed, printed or exported. A multi-line kind
(a note, a rectification, a reason, a comment) keeps its line breaks and tabs. Each kind has a
maximum length in characters, the size of its database column (``storage/models.py`` on the
laptop, ``server/models.py`` on the county server) and of its wire field (``sync/wire.py``), so
what is accepted once can always be finalised, sent and stored.

Pure rules, no I/O: :func:`problem` returns a Chinese message naming the field, or None;
:func:`check` raises :class:`ValueError` with it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class TextKind:
    """A kind of text field: its maximum length and whether it may hold line breaks and tabs."""

    limit: int
    multiline: bool = False


# A person's, station's, town's or platform's name; an inspector, signer or account (String(64)).
NAME = TextKind(64)
# A unit's or shop's name (String(200)); a task-table department, a source (String(200)).
TITLE = TextKind(200)
ADDRESS = TextKind(300)  # an address, an event's source (String(300))
CATEGORY = TextKind(100)  # a unit's category, a task-table industry or sector (String(100))
INDUSTRY = TextKind(32)  # an industry code (String(32))
PHONE = TextKind(32)  # String(32)
URL = TextKind(500)  # String(500)
ITEM_CODE = TextKind(20)  # a checklist item's code (String(20))
CREDIT_CODE = TextKind(18)  # String(18)
FILE_NAME = TextKind(255)  # a photo's original name (String(255))
# A note, rectification, reason, verdict text or event value (Text, bounded by the wire's 20,000).
NOTE = TextKind(20_000, multiline=True)
COMMENT = TextKind(2000, multiline=True)  # a review comment (the wire's 2,000)

_KEPT_IN_LINES = frozenset("\t\n\r")

# The same rule as regular expressions, for documents that describe an input (OpenAPI): no C0 or
# C1 control character nor DEL; the multi-line form allows tab, line feed and carriage return.
ONE_LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
LINES_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"


def _shown(char: str) -> str:
    names = {"\x00": "NUL", "\t": "制表符", "\n": "换行", "\r": "回车", "\x7f": "DEL"}
    return f"U+{ord(char):04X}" + (f"（{names[char]}）" if char in names else "")


def _refused(char: str, multiline: bool) -> bool:
    if multiline and char in _KEPT_IN_LINES:
        return False
    return unicodedata.category(char) in ("Cc", "Cs")


def control_problem(value: str, multiline: bool = False, label: str = "") -> str | None:
    """Why ``value`` holds a character no text field may (``multiline``: tabs and line breaks
    allowed), or None; the length is not looked at."""
    what = label or "内容"
    for position, char in enumerate(value, start=1):
        if _refused(char, multiline):
            allowed = "（只可有换行和制表符）" if multiline else ""
            return (
                f"{what}含有不可见的控制字符 {_shown(char)}（第 {position} 个字）{allowed}，"
                "请删去后再保存"
            )
    return None


def problem(value: str, kind: TextKind, label: str = "") -> str | None:
    """Why ``value`` cannot be a ``kind`` field called ``label`` (名称, 备注…), or None."""
    what = label or "内容"
    refused = control_problem(value, kind.multiline, label)
    if refused is not None:
        return refused
    if len(value) > kind.limit:
        return f"{what}太长（{len(value)} 个字，最多 {kind.limit} 个）"
    return None


def check(value: str, kind: TextKind, label: str = "") -> str:
    """``value`` itself if it may be a ``kind`` field; otherwise ValueError naming ``label``."""
    message = problem(value, kind, label)
    if message is not None:
        raise ValueError(message)
    return value
