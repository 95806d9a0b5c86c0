"""Probes for thread_subclass: build TaskThreads around instrumented functions.

The functions given to TaskThread record which thread called them; the probe
installs its own ``threading.excepthook`` and captures ``sys.stderr`` so that an
exception that escapes ``run()`` (printed instead of captured) is observed, not
just lost. Overlap is proved with a barrier (timeout WAIT), never with timing.
"""
import inspect
import io
import sys
import threading

from kit.sandbox.calls import call, call_watching, jsonable, learner, stretch

from .observe import Attr, Error, LazyStart, Name, Overlap, PerInstance, Result, ThreadApi

WAIT = 1.0    # a barrier/event wait gives up after this: code that never overlaps is slow, not stuck
LIMIT = 2.0   # a join that takes longer is reported as hung


class ProbeError(ValueError):
    """The exception the probe's function raises (an Exception subclass)."""


def _watch_hook():
    """Replace threading.excepthook (read at call time by Thread); return what it saw."""
    seen = []

    def hook(args):
        seen.append({"type": getattr(args.exc_type, "__name__", repr(args.exc_type)),
                     "message": str(args.exc_value)})
    threading.excepthook = hook
    return seen


def _run_one(m, func, args, kwargs, name=None, pass_kwargs=True):
    """In one helper thread (the caller): construct a TaskThread, start it, join it.

    Returns (report, thread): the ``call`` outcome, the step it reached ("construct",
    "start", "join", "done"), the caller's thread ident, and how many times ``func``
    had been called when the constructor returned (``calls`` is func's record).
    """
    box = {"step": "construct"}
    kw = {}
    if pass_kwargs:
        kw["kwargs"] = kwargs
    if name is not None:
        kw["name"] = name

    def go():
        box["caller"] = threading.get_ident()
        t = m.TaskThread(func, args, **kw)
        box["t"] = t
        box["step"] = "start"
        t.start()
        box["step"] = "join"
        t.join(stretch(LIMIT))
        box["step"] = "done"
    outcome = jsonable(call(go, timeout=LIMIT + 2))
    return {"outcome": outcome, "step": box["step"], "caller": box.get("caller")}, box.get("t")


def _attr(t, name) -> Attr:
    try:
        v = getattr(t, name)
    except Exception as exc:  # noqa: BLE001
        return {"missing": f"{type(exc).__name__}: {exc}"}
    return {"type": type(v).__name__, "repr": repr(v)[:200], "none": v is None}


def result(args, kwargs, seed) -> Result:
    m = learner("thread_subclass")
    seen = _watch_hook()
    calls = []

    def func(*a, **kw):
        calls.append({"ident": threading.get_ident(), "args": list(a), "kwargs": kw})
        return {"sum": sum(a), "kw": sorted(kw.items())}

    run, t = _run_one(m, func, tuple(args), dict(kwargs))
    out = {"run": run, "calls": calls, "hook": seen}
    if t is not None:
        value = getattr(t, "result", None)
        out["result"] = _attr(t, "result")
        out["error"] = _attr(t, "error")
        out["value"] = value if isinstance(value, dict) else None
        try:
            out["ident"] = t.ident
        except Exception:  # noqa: BLE001 - Thread.__init__ never ran
            out["ident"] = None
    return out


def error(message, seed) -> Error:
    m = learner("thread_subclass")
    seen = _watch_hook()
    raised = []

    def func():
        exc = ProbeError(message)
        raised.append(exc)
        raise exc

    real_stderr = sys.stderr
    sys.stderr = captured = io.StringIO()
    try:
        run, t = _run_one(m, func, (), None)
    finally:
        sys.stderr = real_stderr
    out = {"run": run, "hook": seen, "stderr": captured.getvalue()[-2000:], "called": len(raised)}
    if t is not None:
        out["result"] = _attr(t, "result")
        out["error"] = _attr(t, "error")
        out["same_error"] = bool(raised) and getattr(t, "error", None) is raised[0]
    return out


def lazy_start(value, seed) -> LazyStart:
    m = learner("thread_subclass")
    calls = []

    def func(x):
        calls.append(threading.get_ident())
        return x

    box = {}

    def build():
        box["t"] = m.TaskThread(func, (value,))
    built = jsonable(call(build, timeout=LIMIT))
    out = {"construct": built, "calls_after_construct": len(calls)}
    if built["raised"] or built["hung"]:
        return out
    t = box["t"]

    def go():
        t.start()
        t.join(stretch(LIMIT))
    out["run"] = jsonable(call(go, timeout=LIMIT + 2))
    out["calls_after_join"] = len(calls)
    out["result_ok"] = getattr(t, "result", None) == value
    return out


def name(given, args, seed) -> Name:
    m = learner("thread_subclass")
    seen = []

    def func(*a, **kw):
        seen.append({"args": list(a), "kwargs": kw})
        return len(a)

    out = {}
    for key, kw in (("named", {"name": given, "pass_kwargs": False}),
                    ("unnamed", {"pass_kwargs": True})):
        run, t = _run_one(m, func, tuple(args), None, **kw)
        out[key] = {"run": run}
        if t is not None:
            try:
                out[key]["name"] = t.name
            except Exception as exc:  # noqa: BLE001
                out[key]["name_error"] = f"{type(exc).__name__}: {exc}"
    out["seen"] = seen
    return out


def thread_api(seed) -> ThreadApi:
    m = learner("thread_subclass")
    cls = getattr(m, "TaskThread", None)
    out = {"is_class": isinstance(cls, type)}
    if not out["is_class"]:
        return out
    out["is_thread"] = issubclass(cls, threading.Thread)
    out["construct"] = jsonable(call(lambda: cls(int, ("7",)) and None, timeout=LIMIT))
    overrides = []
    for klass in cls.__mro__:
        if klass is threading.Thread:
            break
        for meth in ("start", "join"):
            if meth in vars(klass):
                where = {"file": "", "line": 0, "func": meth, "text": ""}
                try:
                    fn = vars(klass)[meth]
                    where["file"] = inspect.getsourcefile(fn) or ""
                    where["line"] = inspect.getsourcelines(fn)[1]
                except (TypeError, OSError):
                    pass
                overrides.append({"method": meth, "cls": klass.__name__, "where": where})
    out["overrides"] = overrides
    return out


def per_instance(values, seed) -> PerInstance:
    """n TaskThreads alive together (barrier): each outcome is written while the
    others exist, so state shared between instances is overwritten by the last one."""
    m = learner("thread_subclass")
    n = len(values)
    barrier = threading.Barrier(n, timeout=stretch(WAIT))

    def func(i, value):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # not overlapping is parallel.overlap's business, not ours
        return value

    box = {}

    def go():
        ts = [m.TaskThread(func, (i, v)) for i, v in enumerate(values)]
        box["ts"] = ts
        for t in ts:
            t.start()
        for t in ts:
            t.join(stretch(LIMIT))
    out = {"run": jsonable(call(go, timeout=WAIT + LIMIT + 2))}
    ts = box.get("ts")
    if ts is not None and len(ts) == n:
        out["results"] = [_attr(t, "result")["repr"] if "repr" in _attr(t, "result") else "<missing>" for t in ts]
        out["ok"] = [getattr(t, "result", None) == v for t, v in zip(ts, values)]
        out["errors_none"] = [getattr(t, "error", "<missing>") is None for t in ts]
    return out


def overlap(seed) -> Overlap:
    """Two TaskThreads; each call of func waits until the probe's main thread has seen both
    inside it at once (in the stacks: ``call_watching``), or gave up after WAIT."""
    m = learner("thread_subclass")
    go = threading.Event()

    def func(i):
        go.wait(stretch(WAIT + 1.0))
        return i

    def run():
        ts = [m.TaskThread(func, (i,)) for i in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(stretch(LIMIT))
        return [getattr(t, "result", None) for t in ts]
    out = call_watching(run, timeout=2 * WAIT + LIMIT + 2, inside=[func.__code__], release=(go, 2, WAIT))
    return {"run": jsonable(out), "peak": out["peak"][0]}
