"""Probes for pool_map: run the learner's parallel_map on the kit's own module-level tasks.

Pool tasks run in other processes, so they meet through files in a temporary
directory (a Barrier or Event does not reach a Pool task): item 0 waits until every
other item is done (later items finish first), the first failing item waits until a
later one has failed (the first error in time is not the first in item order), and
the gate of ``processes`` holds every task until the probe has counted the workers.

The rendezvous helpers, the tasks and the CPU-bound work of the speedup probe that
choose_executor's probes use as well live in ``kit.sandbox.cpuwork``.
"""
import os
import shutil
import tempfile
import threading
import time
from typing import Iterator

from kit.sandbox.calls import call, child_processes, jsonable, learner, stretch
from kit.sandbox.cpuwork import (available_cpus, chained, count, gate, learner_rounds, TaskError, touch, WAIT,
                                 wait_until, work_pid)

from .observe import Cleanup, FirstError, Processes, Results, Spawn, SpeedupStep


def _track_pools():
    """Keep every multiprocessing Pool created from now on (and its close/join/terminate calls).

    Holding a reference keeps a pool the learner forgot to close from being torn down by
    the garbage collector at return, which would hide the leak a longer program has.
    Installed once, when this module is imported: before the sandbox's integrity baseline
    (``kit.sandbox.integrity``), so the wrappers are the ones any later change is compared with.
    The log says what to hint at; the verdict rests on the processes still there.
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


_POOLS = _track_pools()


def _pool_log():
    """The pool log, emptied for a new call."""
    _POOLS["calls"].clear()
    return _POOLS


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
    log = _pool_log()
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
    log = _pool_log()
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


def processes(n, seed) -> Iterator[Processes]:
    """Tasks that wait at a gate until the judge has looked: the probe yields once every task
    has arrived (or 2 s passed), and at that yield the judge takes its census of the sandbox's
    processes from /proc (which are alive, which hold which task's token): nothing the
    learner's processes report about themselves counts."""
    m = learner("pool_map")
    d = _tmp()
    box = {}

    def run():
        box["out"] = call(m.parallel_map, gate, [(d, i) for i in range(n)], processes=n, timeout=4 * WAIT)

    t = threading.Thread(target=run, name="kit-run", daemon=True)
    try:
        t.start()
        wait_until(lambda: count(d, "arrive") >= n or not t.is_alive(), 2 * WAIT)
        yield {"arrived": count(d, "arrive")}
        touch(os.path.join(d, "go"))
        t.join(stretch(4 * WAIT + 2))
        return {"out": jsonable(box["out"]) if "out" in box else None, "arrived": count(d, "arrive")}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def spawn(values, seed) -> Spawn:
    m = learner("pool_map")
    out = call(m.parallel_map, _square, values, processes=2, timeout=5)
    return {"out": jsonable(out)}


def speedup_probe(first, seed) -> Iterator[SpeedupStep]:
    """The learner's side of the speedup check: the judge drives and times every round."""
    m = learner("pool_map")
    cpus = available_cpus()
    out = call(m.parallel_map, work_pid, first, processes=2, timeout=3)
    yield from learner_rounds(lambda tasks: m.parallel_map(work_pid, tasks, processes=cpus), out)
