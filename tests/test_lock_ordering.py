"""Learner tests for exercise 5, lock_ordering: transfer(src, dst, amount) without deadlock."""
import itertools
import random
import threading
import time

import pytest

pytestmark = pytest.mark.timeout(10)


class TestLock:
    """A lock-like object for the tests: knows its owner, can be slow, never hangs the test run.

    pause: seconds to sleep right after acquiring (widens the window in which
    a wrong lock order deadlocks). If `abort` is set while a thread waits, the
    wait ends with an error instead of hanging; taking it twice from the same
    thread raises instead of deadlocking.
    """

    __test__ = False  # not a test class

    def __init__(self, name, pause=0.0, abort=None):
        self.name = name
        self.pause = pause
        self.abort = abort or threading.Event()
        self._lock = threading.Lock()
        self.owner = None

    def acquire(self, blocking=True, timeout=-1):
        me = threading.get_ident()
        if blocking and self.owner == me:
            raise RuntimeError(f"lock {self.name} taken twice by the same thread: a Lock is not reentrant")
        if not blocking:
            got = self._lock.acquire(False)
        else:
            deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
            while True:
                got = self._lock.acquire(timeout=0.02)
                if got or (deadline is not None and time.monotonic() >= deadline):
                    break
                if self.abort.is_set():
                    raise RuntimeError(f"gave up waiting for lock {self.name}: deadlock")
        if got:
            self.owner = me
            if self.pause:
                time.sleep(self.pause)
        return got

    def release(self):
        self.owner = None
        self._lock.release()

    def held_here(self):
        return self.owner == threading.get_ident()

    __enter__ = acquire

    def __exit__(self, *exc_info):
        self.release()


class Account:
    """An account object as transfer() receives it. Logs every balance access made without the required locks."""

    def __init__(self, id, balance, pause=0.0, abort=None):
        self.id = id
        self._balance = balance
        self.lock = TestLock(f"of account {id!r}", pause, abort)
        self.must_hold = [self.lock]  # locks that must be held to touch .balance
        self.violations = []

    def _check(self, kind):
        missing = [lock.name for lock in self.must_hold if not lock.held_here()]
        if missing:
            self.violations.append(f"{kind} of account {self.id!r} without the lock {', '.join(missing)}")

    @property
    def balance(self):
        self._check("read")
        return self._balance

    @balance.setter
    def balance(self, value):
        self._check("write")
        self._balance = value

    def __repr__(self):
        return f"Account({self.id!r}, {self._balance!r})"


def run_together(calls, seconds=4.0):
    """Run each call in its own thread, all released at once; return (errors, deadlocked)."""
    start = threading.Barrier(len(calls), timeout=5)
    errors = []

    def run(func, args):
        start.wait()
        try:
            func(*args)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=call, daemon=True) for call in calls]
    for t in threads:
        t.start()
    deadline = time.monotonic() + seconds
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    deadlocked = any(t.is_alive() for t in threads)
    if deadlocked:
        # Let our TestLocks give up, so no thread is left hanging after the test.
        for func, args in calls:
            for account in args[:2]:
                account.lock.abort.set()
        for t in threads:
            t.join(timeout=2)
    return errors, deadlocked


def test_transfer_moves_the_money(load):
    mod = load("lock_ordering")
    a, b = Account(1, 10), Account(2, 5)
    result = mod.transfer(a, b, 4)
    assert (a._balance, b._balance) == (6, 9), (
        f"Called transfer(Account(1, 10), Account(2, 5), 4). Balances became "
        f"({a._balance}, {b._balance}), expected (6, 9).")
    assert result is None, f"transfer returned {result!r}, expected None."
    mod.transfer(a, b, 6)  # exactly the whole balance is allowed
    assert (a._balance, b._balance) == (0, 15), (
        f"Then transfer(a, b, 6) with a.balance == 6: balances ({a._balance}, {b._balance}), expected (0, 15).")
    assert a.lock.owner is None and b.lock.owner is None, "After transfer returned, a lock was still held."


def test_insufficient_funds_raises_and_changes_nothing(load):
    mod = load("lock_ordering")
    errors_module = load("lock_balance")
    a, b = Account("alice", 3), Account("bob", 0)
    with pytest.raises(errors_module.InsufficientFunds):
        mod.transfer(a, b, 4)
    assert (a._balance, b._balance) == (3, 0), (
        f"transfer(alice with 3, bob with 0, 4) raised, then balances were "
        f"({a._balance}, {b._balance}), expected (3, 0) (unchanged).")
    assert a.lock.owner is None and b.lock.owner is None, (
        "After transfer raised InsufficientFunds, a lock was still held: release both on every path.")


def test_balances_are_touched_only_while_holding_both_locks(load):
    mod = load("lock_ordering")
    lock_balance = load("lock_balance")
    a, b = Account(1, 10), Account(2, 10)
    for account in (a, b):
        account.must_hold = [a.lock, b.lock]
    mod.transfer(a, b, 3)
    mod.transfer(b, a, 5)
    with pytest.raises(lock_balance.InsufficientFunds):
        mod.transfer(b, a, 100)
    violations = a.violations + b.violations
    assert violations == [], (
        f"Called transfer(a, b, 3), transfer(b, a, 5) and transfer(b, a, 100). They touched balances without holding "
        f"both locks: {violations}. Take both locks first, then read the balances (the funds check included).")
    assert (a._balance, b._balance) == (12, 8), (
        f"Balances after transfer(a, b, 3) and transfer(b, a, 5) were ({a._balance}, {b._balance}), expected (12, 8).")


def test_transfer_to_the_same_account(load):
    mod = load("lock_ordering")
    lock_balance = load("lock_balance")
    a = Account(1, 10)
    errors, deadlocked = run_together([(mod.transfer, (a, a, 4))])
    assert not deadlocked, ("Called transfer(a, a, 4). It did not return: it waited for a's lock while holding it? "
                            "A Lock is not reentrant: when src is dst, take its lock once.")
    assert errors == [], f"transfer(a, a, 4) with a.balance == 10 raised {errors[0]!r}, expected no error."
    assert a._balance == 10, f"transfer(a, a, 4): balance became {a._balance}, expected 10 (unchanged)."
    errors, deadlocked = run_together([(mod.transfer, (a, a, 11))])
    assert not deadlocked, ("Called transfer(a, a, 11). It did not return: it waited for a's lock while holding it? "
                            "A Lock is not reentrant: when src is dst, take its lock once.")
    assert len(errors) == 1 and isinstance(errors[0], lock_balance.InsufficientFunds), (
        f"Called transfer(a, a, 11) with a.balance == 10. It raised {errors!r}, expected InsufficientFunds: check "
        f"the funds (under the lock) also when src is dst.")
    assert a.violations == [], f"transfer(a, a, ...) touched the balance without its lock: {a.violations}"
    assert a.lock.owner is None, "After transfer(a, a, ...), a's lock was still held."


def test_opposite_transfers_at_the_same_time_do_not_deadlock(load):
    mod = load("lock_ordering")
    for round_ in range(3):
        abort = threading.Event()
        # Slow locks: each thread sits on its first lock for 50 ms, plenty of time for
        # the other to take its own first lock if they do not use the same order.
        a, b = Account("a", 100, pause=0.05, abort=abort), Account("b", 100, pause=0.05, abort=abort)
        errors, deadlocked = run_together([(mod.transfer, (a, b, 10)), (mod.transfer, (b, a, 20))])
        assert not deadlocked, (
            "transfer(a, b, 10) and transfer(b, a, 20) at the same time deadlocked: take the two "
            "locks in the same order (by .id) whatever the direction.")
        assert errors == [], f"Concurrent transfers raised {errors!r}, expected no error."
        assert (a._balance, b._balance) == (110, 90), (
            f"After transfer(a, b, 10) and transfer(b, a, 20), balances were "
            f"({a._balance}, {b._balance}), expected (110, 90).")


def test_many_concurrent_transfers_keep_the_total(load):
    mod = load("lock_ordering")
    lock_balance = load("lock_balance")
    abort = threading.Event()
    accounts = [Account(i, 50, abort=abort) for i in (3, 1, 4, 2)]
    pairs = list(itertools.permutations(accounts, 2))

    def many_transfers(seed):
        rng = random.Random(seed)
        for _ in range(150):
            src, dst = rng.choice(pairs)
            try:
                mod.transfer(src, dst, rng.randint(1, 30))
            except lock_balance.InsufficientFunds:
                pass
            time.sleep(0)

    errors, deadlocked = run_together([(many_transfers, (seed,)) for seed in range(4)])
    assert not deadlocked, ("4 threads doing random transfers between 4 accounts deadlocked: take the two locks "
                            "in one global order (by .id), whatever the direction.")
    assert errors == [], f"Random concurrent transfers raised {errors[:3]!r}."
    balances = [account._balance for account in accounts]
    assert sum(balances) == 200, (
        f"After random concurrent transfers the total was {sum(balances)}, expected 200: check and move the money "
        f"while holding both locks.")
    assert min(balances) >= 0, f"After random concurrent transfers the balances were {balances}: one went negative."
    violations = [v for account in accounts for v in account.violations]
    assert violations == [], f"Balances were touched without the account's lock: {violations[:3]}"
