"""Probes for threads_start_join: run the learner's run_in_threads under controlled calls.

Calls are chained so that later calls finish first (call i waits until call i+1 is
done): results in completion order, joins of only the last thread, and a "first"
error taken in time instead of argument order all show on every run.
"""
import threading

from kit.probe import call, jsonable, learner, new_threads, threads_now

WAIT = 0.5  # a chained call gives up waiting after this, so serial code is slow, not stuck
LIMIT = 2.0  # a call to run_in_threads that takes longer is reported as hung


def _chain(n, work, pause=0.0):
    done = [threading.Event() for _ in range(n)]

    def f(i, x):
        if i + 1 < n:
            done[i + 1].wait(WAIT)
        if pause:
            threading.Event().wait(pause)
        try:
            return work(i, x)
        finally:
            done[i].set()
    return f


def results(values, seed):
    m = learner("threads_start_join")
    f = _chain(len(values), lambda i, x: x * x + i)
    main = call(m.run_in_threads, f, [(i, x) for i, x in enumerate(values)], timeout=LIMIT)
    if main["hung"]:
        return {"main": jsonable(main)}
    empty = call(m.run_in_threads, f, [], timeout=LIMIT)
    return {"main": jsonable(main), "empty": jsonable(empty)}


def first_error(n, bad, seed):
    m = learner("threads_start_join")
    before = threads_now()
    alive_at_raise = []

    def work(i, x):
        if i in bad:
            raise ValueError(f"call {i} failed")
        return x

    f = _chain(n, work, pause=0.02)
    out = call(m.run_in_threads, f, [(i, i) for i in range(n)], timeout=LIMIT)
    alive_at_raise = new_threads(before)
    return {"out": jsonable(out), "alive": alive_at_raise}


def all_joined(n, seed):
    """Both ways out of run_in_threads: a return, then a raise (skipped if the first hung)."""
    m = learner("threads_start_join")
    out = {}
    for fail in (False, True):
        before = threads_now()

        def work(i, x, fail=fail):
            if fail and i == 0:
                raise RuntimeError("call 0 failed")
            return x

        f = _chain(n, work, pause=0.03)
        res = call(m.run_in_threads, f, [(i, i) for i in range(n)], timeout=LIMIT)
        out["raised" if fail else "returned"] = {"out": jsonable(res), "alive": new_threads(before)}
        if res["hung"]:
            break
    return out


def overlap(n, seed):
    m = learner("threads_start_join")
    barrier = threading.Barrier(n, timeout=WAIT)

    def f(i):
        try:
            barrier.wait()
            return "together"
        except threading.BrokenBarrierError:
            return "alone"
    out = call(m.run_in_threads, f, [(i,) for i in range(n)], timeout=n * WAIT + LIMIT)
    return {"out": jsonable(out)}


def own_threads(n, seed):
    m = learner("threads_start_join")
    caller = {}
    barrier = threading.Barrier(n, timeout=WAIT)

    def f(i):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return threading.get_ident()

    def run():
        caller["ident"] = threading.get_ident()
        return m.run_in_threads(f, [(i,) for i in range(n)])
    out = call(run, timeout=n * WAIT + LIMIT)
    return {"out": jsonable(out), "caller": caller.get("ident")}
