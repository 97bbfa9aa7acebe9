"""The worker pool: started once and reused, below the window's priority, shut down cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
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
            try:
                niceness = os.getpriority(os.PRIO_PROCESS, thread.native_id or 0)
            except ProcessLookupError:
                continue  # a thread of an earlier test that ended since it was listed
            assert niceness == 0, thread.name


def test_a_worker_count_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(workers.ENV, "3")
    assert workers.count() == 3
    monkeypatch.setenv(workers.ENV, "")
    assert 1 <= workers.count() <= workers.MAX_WORKERS


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_workers_end_with_a_parent_killed_outright() -> None:
    """A window killed with kill -9 leaves no worker behind: the workers held its output pipe,
    so reading to its end returns only once every worker has gone."""
    script = (
        "import os, sys\n"
        "from fieldapp import workers\n"
        "pids = [workers.pool().submit(os.getpid).result() for _ in range(4)]\n"
        "print(*sorted(set(pids)), flush=True)\n"
        "sys.stdin.read()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, workers.ENV: "2"},
    )
    assert process.stdout is not None
    assert process.stdout.readline().split()  # the workers are running
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=120)  # EOF: the workers closed the pipe as they ended
    assert process.returncode == -signal.SIGKILL
