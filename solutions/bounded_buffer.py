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
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity!r}")
        self.items = collections.deque()
        self.capacity = capacity
        self.closed = False
        # One lock for the whole state, and the condition on it that every waiting
        # thread sleeps on. Condition() makes its own RLock.
        self.cond = threading.Condition()

    def put(self, item):
        """Wait while the buffer is full, then append ``item``; raise ``Closed`` if it is closed."""
        with self.cond:
            # `while`, not `if`: when wait() returns, another producer may have filled
            # the slot we were woken for, or nobody notified us at all. Re-check.
            # wait() gives the lock up while it sleeps, so consumers can make room.
            while len(self.items) >= self.capacity and not self.closed:
                self.cond.wait()
            if self.closed:  # closed before we came, or while we waited
                raise Closed("put() on a closed buffer")
            self.items.append(item)
            # Producers and consumers share this one condition: notify() could wake
            # another producer (who finds the buffer full and sleeps again) while a
            # consumer that could take the item sleeps on. Wake them all; each re-checks.
            self.cond.notify_all()

    def get(self):
        """Wait while the buffer is empty, then remove and return the oldest item; ``Closed`` once closed and empty."""
        with self.cond:
            while not self.items and not self.closed:
                self.cond.wait()
            if not self.items:  # so closed, and nothing left to take
                raise Closed("get() on a closed, empty buffer")
            item = self.items.popleft()  # the oldest: first in, first out
            self.cond.notify_all()  # a slot is free: wake the producers waiting for one
            return item

    def close(self):
        """Mark the buffer closed and wake every waiting thread; items left can still be taken."""
        with self.cond:  # `closed` is state like `items`: written under the lock too
            self.closed = True
            # Every waiter, producer or consumer, must wake up and see `closed`:
            # without this they would sleep forever.
            self.cond.notify_all()


def run_producers_consumers(producers, consumers, capacity):
    """Producer threads put their items, consumer threads get until ``Closed``; return every item consumed."""
    buffer = BoundedBuffer(capacity)
    taken = []                  # (producer index, position, item), as the consumers got them
    taken_lock = threading.Lock()

    def produce(p, items):
        # Tag each item with where it came from: a consumer can be interrupted between
        # get() and appending to `taken`, so `taken` is not in buffer order. The tags
        # put each producer's items back in order at the end.
        for k, item in enumerate(items):
            buffer.put((p, k, item))

    def consume():
        while True:
            try:
                tagged = buffer.get()
            except Closed:  # closed and empty: nothing more will ever come
                return
            with taken_lock:
                taken.append(tagged)

    consumer_threads = [threading.Thread(target=consume) for _ in range(consumers)]
    producer_threads = [threading.Thread(target=produce, args=(p, items)) for p, items in enumerate(producers)]
    for t in consumer_threads + producer_threads:
        t.start()
    # Close only when every producer is done: closing earlier would make their puts fail.
    for t in producer_threads:
        t.join()
    buffer.close()  # wakes the consumers waiting on the empty buffer; each gets Closed
    for t in consumer_threads:
        t.join()
    taken.sort(key=lambda tagged: tagged[:2])  # each producer's items in its order
    return [item for _, _, item in taken]
