"""Exercise 11: bounded_buffer -- a producer/consumer monitor with threading.Condition.

The concept
-----------
A *monitor* is an object whose state is read and written only while holding its one
lock, with a *condition variable* on that lock for "wait until the state lets me go
on". ``threading.Condition`` is both: ``with cond:`` takes its lock; ``cond.wait()``
gives the lock up, sleeps until another thread calls ``cond.notify()`` or
``cond.notify_all()``, and takes the lock back before it returns; ``notify`` must be
called while holding the lock, right after the change that may let a waiter go on.

Four things to get right:

* **Wait in a while loop, never an if.** When ``wait()`` returns, the state may have
  changed again: between the notify and the moment the woken thread has the lock back,
  another thread can take the item it was woken for (a *stolen* item). The threading
  docs ("Condition objects") ask for the loop for that reason: ``wait()`` "can return
  after an arbitrary long time, and the condition which prompted the notify() call may
  no longer hold true". They document no *spurious* wake-up (a return from ``wait()``
  with no notify at all) for CPython's ``Condition``, but condition variables in
  general may wake that way -- POSIX ``pthread_cond_wait`` and Java's ``Object.wait``
  say so -- so re-checking is the general practice, and the tests' condition does wake
  threads with no notify. So re-check the condition after every wake-up, and wait
  again if it does not hold. ``cond.wait_for(predicate)`` is that loop, written for
  you: holding the lock, it calls ``predicate()`` and waits until it returns true,
  e.g. ``self.cond.wait_for(lambda: self.items or self.closed)``.
* **notify or notify_all?** ``notify()`` wakes one waiting thread, ``notify_all()``
  wakes them all. With one condition shared by producers and consumers, ``notify()``
  can wake a thread of the wrong side -- a consumer, when only a producer could go on:
  it re-checks, finds nothing to do and waits again, and the producer that could have
  gone on is never woken. It sleeps forever, and so may everybody else. ``notify_all()``
  wakes everyone; each re-checks its own condition and the wrong ones wait again.
* **A waiting thread uses no CPU.** It sleeps inside ``wait()`` until it is notified.
  A loop that keeps checking (``while not ready: pass``), or that checks, sleeps a
  little and checks again, burns CPU or answers late, and often both.
* **Close.** A consumer cannot tell "no item yet" from "no item ever": someone has to
  say that no more items will come. ``close()`` marks the buffer closed and wakes every
  waiting thread, producers and consumers alike, so each can see it and give up.

Where it comes from
-------------------
The article passes data between processes through a ``Queue``::

    def write(q):
        for value in ['A', 'B', 'C']:
            q.put(value)

    def read(q):
        while True:
            value = q.get(True)

``queue.Queue`` is a ready-made bounded buffer (``Queue(maxsize)``), and it is built
the way this exercise builds one: a deque, one lock and conditions on that lock.
(Exercise 7 stopped its reader with a sentinel; here the buffer itself can be closed.)

What to write
-------------
``class Closed(Exception)``: raised by ``put`` and ``get`` on a closed buffer.

``class BoundedBuffer`` with plain instance attributes ``items`` (a
``collections.deque``), ``capacity`` (an int >= 1), ``closed`` (a bool) and ``cond``
(a ``threading.Condition()``):

* ``__init__(self, capacity)``: an empty, open buffer.
* ``put(item)``: waits while the buffer is full (``capacity`` items), then appends
  ``item``. Raises ``Closed`` if the buffer is closed, also when it gets closed while
  ``put`` waits.
* ``get()``: waits while the buffer is empty, then removes and returns the oldest item
  (first in, first out). Once the buffer is closed and empty, raises ``Closed``.
* ``close()``: marks the buffer closed and wakes every waiting thread. Items already in
  the buffer can still be taken.

``run_producers_consumers(producers, consumers, capacity) -> list``: ``producers`` is a
list of lists of items. Make one ``BoundedBuffer(capacity)``; start one thread per
producer, putting its items in order, and ``consumers`` threads, each getting items
until ``get`` raises ``Closed``; when every producer is done, close the buffer. Return
every item consumed: each item exactly once, and each producer's items in that
producer's order. Every thread is joined before it returns. Careful: a consumer can be
interrupted between ``get()`` and writing the item down, so the order in which items
are written down is not always the order they left the buffer (the tests make that
happen).

What a correct solution guarantees
----------------------------------
* FIFO order; put waits while the buffer holds capacity items, and it never holds more
  (observed at every put).
* close wakes blocked producers and consumers alike; put after close raises Closed;
  items left can still be taken, then get raises Closed.
* run_producers_consumers: every item consumed exactly once, each producer's items in
  their order, every thread joined.
* A woken thread re-checks its condition: an item or a slot taken by another thread
  first, or a spurious wake-up, sends it back to wait.
* notify_all (or enough notify): with one condition shared by producers and consumers,
  no thread is left asleep forever.
* A thread blocked on an empty or a full buffer uses no CPU and sleeps in cond.wait():
  no busy loop, no sleep or timed-wait polling.
* ``self.cond`` is held at every read and write of ``items`` and ``closed``.

Always use ``self.cond`` (look it up each time, do not keep a copy): the tests replace
it with a condition-like object (``acquire``, ``release``, ``with``,
``wait(timeout=None)``, ``notify(n=1)``, ``notify_all()``, and ``wait_for``) that
decides which waiting thread wakes up when, and that checks it is held.
"""
import collections
import threading


class Closed(Exception):
    """The buffer is closed: no more puts, and no more gets once it is empty."""


class BoundedBuffer:
    """A FIFO buffer of at most ``capacity`` items, safe to share between threads."""

    def __init__(self, capacity):
        # TODO: set self.items (an empty collections.deque), self.capacity,
        #       self.closed (False) and self.cond (a threading.Condition()).
        raise NotImplementedError("set self.items, self.capacity, self.closed and self.cond")

    def put(self, item):
        """Wait while the buffer is full, then append ``item``; raise ``Closed`` if it is closed."""
        # TODO: holding self.cond: wait while the buffer is full (and open), raise Closed
        #       if it is closed, append the item, wake the threads that may now go on.
        raise NotImplementedError("with self.cond: wait while full, refuse if closed, append, notify")

    def get(self):
        """Wait while the buffer is empty, then remove and return the oldest item; ``Closed`` once closed and empty."""
        # TODO: holding self.cond: wait while the buffer is empty (and open), raise Closed
        #       if it is still empty, take the oldest item, wake the threads that may now go on.
        raise NotImplementedError("with self.cond: wait while empty, Closed if closed and empty, popleft, notify")

    def close(self):
        """Mark the buffer closed and wake every waiting thread; items left can still be taken."""
        # TODO: holding self.cond: mark the buffer closed and wake every waiting thread.
        raise NotImplementedError("with self.cond: set self.closed and wake every waiting thread")


def run_producers_consumers(producers, consumers, capacity):
    """Producer threads put their items, consumer threads get until ``Closed``; return every item consumed."""
    # TODO: one BoundedBuffer(capacity); one thread per producer list putting its items,
    #       `consumers` threads getting until Closed; join the producers, close the buffer,
    #       join the consumers; return every item consumed, each producer's in its order.
    raise NotImplementedError("producer and consumer threads around one BoundedBuffer; close when producers are done")
