"""Probes for pool_map: run the learner's parallel_map on the kit's own module-level tasks.

Pool tasks run in other processes, so they meet through files in a temporary
directory (a Barrier or Event does not reach a Pool task): item 0 waits until every
other item is done (later items finish first), the first failing item waits until a
later one has failed (the first error in time is not the first in item order), and
the gate of ``processes`` holds every task until the probe has counted the workers.

Also the shared child-side helpers of the speedup probes (``work`` and ``speedup``),
used by ``kit_probes.choose_executor`` as well.
"""
import os
import shutil
import tempfile
import threading
import time

from kit.probe import call, child_processes, jsonable, learner, mark

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
    deadline = time.monotonic() + timeout
    while True:
        if test():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)


def track_pools():
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


# -- tasks (module level: they run in pool workers) ---------------------------------------
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


def failing(arg):
    """Items in ``bad`` raise TaskError; the first of them only after the second has failed."""
    d, i, x, bad = arg
    signal = os.path.join(d, "failed")
    if i == bad[0] and bad[1] >= 0:
        wait_until(lambda: os.path.exists(signal), WAIT)
        time.sleep(0.02)  # margin: the other error is already being written to the parent
    if i in bad:
        raise TaskError(f"item {i} failed", signal if i == bad[1] else None)
    return x


def gate(arg):
    """Arrive, then wait for the probe's go (given once it has counted the workers)."""
    d, i = arg
    touch(os.path.join(d, f"arrive{i}"))
    wait_until(lambda: os.path.exists(os.path.join(d, "go")), 4 * WAIT)
    return [os.getpid(), i]


def square(x):
    return x * x


# -- probes ----------------------------------------------------------------------------
def _tmp():
    return tempfile.mkdtemp(prefix="kit-pool-")


def results(values, seed):
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


def first_error(n, bad, seed):
    m = learner("pool_map")
    log = track_pools()
    d = _tmp()
    try:
        items = [(d, i, i, bad) for i in range(n)]
        out = call(m.parallel_map, failing, items, processes=n, timeout=WAIT + 3)
        left = child_processes(recursive=True)
        return {"out": jsonable(out), "left": left, "pool_calls": log["calls"]}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def cleanup(n, fail, seed):
    m = learner("pool_map")
    log = track_pools()
    d = _tmp()
    try:
        if fail:
            items = [(d, i, i, [n - 1, -1]) for i in range(n)]  # only item n-1 fails
            func = failing
        else:
            items = list(range(n))
            func = square
        out = call(m.parallel_map, func, items, processes=2, timeout=6)
        left = child_processes(recursive=True)
        return {"out": jsonable(out), "left": left, "pool_calls": log["calls"]}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def processes(n, seed):
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


def spawn(values, seed):
    m = learner("pool_map")
    out = call(m.parallel_map, square, values, processes=2, timeout=5)
    return {"out": jsonable(out)}


# -- speedup (shared with kit_probes.choose_executor) ------------------------------------
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


def calibrate(target=0.05):
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


def speedup(run_learner, rounds, limit, tasks_per_cpu=2):
    """Interleaved rounds of serial, reference Pool and learner runs of the same tasks.

    ``run_learner(limits)`` calls the learner's code and returns [[count, pid], ...].
    Each timed run is bracketed by ``mark("KIND:ROUND:start|end")``; the judge times them.
    """
    import multiprocessing
    cpus = available_cpus()
    limits = [limit] * (tasks_per_cpu * max(cpus, 1))
    expected = work(limit)
    info = {"cpus": cpus, "limit": limit, "tasks": len(limits), "pids": [], "in_caller": False,
            "rounds": rounds}

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
                mark(f"learner:{r}:start")
                out = call(run_learner, limits, timeout=30)
                mark(f"learner:{r}:end")
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


def _first_ok(out, expected):
    got = out["returned"]
    # Order is correct.results' business: here only that every task's work came back.
    return (not out["hung"] and out["raised"] is None and isinstance(got, list) and len(got) == len(expected)
            and all(isinstance(g, (list, tuple)) and len(g) == 2 for g in got)
            and sorted(g[0] for g in got) == sorted(expected))


def speedup_probe(rounds, limit, seed):
    if limit is None and available_cpus() >= 2:
        limit = calibrate()  # before the learner's module is imported: its clock is ours
    m = learner("pool_map")
    # One small call first: a stub or a broken function fails here, before any timing
    # (and even on a machine that cannot show a speedup).
    first = call(m.parallel_map, work_pid, [200, 300], processes=2, timeout=3)
    if not _first_ok(first, [work(200), work(300)]):
        return {"first": jsonable(first), "expected_first": [[work(200), "pid"], [work(300), "pid"]]}
    if available_cpus() < 2:
        return {"cpus": available_cpus(), "skipped": True}
    return speedup(lambda limits: m.parallel_map(work_pid, limits, processes=available_cpus()),
                   rounds, limit)
