"""The worker pool: started once and reused, below the window's priority, shut down cleanly."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from fieldapp import workers


def test_the_pool_is_started_once_and_reused() -> None:
    assert workers.pool() is workers.pool()
    pids = {workers.pool().submit(os.getpid).result() for _ in range(8)}
    assert os.getpid() not in pids and len(pids) <= workers.count()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX niceness")
def test_workers_yield_to_the_window_and_the_pools_threads_do_not() -> None:
    workers.shutdown()  # a fresh start, as at a window's first photo
    pool = workers.pool()
    assert pool.submit(os.getpriority, os.PRIO_PROCESS, 0).result() >= workers.NICENESS
    if sys.platform.startswith("linux"):  # niceness per thread: the pool's own threads
        for thread in threading.enumerate():
            assert os.getpriority(os.PRIO_PROCESS, thread.native_id or 0) == 0, thread.name


def test_a_worker_count_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(workers.ENV, "3")
    assert workers.count() == 3
    monkeypatch.setenv(workers.ENV, "")
    assert 1 <= workers.count() <= workers.MAX_WORKERS
