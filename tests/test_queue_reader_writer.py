"""Learner tests for exercise 7, queue_reader_writer: writer, reader and run_pipeline."""
import collections
import multiprocessing
import queue
import threading
import time

import pytest
from helpers import not_joined, start_method, within

pytestmark = pytest.mark.timeout(60)

PIPELINE_HINT = ("Likely: a reader still waiting for its SENTINEL (the writer puts one per reader: pass "
                 "n_readers on), or a parent that joins before draining `out`.")
DRAIN_HINT = "Drain `out` before joining the processes: a child cannot exit until what it put has been read."


def drain(q):
    """Everything currently in a queue.Queue, in order."""
    items = []
    while not q.empty():
        items.append(q.get_nowait())
    return items


class LateQueue:
    """A queue whose items come late: the first ``get`` with a timeout (or non-blocking) and the
    first ``empty()`` find nothing yet, as if the writer were still busy. A plain ``get()`` --
    which waits as long as it takes -- receives every item."""

    def __init__(self, items):
        self._items = collections.deque(items)
        self._late = True

    def get(self, block=True, timeout=None):
        if self._late and (not block or timeout is not None):
            self._late = False
            raise queue.Empty
        self._late = False
        if not self._items:
            raise RuntimeError("the reader asked for an item after the SENTINEL")
        return self._items.popleft()

    def get_nowait(self):
        return self.get(False)

    def empty(self):
        if self._late:
            self._late = False
            return True
        return not self._items

    def qsize(self):
        return 0 if self._late else len(self._items)


def test_writer_puts_items_then_one_sentinel_per_reader(load):
    mod = load("queue_reader_writer")
    q = queue.Queue()  # any object with put() will do; no process needed
    within(5, "writer(q, ['a', 'b'], n_readers=3)", mod.writer, q, ["a", "b"], n_readers=3)
    got = drain(q)
    assert got == ["a", "b", None, None, None], (
        f"Called writer(q, ['a', 'b'], n_readers=3). q received {got!r}, expected ['a', 'b', None, None, None]: "
        f"every item, then one SENTINEL per reader.")


def test_reader_forwards_items_and_stops_at_the_first_sentinel(load):
    mod = load("queue_reader_writer")
    q, out = queue.Queue(), queue.Queue()
    for item in [1, 0, "", None, "after the sentinel"]:
        q.put(item)
    within(5, "reader(q, out)", mod.reader, q, out)
    got = drain(out)
    assert got == [1, 0, "", None], (
        f"Called reader(q, out) with q holding [1, 0, '', None, 'after the sentinel']. out received {got!r}, "
        f"expected [1, 0, '', None] (0 and '' are items: compare with `is SENTINEL`).")
    left = drain(q)
    assert left == ["after the sentinel"], (
        f"reader(q, out) left {left!r} on q, expected ['after the sentinel']: stop at the first sentinel.")


def test_reader_waits_for_late_items(load):
    mod = load("queue_reader_writer")
    q, out = LateQueue(["a", 0, None]), queue.Queue()
    within(5, "reader(q, out) with items that arrive late", mod.reader, q, out)
    got = drain(out)
    assert got == ["a", 0, None], (
        f"Called reader(q, out) where q's items ['a', 0, None] arrive late (a get with a timeout, or empty(), "
        f"finds nothing at first). out received {got!r}, expected ['a', 0, None]: wait for the next item as "
        f"long as it takes (a plain q.get(), no timeout, no empty() check) -- only a SENTINEL ends the reader.")


def test_reader_process_ends_by_itself(load):
    mod = load("queue_reader_writer")
    first = queue.Queue()
    first.put(None)
    within(5, "reader(q, out) with q holding [None]", mod.reader, first, queue.Queue(),  # errors show here, not in a child
           hint="A reader returns once it gets a SENTINEL: stop the loop there, put one SENTINEL on out, return.")
    q, out = multiprocessing.Queue(), multiprocessing.Queue()
    p = multiprocessing.Process(target=mod.reader, args=(q, out))
    p.start()
    for item in ["x", "y", None]:
        q.put(item)
    got = []
    deadline = time.monotonic() + 8
    while len(got) < 3 and time.monotonic() < deadline:  # drain first, then join
        try:
            got.append(out.get(timeout=0.1))
        except queue.Empty:
            if not p.is_alive() and out.empty():
                break  # the reader died early (it raised)
    p.join(max(0.1, deadline - time.monotonic()))
    still_alive = p.is_alive()
    assert got == ["x", "y", None], (
        f"Put ['x', 'y', None] on the queue of a reader process. It put {got!r} on out, expected "
        f"['x', 'y', None]: every item, then one SENTINEL.")
    assert not still_alive and p.exitcode == 0, (
        f"A reader process got ['x', 'y', None]. " + ("It was still running 8 s later" if still_alive else
        f"It ended with exit code {p.exitcode}") + ", expected it to return by itself (exit code 0).")


def test_pipeline_with_one_reader_keeps_input_order(load):
    mod = load("queue_reader_writer")
    got = within(10, "run_pipeline(['A', 'B', 'C'])", mod.run_pipeline, ["A", "B", "C"], hint=PIPELINE_HINT)
    assert got == ["A", "B", "C"], f"Called run_pipeline(['A', 'B', 'C']). Returned {got!r}, expected ['A', 'B', 'C']."
    assert not_joined() == [], (
        f"Called run_pipeline(['A', 'B', 'C']). When it returned, these processes had not been joined: "
        f"{not_joined()}. Join every process after draining `out`.")


def test_pipeline_with_three_readers_returns_every_item_once(load):
    mod = load("queue_reader_writer")
    items = list(range(100))  # includes 0, a real item
    got = within(10, "run_pipeline(range(100), n_readers=3)", mod.run_pipeline, items, n_readers=3,
                 hint=PIPELINE_HINT)
    assert sorted(got) == items, (
        f"Called run_pipeline(list(range(100)), n_readers=3). Returned {len(got)} items "
        f"(sorted: {sorted(got)[:5]}...), expected each of 0..99 exactly once.")
    assert not_joined() == [], (
        f"Called run_pipeline(list(range(100)), n_readers=3). When it returned, these processes had not been "
        f"joined: {not_joined()}. Join every process (the writer and each reader) after draining `out`.")


def test_pipeline_of_no_items(load):
    mod = load("queue_reader_writer")
    got = within(10, "run_pipeline([], n_readers=2)", mod.run_pipeline, [], n_readers=2, hint=PIPELINE_HINT)
    assert got == [], f"Called run_pipeline([], n_readers=2). Returned {got!r}, expected []."


def test_large_payloads_do_not_deadlock(load):
    mod = load("queue_reader_writer")
    # 300 items of 32 KiB = 9.4 MiB, far more than a pipe holds (~64 KiB).
    items = [bytes([i % 256]) * 32768 + i.to_bytes(2, "big") for i in range(300)]
    got = within(15, "run_pipeline(<300 items of 32 KiB>, n_readers=2)",
                 mod.run_pipeline, items, n_readers=2, hint=DRAIN_HINT)
    assert sorted(got) == sorted(items), (
        f"Called run_pipeline(<300 items of 32 KiB>, n_readers=2). Returned {len(got)} items, "
        f"expected the same 300 items.")


def test_pipeline_never_terminates_a_process(load, monkeypatch):
    mod = load("queue_reader_writer")
    killed = []

    def refuse(self):
        killed.append(self)

    # Record (and ignore) terminate()/kill(): readers must stop on their sentinel.
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "terminate", refuse)
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "kill", refuse)
    got = within(10, "run_pipeline([1, 2, 3], n_readers=2)", mod.run_pipeline, [1, 2, 3], n_readers=2,
                 hint=PIPELINE_HINT + " Never terminate() a reader: stop it with its SENTINEL.")
    assert killed == [], (
        f"Called run_pipeline([1, 2, 3], n_readers=2). It called terminate() or kill() on {len(killed)} process(es), "
        f"expected none: stop each reader with a sentinel.")
    assert sorted(got) == [1, 2, 3], f"Called run_pipeline([1, 2, 3], n_readers=2). Returned {got!r}, expected [1, 2, 3] in any order."


def test_pipeline_under_spawn(load):
    mod = load("queue_reader_writer")
    description = "run_pipeline([0, '', 'x'], n_readers=2) under the spawn start method"
    error = None
    with start_method("spawn"):
        try:
            got = within(30, description, mod.run_pipeline, [0, "", "x"], n_readers=2, hint=PIPELINE_HINT)
        except Exception as exc:
            error = exc
    if error is not None:
        pytest.fail(f"Called {description}. It raised {type(error).__name__}: {error}. Under spawn every "
                    f"target and argument is pickled: module-level functions, and a list, not a generator.",
                    pytrace=False)
    assert sorted(got, key=repr) == sorted([0, "", "x"], key=repr), (
        f"Called {description}. Returned {got!r}, expected 0, '' and 'x' in any order.")
    assert not_joined() == [], f"Called {description}. Not joined afterwards: {not_joined()}."


# ---- the facts the docstring relies on (no learner code) -------------------------------------

def test_put_only_buffers_and_a_feeder_thread_pickles_later():
    q = multiprocessing.Queue()
    gate = threading.Event()
    pickled_in = []

    class HeldAtPickling:
        def __reduce__(self):
            pickled_in.append(threading.current_thread())
            gate.wait(5)
            return (str, ("held",))

    items = [1, 2]
    started = time.monotonic()
    q.put(HeldAtPickling())  # the feeder thread starts pickling this one and waits at the gate
    q.put(items)
    put_took = time.monotonic() - started
    items.append(3)          # changed after put(), before the feeder thread pickled it
    gate.set()
    got = [q.get(timeout=10), q.get(timeout=10)]
    q.close()
    q.join_thread()
    assert put_took < 2, f"multiprocessing.Queue.put() took {put_took:.1f} s: it pickled the item itself."
    assert got == ["held", [1, 2, 3]], (
        f"A list put on a multiprocessing.Queue and changed afterwards arrived as {got[1]!r}: expected [1, 2, 3], "
        f"since put() only buffers the object and the feeder thread pickles it later.")
    assert pickled_in and pickled_in[0] is not threading.current_thread(), (
        "The object put on the Queue was pickled in the calling thread, expected the queue's feeder thread.")


def test_an_unpicklable_item_fails_in_the_feeder_thread_not_at_put(capsys):
    q = multiprocessing.Queue()
    q.put(lambda: None)  # returns: nothing has been pickled yet
    q.put("next")
    got = q.get(timeout=10)
    q.close()
    q.join_thread()
    assert got == "next", f"After an unpicklable item, the queue delivered {got!r}, expected 'next'."
    printed = capsys.readouterr().err
    assert "pickle" in printed.lower(), (
        f"The feeder thread's error about the unpicklable item was not printed (stderr: {printed[-300:]!r}).")
