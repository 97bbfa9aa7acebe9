"""A migration killed at any statement leaves a store that opens: the upgrade is one transaction.

A child process opens the store (creating it, or upgrading the oldest fixture) and kills itself
with SIGKILL at its N-th SQL statement, for N spread over the whole upgrade; the next open must
bring the store to the newest schema with every record of the fixture. No timing is involved:
the kill happens at a statement, not after a delay.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldapp.storage import db
from fieldapp.storage.models import Unit
from fieldapp.store import Store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL"),
]

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "migrations"
CHILD = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
stop = int(sys.argv[2])
seen = [0]

@event.listens_for(Engine, "before_cursor_execute")
def _kill(conn, cursor, statement, parameters, context, executemany):
    seen[0] += 1
    if seen[0] == stop:
        os.kill(os.getpid(), signal.SIGKILL)

from fieldapp.store import Store
Store.open(sys.argv[1], create=True).close()
print(seen[0])
"""


def _child(folder: Path, stop: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), str(stop)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def _points(total: int, trials: int) -> list[int]:
    """``trials`` statement numbers spread evenly over 1..total."""
    return sorted({1 + (total - 1) * i // (trials - 1) for i in range(trials)})


def _statements(make: object, tmp_path: Path) -> int:
    folder = tmp_path / "count"
    make(folder)  # type: ignore[operator]
    done = _child(folder, 10**9)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


def _empty(folder: Path) -> None:
    folder.mkdir(parents=True)


def _oldest(folder: Path) -> None:
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "0001.sqlite", folder / "fieldapp.sqlite3")


@pytest.mark.parametrize(
    ("make", "trials"), [(_empty, 30), (_oldest, 20)], ids=["from-empty", "from-0001"]
)
def test_a_killed_migration_never_leaves_a_store_that_cannot_open(
    make: object, trials: int, tmp_path: Path
) -> None:
    total = _statements(make, tmp_path)
    assert total > trials
    expected = json.loads((FIXTURES / "0001.json").read_text("utf-8"))
    killed = 0
    for stop in _points(total, trials):
        folder = tmp_path / f"trial-{stop}"
        make(folder)  # type: ignore[operator]
        done = _child(folder, stop)
        killed += done.returncode == -signal.SIGKILL
        with Store.open(folder) as store:  # the next start completes the upgrade
            assert db.current_revision(store.engine) == db.head_revision()
            if make is _oldest:
                with store.read() as session:
                    codes = session.scalars(select(Unit.credit_code).order_by(Unit.id)).all()
                assert [u[0] for u in expected["units"]] == list(codes)
            else:
                with store.read() as session:
                    assert session.scalar(select(func.count()).select_from(Unit)) == 0
    assert killed >= trials - 1  # every trial but perhaps the last statement was a real kill
