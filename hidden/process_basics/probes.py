"""Probes for process_basics: run the learner's run_in_processes and SquareProcess.

Targets are module-level functions (spawn children import this module by name); they
get their shared state (multiprocessing Arrays, a Barrier) through ``args``.

Exit order is forced, never hoped for. A *held* child does not exit until one of:
the learner's thread is blocked joining that very child (a monitor thread in the probe
reads the calling thread's frames and releases it), a given sibling has been reaped
(joined) by the learner, or HOLD seconds passed (so unusual but correct code is slow,
never stuck). That makes "later children finish first" and "children still running
when only the last one was joined" happen on every run.
"""
import os
import sys
import threading
import time
from typing import Iterator

from kit.sandbox.calls import call, child_processes, jsonable, learner, stretch
from kit.sandbox.frames import joining

from .observe import AllJoined, ExitCodes, Overlap, Spawn, SquareRun

HOLD = 1.5    # a held child gives up waiting after this
WAIT = 1.0    # barrier timeout for the overlap check
LIMIT = 4.0   # a call to run_in_processes that takes longer is reported as hung
POLL = 0.002


# -- helpers that run in the children ----------------------------------------------------
def _proc_state(pid):
    """'Z' for a zombie, another letter while it runs, None once it is reaped (gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
        return data.rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        pass
    try:
        import psutil
        p = psutil.Process(pid)
        return "Z" if p.status() == psutil.STATUS_ZOMBIE else "R"
    except Exception:  # noqa: BLE001 - gone
        return None


def held_exit(i, code, pids, release, after_reaped):
    """Record our pid; wait until released (or sibling ``after_reaped`` is reaped); exit ``code``."""
    pids[i] = os.getpid()
    deadline = time.monotonic() + HOLD
    while time.monotonic() < deadline and not release[i]:
        if after_reaped >= 0:
            other = pids[after_reaped]
            if other and _proc_state(other) is None:
                break
        time.sleep(POLL)
    sys.exit(code)


def exit_after_previous(i, code, pids):
    """Record our pid; exit ``code`` only once child i-1 has exited (zombie or reaped)."""
    pids[i] = os.getpid()
    deadline = time.monotonic() + HOLD
    while i > 0 and time.monotonic() < deadline:
        other = pids[i - 1]
        if other and _proc_state(other) in (None, "Z", "X"):
            break
        time.sleep(POLL)
    sys.exit(code)


def meet(i, d):
    """Hold ``d/token{i}`` open until the probe says go (``d/go``, once the judge has counted
    who holds which token), or WAIT passed: which processes ran at once is read by the
    judge from /proc, never reported by the children."""
    with open(os.path.join(d, f"token{i}"), "w"):
        with open(os.path.join(d, f"arrive{i}"), "w"):
            pass
        deadline = time.monotonic() + stretch(WAIT)
        while time.monotonic() < deadline and not os.path.exists(os.path.join(d, "go")):
            time.sleep(POLL)


class Tracked(int):
    """An int whose square records the pid of the process that computed it."""

    def __mul__(self, other):
        return _square(int(self) * int(other))

    __rmul__ = __mul__

    def __pow__(self, other, mod=None):
        return _square(pow(int(self), int(other), mod))


class Square(int):
    """A square that remembers where it was computed (``.pid``); pickles with it."""


COMPUTED = []  # pids of the squares computed in this process


def _square(value):
    s = Square(value)
    s.pid = os.getpid()
    COMPUTED.append(s.pid)
    return s


# -- probe side ------------------------------------------------------------------------



def _pids_of(handles):
    """pids of the started, not yet joined processes whose handle (Process or its Popen) has one
    of these ids (what ``frames.joining`` reports)."""
    import multiprocessing.process as mpp
    out = set()
    for p in list(mpp._children):
        popen = getattr(p, "_popen", None)
        if id(p) in handles or id(popen) in handles:
            pid = getattr(popen, "pid", None)
            if isinstance(pid, int):
                out.add(pid)
    return out


def _call_with_monitor(fn, args, pids, release, timeout):
    """``call(fn, *args)``; meanwhile release a held child whenever the call joins it."""
    box = {}
    stop = threading.Event()

    def wrapped():
        box["ident"] = threading.get_ident()
        return fn(*args)

    def monitor():
        while not stop.is_set():
            ident = box.get("ident")
            if ident is not None:
                waiting = _pids_of(set(joining(ident)["processes"]))
                for i in range(len(pids)):
                    if pids[i] and pids[i] in waiting:
                        release[i] = 1
            stop.wait(POLL)

    watcher = threading.Thread(target=monitor, name="kit-monitor", daemon=True)
    watcher.start()
    try:
        return call(wrapped, timeout=timeout)
    finally:
        stop.set()
        watcher.join()


def exit_codes(codes, seed) -> ExitCodes:
    """Child 0 is held until child 1 is reaped: it finishes after every other child."""
    import multiprocessing
    m = learner("process_basics")
    n = len(codes)
    pids = multiprocessing.Array("i", n, lock=False)
    release = multiprocessing.Array("i", n, lock=False)
    for i in range(1, n):
        release[i] = 1
    args = [(i, code, pids, release, 1 if i == 0 else -1) for i, code in enumerate(codes)]
    out = _call_with_monitor(m.run_in_processes, (held_exit, args), pids, release, LIMIT)
    for i in range(n):
        release[i] = 1
    empty = call(m.run_in_processes, held_exit, [], timeout=LIMIT)
    return {"main": jsonable(out), "empty": jsonable(empty)}


def all_joined(n, seed) -> AllJoined:
    """Every child but the last is held until the learner joins it; the last exits at once."""
    import multiprocessing
    m = learner("process_basics")
    pids = multiprocessing.Array("i", n, lock=False)
    release = multiprocessing.Array("i", n, lock=False)
    release[n - 1] = 1
    args = [(i, i, pids, release, -1) for i in range(n)]
    out = _call_with_monitor(m.run_in_processes, (held_exit, args), pids, release, LIMIT)
    left = child_processes()
    for i in range(n):
        release[i] = 1
    return {"out": jsonable(out), "left": left, "pids": list(pids)}


def overlap(n, seed) -> Iterator[Overlap]:
    """The children wait (holding a token) until every one has arrived or 2 s passed; the
    probe then yields, and at that yield the judge takes its census of the sandbox's
    processes (which hold which token)."""
    import shutil
    import tempfile
    m = learner("process_basics")
    d = tempfile.mkdtemp(prefix="kit-meet-")
    box = {}

    def run():
        box["out"] = call(m.run_in_processes, meet, [(i, d) for i in range(n)], timeout=2 * WAIT + LIMIT)

    t = threading.Thread(target=run, name="kit-run", daemon=True)
    try:
        t.start()
        deadline = time.monotonic() + stretch(2 * WAIT)
        while time.monotonic() < deadline and t.is_alive() and \
                sum(name.startswith("arrive") for name in os.listdir(d)) < n:
            time.sleep(POLL)
        yield {}
        with open(os.path.join(d, "go"), "w"):
            pass
        t.join(stretch(2 * WAIT + LIMIT + 1))
        return {"out": jsonable(box["out"]) if "out" in box else None}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _square_process(m, numbers) -> SquareRun:
    """Construct, start, drain and join one SquareProcess; report what was seen."""
    import multiprocessing
    import queue as queue_mod
    q = multiprocessing.Queue()
    out = {"parent": os.getpid()}
    box = {}

    def build():
        box["p"] = m.SquareProcess(numbers, q)
    out["construct"] = jsonable(call(build, timeout=LIMIT))
    out["computed_in_init"] = COMPUTED.count(os.getpid())
    if out["construct"]["raised"] or out["construct"]["hung"]:
        return out
    p = box["p"]
    out["start"] = jsonable(call(p.start, timeout=LIMIT))
    if out["start"]["raised"] or out["start"]["hung"]:
        return out
    try:
        pid, squares = q.get(timeout=LIMIT)
        out["got"] = {"pid": pid, "squares": [int(s) for s in squares],
                      "where": [getattr(s, "pid", None) for s in squares]}
    except queue_mod.Empty:
        out["got"] = None
    except (TypeError, ValueError) as exc:
        out["got"] = {"bad": f"{type(exc).__name__}: {exc}"}
    p.join(stretch(LIMIT))
    out["child"] = p.pid
    out["exitcode"] = p.exitcode
    out["computed_in_parent"] = COMPUTED.count(os.getpid())
    return out


def square_process(values, seed) -> SquareRun:
    m = learner("process_basics")
    return _square_process(m, [Tracked(v) for v in values])


def spawn(codes, values, seed) -> Spawn:
    """Under spawn: run_in_processes (children exit in args order) and SquareProcess."""
    import multiprocessing
    m = learner("process_basics")
    n = len(codes)
    pids = multiprocessing.Array("i", n, lock=False)
    args = [(i, code, pids) for i, code in enumerate(codes)]
    out = {"method": multiprocessing.get_start_method()}
    out["run"] = jsonable(call(m.run_in_processes, exit_after_previous, args, timeout=LIMIT + 2))
    out["square"] = _square_process(m, list(values))
    return out
