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
import traceback

from .child import describe_exception

SUBMISSION = os.environ.get("KIT_SUBMISSION", "")


def learner(name: str):
    """Import the learner's module by its real name (spawn children do the same)."""
    return importlib.import_module(name)


def is_learner_file(path: str) -> bool:
    return bool(SUBMISSION) and os.path.abspath(path).startswith(SUBMISSION + os.sep)


def frames_of(frame) -> list:
    """A live frame's stack, innermost last, as JSON."""
    return [{"file": f.filename, "line": f.lineno, "func": f.name, "text": f.line or ""}
            for f in traceback.extract_stack(frame)][-30:]


def learner_site(depth: int = 2):
    """file:line of the innermost learner frame calling us (for messages), or None."""
    f = sys._getframe(depth)
    while f is not None:
        if is_learner_file(f.f_code.co_filename):
            return {"file": f.f_code.co_filename, "line": f.f_lineno, "func": f.f_code.co_name}
        f = f.f_back
    return None


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
        frame = sys._current_frames().get(t.ident)
        out["stack"] = frames_of(frame) if frame is not None else []
    return out


def jsonable(outcome: dict) -> dict:
    """Drop the live exception object from a ``call`` outcome."""
    return {k: v for k, v in outcome.items() if k not in ("exception", "caller")}


def threads_now() -> set:
    return {t.ident for t in threading.enumerate()}


def new_threads(before: set) -> list:
    """Threads alive now that were not alive in ``before`` (the probe's own excluded)."""
    return [t.name for t in threading.enumerate()
            if t.ident not in before and t.name not in ("kit-call", "kit-monitor") and t.is_alive()]


def child_processes(recursive: bool = False) -> list:
    """This process's children (or all descendants), alive or zombie, except
    multiprocessing's own helpers (resource tracker, forkserver): [{"pid", "status"}]."""
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
        except psutil.Error:  # a zombie has no command line
            cmd = ""
        if "resource_tracker" in cmd or "forkserver" in cmd:
            continue
        out.append({"pid": p.pid, "status": status})
    return out
