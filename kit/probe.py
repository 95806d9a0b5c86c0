"""Child-side helpers for probes (``hidden/kit_probes``): call learner code safely.

Everything here runs inside the sandbox, beside the learner's code. Probes return
plain JSON data (observations); the judge decides pass or fail.
"""
import importlib
import os
import sys
import threading
import time
import traceback

from .child import describe_exception, mark  # noqa: F401  (re-exported for probes)

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


def call(fn, *args, timeout: float = 5.0, **kwargs) -> dict:
    """Call ``fn`` in a daemon thread; report what it returned, raised, or where it hung.

    Returns ``{"returned": value, "raised": None | exception, "hung": bool,
    "stack": frames of the stuck call when hung, "seconds": wall time}``. The value is
    returned as is: the probe turns it into JSON.
    """
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
        frame = sys._current_frames().get(t.ident)
        out["stack"] = frames_of(frame) if frame is not None else []
    return out


def jsonable(outcome: dict) -> dict:
    """Drop the live exception object from a ``call`` outcome."""
    return {k: v for k, v in outcome.items() if k != "exception"}


def threads_now() -> set:
    return {t.ident for t in threading.enumerate()}


def new_threads(before: set) -> list:
    """Threads alive now that were not alive in ``before`` (the probe's own excluded)."""
    return [t.name for t in threading.enumerate()
            if t.ident not in before and t.name != "kit-call" and t.is_alive()]


def child_processes() -> list:
    """This process's children, alive or zombie: [{"pid", "status", "name"}]."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return []
    out = []
    for p in psutil.Process().children(recursive=True):
        try:
            out.append({"pid": p.pid, "status": p.status(), "name": " ".join(p.cmdline())[:80]})
        except psutil.Error:
            continue
    return out
