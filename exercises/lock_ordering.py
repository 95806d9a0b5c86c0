"""Exercise 5: lock_ordering -- two locks, no deadlock.

The concept
-----------
Moving money between two accounts needs BOTH accounts' locks: the funds check
on ``src`` and the two updates must happen as one step, or another thread can
slip in between. Taking two locks brings a new danger. If thread 1 runs
``transfer(a, b, ...)`` and takes ``a.lock`` then waits for ``b.lock``, while
thread 2 runs ``transfer(b, a, ...)`` and takes ``b.lock`` then waits for
``a.lock``, each waits for the other forever: a *deadlock*.

The classic cure is a global lock order: every thread takes the locks in the
same order -- here, by account ``id`` -- whatever the direction of the
transfer. Then the cycle "I hold a and want b / you hold b and want a" cannot
form: both threads go for the lower id first, and only one of them gets it.

Where it comes from
-------------------
This goes beyond the article, which protects a single global ``balance`` with a
single lock::

    lock.acquire()
    change_it(n)
    lock.release()

With one lock there is no order to get wrong. With one lock *per account*
(exercise 3) threads working on different accounts run in parallel -- and
transfers need two of them.

What to write
-------------
``transfer(src, dst, amount)``: accounts are any objects with ``.id``
(unique and orderable: ints, strings, ...), ``.balance`` and ``.lock``.

* Take both accounts' locks, always in the order of their ``id``s (use
  ``with``, so they are released on every path).
* While holding both: if ``src.balance < amount`` raise ``InsufficientFunds``
  (from ``lock_balance``) and change nothing; otherwise subtract ``amount``
  from ``src.balance`` and add it to ``dst.balance``.
* ``transfer(a, a, x)``: the same account twice. Do not take ``a.lock`` twice
  (a ``Lock`` is not reentrant: that alone would deadlock). Under the lock:
  raise ``InsufficientFunds`` if ``x > a.balance``; otherwise change nothing.

``BankAccount(id, balance)`` below is given, for your own experiments; the
tests bring their own account objects, often with slow or instrumented locks.

What a correct solution guarantees
----------------------------------
* Balances are read and written only while holding both locks -- the funds
  check included.
* Any number of transfers may run at once, in any direction, between any
  accounts, and none deadlocks; money is neither created nor lost.
"""
import threading

from lock_balance import InsufficientFunds


class BankAccount:
    """A minimal account: a unique, orderable ``id``, a ``balance`` and its own ``lock``."""

    def __init__(self, id, balance):
        self.id = id
        self.balance = balance
        self.lock = threading.Lock()

    def __repr__(self):
        return f"BankAccount({self.id!r}, {self.balance!r})"


def transfer(src, dst, amount):
    """Move ``amount`` from ``src`` to ``dst`` holding both locks, taken in ``id`` order.

    Raises ``InsufficientFunds`` (changing nothing) when ``src.balance < amount``.
    """
    # TODO: holding both accounts' locks, taken in an order that cannot
    #       deadlock, check src's funds and move the money; handle the case
    #       where src is dst.
    raise NotImplementedError("hold both locks, check the funds, move the money; no deadlock")
