"""Shared test set-up: Qt offscreen, data isolated per test, and no run that tests nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# No test reads or writes the credential store of the machine it runs on (a developer's
# desktop has one): tests that need one use tests/keyring_double.py.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data folder; nothing touches the user's real store."""
    folder = tmp_path / "data"
    monkeypatch.setenv("FIELDAPP_DATA_DIR", str(folder))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return folder


@pytest.fixture
def store(isolated_data_dir: Path) -> Iterator[object]:
    from fieldapp.store import Store

    opened = Store.open(isolated_data_dir, create=True)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def data_path() -> Path:
    return DATA


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # pytest exits 5 when nothing was collected; a run that tests nothing is a failure here.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
