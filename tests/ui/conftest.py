"""GUI test set-up shared by every window test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def empty_clipboard(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Data a test puts on the clipboard is owned by the clipboard; leaving it there makes the
    interpreter crash at exit when Qt and Python both destroy it. Empty it after each test."""
    yield
    qapp.clipboard().clear()
