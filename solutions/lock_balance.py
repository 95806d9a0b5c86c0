"""Exercise 3: lock_balance -- protect a shared balance with a Lock.

The concept
-----------
Threads share memory. ``balance = balance + n`` looks like one step but is
several: read ``balance``, add, write it back. If the interpreter switches to
another thread between the read and the write, the other thread's update is
overwritten -- a *lost update*. A ``threading.Lock`` is a mutex: only one
thread at a time can hold it, so code run while holding it cannot interleave
with other code that takes the same lock.

Where it comes from
-------------------
The article's bank balance::

    balance = 0

    def change_it(n):
        # 先存后取，结果应该为0:  (deposit then withdraw: the result should be 0)
        global balance
        balance = balance + n
        balance = balance - n

Two threads run ``change_it(5)`` and ``change_it(8)`` 100000 times each, and
the article says the final balance is often not 0. How often depends on the
Python version, and varies from run to run. On CPython 3.9 a thread may be
switched out between almost any two bytecodes, so a switch can fall between
the read and the write: run 5 times on CPython 3.9.18 (2 shared cores), the
article's program printed 0, 0, 0, -5 and -8: 2 runs of 5 lost an update (a
second series of 5 runs: only 1). From 3.10 the interpreter switches
threads only at a few points -- calls, and backward jumps at the end of a
loop -- and none falls between the read and the write of
``balance = balance + n``, so on a newer Python this unlocked code usually ends
at 0 (it did in 5 runs of 5 on each of 3.11, 3.12 and 3.13). The bug is still
there, it just hides: a free-threaded build (officially supported from 3.14),
or any call between the read and the write, brings it back. So the tests and
the grader do not wait for luck: they force the switch, holding one thread
between its read and its write of ``balance`` until another thread has written
it, and they check that ``self.lock`` is held at every access.

The fix in the article takes a global lock around each call::

    lock.acquire()
    change_it(n)
    lock.release()

Two habits to improve: if ``change_it`` raised, ``lock.release()`` would never
run and every other thread would block forever -- use ``with lock:``, which
releases on every path, exceptions included. And the lock belongs with the data
it protects: here it is an attribute of the account.

What to write
-------------
``class Account`` with plain instance attributes ``balance`` and ``lock`` (a
``threading.Lock``):

* ``__init__(self, balance=0)``.
* ``deposit(amount)``: add ``amount`` to ``balance``. The read and the write
  of one update happen in ONE hold of the lock: reading under one ``with`` and
  writing under another lets a second thread write in between, and its update
  is lost.
* ``withdraw(amount)``: subtract ``amount``; if ``amount > balance`` raise
  ``InsufficientFunds`` and change nothing. The funds check must read the
  balance under the lock too: checking first and locking afterwards lets
  another thread withdraw in between.
* ``change_it(n)``: deposit ``n`` then withdraw ``n`` ("先存后取") as ONE
  atomic step -- no other thread may see the balance in between. Careful: a
  ``Lock`` is not reentrant. If ``change_it`` holds ``self.lock`` and then calls
  ``self.deposit``, which tries to take ``self.lock`` again, the thread waits
  for itself forever (deadlock).

``run_threads(account, amounts, iterations=100_000)``: one thread per amount,
each calling ``account.change_it(amount)`` ``iterations`` times; start them
all, so they run at the same time, then join them all (every one of them --
see exercise 1).

What a correct solution guarantees
----------------------------------
* Every read and every write of ``balance`` happens while holding
  ``self.lock`` (the funds check included), and the lock is released on every
  path -- also when ``withdraw`` raises ``InsufficientFunds``.
* No update is lost even when a thread is held between its read of
  ``balance`` and its write; no thread ever sees the balance between
  ``change_it``'s deposit and its withdrawal.
* Always use ``self.lock`` (look it up each time, do not keep a copy): the
  tests replace it with an instrumented lock-like object (``acquire``,
  ``release``, ``with``) to force thread switches and to check it is held.
* After ``run_threads(Account(), [5, 8])`` the balance is exactly 0.
"""
import threading


class InsufficientFunds(ValueError):
    """Raised by ``withdraw`` when the amount is larger than the balance."""


class Account:
    """A bank account whose balance is safe to use from many threads."""

    def __init__(self, balance=0):
        # The lock lives with the data it guards: every account has its own,
        # so threads using different accounts never wait for each other.
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        """Add ``amount`` to the balance."""
        # "balance = balance + amount" is read-add-write: hold the lock across
        # all of it so no other thread's update can land in between and be lost.
        # `with` releases the lock on every path, exceptions included.
        with self.lock:
            self.balance = self.balance + amount

    def withdraw(self, amount):
        """Subtract ``amount``; raise ``InsufficientFunds`` (changing nothing) if it is more than the balance."""
        # The check and the subtraction under ONE hold of the lock: if we
        # checked first and locked later, another thread could withdraw in
        # between and the balance would go negative. Raising inside `with`
        # still releases the lock, and nothing has been changed yet.
        with self.lock:
            if amount > self.balance:
                raise InsufficientFunds(
                    f"cannot withdraw {amount}: balance is {self.balance}")
            self.balance = self.balance - amount

    def change_it(self, n):
        """Deposit ``n`` then withdraw ``n``, as one atomic step (the balance ends where it started)."""
        # One hold of the lock for both steps, so no other thread ever sees the
        # balance in between. The steps are written out here instead of calling
        # self.deposit/self.withdraw: those take self.lock themselves, and a
        # plain Lock is not reentrant, so this thread would wait on itself
        # forever. (After adding n the balance is >= n, so no funds check is
        # needed for the withdrawal half.)
        with self.lock:
            self.balance = self.balance + n
            self.balance = self.balance - n


def run_threads(account, amounts, iterations=100_000):
    """One thread per amount, each calling ``account.change_it(amount)`` ``iterations`` times.

    All threads are started, then all are joined.
    """
    def worker(amount):
        for _ in range(iterations):
            account.change_it(amount)

    # Keep every Thread, start them all (so they really contend for the
    # lock), then join each one -- not only the last, as the article's loop does.
    threads = [threading.Thread(target=worker, args=(amount,)) for amount in amounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
