"""Probes for pool_map: run the learner's parallel_map on the kit's own module-level tasks.

Pool tasks run in other processes, so they meet through files in a temporary
directory (a Barrier or Event does not reach a Pool task): item 0 waits until every
other item is done (later items finish first), the first failing item waits until a
later one has failed (the first error in time is not the first in item order), and
the gate of ``processes`` holds every task until the probe has counted the workers.

The rendezvous helpers, the tasks and the CPU-bound work of the speedup probe that
choose_executor's probes use as well live in ``kit.box.cpuwork``.
"""
import os
import shutil
import tempfile
import threading
import time

from kit.box.calls import call, child_processes, jsonable, learner
from kit.box.cpuwork import (WAIT, TaskError, available_cpus, calibrate, chained, count, first_ok, gate,
                             speedup, touch, wait_until, work, work_pid)

from .observe import Cleanup, FirstError, Processes, Results, Spawn, SpeedupProbe


def _track_pools():
    """Keep every multiprocessing Pool created from now on (and its method calls).

    Holding a reference keeps a pool the learner forgot to close from being torn down by
    the garbage collector at return, which would hide the leak a longer program has.
    """
    import multiprocessing.pool as mpp
    log = {"pools": [], "calls": []}
    init = mpp.Pool.__init__

    def __init__(self, *args, **kwargs):
        log["pools"].append(self)
        init(self, *args, **kwargs)
    mpp.Pool.__init__ = __init__
    for name in ("close", "join", "terminate"):
        def wrap(orig, name=name):
            def method(self, *a, **k):
                log["calls"].append(name)
                return orig(self, *a, **k)
            return method
        setattr(mpp.Pool, name, wrap(getattr(mpp.Pool, name)))
    return log


# -- tasks (module level, importable by name: they run in pool workers; see also cpuwork) --
def _failing(arg):
    """Items in ``bad`` raise TaskError; the first of them only after the second has failed."""
    d, i, x, bad = arg
    signal = os.path.join(d, "failed")
    if i == bad[0] and bad[1] >= 0:
        wait_until(lambda: os.path.exists(signal), WAIT)
        time.sleep(0.02)  # margin: the other error is already being written to the parent
    if i in bad:
        raise TaskError(f"item {i} failed", signal if i == bad[1] else None)
    return x


def _square(x):
    return x * x


# -- probes ----------------------------------------------------------------------------
def _tmp():
    return tempfile.mkdtemp(prefix="kit-pool-")


def results(values, seed) -> Results:
    m = learner("pool_map")
    d = _tmp()
    n = len(values)
    try:
        items = [(d, i, x, n) for i, x in enumerate(values)]
        main = call(m.parallel_map, chained, items, processes=n, timeout=WAIT + 3)
        empty = call(m.parallel_map, chained, [], processes=2, timeout=3)
        return {"main": jsonable(main), "empty": jsonable(empty)}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def first_error(n, bad, seed) -> FirstError:
    m = learner("pool_map")
    log = _track_pools()
    d = _tmp()
    try:
        items = [(d, i, i, bad) for i in range(n)]
        out = call(m.parallel_map, _failing, items, processes=n, timeout=WAIT + 3)
        left = child_processes(recursive=True)
        return {"out": jsonable(out), "left": left, "pool_calls": log["calls"]}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def cleanup(n, fail, seed) -> Cleanup:
    m = learner("pool_map")
    log = _track_pools()
    d = _tmp()
    try:
        if fail:
            items = [(d, i, i, [n - 1, -1]) for i in range(n)]  # only item n-1 fails
            func = _failing
        else:
            items = list(range(n))
            func = _square
        out = call(m.parallel_map, func, items, processes=2, timeout=6)
        left = child_processes(recursive=True)
        return {"out": jsonable(out), "left": left, "pool_calls": log["calls"]}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def processes(n, seed) -> Processes:
    m = learner("pool_map")
    d = _tmp()
    seen = {}
    finished = threading.Event()

    def counter():
        # Wait (up to 2 s) until all n tasks are waiting at the gate, then count the workers.
        wait_until(lambda: count(d, "arrive") >= n or finished.is_set(), 2 * WAIT)
        seen["arrived"] = count(d, "arrive")
        seen["workers"] = [c["pid"] for c in child_processes(recursive=True) if c["status"] != "zombie"]
        touch(os.path.join(d, "go"))

    t = threading.Thread(target=counter, daemon=True)
    try:
        t.start()
        out = call(m.parallel_map, gate, [(d, i) for i in range(n)], processes=n, timeout=4 * WAIT)
        finished.set()
        t.join(3 * WAIT)
        return {"out": jsonable(out), "caller": os.getpid(), **seen}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def spawn(values, seed) -> Spawn:
    m = learner("pool_map")
    out = call(m.parallel_map, _square, values, processes=2, timeout=5)
    return {"out": jsonable(out)}


def speedup_probe(rounds, limit, seed) -> SpeedupProbe:
    if limit is None and available_cpus() >= 2:
        limit = calibrate()  # before the learner's module is imported: its clock is ours
    m = learner("pool_map")
    # One small call first: a stub or a broken function fails here, before any timing
    # (and even on a machine that cannot show a speedup).
    first = call(m.parallel_map, work_pid, [200, 300], processes=2, timeout=3)
    if not first_ok(first, [work(200), work(300)]):
        return {"first": jsonable(first), "expected_first": [[work(200), "pid"], [work(300), "pid"]]}
    if available_cpus() < 2:
        return {"cpus": available_cpus(), "skipped": True}
    return speedup(lambda limits: m.parallel_map(work_pid, limits, processes=available_cpus()),
                   rounds, limit)
