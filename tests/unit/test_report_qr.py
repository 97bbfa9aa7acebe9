"""The sheet's QR code scores masks like ReportLab, so it prints the very same code, faster."""

from __future__ import annotations

import random
import string

import pytest
from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.qr import QrCode as ReportLabQrCode

from fieldapp.reports.qr import QrCode, lost_points

LEVELS = ("L", "M", "Q", "H")


def _texts(count: int) -> list[str]:
    rng = random.Random(15)
    alphabet = string.hexdigits.lower() + "-:"
    return [
        "fieldapp:eval:" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 140)))
        for _ in range(count)
    ]


@pytest.mark.parametrize("level", LEVELS)
def test_every_mask_scores_as_reportlab_scores_it(level: str) -> None:
    for text in _texts(12):
        code = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
        code.addData(text)
        code.version = code.calculate_version()
        for mask in range(8):
            code.makeImpl(True, mask)
            assert lost_points(code.modules) == qrencoder.QRUtil.getLostPoint(code), (text, mask)


def test_the_printed_code_is_reportlabs_code() -> None:
    for text in [*_texts(10), "fieldapp:eval:0f8e2c1a-5b6d-4e3f-9a7b-1c2d3e4f5a6b:draft"]:
        ours, theirs = QrCode(text, qrLevel="M"), ReportLabQrCode(text, qrLevel="M")
        ours.qr.make()
        theirs.qr.make()
        assert ours.qr.modules == theirs.qr.modules
