"""A tiny task runner: database work runs off the UI thread, results come back on the UI thread.

Three lanes, so that no background job makes an inspector wait:

- reads (:meth:`TaskRunner.submit`) run on a small pool over WAL snapshots;
- writes (:meth:`TaskRunner.submit_write`) run on exactly one writer thread, serialized in the
  order they were submitted (Anki's taskman runs all collection work on a single worker the same
  way); an inspector's answer is a small write here and never queues behind a long job;
- long jobs (:meth:`TaskRunner.submit_long`: sync, automatic backup) run on a pool of their own
  with a cancel event; they write through the store in small transactions of their own (a sync
  pull commits a few hundred units at a time), so a write on the writer thread waits for at most
  one short commit. Closing the window cancels them before it waits for them.

A job may say what it changed (:class:`Changes`); :attr:`TaskRunner.changed` broadcasts that on
the UI thread after the job's own callback, and every tab that shows such data refreshes itself.

The shape follows Anki's ``QueryOp``: a job is a plain callable that opens its own session and
returns plain data (never ORM objects, never widgets); ``on_success`` then runs on the UI thread.
A job's exception, or one raised by its callback, goes to ``on_failure`` or, by default, to
:func:`~fieldapp.ui.errors.show_error`, so no error is lost on a worker thread.

The executor is swappable (Picard's ``FakeThreadPool``): ``TaskRunner(synchronous=True)`` runs
each job at once on the calling thread, so a test can check a model without waiting.
"""

from __future__ import annotations

import itertools
import threading
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


@dataclass(frozen=True)
class Changes:
    """What a job changed, for the tabs that show it (Anki's ``OpChanges``)."""

    units: bool = False
    evaluations: bool = False
    checklists: bool = False
    sync: bool = False

    @classmethod
    def everything(cls) -> Changes:
        return cls(units=True, evaluations=True, checklists=True, sync=True)


@dataclass
class _Pending:
    on_success: Callable[[Any], None]
    on_failure: Callable[[Exception], None] | None
    changes: Changes | None = None
    cancel: threading.Event | None = None


class TaskRunner(QObject):
    """Run callables off the UI thread and deliver their outcome back on it."""

    # Emitted from the worker thread; the runner lives on the UI thread, so Qt queues the call.
    _finished = Signal(int, object, object)
    # What a finished job changed (a Changes), on the UI thread: tabs refresh what they show.
    changed = Signal(object)

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
        # Long jobs (sync, backup) never hold the read pool or the writer thread.
        self._long_executor: Executor = executor or (
            ImmediateExecutor() if synchronous else ThreadPoolExecutor(max_threads=2)
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
        *,
        changes: Changes | None = None,
    ) -> int:
        """Like :meth:`submit`, on the single writer thread: writes run one at a time, in order."""
        return self._submit(self._write_executor, work, on_success, on_failure, changes)

    def submit_long(
        self,
        work: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[Exception], None] | None = None,
        *,
        cancel: threading.Event | None = None,
        changes: Changes | None = None,
    ) -> int:
        """A long job (sync, backup) on its own pool. ``cancel`` is set when the window closes
        (the job checks it at each step); ``changes`` is broadcast when it ends, success or not
        (a cancelled or failed sync may still have written what it confirmed)."""
        return self._submit(self._long_executor, work, on_success, on_failure, changes, cancel)

    def cancel_long(self) -> None:
        """Ask every running long job to stop at its next step."""
        for pending in self._pending.values():
            if pending.cancel is not None:
                pending.cancel.set()

    def _submit(
        self,
        executor: Executor,
        work: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[Exception], None] | None,
        changes: Changes | None = None,
        cancel: threading.Event | None = None,
    ) -> int:
        job_id = next(self._ids)
        self._pending[job_id] = _Pending(on_success, on_failure, changes, cancel)
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
        if pending.changes is not None and (error is None or pending.cancel is not None):
            self.changed.emit(pending.changes)

    def report(self, error: Exception) -> None:
        """Show a job's error to the user: for ``on_failure`` handlers that clean up first."""
        show_error(self._parent_widget, describe(error))

    def shutdown(self) -> None:
        """Cancel long jobs, wait for running jobs and drop their results: call before the store
        closes. The writer's queue is short writes; a long job stops at its next step."""
        self._closed = True
        self.cancel_long()
        self._long_executor.wait()
        self._write_executor.wait()
        self._executor.wait()
        self._pending.clear()
