"""Exercise 4: rlock_ledger -- a reentrant lock for methods that call each other.

The concept
-----------
A plain ``threading.Lock`` cannot be taken twice, not even by the thread that
already holds it: the second ``acquire()`` waits for a release that can never
come (a deadlock). A ``threading.RLock`` (reentrant lock) remembers its owner
and counts: the owning thread may acquire it again, and it is really released
only when every ``acquire()`` has been matched by a ``release()``. That lets a
method that holds the lock call another method that takes the same lock.

Where it comes from
-------------------
The article shows::

    rLock = threading.RLock()  #RLock对象
    rLock.acquire()
    rLock.acquire()    #在同一线程内，程序不会堵塞。 (same thread: does not block)
    rLock.release()
    rLock.release()

and warns that with a ``Lock`` the second ``acquire()`` would deadlock. Pairing
``acquire``/``release`` by hand is fragile (an exception in between skips the
release); ``with self.lock:`` pairs them for you, on every path.

What to write
-------------
``class Ledger`` with instance attributes ``entries`` (a list), ``total`` (an
int) and ``lock``: one lock that guards both, and that ``record_many`` can
hold while ``record`` takes it again in the same thread (choosing that kind of
lock is the point of this exercise):

* ``record(amount)``: under the lock, append ``amount`` to ``entries`` and add
  it to ``total`` -- both together, so ``total == sum(entries)`` whenever the
  lock is free.
* ``record_many(amounts)``: hold the lock for the WHOLE batch and call
  ``self.record(amount)`` for each amount. ``record`` takes the lock again --
  fine with an ``RLock``, a deadlock with a ``Lock``. Holding it across the
  batch means no other thread ever sees half a batch.
* ``snapshot()``: return ``(total, len(entries))``, both read under the lock, so
  the pair is consistent.

What a correct solution guarantees
----------------------------------
* ``record_many`` really calls ``self.record`` for every amount (a subclass
  that overrides ``record`` sees each call), while holding the lock.
* If a ``record`` call raises midway through a batch, the amounts recorded
  before it stay recorded, the exception reaches the caller, and the lock is
  released.
* ``entries`` and ``total`` are changed only while holding ``self.lock``, so
  ``record`` and ``record_many`` called from many threads at once lose
  nothing. Always use ``self.lock``: the tests may replace it with an
  instrumented reentrant lock-like object (``acquire``, ``release``, ``with``)
  to check that it is held.
* After any call returns, or raises, the lock is free for other threads.
"""
import threading


class Ledger:
    """A list of amounts and their running total, safe to use from many threads.

    A new ``Ledger()`` has ``entries == []`` and ``total == 0``.
    """

    def __init__(self):
        # An RLock, not a Lock: record_many holds it and then calls record,
        # which takes it again in the same thread. A Lock would deadlock there.
        self.entries = []
        self.total = 0
        self.lock = threading.RLock()

    def record(self, amount):
        """Append ``amount`` and add it to ``total``, under the lock."""
        # Both updates under one hold of the lock, so no thread ever sees the
        # entry without its share of the total (or the other way round).
        with self.lock:
            self.entries.append(amount)
            self.total += amount

    def record_many(self, amounts):
        """Record every amount as one batch: the lock is held across all the ``self.record`` calls.

        ``self.record(amount)`` is called once per amount, in ``amounts`` order.
        """
        # Hold the lock across the whole loop so other threads see all of the
        # batch or none of it; each self.record re-enters the RLock (its count
        # goes 1 -> 2 -> 1). If a record raises, `with` still releases our
        # hold, and the amounts already recorded stay recorded.
        with self.lock:
            for amount in amounts:
                self.record(amount)

    def snapshot(self):
        """Return ``(total, len(entries))``, read together under the lock."""
        # Read both values under the lock, so they describe the same moment.
        with self.lock:
            return (self.total, len(self.entries))
