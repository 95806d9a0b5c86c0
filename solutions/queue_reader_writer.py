"""Exercise 7: queue_reader_writer -- a writer and readers on multiprocessing Queues, stopped by sentinels.

The concept
-----------
Processes share no memory, so they exchange data through channels.
``multiprocessing.Queue`` is a process-safe FIFO. ``put(obj)`` only appends
``obj`` to a buffer in this process and returns at once; a background
"feeder" thread pickles it *later* and writes the bytes into an OS pipe.
``get()`` reads and unpickles the next object, blocking until one is there.
"Later" has two consequences: an object changed after ``put()`` may be sent
as changed (put a copy, or leave it alone), and an item that cannot be
pickled fails in the feeder thread -- its traceback is printed there and the
item is dropped -- not at ``put()``, so the reader simply never receives it.

Two facts about it decide how a pipeline must be written:

* **A reader needs to be told "there is no more".** ``get()`` cannot know that
  the writer has finished, so the writer puts a *sentinel* -- a value that is
  never a real item, here ``SENTINEL = None`` -- after its items. Each reader
  stops at the first sentinel it receives and consumes it, so with ``n``
  readers the writer puts ``n`` sentinels: one per reader. Compare with
  ``is SENTINEL``, never with ``if not item``: ``0`` and ``""`` are items.
* **A process that has put data on a Queue does not end until that data is
  in the pipe.** When it exits, it waits until its feeder thread has written
  every buffered item into the queue's pipe -- written, not read: the last ones
  may still sit in the pipe. But the pipe's buffer is bounded (64 KiB by
  default on Linux), and once it is full the feeder can write more only as a
  reader takes data out. So a parent
  that calls ``join()`` on a child *before* it has drained the child's output
  waits forever on a child that waits forever on the parent: a deadlock. It
  only shows when the data does not fit in the pipe's buffer, which is why
  small examples seem fine. Always drain first, then join.
  (``q.cancel_join_thread()`` lets a process exit without waiting, but what is
  still buffered is then lost: it is not a fix. The multiprocessing docs,
  "Programming guidelines", "Joining processes that use queues", tell this
  story with the same deadlock.)

Where it comes from
-------------------
The article's reader loops forever, so it has to be killed::

    def read(q):
        while True:
            value = q.get(True)
            print('Get %s from queue.' % value)
    ...
    if __name__=='__main__':
        ...
        pw.join()
        # pr进程里是死循环，无法等待其结束，只能强行终止:
        pr.terminate()

(It starts its processes under ``if __name__=='__main__':``, as a script
that starts processes must: exercise 6 says why.)

``terminate()`` is the wrong tool. It kills the reader at whatever point it has
reached: items it has taken off the queue but not finished with are lost, a
lock it holds (the queue has one) stays locked for every other process, and
nothing tells you whether it had finished. A reader that stops on a sentinel
ends by itself, with exit code 0, after handling every item.

What to write
-------------
* ``writer(q, items, n_readers=1)``: put every item on ``q``, in order, then
  one ``SENTINEL`` per reader.
* ``reader(q, out)``: ``get`` from ``q`` until a ``SENTINEL`` arrives; put
  each item on ``out``; then put one ``SENTINEL`` on ``out`` (so the
  collector knows this reader is done) and return. Wait as long as it takes
  for the next item -- no ``get`` timeout, no ``empty()`` check: an item may
  come late, and only a ``SENTINEL`` means the end.
* ``run_pipeline(items, n_readers=1) -> list``: make two
  ``multiprocessing.Queue`` objects (``q`` and ``out``); start one writer process
  and ``n_readers`` reader processes; collect from ``out`` until
  ``n_readers`` sentinels have arrived; *then* join every process. Never
  call ``terminate()``.

``writer`` and ``reader`` are plain functions at module level, so they
pickle: ``Process(target=writer, args=(q, items, n_readers))`` works under
every start method. Items are never ``None``.

What a correct solution guarantees
----------------------------------
* ``run_pipeline`` returns every item exactly once: in input order when
  ``n_readers == 1``, as the same multiset (any order) otherwise.
* Every process ends by itself (exit code 0) and is joined; none is killed.
* Large payloads -- thousands of items of tens of KiB -- go through without
  deadlock, because ``out`` is drained before anything is joined.
* It works under every start method; the tests run it under ``spawn`` too,
  where the targets and their arguments reach the children by pickling.

Example::

    >>> run_pipeline(["A", "B", "C"])
    ['A', 'B', 'C']
    >>> sorted(run_pipeline(range(10), n_readers=3))
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
"""
import multiprocessing

SENTINEL = None


def writer(q, items, n_readers=1):
    """Put every item on ``q``, then one ``SENTINEL`` per reader."""
    for item in items:
        q.put(item)
    # One sentinel per reader: each reader consumes exactly one and stops, so
    # with fewer sentinels some reader would wait forever.
    for _ in range(n_readers):
        q.put(SENTINEL)


def reader(q, out):
    """Move items from ``q`` to ``out`` until a ``SENTINEL``; then put one ``SENTINEL`` on ``out``."""
    while True:
        item = q.get()
        # `is`, not `not item`: 0 and "" are real items.
        if item is SENTINEL:
            break
        out.put(item)
    # Tell the collector this reader is done; then return, so the process
    # ends by itself and nobody has to terminate() it.
    out.put(SENTINEL)


def run_pipeline(items, n_readers=1):
    """Run one writer and ``n_readers`` readers in child processes; return the items that came out."""
    q = multiprocessing.Queue()
    out = multiprocessing.Queue()
    # list(): a generator cannot be pickled to a spawn child.
    processes = [multiprocessing.Process(target=writer, args=(q, list(items), n_readers))]
    processes += [multiprocessing.Process(target=reader, args=(q, out)) for _ in range(n_readers)]
    for process in processes:
        process.start()
    # Drain before join: a reader cannot exit until what it put on `out` is in
    # the pipe, and the pipe's buffer is bounded (64 KiB on Linux), so joining
    # first deadlocks once the data no longer fits.
    results = []
    finished = 0
    while finished < n_readers:
        item = out.get()
        if item is SENTINEL:
            finished += 1
        else:
            results.append(item)
    # Every reader has sent its last item and its sentinel, so every process
    # ends by itself: join them all (no terminate()).
    for process in processes:
        process.join()
    return results
