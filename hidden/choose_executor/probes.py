"""Probes for choose_executor: run_io_bound (threads) and run_cpu_bound (processes).

Calls meet through files in a temporary directory, which works whether the learner's
code runs them in threads or in processes: so a mistake in one property (processes for
IO-bound work, threads for CPU-bound work) shows in the check of that property and
not, by accident, in every other check as a pickling error.

The file rendezvous, the tasks shared with pool_map's probes (``chained``, ``gate``,
``TaskError``) and the CPU-bound work of the speedup probe come from ``kit.box.cpuwork``.
"""
import os
import shutil
import tempfile
import threading
import time

from kit.box.calls import call, child_processes, jsonable, learner
from kit.box.cpuwork import (WAIT, TaskError, available_cpus, calibrate, chained, count, first_ok, gate,
                             speedup, touch, wait_until, work, work_pid)

from .observe import CpuProcesses, CpuResults, IoNoProcesses, IoOverlap, IoResults, Spawn, SpeedupProbe

CAP = 32
HOLD = 0.4   # a call of the cap test waits this long for a 33rd call to start


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
    ok = wait_until(lambda: count(d, "arrive") >= n or os.path.exists(os.path.join(d, "gaveup")), WAIT)
    if not ok or count(d, "arrive") < n:
        touch(os.path.join(d, "gaveup"))
        return "alone"
    return "together"


def _crowd(d, i):
    """Enter, then wait until a 33rd call is running at the same time, or HOLD s; return the peak seen."""
    mine = os.path.join(d, f"in{i}")
    touch(mine)
    peak = count(d, "in")
    deadline = time.monotonic() + HOLD
    while time.monotonic() < deadline and peak <= CAP and not os.path.exists(os.path.join(d, "low")):
        time.sleep(0.005)
        peak = max(peak, count(d, "in"))
    if peak < CAP:
        touch(os.path.join(d, "low"))  # serial code: the next calls need not wait again
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
        first = call(mod.run_io_bound, _together, [(d1, i, n) for i in range(n)], timeout=2 * WAIT + 2)
        out = {"first": jsonable(first)}
        if not first["hung"] and first["raised"] is None and first["returned"] == ["together"] * n:
            second = call(mod.run_io_bound, _crowd, [(d2, i) for i in range(m)], timeout=2 * HOLD + 3)
            out["second"] = jsonable(second)
        return out
    finally:
        shutil.rmtree(d1, ignore_errors=True)
        shutil.rmtree(d2, ignore_errors=True)


def io_no_processes(n, seed) -> IoNoProcesses:
    import multiprocessing.process as mpp
    mod = learner("choose_executor")
    started = []
    start = mpp.BaseProcess.start

    def tracked(self):
        started.append(type(self).__name__)
        return start(self)
    mpp.BaseProcess.start = tracked
    out = call(mod.run_io_bound, _where, [(os.getpid(),)] * n, timeout=4)
    return {"out": jsonable(out), "caller": os.getpid(), "started": started, "left": child_processes(recursive=True)}


def _gate_run(mod, d, n, settle):
    seen = {}
    finished = threading.Event()

    def counter():
        wait_until(lambda: count(d, "arrive") >= n or finished.is_set(), 2 * WAIT)
        if settle:
            time.sleep(settle)  # let any extra worker show up
        seen["arrived"] = count(d, "arrive")
        seen["workers"] = len([c for c in child_processes(recursive=True) if c["status"] != "zombie"])
        touch(os.path.join(d, "go"))

    t = threading.Thread(target=counter, daemon=True)
    t.start()
    out = call(mod.run_cpu_bound, _cpu_gate, [(d, i) for i in range(n)], timeout=4 * WAIT)
    finished.set()
    t.join(3 * WAIT)
    return dict(seen, out=jsonable(out))


def cpu_processes(seed) -> CpuProcesses:
    mod = learner("choose_executor")
    runs = []
    cpus = available_cpus()
    d = _tmp()
    try:
        runs.append(dict(_gate_run(mod, d, cpus, 0.1), cpus=cpus, cpu_count=os.cpu_count(), restricted=False))
        r0 = runs[0]["out"]
        ok = not r0["hung"] and r0["raised"] is None
        if ok and cpus >= 2 and hasattr(os, "sched_setaffinity"):
            # The same call with only one CPU available to this process: os.cpu_count() does
            # not change, os.sched_getaffinity(0) does.
            shutil.rmtree(d, ignore_errors=True)
            os.mkdir(d)
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
            runs.append(dict(_gate_run(mod, d, 1, 0.15), cpus=1, cpu_count=os.cpu_count(), restricted=True))
        return {"runs": runs, "caller": os.getpid()}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def spawn(values, seed) -> Spawn:
    mod = learner("choose_executor")
    out = call(mod.run_cpu_bound, _square, [(x,) for x in values], timeout=5)
    return {"out": jsonable(out)}


def speedup_probe(rounds, limit, seed) -> SpeedupProbe:
    if limit is None and available_cpus() >= 2:
        limit = calibrate()  # before the learner's module is imported: its clock is ours
    mod = learner("choose_executor")
    first = call(mod.run_cpu_bound, work_pid, [(200,), (300,)], timeout=3)
    if not first_ok(first, [work(200), work(300)]):
        return {"first": jsonable(first), "expected_first": [[work(200), "pid"], [work(300), "pid"]]}
    if available_cpus() < 2:
        return {"cpus": available_cpus(), "skipped": True}
    return speedup(lambda limits: mod.run_cpu_bound(work_pid, [(x,) for x in limits]), rounds, limit)
