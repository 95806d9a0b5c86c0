"""Learner tests for exercise 4, rlock_ledger: class Ledger with an RLock."""
import threading
import time

import pytest
from helpers import LOCK_HINT, within

pytestmark = pytest.mark.timeout(10)


def free_for_other_threads(lock, wait=1.0):
    """True if another thread can take the lock (waiting up to `wait` seconds; 0 = just try)."""
    got = []

    def try_it():
        if lock.acquire(timeout=wait) if wait else lock.acquire(blocking=False):
            got.append(True)
            lock.release()

    other = threading.Thread(target=try_it)
    other.start()
    other.join()
    return bool(got)


def test_new_ledger_is_empty_and_has_a_reentrant_lock(load):
    mod = load("rlock_ledger")
    ledger = mod.Ledger()
    assert (ledger.entries, ledger.total) == ([], 0), (
        f"Ledger() had entries={ledger.entries!r}, total={ledger.total!r}, expected [] and 0.")
    assert isinstance(ledger.lock, type(threading.RLock())), (
        f"Ledger().lock was {ledger.lock!r}, expected a threading.RLock().")
    assert mod.Ledger().lock is not ledger.lock, "Two ledgers share one lock, expected one lock per ledger."


def test_record_appends_and_adds(load):
    mod = load("rlock_ledger")
    ledger = mod.Ledger()
    ledger.record(5)
    ledger.record(-2)
    assert (ledger.entries, ledger.total) == ([5, -2], 3), (
        f"Ledger(), record(5), record(-2): entries={ledger.entries!r}, total={ledger.total!r}, "
        f"expected [5, -2] and 3.")
    got = ledger.snapshot()
    assert got == (3, 2), f"Then snapshot() returned {got!r}, expected (3, 2)."
    assert free_for_other_threads(ledger.lock), "After record/snapshot returned, the lock was not free."


def test_record_many_calls_record_for_each_amount_without_deadlock(load):
    mod = load("rlock_ledger")
    calls = []

    class Observed(mod.Ledger):
        def record(self, amount):
            calls.append(amount)
            super().record(amount)

    ledger = Observed()
    within(3, "record_many([1, 2, 3])", ledger.record_many, [1, 2, 3], hint=LOCK_HINT)
    assert calls == [1, 2, 3], f"record_many([1, 2, 3]) called self.record with {calls!r}, expected [1, 2, 3]."
    assert ledger.snapshot() == (6, 3), f"After record_many([1, 2, 3]), snapshot() was {ledger.snapshot()!r}, expected (6, 3)."
    assert free_for_other_threads(ledger.lock), "After record_many returned, the lock was not free."


def test_record_many_holds_the_lock_for_the_whole_batch(load):
    mod = load("rlock_ledger")
    free_during = []

    class Observed(mod.Ledger):
        def record(self, amount):
            # Before record takes the lock itself, can another thread take it?
            # It must not: record_many already holds it for the whole batch.
            free_during.append(free_for_other_threads(self.lock, wait=0))
            super().record(amount)

    ledger = Observed()
    within(5, "record_many([1, 2, 3])", ledger.record_many, [1, 2, 3], hint=LOCK_HINT)
    assert free_during == [False, False, False], (
        f"During record_many([1, 2, 3]), another thread could take the lock before each record call: "
        f"{free_during!r}, expected [False, False, False] (the lock held across the batch).")


def test_a_failing_record_keeps_earlier_amounts_and_releases_the_lock(load):
    mod = load("rlock_ledger")

    class NoNegatives(mod.Ledger):
        def record(self, amount):
            if amount < 0:
                raise ValueError(f"negative amount {amount}")
            super().record(amount)

    ledger = NoNegatives()
    with pytest.raises(ValueError):
        within(3, "record_many([1, 2, -1, 4])", ledger.record_many, [1, 2, -1, 4], hint=LOCK_HINT)
    assert (ledger.entries, ledger.total) == ([1, 2], 3), (
        f"record_many([1, 2, -1, 4]) where record(-1) raises: entries={ledger.entries!r}, "
        f"total={ledger.total!r}, expected [1, 2] and 3.")
    assert free_for_other_threads(ledger.lock), (
        "After record_many raised, another thread could not take the lock: it must be released on every path.")


def test_snapshot_waits_for_the_lock(load):
    mod = load("rlock_ledger")
    ledger = mod.Ledger()
    ledger.record(7)
    got = []
    reader = threading.Thread(target=lambda: got.append(ledger.snapshot()), daemon=True)
    with ledger.lock:  # this thread holds the lock: snapshot() in another thread must wait
        reader.start()
        reader.join(timeout=0.2)
        waited = reader.is_alive()
    reader.join(timeout=3)
    assert waited, "snapshot() returned while another thread held the lock, expected it to wait for the lock."
    assert got == [(7, 1)], f"snapshot() after the lock was released returned {got!r}, expected [(7, 1)]."


def test_concurrent_batches_are_never_seen_half_done(load):
    mod = load("rlock_ledger")
    ledger = mod.Ledger()
    batch = [1] * 10
    stop = threading.Event()
    snapshots = []

    def writer():
        for _ in range(30):
            ledger.record_many(batch)
            time.sleep(0)

    def reader():
        while not stop.is_set():
            snapshots.append(ledger.snapshot())
            time.sleep(0)

    writers = [threading.Thread(target=writer, daemon=True) for _ in range(3)]
    watcher = threading.Thread(target=reader, daemon=True)
    watcher.start()
    for t in writers:
        t.start()
    deadline = time.monotonic() + 4
    for t in writers:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    stop.set()
    watcher.join(timeout=max(0.1, deadline - time.monotonic()))
    stuck = [t.name for t in writers + [watcher] if t.is_alive()]
    assert stuck == [], f"Threads {stuck} were still blocked after 4 s: deadlock?"
    torn = [s for s in snapshots if s[0] % 10 or s[0] != s[1]]
    assert torn == [], f"snapshot() saw partial batches of 10: {torn[:5]!r}."
    assert ledger.snapshot() == (900, 900), f"After 3 threads x 30 batches of ten 1s, snapshot() was {ledger.snapshot()!r}, expected (900, 900)."
