"""Learner tests for exercise 4, rlock_ledger: class Ledger with an RLock."""
import threading
import time

import pytest
from helpers import within

pytestmark = pytest.mark.timeout(30)

LOCK_HINT = ("record_many holds the lock and calls record, which takes it again in the same thread: "
             "a threading.Lock deadlocks there, a reentrant lock does not.")


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


class CheckedRLock:
    """A reentrant lock-like object that knows its owner: ``held_here()`` says whether the
    calling thread holds it."""

    def __init__(self):
        self._lock = threading.RLock()
        self.owner = None
        self.count = 0

    def acquire(self, blocking=True, timeout=-1):
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.owner = threading.get_ident()
            self.count += 1
        return got

    def release(self):
        self.count -= 1
        if self.count == 0:
            self.owner = None
        self._lock.release()

    def held_here(self):
        return self.owner == threading.get_ident() and self.count > 0

    __enter__ = acquire

    def __exit__(self, *exc_info):
        self.release()


class WatchedList(list):
    """A list that reports every change made while the ledger's lock is not held here."""

    def __init__(self, ledger, violations):
        super().__init__()
        self.ledger, self.violations = ledger, violations

    def _changed(self, how):
        if not self.ledger.lock.held_here():
            self.violations.append(f"entries.{how} without holding the lock")

    def append(self, item):
        self._changed("append")
        super().append(item)

    def extend(self, items):
        self._changed("extend")
        super().extend(items)

    def insert(self, index, item):
        self._changed("insert")
        super().insert(index, item)

    def __iadd__(self, items):
        self._changed("+=")
        return super().__iadd__(items)

    def __setitem__(self, index, value):
        self._changed("[...] =")
        super().__setitem__(index, value)


def test_new_ledger_is_empty_and_has_a_reentrant_lock(load):
    mod = load("rlock_ledger")
    ledger = mod.Ledger()
    assert (ledger.entries, ledger.total) == ([], 0), (
        f"Ledger() had entries={ledger.entries!r}, total={ledger.total!r}, expected [] and 0.")
    assert isinstance(ledger.lock, type(threading.RLock())), (
        f"Ledger().lock was {ledger.lock!r}, expected a reentrant lock: record_many holds it while record, "
        f"in the same thread, takes it again.")
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
    assert got == (3, 2), f"Then snapshot() returned {got!r}, expected (3, 2): (total, number of entries)."
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
    assert calls == [1, 2, 3], (
        f"Called record_many([1, 2, 3]). It called self.record with {calls!r}, expected [1, 2, 3]: call "
        f"self.record(amount) for each amount (a subclass may override record), don't append directly.")
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
        f"total={ledger.total!r}, expected [1, 2] and 3: keep what was recorded before the failure, and let the "
        f"exception propagate.")
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
    assert stuck == [], f"Threads {stuck} were still blocked after 4 s: deadlock? {LOCK_HINT}"
    torn = [s for s in snapshots if s[0] % 10 or s[0] != s[1]]
    assert torn == [], (
        f"Ran record_many([1] * 10) in 3 threads while another took snapshot()s. snapshot() saw partial batches: "
        f"{torn[:5]!r}: hold the lock across the whole batch in record_many, and read under it in snapshot.")
    assert ledger.snapshot() == (900, 900), f"After 3 threads x 30 batches of ten 1s, snapshot() was {ledger.snapshot()!r}, expected (900, 900)."


def test_entries_and_total_change_only_under_the_lock(load):
    mod = load("rlock_ledger")
    violations = []

    class Watched(mod.Ledger):
        def __setattr__(self, name, value):
            lock = self.__dict__.get("lock")
            if name in ("total", "entries") and isinstance(lock, CheckedRLock) and not lock.held_here():
                violations.append(f"self.{name} = ... without holding the lock")
            super().__setattr__(name, value)

    ledger = Watched()
    ledger.lock = CheckedRLock()  # the tests may replace self.lock by any reentrant lock-like object
    object.__setattr__(ledger, "entries", WatchedList(ledger, violations))  # not watched: the test's own change
    within(3, "record(5)", ledger.record, 5, hint=LOCK_HINT)
    within(3, "record_many([1, 2])", ledger.record_many, [1, 2], hint=LOCK_HINT)
    assert violations == [], (
        f"Called record(5) and record_many([1, 2]) on a Ledger whose lock the test watches. These changes "
        f"happened without holding self.lock: {violations}. Change entries and total only inside "
        f"`with self.lock:`, or another thread's record can interleave and be lost.")
    assert list(ledger.entries) == [5, 1, 2] and ledger.total == 8, (
        f"Called record(5) and record_many([1, 2]). entries={list(ledger.entries)!r}, total={ledger.total!r}, "
        f"expected [5, 1, 2] and 8.")
    assert ledger.lock.count == 0, "After record/record_many returned, the lock was still held."
