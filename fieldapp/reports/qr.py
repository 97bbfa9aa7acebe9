"""The sheet's QR code: ReportLab's, with its mask chosen by the same rules in a fraction of the time.

A QR encoder tries all eight mask patterns and keeps the one whose modules score lowest on four
penalty rules (long runs, 2×2 blocks, finder-like patterns, dark/light balance). ReportLab scores
them module by module in Python lists, which took a third of a printed sheet's time. Here each
row and column is a byte string (or an int of bits) and the rules are regular-expression,
``bytes.find`` and bit operations: the same scores as ReportLab's ``QRUtil.getLostPoint`` (a test
compares them on many codes), so the same mask and the same printed code, faster.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

from reportlab.graphics.barcode import qr, qrencoder

_RUN = re.compile(rb"\x00{5,}|\x01{5,}")  # rule 1: five or more modules of one colour in a line
_FINDER = bytes([1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0])  # rule 3, as ReportLab scans for it
_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def lost_points(modules: Sequence[Sequence[bool]]) -> int:
    """ReportLab's ``QRUtil.getLostPoint`` of a module matrix (True = dark)."""
    rows = [bytes(row) for row in modules]  # one byte a module: 1 dark, 0 light
    columns = [bytes(column) for column in zip(*modules, strict=True)]
    size = len(rows)
    score = 0
    for line in (*rows, *columns):
        score += sum(match.end() - match.start() - 2 for match in _RUN.finditer(line))
    # Rule 3 on rows only: ReportLab compares a column (a tuple) with its pattern (a list),
    # which is never equal, so columns never score; the same mask needs the same scores.
    score += 40 * sum(_finder_like(row) for row in rows)
    bits = [int(row.translate(_DIGITS), 2) for row in rows]
    pairs = (1 << (size - 1)) - 1  # one bit per pair of neighbouring columns
    for upper, lower in itertools.pairwise(bits):
        same = ~(upper ^ lower)  # this module equals the one below it
        block = same & (same >> 1) & ~(upper ^ (upper >> 1)) & pairs
        score += 3 * block.bit_count()
    dark = sum(row.count(1) for row in rows)
    return score + 10 * (abs(100 * dark // (size * size) - 50) // 5)


def _finder_like(line: bytes) -> int:
    last = len(line) - len(_FINDER)  # ReportLab's scan stops short of the last position
    found, start = 0, 0
    while (at := line.find(_FINDER, start)) != -1 and at < last:
        found += 1
        start = at + len(_FINDER)
    return found


class _Encoder(qrencoder.QRCode):
    def getBestMaskPattern(self) -> int:
        best, pattern = -1, 0
        for mask in range(8):
            self.makeImpl(True, mask)
            lost = lost_points(self.modules)
            if best < 0 or lost < best:
                best, pattern = lost, mask
        return pattern


class QrCode(qr.QrCode):
    """ReportLab's QR code flowable with the faster mask choice."""

    def __init__(self, value: str, **kw: Any) -> None:
        super().__init__(value, **kw)
        self.qr = _Encoder(self.qrVersion, getattr(qrencoder.QRErrorCorrectLevel, self.qrLevel))
        self.qr.addData(self.value)
