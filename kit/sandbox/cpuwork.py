"""Sandbox-side helpers shared by the process-pool probes (pool_map, choose_executor).

- files in a temporary directory as a rendezvous between processes (``touch``, ``count``,
  ``wait_until``): a Barrier or an Event does not reach a pool task;
- tasks both probes hand to the learner's pool (``chained``, ``gate``) and the error a
  failing task raises (``TaskError``);
- the speedup measurement: the kit's own CPU-bound ``work`` (whose results the judge can
  check), its ``calibrate``-d size, ``available_cpus``, and the two sides of the rounds
  the judge drives and times: ``reference_rounds`` (serial and the grader's own Pool, in a
  sandbox no learner code enters) and ``learner_rounds``.

Every module-level function here may run in a pool worker: spawn children import it by
name from ``kit.sandbox.cpuwork``, so it stays a plain module-level function. Standard
library and ``kit.sandbox`` only.
"""
import os
import time
from typing import TypedDict

from .calls import call, jsonable, stretch
from .observe import Outcome

WAIT = 1.0        # a task waiting for another gives up after this: serial code is slow, not stuck
POLL = 0.003


# -- files as a rendezvous between processes ---------------------------------------------
def touch(path):
    with open(path, "w") as f:
        f.write(str(os.getpid()))


def count(directory, prefix):
    try:
        return sum(1 for name in os.listdir(directory) if name.startswith(prefix))
    except OSError:
        return 0


def wait_until(test, timeout):
    """Poll ``test`` until it is true (True) or ``timeout`` passed, stretched by the load (False)."""
    deadline = time.monotonic() + stretch(timeout)
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
    """Arrive, then wait for the probe's go (given once the judge has counted the workers).

    While it waits it holds ``token{i}`` open: the judge reads every process's open files
    from /proc, so which process runs which task is seen from outside, not reported by it.
    """
    d, i = arg
    with open(os.path.join(d, f"token{i}"), "w"):
        touch(os.path.join(d, f"arrive{i}"))
        wait_until(lambda: os.path.exists(os.path.join(d, "go")), 4 * WAIT)
    return [os.getpid(), i]


# -- the speedup measurement -------------------------------------------------------------
def work(task):
    """The kit's own CPU-bound task: ``x`` squared ``t`` times modulo ``n``.

    Pure Python arithmetic that holds the GIL, so threads cannot run it in parallel. The
    judge knows the factors of ``n`` and checks any result at once (``x ** (2 ** t mod
    phi(n)) mod n``); nobody else can compute it faster than by doing the work (the built-in
    ``pow`` is no faster than this loop at this size, measured), and every round brings
    fresh ``x``: a cache, a result made up, or a round ended early gains nothing.
    """
    x, t, n = task
    for _ in range(t):
        x = x * x % n
    return x


def work_pid(task):
    return [work(task), os.getpid()]


TASK_SECONDS = 0.035  # the size calibrate() aims at: one task, one process


def calibrate(n, target=TASK_SECONDS):
    """How many squarings modulo ``n`` take about ``target`` seconds here."""
    t, dt = 1000, 0.0
    while True:
        t0 = time.perf_counter()
        work((3, t, n))
        dt = time.perf_counter() - t0
        if dt >= 0.01 or t > 10 ** 8:
            break
        t *= 2
    for _ in range(2):
        t = max(100, int(t * target / dt))
        t0 = time.perf_counter()
        work((3, t, n))
        dt = time.perf_counter() - t0
    return t


def available_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Ready(TypedDict, total=False):
    """The first answer of a speedup probe (before any round)."""
    cpus: int                  # available_cpus() in the sandbox
    size: int                  # reference sandbox: the calibrated number of squarings per task
    first: Outcome             # learner sandbox: the small call that must work before any timing


class RoundOut(TypedDict, total=False):
    """One round's answer: what the run returned (the judge checks it and times it)."""
    out: Outcome


def reference_rounds(n, seed):
    """The clean sandbox of a speedup check: no learner code is ever imported here.

    It calibrates the task size, then runs what the judge asks, as the judge asks it:
    ``{"op": "serial" | "reference", "tasks": [...]}`` -- the tasks one after the other in
    this process, or through a fresh ``Pool(cpus)`` of the grader's own -- and answers with
    the results; ``{"op": "end"}`` ends it.
    """
    import multiprocessing
    cpus = available_cpus()
    cmd = yield {"cpus": cpus, "size": calibrate(n) if cpus >= 2 else 0}
    while cmd.get("op") in ("serial", "reference"):
        tasks = cmd["tasks"]
        if cmd["op"] == "serial":
            res = [work(t) for t in tasks]
        else:
            pool = multiprocessing.Pool(cpus)
            try:
                res = [r[0] for r in pool.map(work_pid, tasks, chunksize=1)]
            finally:
                pool.close()
                pool.join()
        cmd = yield {"out": {"returned": res, "raised": None, "hung": False}}
    return {}


def learner_rounds(run_learner, first):
    """The learner's side of a speedup check: ``first`` (the small call's outcome), then one
    call of ``run_learner(tasks)`` per ``{"op": "round", "tasks": [...]}`` the judge sends."""
    cmd = yield {"cpus": available_cpus(), "first": jsonable(first)}
    while cmd.get("op") == "round":
        out = call(run_learner, cmd["tasks"], timeout=30)
        cmd = yield {"out": jsonable(out)}
    return {}
