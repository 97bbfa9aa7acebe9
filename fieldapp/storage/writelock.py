"""A first-come, first-served lock for the store's write transactions.

SQLite lets one connection write at a time and gives the lock to whichever waiter polls first,
not to the one that waited longest: a sync that commits a chunk and at once begins the next can
keep an inspector's answer waiting until the busy timeout runs out ("database is locked"). Every
write session of a :class:`~fieldapp.store.Store` takes this lock first, in arrival order, so an
answer saved while a long job writes waits for at most the transaction under way.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class FairLock:
    """A FIFO lock: waiters acquire it in the order they asked. The thread holding it may take
    it again (a write session opened inside another on the same thread must not deadlock)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[tuple[threading.Event, int]] = deque()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return
            if self._owner is None and not self._waiters:
                self._owner, self._depth = me, 1
                return
            turn = threading.Event()
            self._waiters.append((turn, me))
        turn.wait()  # release() hands the lock over: owner and depth are already ours

    def release(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth:
                return
            if self._waiters:
                turn, thread = self._waiters.popleft()
                self._owner, self._depth = thread, 1
                turn.set()
            else:
                self._owner = None

    @contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()
