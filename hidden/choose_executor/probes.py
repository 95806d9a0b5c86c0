"""Probes for choose_executor: run_io_bound (threads) and run_cpu_bound (processes).

Calls meet through files in a temporary directory, which works whether the learner's
code runs them in threads or in processes: so a mistake in one property (processes for
IO-bound work, threads for CPU-bound work) shows in the check of that property and
not, by accident, in every other check as a pickling error.

The file rendezvous, the tasks shared with pool_map's probes (``chained``, ``gate``,
``TaskError``) and the CPU-bound work of the speedup probe come from ``kit.sandbox.cpuwork``.
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

from .observe import CpuProcesses, CpuResults, IoNoProcesses, IoOverlap, IoResults, Spawn, SpeedupStep

CAP = 32
# Time only decides the failing paths, so a loaded machine (one CPU, 32 threads to start)
# slows correct code down but never fails it:
ARRIVE = 3.0  # a call waits this long for the others to be running with it, then gives up
HOLD = 0.4    # once 32 calls are running, each waits this long more for a 33rd to start


# -- calls (module level, importable by name: run_cpu_bound runs them in other processes) --
def _chained_call(d, i, x, n):
    return chained((d, i, x, n))


def _failing_call(d, i, x, bad, mode):
    """Calls in ``bad`` raise TaskError; bad[0] only after bad[1] has failed.

    mode "thread": bad[1] leaves its file just before raising; "process": while its
    error is pickled to go back to the parent.
    """
    signal = os.path.join(d, "failed")
    if i == bad[0] and bad[1] >= 0:
        wait_until(lambda: os.path.exists(signal), WAIT)
        time.sleep(0.02)
    if i in bad:
        if i == bad[1] and mode == "thread":
            touch(signal)
        raise TaskError(f"call {i} failed", signal if i == bad[1] and mode == "process" else None)
    return x


def _together(d, i, n):
    """Arrive, then wait until all n calls have arrived (or one of them gave up)."""
    touch(os.path.join(d, f"arrive{i}"))
    ok = wait_until(lambda: count(d, "arrive") >= n or os.path.exists(os.path.join(d, "gaveup")), ARRIVE)
    if not ok or count(d, "arrive") < n:
        touch(os.path.join(d, "gaveup"))
        return "alone"
    return "together"


def _crowd(d, i):
    """Enter; wait until 32 calls are running at once (ARRIVE s at most), then HOLD s more
    for a 33rd; return the peak seen. The first call to see 32 leaves "full" (the calls
    after it need not wait for 32 again), one that gives up leaves "low" (serial code: the
    next calls need not wait either), one that sees a 33rd leaves "over"."""
    mine = os.path.join(d, f"in{i}")
    touch(mine)
    peak = count(d, "in")

    def seen(*names):
        return any(os.path.exists(os.path.join(d, name)) for name in names)

    wait_until(lambda: max(peak, count(d, "in")) >= CAP or seen("full", "low", "over"), ARRIVE)
    peak = max(peak, count(d, "in"))
    if peak >= CAP:
        touch(os.path.join(d, "full"))
        deadline = time.monotonic() + stretch(HOLD)
        while time.monotonic() < deadline and peak <= CAP and not seen("over"):
            time.sleep(0.005)
            peak = max(peak, count(d, "in"))
        if peak > CAP:
            touch(os.path.join(d, "over"))
    elif not seen("full", "over"):
        touch(os.path.join(d, "low"))
    os.remove(mine)
    return peak


def _where(probe_pid):
    """Where this call runs, and how many child processes the caller has meanwhile."""
    time.sleep(0.05)  # give a pool time to show its processes
    import psutil
    kids = 0
    try:
        for p in psutil.Process(probe_pid).children(recursive=True):
            try:
                if "resource_tracker" in " ".join(p.cmdline()):
                    continue
            except psutil.Error:
                pass
            kids += 1
    except psutil.Error:
        pass
    return [os.getpid(), kids]


def _square(x):
    return x * x


def _cpu_gate(d, i):
    return gate((d, i))


def _tmp():
    return tempfile.mkdtemp(prefix="kit-exec-")


# -- probes ----------------------------------------------------------------------------
def _results(fn_name, values, bad, mode, chain, seed) -> dict:
    m = learner("choose_executor")
    fn = getattr(m, fn_name)
    d = _tmp()
    n = len(values)
    try:
        args = [(d, i, x, n if chain else 1) for i, x in enumerate(values)]
        main = call(fn, _chained_call, args, timeout=WAIT + 3)
        empty = call(fn, _chained_call, [], timeout=3)
        shutil.rmtree(d, ignore_errors=True)
        os.mkdir(d)
        b = list(bad) if chain else [bad[0], -1]
        args = [(d, i, i, b, mode) for i in range(n)]
        err = call(fn, _failing_call, args, timeout=WAIT + 3)
        return {"main": jsonable(main), "empty": jsonable(empty), "error": jsonable(err)}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def io_results(values, bad, seed) -> IoResults:
    return _results("run_io_bound", values, bad, "thread", True, seed)


def cpu_results(values, bad, seed) -> CpuResults:
    # Calls can only finish out of order if they can run at once: on one CPU, no chain.
    return _results("run_cpu_bound", values, bad, "process", available_cpus() >= 2, seed)


def io_overlap(n, m, seed) -> IoOverlap:
    mod = learner("choose_executor")
    d1, d2 = _tmp(), _tmp()
    try:
        first = call(mod.run_io_bound, _together, [(d1, i, n) for i in range(n)], timeout=ARRIVE + 3)
        out = {"first": jsonable(first)}
        if not first["hung"] and first["raised"] is None and first["returned"] == ["together"] * n:
            second = call(mod.run_io_bound, _crowd, [(d2, i) for i in range(m)], timeout=ARRIVE + HOLD + 3)
            out["second"] = jsonable(second)
        return out
    finally:
        shutil.rmtree(d1, ignore_errors=True)
        shutil.rmtree(d2, ignore_errors=True)


def io_no_processes(n, seed) -> IoNoProcesses:
    """One call of run_io_bound; the judge counts the processes it starts (from outside, and
    the forks the audit hook reports): nothing here patches the process machinery."""
    mod = learner("choose_executor")
    out = call(mod.run_io_bound, _where, [(os.getpid(),)] * n, timeout=4)
    return {"out": jsonable(out), "caller": os.getpid(), "left": child_processes(recursive=True)}


def _gate_run(mod, d, n, settle):
    """run_cpu_bound on ``n`` gate calls in a thread; yields once every call has arrived (or
    2 s passed) and ``settle`` more seconds went by (an extra worker shows up): at that yield
    the judge takes its census of the sandbox's processes. Returns the outcome."""
    box = {}

    def run():
        box["out"] = call(mod.run_cpu_bound, _cpu_gate, [(d, i) for i in range(n)], timeout=4 * WAIT)

    t = threading.Thread(target=run, name="kit-run", daemon=True)
    t.start()
    wait_until(lambda: count(d, "arrive") >= n or not t.is_alive(), 2 * WAIT)
    if settle:
        time.sleep(settle)
    yield {"arrived": count(d, "arrive")}
    touch(os.path.join(d, "go"))
    t.join(stretch(4 * WAIT + 2))
    return jsonable(box["out"]) if "out" in box else {"hung": True, "raised": None, "seconds": 4 * WAIT}


def cpu_processes(seed) -> Iterator[CpuProcesses]:
    """Two calls (the second with one CPU available to the process); the judge's census at
    each yield says how many worker processes ran and which held a call's token."""
    mod = learner("choose_executor")
    runs = []
    cpus = available_cpus()
    d = _tmp()
    try:
        out = yield from _gate_run(mod, d, cpus, 0.1)
        runs.append({"out": out, "cpus": cpus, "cpu_count": os.cpu_count(), "restricted": False})
        ok = not out["hung"] and out["raised"] is None
        if ok and cpus >= 2 and hasattr(os, "sched_setaffinity"):
            # The same call with only one CPU available to this process: os.cpu_count() does
            # not change, os.sched_getaffinity(0) does.
            shutil.rmtree(d, ignore_errors=True)
            os.mkdir(d)
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
            out = yield from _gate_run(mod, d, 1, 0.15)
            runs.append({"out": out, "cpus": 1, "cpu_count": os.cpu_count(), "restricted": True})
        return {"runs": runs}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def spawn(values, seed) -> Spawn:
    mod = learner("choose_executor")
    out = call(mod.run_cpu_bound, _square, [(x,) for x in values], timeout=5)
    return {"out": jsonable(out)}


def speedup_probe(first, seed) -> Iterator[SpeedupStep]:
    """The learner's side of the speedup check: the judge drives and times every round."""
    mod = learner("choose_executor")
    out = call(mod.run_cpu_bound, work_pid, [(t,) for t in first], timeout=3)
    yield from learner_rounds(lambda tasks: mod.run_cpu_bound(work_pid, [(t,) for t in tasks]), out)
