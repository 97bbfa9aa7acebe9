"""Worker processes for CPU work that is independent per item: photo ingest, sheet layout.

Decoding a photo or laying out a PDF is pure Python and C work that holds the GIL: on a thread it
competes with the window's event loop (a visible stall) and uses one of the laptop's cores. A
process pool takes it off the window's interpreter and uses every core.

The pool is started on first use (starting the window or a command does not pay for it), reused
by every later batch and shut down when the program exits. Processes are *spawned*, never
forked: a fork of the window would copy Qt's and SQLite's threads and locks, and spawn is what
Windows does anyway. In the frozen (PyInstaller) build a spawned worker is the program itself
started again, which ``multiprocessing.freeze_support()`` at the top of the entry point turns into
a worker (``fieldapp/ui/entry.py``).

Workers run at a lower priority than the window: on a two-core laptop two busy workers would
otherwise make the event loop wait for a core (a stall even though no work runs in its process).

``FIELDAPP_WORKERS`` sets how many processes (default: the cores, at most 4); ``0`` runs the work
in the calling thread instead, for debugging.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import os
import sys
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

MAX_WORKERS = 4  # more would only add memory: a worker decodes a 12 MP photo at ~50 MB
NICENESS = 10  # POSIX: a tenth of the window's share of a core when both want it
_BELOW_NORMAL_PRIORITY_CLASS = 0x4000  # Windows
ENV = "FIELDAPP_WORKERS"

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_exit_registered = False


def count() -> int:
    """How many worker processes the pool runs (0: none, work runs in the caller)."""
    configured = os.environ.get(ENV, "").strip()
    if configured.isdigit():
        return min(int(configured), 16)
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def _lower_priority() -> None:
    """Yield the cores to the window when both are wanted: in each worker as it starts and,
    on Linux, in the thread that starts the workers (see :func:`_start`)."""
    with contextlib.suppress(OSError, AttributeError):
        if sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
            kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), _BELOW_NORMAL_PRIORITY_CLASS)
        else:
            now = os.getpriority(os.PRIO_PROCESS, 0)
            os.setpriority(os.PRIO_PROCESS, 0, max(now, NICENESS))


def _exit_with_parent() -> None:
    """A worker outlives no parent. Workers block on the pool's queue, whose write end every
    worker also holds, so a parent killed outright (a crash, ``kill -9``, a power button held)
    would leave them waiting for ever, holding its files and its terminal's pipes."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()
        os._exit(0)


def _worker_started() -> None:
    """The pool's initializer: each worker, as it starts."""
    threading.Thread(target=_exit_with_parent, name="exit-with-parent", daemon=True).start()
    _lower_priority()
    if sys.platform != "win32":
        with contextlib.suppress(OSError):
            # A session of its own: where the kernel groups CPU time by session (autogroup),
            # the workers' time is then not charged to the window's group.
            os.setsid()


def _new_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=count(),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_started,
    )


def _start() -> ProcessPoolExecutor:
    """A new pool. On Linux its workers are started from a thread of lower priority: niceness
    is per thread there and a process inherits the starting thread's, so a worker's own start
    (the interpreter, the imports) already yields to the window, not only its work.

    Only the processes start there (the pool's ``_adjust_process_count``, as its first
    ``submit`` would): the pool's own thread, which hands results over under the GIL, starts
    at the window's priority with the first real ``submit``, so it is never a low-priority
    thread holding the GIL the event loop waits for.
    """
    executor = _new_pool()
    spawn = getattr(executor, "_adjust_process_count", None)
    if not sys.platform.startswith("linux") or spawn is None:
        return executor
    failed: list[BaseException] = []

    def start() -> None:
        try:
            _lower_priority()
            for _ in range(count()):
                spawn()  # one worker each while none is idle yet
        except BaseException as exc:  # handed to the caller below
            failed.append(exc)

    thread = threading.Thread(target=start, name="fieldapp-workers-start")
    thread.start()
    thread.join()
    if failed:
        executor.shutdown(wait=False, cancel_futures=True)
        raise failed[0]
    return executor


class _InCaller(Executor):
    """An executor that runs each call at once in the calling thread (``FIELDAPP_WORKERS=0``)."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # delivered through the future, as a worker's would be
            future.set_exception(exc)
        return future


def pool() -> Executor:
    """The shared pool, started on first use."""
    global _pool, _exit_registered
    if count() == 0:
        return _InCaller()
    with _lock:
        if _pool is None:
            _pool = _start()
            if not _exit_registered:
                atexit.register(shutdown)
                _exit_registered = True
        return _pool


def discard(broken: Executor) -> None:
    """Drop a pool whose worker died (``BrokenProcessPool``): the next :func:`pool` starts anew."""
    global _pool
    with _lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop the workers (at exit, and when the window closes); a later call starts new ones."""
    global _pool
    with _lock:
        running, _pool = _pool, None
    if running is not None:
        running.shutdown(wait=True, cancel_futures=True)
