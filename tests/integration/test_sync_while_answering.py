"""An inspector answers items while a sync pulls 5,000 units: no answer waits for the pull.

The pull writes a page in short transactions (about ``WRITE_BUDGET`` seconds each), so an answer
saved meanwhile waits for at most one of them. The test records every commit of the store in order:
each answer must commit while the pull is still writing (interleaved with its chunks, never
queued behind the whole page), and the log must never say "database is locked". How long an
answer waited is measured in benchmarks/, not asserted here.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from sqlalchemy import event

from fieldapp.services import evaluations as ev
from fieldapp.services import units as unit_service
from fieldapp.store import Store
from fieldapp.sync.client import WRITE_CHUNK, SyncClient
from tests.integration import test_sync_support as support
from tests.integration.test_sync_support import LiveServer, add_account, demo_store, transport

database_url, server_config, live, demo_cache = (
    support.database_url,
    support.server_config,
    support.live,
    support.demo_cache,
)

UNITS = 5000


@pytest.mark.slow
def test_answers_commit_between_the_chunks_of_a_5000_unit_pull(
    live: LiveServer, tmp_path: Path, demo_cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from fieldapp.server.reference import publish_store

    county = demo_store(tmp_path / "county", demo_cache, evaluations=0, units=UNITS)
    with live.db().session() as session:
        publish_store(session, county)
    token = add_account(live.db(), "县局管理员", "县局", "county")
    laptop = demo_store(tmp_path / "laptop", demo_cache, evaluations=0, units=40, seed=7)

    with Store.open(laptop) as store:
        with store.session() as session:
            unit = unit_service.search(session, unit_service.UnitFilter(), limit=1)[0]
            draft = ev.start(session, store.library, unit, "routine", "张三")
            draft_id = draft.id
            refs = [
                f"{c.id}:{i.code}"
                for c in ev.checklists_of(session, store.library, draft)
                for i in c.items
                if not i.same_as  # answered through the items it is the same as
            ]

        commits: list[str] = []
        lock = threading.Lock()

        @event.listens_for(store.engine, "commit")
        def _on_commit(connection):  # type: ignore[no-untyped-def]
            with lock:
                commits.append(threading.current_thread().name)

        pulled = threading.Event()
        failure: list[BaseException] = []

        def pull() -> None:
            try:
                SyncClient(store, transport(live, token)).run()
            except BaseException as exc:  # surfaced below
                failure.append(exc)
            finally:
                pulled.set()

        caplog.set_level(logging.WARNING)
        worker = threading.Thread(target=pull, name="sync")
        worker.start()
        answered_during_pull = 0
        index = 0
        # The inspector keeps answering, one item after another, until the pull has finished.
        while not pulled.is_set():
            with store.session() as session:
                evaluation = ev.get(session, draft_id)
                ev.answer(session, store.library, evaluation, refs[index % len(refs)], "pass")
            index += 1
            if not pulled.is_set():
                answered_during_pull += 1
        worker.join()
        assert not failure, failure

    sync_commits = [i for i, name in enumerate(commits) if name == "sync"]
    answer_commits = [i for i, name in enumerate(commits) if name != "sync"]
    # The pull wrote in many short transactions, not one per page ...
    assert len(sync_commits) >= UNITS // WRITE_CHUNK
    # ... and the inspector's answers went in between them, while the pull was still writing.
    first, last = sync_commits[0], sync_commits[-1]
    between = [i for i in answer_commits if first < i < last]
    assert answered_during_pull > 0 and len(between) > 0
    assert "database is locked" not in caplog.text
