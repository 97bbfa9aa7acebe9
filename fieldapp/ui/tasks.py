"""A tiny task runner: database work runs off the UI thread, results come back on the UI thread.

Reads run on a small pool; writes (:meth:`TaskRunner.submit_write`) run on one dedicated thread,
so changes to the database are serialized in the order they were submitted (Anki's taskman runs
all collection work on a single worker the same way).

The shape follows Anki's ``QueryOp``: a job is a plain callable that opens its own session and
returns plain data (never ORM objects, never widgets); ``on_success`` then runs on the UI thread.
A job's exception, or one raised by its callback, goes to ``on_failure`` or, by default, to
:func:`~fieldapp.ui.errors.show_error`, so no error is lost on a worker thread.

The executor is swappable (Picard's ``FakeThreadPool``): ``TaskRunner(synchronous=True)`` runs
each job at once on the calling thread, so a test can check a model without waiting.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QWidget

from fieldapp.ui.errors import describe, show_error

T = TypeVar("T")


class Executor(Protocol):
    def start(self, work: Callable[[], None]) -> None: ...

    def wait(self) -> None: ...


class _Job(QRunnable):
    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__()
        self._work = work

    def run(self) -> None:
        self._work()


class ThreadPoolExecutor:
    """Runs jobs on a private QThreadPool (SQLite in WAL mode serves readers in parallel)."""

    def __init__(self, max_threads: int = 2) -> None:
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(max_threads)

    def start(self, work: Callable[[], None]) -> None:
        self._pool.start(_Job(work))

    def wait(self) -> None:
        self._pool.waitForDone()


class ImmediateExecutor:
    """Runs each job at once on the calling thread: for tests, and for debugging."""

    def start(self, work: Callable[[], None]) -> None:
        work()

    def wait(self) -> None:
        pass


@dataclass
class _Pending:
    on_success: Callable[[Any], None]
    on_failure: Callable[[Exception], None] | None


class TaskRunner(QObject):
    """Run callables off the UI thread and deliver their outcome back on it."""

    # Emitted from the worker thread; the runner lives on the UI thread, so Qt queues the call.
    _finished = Signal(int, object, object)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        synchronous: bool = False,
        executor: Executor | None = None,
    ) -> None:
        super().__init__(parent)
        self._parent_widget = parent
        self._executor: Executor = executor or (
            ImmediateExecutor() if synchronous else ThreadPoolExecutor()
        )
        # One thread for every write, so two changes never race for the database.
        self._write_executor: Executor = executor or (
            ImmediateExecutor() if synchronous else ThreadPoolExecutor(max_threads=1)
        )
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._closed = False
        self._finished.connect(self._deliver)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def submit(
        self,
        work: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[Exception], None] | None = None,
    ) -> int:
        """Run ``work`` in the background; call ``on_success(result)`` on the UI thread."""
        return self._submit(self._executor, work, on_success, on_failure)

    def submit_write(
        self,
        work: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[Exception], None] | None = None,
    ) -> int:
        """Like :meth:`submit`, on the single writer thread: writes run one at a time, in order."""
        return self._submit(self._write_executor, work, on_success, on_failure)

    def _submit(
        self,
        executor: Executor,
        work: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[Exception], None] | None,
    ) -> int:
        job_id = next(self._ids)
        self._pending[job_id] = _Pending(on_success, on_failure)
        finished = self._finished

        def job() -> None:
            try:
                result = work()
            except Exception as exc:
                finished.emit(job_id, None, exc)
            else:
                finished.emit(job_id, result, None)

        executor.start(job)
        return job_id

    @Slot(int, object, object)
    def _deliver(self, job_id: int, result: object, error: object) -> None:
        pending = self._pending.pop(job_id, None)
        if pending is None or self._closed:
            return
        try:
            if isinstance(error, Exception):
                if pending.on_failure is None:
                    raise error
                pending.on_failure(error)
            else:
                pending.on_success(result)
        except Exception as exc:
            self.report(exc)

    def report(self, error: Exception) -> None:
        """Show a job's error to the user: for ``on_failure`` handlers that clean up first."""
        show_error(self._parent_widget, describe(error))

    def shutdown(self) -> None:
        """Wait for running jobs and drop their results: call before the store closes."""
        self._closed = True
        self._write_executor.wait()
        self._executor.wait()
        self._pending.clear()
