"""Probes for queue_reader_writer: writer, reader and run_pipeline.

writer and reader are called in a thread with a recording queue, so what they put and
got is known exactly. The reader's queue makes late items late on purpose: the rest
of the items become available only once the reader has found the queue empty (a get
that would block, a get with a timeout, get_nowait, empty(), qsize()); a timed-out or
non-blocking get on the empty queue raises queue.Empty at once. A reader that stops
when the queue is empty, or gives up on a timeout, loses the late items every time.

Pipelines run real processes. Item 1 of every pipeline is ``Late``: the writer's
feeder thread takes 0.2 s to pickle it, so a reader polling ``q.empty()`` sees an
empty queue in every run, not only in unlucky ones.
"""
import os
import queue
import threading
import time
from typing import Iterator

from kit.sandbox.calls import call, child_processes, is_helper, jsonable, learner, stretch

from .observe import Large, NoTerminate, Pipeline, Reader, Spawn, Writer

WAIT = 1.0
LATE = 0.2      # once every process of the pipeline is up, the late item waits this much more
LATE_MAX = 3.0  # and never more than this in all


class _Recorder:
    """A queue for one thread: put/get/empty/qsize, with late items and a log."""

    def __init__(self, items=(), late=()):
        self.items = list(items)
        self.late = list(late)
        self.puts = []
        self.cond = threading.Condition()
        self.saw_empty = threading.Event()
        self.calls = []
        self.got = 0

    def release(self):
        with self.cond:
            self.items.extend(self.late)
            self.late = []
            self.cond.notify_all()

    def _note(self, what):
        if len(self.calls) < 50:
            self.calls.append(what)

    # producer side (the learner puts)
    def put(self, item, block=True, timeout=None):
        self.puts.append(item)

    def put_nowait(self, item):
        self.put(item)

    # consumer side (the learner gets)
    def get(self, block=True, timeout=None):
        with self.cond:
            if not self.items:
                self.saw_empty.set()
                if not block or timeout is not None:
                    self._note("get(timeout)" if block else "get(block=False)")
                    raise queue.Empty
                while not self.items:
                    self.cond.wait()
            self.got += 1
            return self.items.pop(0)

    def get_nowait(self):
        return self.get(False)

    def empty(self):
        with self.cond:
            if not self.items:
                self.saw_empty.set()
                self._note("empty()")
            return not self.items

    def qsize(self):
        with self.cond:
            if not self.items:
                self.saw_empty.set()
                self._note("qsize()")
            return len(self.items)

    def full(self):
        return False

    def close(self):
        pass

    def join_thread(self):
        pass

    def cancel_join_thread(self):
        pass


def _pipeline_up(home, processes):
    """``processes`` processes below the probe process ``home`` are alive, multiprocessing's
    own helpers (resource tracker, fork server) not counted."""
    try:
        import psutil
        alive = 0
        for p in psutil.Process(home).children(recursive=True):
            parent = p.parent()
            if p.status() != "zombie" and not is_helper(" ".join(p.cmdline()),
                                                        " ".join(parent.cmdline()) if parent else ""):
                alive += 1
        return alive >= processes
    except Exception:  # noqa: BLE001 - the probe gone: nothing to wait for
        return True


class _Late:
    """An item whose first pickling outside the probe process comes late: only once every
    process of the pipeline (the writer and ``readers`` readers) is alive, plus LATE seconds.
    A reader that stops on a momentarily empty queue then sees it empty on every run, however
    slowly its process started (spawn, a loaded machine), instead of only when it is quick."""

    def __new__(cls, value, home, readers=1, delayed=False):
        self = super().__new__(cls, value)
        self.home, self.readers, self.delayed = home, readers, delayed
        return self

    def __reduce__(self):
        plain = type(self).__mro__[2](self)  # the str or bytes value itself
        if not self.delayed and os.getpid() != self.home:
            deadline = time.monotonic() + LATE_MAX
            while time.monotonic() < deadline and not _pipeline_up(self.home, 1 + self.readers):
                time.sleep(0.01)
            time.sleep(min(LATE, max(0.0, deadline - time.monotonic())))
            return (type(self), (plain, self.home, self.readers, True))
        return (type(self), (plain, self.home, self.readers, self.delayed))


class Late(_Late, str):
    """A str item that is slow to pickle the first time it leaves the probe process."""


class _LateBytes(_Late, bytes):
    """The same for bytes."""


# -- probes ----------------------------------------------------------------------------
def writer(items, n_readers, seed) -> Writer:
    m = learner("queue_reader_writer")
    q = _Recorder()
    out = call(m.writer, q, items, n_readers, timeout=3)
    d = _Recorder()
    default = call(m.writer, d, items, timeout=3)
    return {"out": jsonable(out), "puts": q.puts, "default": jsonable(default), "default_puts": d.puts}


def reader(early, late, seed) -> Reader:
    m = learner("queue_reader_writer")
    q = _Recorder(early, late + [None, None])
    out = _Recorder()
    box = {}

    def release():
        box["saw_empty"] = q.saw_empty.wait(stretch(WAIT))
        q.release()

    t = threading.Thread(target=release, daemon=True)
    t.start()
    res = call(m.reader, q, out, timeout=WAIT + 1.5)
    q.saw_empty.set()  # the call is over: don't keep the releaser waiting
    t.join(stretch(WAIT))
    return {"out": jsonable(res), "puts": out.puts, "left": q.items + q.late, "calls": q.calls,
            "saw_empty": box.get("saw_empty"), "q_puts": q.puts}


def _with_late(items, readers=1):
    items = list(items)
    if len(items) > 1 and isinstance(items[1], str):
        items[1] = Late(items[1], os.getpid(), readers)
    return items


def pipeline(items, n_readers, seed) -> Iterator[Pipeline]:
    """Two calls; the yield between them marks the step at which the judge counts the
    processes the first one started (from outside, and the forks the audit hook saw)."""
    m = learner("queue_reader_writer")
    first = call(m.run_pipeline, _with_late(items), timeout=2.5 + LATE_MAX)
    yield {"single": jsonable(first)}
    many = call(m.run_pipeline, _with_late(items, n_readers), n_readers, timeout=2.5 + LATE_MAX)
    return {"single": jsonable(first), "many": jsonable(many)}


def large(n, size, seed) -> Large:
    import random
    m = learner("queue_reader_writer")
    block = random.Random(seed).getrandbits(size * 8).to_bytes(size, "big")
    items = [i.to_bytes(4, "big") + block for i in range(n)]
    items[1] = _LateBytes(items[1], os.getpid())
    out = call(m.run_pipeline, items, timeout=3.5 + LATE_MAX)
    got = out["returned"]
    res = {"out": jsonable(dict(out, returned=None)), "type": type(got).__name__}
    if isinstance(got, list):
        res["count"] = len(got)
        res["complete"] = sorted(map(bytes, got)) == sorted(map(bytes, items)) if all(
            isinstance(g, bytes) for g in got) else False
        res["in_order"] = [bytes(g) for g in got] == [bytes(i) for i in items] if res["complete"] else False
    return res


def no_terminate(items, seed) -> NoTerminate:
    """One call; the signals it sends (terminate() and kill() are signals) reach the judge from
    the audit hook, with the learner's line."""
    m = learner("queue_reader_writer")
    out = call(m.run_pipeline, items, timeout=3)
    left = child_processes(recursive=True)  # before anything of ours polls (and so reaps) the learner's processes
    return {"out": jsonable(out), "left": left}


def spawn(items, seed) -> Spawn:
    m = learner("queue_reader_writer")
    out = call(m.run_pipeline, _with_late(items), timeout=4 + LATE_MAX)
    return {"out": jsonable(out)}
