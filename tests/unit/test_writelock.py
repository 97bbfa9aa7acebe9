"""The store's write lock hands over in arrival order and lets its holder re-enter."""

from __future__ import annotations

import threading

from fieldapp.storage.writelock import FairLock


def _wait_for_waiters(lock: FairLock, count: int) -> None:
    while len(lock._waiters) < count:  # a thread is queued once it is in the list
        threading.Event().wait(0)


def test_waiters_get_the_lock_in_the_order_they_asked() -> None:
    lock = FairLock()
    order: list[str] = []
    lock.acquire()

    def take(name: str) -> None:
        with lock.held():
            order.append(name)

    threads = []
    for number, name in enumerate(("first", "second", "third"), start=1):
        thread = threading.Thread(target=take, args=(name,))
        thread.start()
        _wait_for_waiters(lock, number)
        threads.append(thread)
    lock.release()
    for thread in threads:
        thread.join()
    assert order == ["first", "second", "third"]


def test_the_holder_may_take_it_again() -> None:
    lock = FairLock()
    with lock.held(), lock.held():
        pass
    with lock.held():  # released fully: free again
        pass
