"""The sandbox's only door to stacks: plain data out, never a frame object.

The audit hook (``kit.sandbox.audit``) refuses ``sys._current_frames`` everywhere, and
``sys._getframe`` in the sandbox's main thread and private threads, unless the caller is
one of the functions below running as written: the hook checks the calling frame's code
object and that every name these functions bind as a default argument still holds the
object bound here (``PRIMITIVES``). They return file/line/function records and thread
ids, never frames, so what the harness learns about stacks cannot hand a learner a way
up into the frames that hold the channel's key or the integrity baseline.

While one of them runs, no learner code may run with it as the calling frame (a
finalizer or a ``__contains__`` made of C callables, ``functools.partial`` and the like,
could call ``sys._current_frames`` from there): each keeps the garbage collector off,
accepts only exact ``int``, ``str`` and ``frozenset`` arguments (checked with ``type``,
which runs no code of the argument's), and touches no object but frames and code objects.

Imports nothing from the kit.
"""
import gc
import sys
import types

LIMIT = 30


def _refuse(what):
    raise TypeError(f"kit.sandbox.frames: {what}")


def stacks(idents=None, limit=LIMIT, _cf=sys._current_frames, _isenabled=gc.isenabled, _disable=gc.disable,
           _enable=gc.enable, _list=list, _items=dict.items, _type=type, _int=int, _fs=frozenset, _len=len,
           _refuse=_refuse):
    """{thread ident: [{"file", "line", "func"}, ...] innermost last} for ``idents`` (a frozenset
    of ints; default: every thread)."""
    if _type(limit) is not _int or not (idents is None or _type(idents) is _fs):
        _refuse("stacks(idents: frozenset of int | None, limit: int)")
    if idents is not None:
        for i in idents:
            if _type(i) is not _int:
                _refuse("stacks: thread idents are ints")
    was = _isenabled()
    _disable()
    try:
        out = {}
        for ident, f in _list(_items(_cf())):
            if idents is not None and ident not in idents:
                continue
            rows = []
            while f is not None and _len(rows) < 200:
                co = f.f_code
                rows.append({"file": co.co_filename, "line": f.f_lineno, "func": co.co_name})
                f = f.f_back
            rows.reverse()
            out[ident] = rows[-limit:]
        return out
    finally:
        if was:
            _enable()


def site(depth, prefix, _gf=sys._getframe, _isenabled=gc.isenabled, _disable=gc.disable, _enable=gc.enable,
         _type=type, _int=int, _str=str, _refuse=_refuse):
    """{"file", "line", "func"} of the innermost frame at or above ``depth`` (0: our caller) whose
    file starts with ``prefix``, or None."""
    if _type(depth) is not _int or _type(prefix) is not _str:
        _refuse("site(depth: int, prefix: str)")
    if not prefix:
        return None
    was = _isenabled()
    _disable()
    try:
        try:
            f = _gf(depth + 1)
        except ValueError:  # the stack is not that deep
            return None
        while f is not None:
            co = f.f_code
            if co.co_filename.startswith(prefix):
                return {"file": co.co_filename, "line": f.f_lineno, "func": co.co_name}
            f = f.f_back
        return None
    finally:
        if was:
            _enable()


def code_at(depth, _gf=sys._getframe, _type=type, _int=int, _refuse=_refuse):
    """``(file, function)`` of the frame ``depth`` levels above our caller (0: our caller)."""
    if _type(depth) is not _int:
        _refuse("code_at(depth: int)")
    try:
        co = _gf(depth + 1).f_code
    except ValueError:  # the stack is not that deep
        return None
    return (co.co_filename, co.co_name)


def joining(ident, _cf=sys._current_frames, _isenabled=gc.isenabled, _disable=gc.disable, _enable=gc.enable,
            _id=id, _type=type, _int=int, _refuse=_refuse):
    """What thread ``ident`` is waiting for right now: ``{"threads": [...], "processes": [...]}``,
    the ``id()`` of the ``self`` of each ``Thread.join`` on its stack, and of each ``join``,
    ``wait`` or ``poll`` of multiprocessing or subprocess (a process handle). Compared by
    identity with objects the caller knows; the objects themselves are never touched here.
    """
    if _type(ident) is not _int:
        _refuse("joining(ident: int)")
    was = _isenabled()
    _disable()
    try:
        f = _cf().get(ident)
        threads, processes = [], []
        while f is not None:
            co = f.f_code
            if co.co_name in ("join", "_wait_for_tstate_lock", "wait", "poll"):
                owner = f.f_locals.get("self")
                name = co.co_filename
                if owner is not None:
                    if name.endswith("threading.py"):
                        threads.append(_id(owner))
                    elif name.endswith("subprocess.py") or "multiprocessing" in name:
                        processes.append(_id(owner))
            f = f.f_back
        return {"threads": threads, "processes": processes}
    finally:
        if was:
            _enable()


def tb_rows(tb, limit=LIMIT, _type=type, _tbtype=types.TracebackType, _isenabled=gc.isenabled,
            _disable=gc.disable, _enable=gc.enable, _int=int, _refuse=_refuse):
    """[{"file", "line", "func"}, ...] of a traceback (outermost first), the last ``limit``."""
    if not (tb is None or _type(tb) is _tbtype) or _type(limit) is not _int:
        _refuse("tb_rows(tb: traceback | None, limit: int)")
    was = _isenabled()
    _disable()
    try:
        rows = []
        while tb is not None:
            f = tb.tb_frame
            co = f.f_code
            rows.append({"file": co.co_filename, "line": tb.tb_lineno, "func": co.co_name})
            tb = tb.tb_next
        return rows[-limit:]
    finally:
        if was:
            _enable()


def describe_exception(exc, _tb=BaseException.__traceback__.__get__, _name=type.__dict__["__name__"].__get__,
                       _module=type.__dict__["__module__"].__get__,
                       _qualname=type.__dict__["__qualname__"].__get__, _type=type, _str=str):
    """{"type", "qualname", "message", "frames"}: what an exception says, as JSON data.

    The frames come from ``tb_rows`` (a traceback raised in the main thread holds frames
    of the grader's own); the message is ``str(exc)``, taken here, outside it.
    """
    cls = _type(exc)
    try:
        message = _str(exc)[:2000]
    except BaseException:  # noqa: BLE001 - a learner exception whose __str__ fails
        message = "<the exception's message could not be read>"
    return {"type": _name(cls), "qualname": f"{_module(cls)}.{_qualname(cls)}", "message": message,
            "frames": tb_rows(_tb(exc))}


# What the audit hook checks when one of these calls for frames: the code object, and the
# objects its default arguments must still be (a caller cannot pass others in).
PRIMITIVES = tuple((fn.__code__, {name: value for name, value in zip(
    fn.__code__.co_varnames[fn.__code__.co_argcount - len(fn.__defaults__):fn.__code__.co_argcount],
    fn.__defaults__) if name.startswith("_")}) for fn in (stacks, site, code_at, joining, tb_rows))
