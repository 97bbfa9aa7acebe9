"""Fixtures shared by the core's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw


@pytest.fixture
def signature(tmp_path: Path) -> Path:
    """A drawn (not blank) signature PNG, as the signature pad would save it."""
    img = Image.new("RGB", (200, 80), "white")
    ImageDraw.Draw(img).line([(10, 50), (190, 30)], fill="black", width=3)
    path = tmp_path / "sig.png"
    img.save(path)
    return path
