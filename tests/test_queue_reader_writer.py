"""Learner tests for exercise 7, queue_reader_writer: writer, reader and run_pipeline."""
import multiprocessing
import queue
import threading
import time

import pytest
from helpers import within

pytestmark = pytest.mark.timeout(20)

DRAIN_HINT = "Drain `out` before joining the processes."


def drain(q):
    """Everything currently in a queue.Queue, in order."""
    items = []
    while not q.empty():
        items.append(q.get_nowait())
    return items


def test_writer_puts_items_then_one_sentinel_per_reader(load):
    mod = load("queue_reader_writer")
    q = queue.Queue()  # any object with put() will do; no process needed
    mod.writer(q, ["a", "b"], n_readers=3)
    got = drain(q)
    assert got == ["a", "b", None, None, None], (
        f"Called writer(q, ['a', 'b'], n_readers=3). q received {got!r}, expected ['a', 'b', None, None, None].")


def test_reader_forwards_items_and_stops_at_the_first_sentinel(load):
    mod = load("queue_reader_writer")
    q, out = queue.Queue(), queue.Queue()
    for item in [1, 0, "", None, "after the sentinel"]:
        q.put(item)
    mod.reader(q, out)
    got = drain(out)
    assert got == [1, 0, "", None], (
        f"Called reader(q, out) with q holding [1, 0, '', None, 'after the sentinel']. out received {got!r}, "
        f"expected [1, 0, '', None] (0 and '' are items: compare with `is SENTINEL`).")
    left = drain(q)
    assert left == ["after the sentinel"], (
        f"reader(q, out) left {left!r} on q, expected ['after the sentinel']: stop at the first sentinel.")


def test_reader_process_ends_by_itself(load):
    mod = load("queue_reader_writer")
    q, out = multiprocessing.Queue(), multiprocessing.Queue()
    p = multiprocessing.Process(target=mod.reader, args=(q, out))
    p.start()
    for item in ["x", "y", None]:
        q.put(item)
    got = []
    deadline = time.monotonic() + 10
    while len(got) < 3 and time.monotonic() < deadline:  # drain first, then join
        try:
            got.append(out.get(timeout=0.1))
        except queue.Empty:
            if not p.is_alive() and out.empty():
                break  # the reader died early (it raised)
    p.join(10)
    still_alive = p.is_alive()
    if still_alive:
        p.kill()
        p.join()
    assert got == ["x", "y", None], f"A reader process put {got!r} on out, expected ['x', 'y', None]."
    assert not still_alive and p.exitcode == 0, (
        f"A reader process got ['x', 'y', None]. Exit code {p.exitcode}, expected 0 (it should return by itself).")


def test_pipeline_with_one_reader_keeps_input_order(load):
    mod = load("queue_reader_writer")
    got = within(10, "run_pipeline(['A', 'B', 'C'])", mod.run_pipeline, ["A", "B", "C"], hint=DRAIN_HINT)
    assert got == ["A", "B", "C"], f"Called run_pipeline(['A', 'B', 'C']). Returned {got!r}, expected ['A', 'B', 'C']."


def test_pipeline_with_three_readers_returns_every_item_once(load):
    mod = load("queue_reader_writer")
    items = list(range(100))  # includes 0, a real item
    got = within(10, "run_pipeline(range(100), n_readers=3)", mod.run_pipeline, items, n_readers=3, hint=DRAIN_HINT)
    assert sorted(got) == items, (
        f"Called run_pipeline(list(range(100)), n_readers=3). Returned {len(got)} items "
        f"(sorted: {sorted(got)[:5]}...), expected each of 0..99 exactly once.")
    alive = multiprocessing.active_children()
    assert alive == [], f"Called run_pipeline(...). Still running afterwards: {alive}, expected none."


def test_pipeline_of_no_items(load):
    mod = load("queue_reader_writer")
    got = within(10, "run_pipeline([], n_readers=2)", mod.run_pipeline, [], n_readers=2, hint=DRAIN_HINT)
    assert got == [], f"Called run_pipeline([], n_readers=2). Returned {got!r}, expected []."


def test_large_payloads_do_not_deadlock(load):
    mod = load("queue_reader_writer")
    # 300 items of 32 KiB = 9.4 MiB, far more than a pipe holds (~64 KiB).
    items = [bytes([i % 256]) * 32768 + i.to_bytes(2, "big") for i in range(300)]
    got = within(10, "run_pipeline(<300 items of 32 KiB>, n_readers=2)",
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
    got = within(10, "run_pipeline([1, 2, 3], n_readers=2)", mod.run_pipeline, [1, 2, 3], n_readers=2, hint=DRAIN_HINT)
    assert killed == [], (
        f"Called run_pipeline([1, 2, 3], n_readers=2). It called terminate() or kill() on {len(killed)} process(es), "
        f"expected none: stop each reader with a sentinel.")
    assert sorted(got) == [1, 2, 3], f"Called run_pipeline([1, 2, 3], n_readers=2). Returned {got!r}, expected [1, 2, 3] in any order."
