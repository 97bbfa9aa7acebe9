"""GUI test set-up shared by every window test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fieldapp import logs
from fieldapp.ui import strings


@pytest.fixture(autouse=True)
def empty_clipboard(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Data a test puts on the clipboard is owned by the clipboard; leaving it there makes the
    interpreter crash at exit when Qt and Python both destroy it. Empty it after each test."""
    yield
    qapp.clipboard().clear()


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    """Every window test starts in Chinese, leaves the language as it found it, and closes the
    log file a test's ``app.run`` may have opened in its data folder."""
    strings.set_language("zh_CN")
    yield
    strings.set_language("zh_CN")
    logs.close()
