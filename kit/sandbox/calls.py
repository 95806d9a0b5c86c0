"""Call learner code safely from a probe: a deadline, what it returned or raised, where it hung.

Everything here runs inside the sandbox, beside the learner's code. Probes return plain
JSON data (observations declared in their exercise's ``observe.py``); the judge decides
pass or fail.
"""
import importlib
import os
import sys
import threading
import time

from . import frames
from .frames import describe_exception  # noqa: F401 - the probes' one way to describe an exception
from .seal import tamper

IMPORT_LIMIT = 5.0  # seconds a learner module may take to import
# Every time limit of call() is multiplied by this: the judge's load factor for this run
# (kit.engine.runner.load_factor), set by the entry point before any learner code runs, and
# passed to spawn and forkserver children (which import this module afresh) as KIT_SLOW.
SLOW = float(os.environ.get("KIT_SLOW") or 1.0)


def stretch(seconds: float) -> float:
    """``seconds`` stretched by this run's load factor: for a probe's own waits (a rendezvous,
    a join), so that they keep pace with call()'s limits on a loaded machine."""
    return seconds * SLOW


class ImportHung(Exception):
    """The learner's module did not finish importing (module-level code that blocks)."""

    def __init__(self, name, stack):
        super().__init__(f"importing {name} did not finish within {IMPORT_LIMIT * SLOW:g} s")
        self.stack = stack


def _submission() -> str:
    """The submission's folder in this sandbox (the entry point appends it to sys.path, last)."""
    return sys.path[-1] + "/" if sys.path else ""


def learner(name: str):
    """Import the learner's module by its real name (spawn children do the same).

    The import runs in a thread of its own, never in the sandbox's main thread (whose
    frames the audit hook keeps private), and gets ``IMPORT_LIMIT`` seconds.
    """
    mod = sys.modules.get(name)
    if mod is not None:
        return mod
    out = call(importlib.import_module, name, timeout=IMPORT_LIMIT)
    if out["hung"]:
        raise ImportHung(name, out["stack"])
    if out["exception"] is not None:
        raise out["exception"]
    return out["returned"]


def is_learner_file(path: str) -> bool:
    return path.startswith(_submission())


def learner_site(depth: int = 2):
    """file:line of the innermost learner frame calling us (for messages), or None."""
    return frames.site(depth, _submission())


AFTER_HANG = 0.5  # once a call has hung, later calls in this sandbox get at most this long
_hung_before = []


def call(fn, *args, timeout: float = 5.0, **kwargs) -> dict:
    """Call ``fn`` in a daemon thread; report what it returned, raised, or where it hung.

    Returns ``{"returned": value, "raised": None | exception, "hung": bool,
    "stack": frames of the stuck call when hung, "seconds": wall time}``. The value is
    returned as is: the probe turns it into JSON.

    Once a call has hung, the check has failed on it; whatever the probe calls next runs
    beside stuck learner threads and gets only ``AFTER_HANG`` seconds, so a submission
    that hangs costs each check one time limit, not one per call.
    """
    timeout = timeout * SLOW
    if _hung_before:
        timeout = min(timeout, AFTER_HANG)
    box = {}

    def target():
        try:
            box["returned"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - report every failure
            box["raised"] = exc

    t = threading.Thread(target=target, name="kit-call", daemon=True)
    start = time.monotonic()
    t.start()
    t.join(timeout)
    out = {"returned": box.get("returned"), "raised": None, "hung": t.is_alive(),
           "stack": None, "seconds": time.monotonic() - start, "exception": box.get("raised")}
    if "raised" in box:
        out["raised"] = describe_exception(box["raised"])
    if out["hung"]:
        _hung_before.append(fn)
        out["stack"] = frames.stacks(frozenset({t.ident})).get(t.ident, [])
    return out


WATCH_POLL = 0.003  # seconds between the probe's looks at every thread's stack in call_watching


def call_watching(fn, *args, timeout: float, inside=(), on_poll=None, release=None, _stacks=frames.stacks,
                  _tamper=tamper, _monotonic=time.monotonic, _thread=threading.Thread, **kwargs) -> dict:
    """``call(fn, *args)``, while the calling thread watches every thread's stack.

    What it uses is bound as default arguments: a module attribute rebound by learner code
    (``frames.stacks`` swapped for a while, between two ticks of the integrity watch)
    changes nothing here.

    Meant for a probe's main thread, whose frames the audit hook keeps private: what it
    counts here stays in its own locals, where learner code cannot reach it (a barrier or a
    list in a closure handed to learner code can be disarmed or rewritten; the interpreter's
    own stacks cannot). Every ``WATCH_POLL`` s it reads the stacks (``frames.stacks``) and,
    for each code object in ``inside``, which threads are running it. Returns the outcome
    of ``call`` plus ``"peak"`` (per code, the most threads seen inside it at once),
    ``"seen"`` (per code, every thread ident seen inside it), ``"at_end"`` (per code, the
    threads still inside it when ``fn`` returned) and ``"caller"`` (the ident of the thread
    that ran ``fn``). ``on_poll(caller_ident, here)`` runs at each look, ``here`` being, per
    code of ``inside``, the threads inside it now (JoinGate releases calls).

    ``release=(event, n, wait)`` makes a rendezvous the probe decides: the calls of the first
    code in ``inside`` wait on ``event``; it is set once ``n`` threads are seen inside at once,
    or ``wait`` seconds after the first one came in without the others (serial code is slowed
    once, not once per call). Learner code that sets it itself only lets calls leave early.
    """
    codes = [(c.co_filename, c.co_name) for c in inside]
    box = {}

    def ran(*a, **k):
        box["call_ident"] = threading.get_ident()
        return fn(*a, **k)

    def run():
        box["out"] = call(ran, *args, timeout=timeout, **kwargs)

    runner = _thread(target=run, name="kit-run", daemon=True)
    peak = [0] * len(codes)
    seen = [set() for _ in codes]
    last = [set() for _ in codes]
    first_in, released = None, False
    runner.start()
    deadline = _monotonic() + timeout * SLOW + 2.0
    while True:
        alive = runner.is_alive()
        now = _stacks()
        for k, (file, func) in enumerate(codes):
            here = {ident for ident, rows in now.items() if any(r["file"] == file and r["func"] == func for r in rows)}
            peak[k] = max(peak[k], len(here))
            seen[k] |= here
            last[k] = here
        if release is not None and not released:
            event, n, wait = release
            if event.is_set():
                _tamper("opened the grader's rendezvous itself (the event its calls wait on)")
                released = True
            if first_in is None and seen and seen[0]:
                first_in = _monotonic()
            if peak and peak[0] >= n or first_in is not None and _monotonic() - first_in >= wait * SLOW:
                event.set()
                released = True
        if not alive or _monotonic() > deadline:
            break
        if on_poll is not None and box.get("call_ident") is not None:
            on_poll(box["call_ident"], last)
        runner.join(WATCH_POLL)
    if release is not None:
        release[0].set()
    out = box.get("out") or {"returned": None, "raised": None, "hung": True, "stack": [], "seconds": timeout,
                             "exception": None}
    return dict(out, peak=peak, seen=[sorted(x) for x in seen], at_end=[sorted(x) for x in last],
                caller=box.get("call_ident"))


def jsonable(outcome: dict) -> dict:
    """Drop the live exception object from a ``call`` outcome."""
    return {k: v for k, v in outcome.items() if k not in ("exception", "caller", "peak", "seen", "at_end")}


def threads_now() -> set:
    return {t.ident for t in threading.enumerate()}


def _ours(t, _get=object.__getattribute__) -> bool:
    """A thread the harness started (``call``, ``call_watching``): a plain Thread whose target is
    harness code. Not by name alone: a learner's thread may be called anything."""
    if type(t) is not threading.Thread:
        return False
    try:
        target = _get(t, "_target")
        return type(target).__name__ == "function" and target.__code__.co_filename == __file__
    except AttributeError:
        return False


def new_threads(before: set) -> list:
    """Threads alive now that were not alive in ``before`` (the probe's own excluded)."""
    return [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive() and not _ours(t)]


def is_helper(cmd: str, parent_cmd: str) -> bool:
    """multiprocessing's own helper process (its resource tracker, or the fork server itself),
    from its command line. Not the fork server's children (the pool workers it forks carry
    its command line): a helper's parent is not a fork server."""
    return "resource_tracker" in cmd or ("forkserver" in cmd and "forkserver" not in parent_cmd)


def child_processes(recursive: bool = False) -> list:
    """This process's children (or all descendants), alive or zombie, except
    multiprocessing's own helpers (``is_helper``): [{"pid", "status"}]."""
    import psutil
    out = []
    for p in psutil.Process().children(recursive=recursive):
        try:
            status = p.status()
        except psutil.NoSuchProcess:
            continue  # reaped meanwhile
        except psutil.Error:
            status = "unknown"
        try:
            cmd = " ".join(p.cmdline())
            parent = " ".join(p.parent().cmdline()) if p.parent() is not None else ""
        except psutil.Error:  # a zombie has no command line
            cmd = parent = ""
        if is_helper(cmd, parent):
            continue
        out.append({"pid": p.pid, "status": status})
    return out
