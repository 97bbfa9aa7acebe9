"""The 进度 and 工作清单 tabs say how fresh the other laptops' evaluations are: "截至上次同步
HH:MM", the last pull that brought everything the county server had (issue 11), read off the UI
thread; a laptop that never pulled says it counts only its own evaluations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from fieldapp.store import Store
from fieldapp.sync import state
from fieldapp.ui import strings
from fieldapp.ui.progress_tab import ProgressTab
from fieldapp.ui.strings import tr
from fieldapp.ui.tasks import TaskRunner
from fieldapp.ui.worklists_tab import WorklistsTab

pytestmark = pytest.mark.gui

WAIT_MS = 10_000


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown()


def _pulled_at(store: Store, when: datetime) -> None:
    with store.session() as session:
        state.put(session, state.LAST_PULL, when.isoformat())


@pytest.mark.parametrize("tab_class", [ProgressTab, WorklistsTab])
def test_the_tab_says_when_the_station_was_last_pulled(
    qtbot: Any, store: Store, runner: TaskRunner, tab_class: type[ProgressTab | WorklistsTab]
) -> None:
    tab = tab_class(store, runner)
    qtbot.addWidget(tab)
    tab.load()
    qtbot.waitUntil(lambda: tab.last_pull.text() == tr("pulled.never"), timeout=WAIT_MS)
    assert "同步" in tab.last_pull.text()

    today = datetime.combine(date.today(), datetime.min.time()).replace(hour=9, minute=7)
    _pulled_at(store, today.astimezone())
    tab.load()
    qtbot.waitUntil(lambda: tab.last_pull.text() != tr("pulled.never"), timeout=WAIT_MS)
    assert tab.last_pull.text() == "其他电脑的评价：截至上次同步 09:07"

    earlier = (today - timedelta(days=3)).replace(hour=16, minute=45)
    _pulled_at(store, earlier.astimezone())
    tab.load()
    shown = f"截至上次同步 {earlier:%Y-%m-%d} 16:45"
    qtbot.waitUntil(lambda: shown in tab.last_pull.text(), timeout=WAIT_MS)


def test_the_freshness_reads_in_english() -> None:
    strings.set_language("en")
    when = datetime.combine(date(2026, 11, 18), datetime.min.time()).replace(hour=14, minute=30)
    assert strings.last_pull_text(when, date(2026, 11, 18)) == (
        "Other laptops' evaluations: as of the last sync, 14:30"
    )
    assert strings.last_pull_text(None, date(2026, 11, 18)).startswith("Other laptops'")
    assert all(key in strings.EN for key in ("pulled.as_of", "pulled.never", "pulled.tip"))
