"""Sandbox-side helpers shared by the process-pool probes (pool_map, choose_executor).

- files in a temporary directory as a rendezvous between processes (``touch``, ``count``,
  ``wait_until``): a Barrier or an Event does not reach a pool task;
- tasks both probes hand to the learner's pool (``chained``, ``gate``) and the error a
  failing task raises (``TaskError``);
- the speedup measurement: the kit's own CPU-bound ``work``, its ``calibrate``-d size,
  ``available_cpus`` and the interleaved serial / reference / learner rounds
  (``speedup``, observing a ``Speedup``), timed by the judge from ``mark`` events.

Every module-level function here may run in a pool worker: spawn children import it by
name from ``kit.box.cpuwork``, so it stays a plain module-level function. Standard
library and ``kit.box`` only.
"""
import os
import time
from typing import Dict, List, TypedDict

from .calls import call, jsonable
from .child import mark  # bound to the judge's channel before any probe module is imported
from .observe import Outcome

WAIT = 1.0        # a task waiting for another gives up after this: serial code is slow, not stuck
POLL = 0.003


# -- files as a rendezvous between processes ---------------------------------------------
_times = os.times  # taken before learner code is imported: a patched os.times can't fool it

def touch(path):
    with open(path, "w") as f:
        f.write(str(os.getpid()))


def count(directory, prefix):
    try:
        return sum(1 for name in os.listdir(directory) if name.startswith(prefix))
    except OSError:
        return 0


def wait_until(test, timeout):
    deadline = time.monotonic() + timeout
    while True:
        if test():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)


# -- shared tasks (module level: they run in pool workers) --------------------------------
def chained(arg):
    """Item 0 finishes last: it waits until every other item is done."""
    d, i, x, n = arg
    if i == 0:
        wait_until(lambda: count(d, "done") >= n - 1, WAIT)
    touch(os.path.join(d, f"done{i}"))
    return x * x + i


class TaskError(ValueError):
    """The error a failing task raises. When it is pickled to travel back from a worker,
    it leaves a file first: the later item that fails *first in time* signals only once
    its error is on its way to the parent, so the earlier item's error is surely second."""

    def __init__(self, message, signal=None):
        super().__init__(message)
        self.signal = signal

    def __reduce__(self):
        if self.signal:
            touch(self.signal)
        return (TaskError, (str(self),))


def gate(arg):
    """Arrive, then wait for the probe's go (given once it has counted the workers)."""
    d, i = arg
    touch(os.path.join(d, f"arrive{i}"))
    wait_until(lambda: os.path.exists(os.path.join(d, "go")), 4 * WAIT)
    return [os.getpid(), i]


# -- the speedup measurement -------------------------------------------------------------
def work(limit):
    """The kit's own CPU-bound task: how many primes are below ``limit`` (trial division)."""
    found = 0
    for n in range(2, limit):
        d = 2
        while d * d <= n:
            if n % d == 0:
                break
            d += 1
        else:
            found += 1
    return found


def work_pid(limit):
    return [work(limit), os.getpid()]


def calibrate(target=0.035):
    """A limit for which ``work`` takes about ``target`` seconds here (before any learner import)."""
    limit, dt = 4000, 0.0
    while True:
        t0 = time.perf_counter()
        work(limit)
        dt = time.perf_counter() - t0
        if dt >= 0.012 or limit > 10 ** 7:
            break
        limit *= 2
    for _ in range(2):
        limit = max(1000, int(limit * (target / dt) ** (1 / 1.5)))
        t0 = time.perf_counter()
        work(limit)
        dt = time.perf_counter() - t0
    return limit


def available_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Speedup(TypedDict, total=False):
    """What ``speedup`` observes (the judge times the rounds from the marks)."""
    cpus: int                        # available_cpus()
    limit: int                       # the calibrated size of one task
    tasks: int
    rounds: int
    pids: List[int]                  # the processes the learner's tasks ran in
    in_caller: bool                  # some task ran in the probe's own process
    learner: Outcome                 # a timed learner run that hung, raised or returned wrong results
    wrong: str                       # repr() of those wrong results
    expected: int                    # work(limit)
    cpu: Dict[str, float]            # round -> CPU seconds of the process tree during the learner's run


def speedup(run_learner, rounds, limit, tasks_per_cpu=2) -> Speedup:
    """Interleaved rounds of serial, reference Pool and learner runs of the same tasks.

    ``run_learner(limits)`` calls the learner's code and returns [[count, pid], ...].
    Each timed run is bracketed by ``mark("KIND:ROUND:start|end")``; the judge times them.
    """
    import multiprocessing
    cpus = available_cpus()
    limits = [limit] * (tasks_per_cpu * max(cpus, 1))
    expected = work(limit)
    info = {"cpus": cpus, "limit": limit, "tasks": len(limits), "pids": [], "in_caller": False,
            "rounds": rounds, "cpu": {}}

    def serial():
        return [work(x) for x in limits]

    def reference():
        pool = multiprocessing.Pool(cpus)
        try:
            return pool.map(work_pid, limits, chunksize=1)
        finally:
            pool.close()
            pool.join()

    kinds = {"serial": serial, "reference": reference}
    order = ["serial", "reference", "learner"]
    for r in range(rounds):
        for kind in order[r % 3:] + order[:r % 3]:
            if kind == "learner":
                before = _times()
                mark(f"learner:{r}:start")
                out = call(run_learner, limits, timeout=30)
                mark(f"learner:{r}:end")
                after = _times()
                # The kernel's count for this process and its reaped children (the workers).
                info["cpu"][str(r)] = round(sum(after[:4]) - sum(before[:4]), 4)
                if out["hung"] or out["raised"] is not None:
                    return dict(info, learner=jsonable(out))
                got = out["returned"]
                ok = (isinstance(got, list) and len(got) == len(limits)
                      and all(isinstance(g, (list, tuple)) and len(g) == 2 and g[0] == expected for g in got))
                if not ok:
                    return dict(info, learner=jsonable(out), wrong=repr(got)[:300], expected=expected)
                pids = sorted({g[1] for g in got})
                info["pids"] = pids
                info["in_caller"] = info["in_caller"] or os.getpid() in pids
            else:
                mark(f"{kind}:{r}:start")
                kinds[kind]()
                mark(f"{kind}:{r}:end")
    return info


def first_ok(out, expected):
    """The small first call of a speedup probe gave every task's [count, pid] back."""
    got = out["returned"]
    # Order is correct.results' business: here only that every task's work came back.
    return (not out["hung"] and out["raised"] is None and isinstance(got, list) and len(got) == len(expected)
            and all(isinstance(g, (list, tuple)) and len(g) == 2 for g in got)
            and sorted(g[0] for g in got) == sorted(expected))
