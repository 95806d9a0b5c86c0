"""Probes for threads_start_join: run the learner's run_in_threads under controlled calls.

A ``JoinGate`` holds chosen calls until the learner joins their thread, and lets others
finish at once. So later calls finish first (results in completion order show), a
"first" error taken in time differs from argument order, and joining only the last
thread returns while the other calls are provably still running: on every run.
"""
import threading

from kit.sandbox.calls import call, call_watching, jsonable, learner, new_threads, threads_now
from kit.sandbox.joingate import JoinGate

from .observe import AllJoined, FirstError, Overlap, OwnThreads, Results

WAIT = 0.5   # a held call gives up waiting after this: code that never joins is slowed, not stuck
LIMIT = 2.0  # a call to run_in_threads that takes longer is reported as hung


def _gated(gate, work):
    def f(i, x):
        gate.hold(i)
        return work(i, x)
    return f


def results(values, seed) -> Results:
    m = learner("threads_start_join")
    n = len(values)
    gate = JoinGate(n, free=[n - 1], wait=WAIT)  # the last call finishes first
    f = _gated(gate, lambda i, x: x * x + i)
    main = gate.call(m.run_in_threads, f, [(i, x) for i, x in enumerate(values)], timeout=LIMIT + WAIT,
                     inside=f.__code__)
    if main["hung"]:
        return {"main": jsonable(main)}
    empty = call(m.run_in_threads, _gated(JoinGate(0), lambda i, x: x), [], timeout=LIMIT)
    return {"main": jsonable(main), "empty": jsonable(empty)}


def first_error(n, bad, seed) -> FirstError:
    """Calls ``bad`` raise; the later one fails at once, the earlier one only once joined."""
    m = learner("threads_start_join")
    before = threads_now()

    def work(i, x):
        if i in bad:
            raise ValueError(f"call {i} failed")
        return x

    gate = JoinGate(n, free=[i for i in range(n) if i != bad[0]], wait=WAIT)
    f = _gated(gate, work)
    out = gate.call(m.run_in_threads, f, [(i, i) for i in range(n)], timeout=LIMIT + WAIT, inside=f.__code__)
    return {"out": jsonable(out), "alive": new_threads(before), "unfinished": out["unfinished"]}


def all_joined(n, seed) -> AllJoined:
    """Both ways out of run_in_threads, every call but the last held until joined."""
    m = learner("threads_start_join")
    out = {}
    for fail in (False, True):
        before = threads_now()

        def work(i, x, fail=fail):
            if fail and i == 0:
                raise RuntimeError("call 0 failed")
            return x

        gate = JoinGate(n, free=[n - 1], wait=WAIT)
        f = _gated(gate, work)
        res = gate.call(m.run_in_threads, f, [(i, i) for i in range(n)], timeout=LIMIT + WAIT, inside=f.__code__)
        out["raised" if fail else "returned"] = {"out": jsonable(res), "alive": new_threads(before),
                                                 "unfinished": res["unfinished"]}
        if res["hung"]:
            break
    return out


def overlap(n, seed) -> Overlap:
    """Each call waits until the probe has seen all of them running at once (or 0.5 s passed);
    how many ran at once is what the probe's main thread saw in the stacks
    (``call_watching``), not what the calls report: anything handed to learner code can be
    disarmed or rewritten, the interpreter's stacks cannot."""
    m = learner("threads_start_join")
    go = threading.Event()

    def f(i):
        go.wait(WAIT + 1.0)
        return i
    out = call_watching(m.run_in_threads, f, [(i,) for i in range(n)], timeout=2 * WAIT + LIMIT,
                        inside=[f.__code__], release=(go, n, WAIT))
    return {"out": jsonable(out), "peak": out["peak"][0]}


def own_threads(n, seed) -> OwnThreads:
    """Which Thread object ran each call (objects, not idents: idents are reused)."""
    m = learner("threads_start_join")
    ran_in = [None] * n
    caller = {}

    def f(i):
        ran_in[i] = threading.current_thread()
        return i

    def run():
        caller["thread"] = threading.current_thread()
        return m.run_in_threads(f, [(i,) for i in range(n)])
    out = call(run, timeout=LIMIT)
    threads = [t for t in ran_in if t is not None]
    return {"out": jsonable(out), "ran": len(threads),
            "in_caller": sum(t is caller.get("thread") for t in threads),
            "distinct": len({id(t) for t in threads})}
