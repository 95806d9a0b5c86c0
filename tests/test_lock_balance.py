"""Learner tests for exercise 3, lock_balance: Account, InsufficientFunds, run_threads."""
import threading
import time

import pytest
from helpers import LOCK_HINT, within

pytestmark = pytest.mark.timeout(10)


class CheckedLock:
    """A lock-like object that knows which thread holds it and how often it was taken.

    Taking it again from the thread that holds it raises instead of hanging
    (a threading.Lock would deadlock there).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.owner = None
        self.acquisitions = 0

    def acquire(self, blocking=True, timeout=-1):
        if blocking and self.owner == threading.get_ident():
            raise RuntimeError("deadlock: this thread already holds this non-reentrant lock")
        got = self._lock.acquire(blocking, timeout)
        if got:
            self.owner = threading.get_ident()
            self.acquisitions += 1
        return got

    def release(self):
        self.owner = None
        self._lock.release()

    def locked(self):
        return self._lock.locked()

    def held_here(self):
        return self.owner == threading.get_ident()

    __enter__ = acquire

    def __exit__(self, *exc_info):
        self.release()


def spy_account(mod, balance=0, switch=False):
    """An Account whose every read/write of .balance is logged as (kind, lock held?, acquisition number).

    With switch=True each access also yields to other threads (time.sleep(0)),
    which makes a lost update almost certain if the lock is not held.
    """

    class SpyAccount(mod.Account):
        def __getattribute__(self, name):
            if name == "balance":
                self._note("read")
            return object.__getattribute__(self, name)

        def __setattr__(self, name, value):
            if name == "balance":
                self._note("write")
            object.__setattr__(self, name, value)

        def _note(self, kind):
            d = object.__getattribute__(self, "__dict__")
            if "log" in d:
                lock = d["lock"]
                d["log"].append((kind, lock.held_here(), lock.acquisitions))
                if switch:
                    time.sleep(0)

    account = SpyAccount(balance)
    account.lock = CheckedLock()
    account.log = []
    return account


def unguarded(account):
    return [(kind, n) for kind, held, n in account.log if not held]


def test_new_account_has_balance_and_a_lock(load):
    mod = load("lock_balance")
    assert mod.Account().balance == 0, f"Account().balance was {mod.Account().balance!r}, expected 0."
    account = mod.Account(10)
    assert account.balance == 10, f"Account(10).balance was {account.balance!r}, expected 10."
    assert isinstance(account.lock, type(threading.Lock())), (
        f"Account(10).lock was {account.lock!r}, expected a threading.Lock().")
    assert not account.lock.locked(), "A new Account's lock is already held, expected it free."
    assert mod.Account(10).lock is not account.lock, "Two accounts share one lock, expected one lock per account."


def test_deposit_and_withdraw(load):
    mod = load("lock_balance")
    account = mod.Account(10)
    account.deposit(5)
    assert account.balance == 15, f"Account(10).deposit(5): balance was {account.balance!r}, expected 15."
    account.withdraw(15)
    assert account.balance == 0, f"Then withdraw(15): balance was {account.balance!r}, expected 0."
    assert not account.lock.locked(), "After deposit/withdraw returned, the lock was still held."


def test_withdraw_too_much_raises_and_changes_nothing(load):
    mod = load("lock_balance")
    assert issubclass(mod.InsufficientFunds, ValueError), "InsufficientFunds should subclass ValueError."
    account = mod.Account(10)
    with pytest.raises(mod.InsufficientFunds):
        account.withdraw(11)
    assert account.balance == 10, (
        f"Account(10).withdraw(11) raised, then balance was {account.balance!r}, expected 10 (unchanged).")
    assert not account.lock.locked(), (
        "After withdraw raised InsufficientFunds, the lock was still held: it must be released on every path.")


def test_change_it_keeps_the_balance_and_does_not_deadlock(load):
    mod = load("lock_balance")
    account = mod.Account(3)
    # Run it in a helper thread: if change_it takes the (non-reentrant) lock and then
    # calls deposit(), which takes it again, the thread hangs and we report it.
    within(3, "Account(3).change_it(5)", account.change_it, 5, hint=LOCK_HINT)
    assert account.balance == 3, f"Account(3).change_it(5): balance was {account.balance!r}, expected 3."
    assert not account.lock.locked(), "After change_it returned, the lock was still held."


def test_every_balance_access_holds_the_lock(load):
    mod = load("lock_balance")
    account = spy_account(mod, 10)
    account.deposit(5)
    account.withdraw(3)
    with pytest.raises(mod.InsufficientFunds):
        account.withdraw(100)
    assert account.log, "deposit/withdraw never read or wrote account.balance."
    assert unguarded(account) == [], (
        f"These reads/writes of balance happened without holding account.lock: {unguarded(account)}. "
        f"Every access, the funds check included, must be inside `with self.lock:`.")
    assert account.balance == 12, f"Account(10), deposit(5), withdraw(3): balance was {account.balance!r}, expected 12."
    assert not account.lock.locked(), "After the calls, the lock was still held."


def test_change_it_is_one_atomic_step(load):
    mod = load("lock_balance")
    account = spy_account(mod, 0)
    account.change_it(8)
    assert unguarded(account) == [], (
        f"change_it(8) read/wrote balance without holding account.lock: {unguarded(account)}.")
    holds = sorted({n for _, _, n in account.log})
    assert len(holds) == 1, (
        f"change_it(8) took the lock {len(holds)} separate times around its balance accesses, "
        f"expected one hold for the deposit and the withdrawal together.")
    assert account.balance == 0, f"Account(0).change_it(8): balance was {account.balance!r}, expected 0."


def test_run_threads_loses_no_update_even_when_threads_switch_often(load):
    mod = load("lock_balance")
    account = spy_account(mod, 0, switch=True)  # yields to the other thread at every access
    within(5, "run_threads(account, [5, 8], iterations=500)", mod.run_threads, account, [5, 8], 500, hint=LOCK_HINT)
    assert account.balance == 0, (
        f"Called run_threads(account, [5, 8], iterations=500) with forced thread switches. "
        f"Balance was {account.balance!r}, expected 0 (an update was lost).")
    writes = sum(1 for kind, _, _ in account.log if kind == "write")
    assert writes == 2 * 2 * 500, f"Counted {writes} writes of balance, expected 2000 (2 threads x 500 x 2)."


def test_run_threads_starts_one_thread_per_amount_and_joins_them_all(load):
    mod = load("lock_balance")
    amounts = [5, 8, 13]
    barrier = threading.Barrier(len(amounts), timeout=5)
    seen = {}

    class MeetingAccount(mod.Account):
        def change_it(self, n):
            if threading.get_ident() not in seen:
                seen[threading.get_ident()] = threading.current_thread()
                barrier.wait()  # every thread's first call waits for all the others
            time.sleep(0 if n == amounts[-1] else 0.001)  # the last thread is the quickest
            super().change_it(n)

    account = MeetingAccount(0)
    account.lock = CheckedLock()
    within(5, f"run_threads(account, {amounts}, iterations=50)", mod.run_threads, account, amounts, 50, hint=LOCK_HINT)
    assert len(seen) == 3, f"run_threads(account, {amounts}, 50) used {len(seen)} threads, expected 3."
    running = [t.name for t in seen.values() if t.is_alive()]
    assert running == [], f"When run_threads returned, threads {running} were still running, expected all joined."
    assert account.balance == 0, f"run_threads(account, {amounts}, 50): balance was {account.balance!r}, expected 0."
