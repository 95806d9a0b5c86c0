"""A PEP 578 audit hook, installed before the learner's module is imported: detection, not a wall.

It records, from learner frames, what a submission would do to reach into the grader:

- imports of harness modules (``kit.*``, ``hidden.*``) and of the answer key;
- ``sys._getframe`` and ``sys._current_frames`` called by learner code itself;
- ``gc.get_referrers`` / ``get_referents`` / ``get_objects`` and any use of ``ctypes``;
- class attributes of the harness set from learner code (``object.__setattr__``);
- files opened under the kit's tree or the staged view;
- ``os.kill`` / ``os.killpg`` of a process the sandbox did not start (refused as well:
  the hook raises ``PermissionError``, so even at the basic level ``kill(-1)`` does not
  reach the judge).

Each finding goes to the judge at once, through the channel's private reference, with the
learner's file:line; the check it happened in scores 0 and the report carries a tamper
flag. A hook cannot be removed once added; code in the same process can still corrupt
objects, which is why the judge decides only from what it measures itself.
"""
import os
import sys

_HARNESS = ("kit", "hidden", "solutions")
_FRAME_EVENTS = {"sys._getframe", "sys._current_frames"}
_NEAREST_EVENTS = {"gc.get_referrers", "gc.get_referents", "gc.get_objects", "ctypes.dlopen",
                   "ctypes.dlsym", "ctypes.cdata", "ctypes.addressof", "ctypes.call_function"}
_OTHER_EVENTS = {"import", "object.__setattr__", "open", "os.kill", "os.killpg"}


def install(report, is_learner_file, protected_dirs, own_pid=None):
    """Add the hook. ``report(finding)`` sends a finding: {"what", "file", "line"}."""
    stdlib = os.path.dirname(os.__file__)
    protected = tuple(d.rstrip("/") + "/" for d in protected_dirs if d)
    own_pid = own_pid or os.getpid()
    seen = set()
    getframe = sys._getframe
    busy = [False]

    lib = lambda *names: tuple(os.path.join(stdlib, n) for n in names)
    # Per event, the frames between it and the learner's line that may be skipped: the
    # library that raised it (ctypes, importlib, io), never a library that merely calls it
    # on the learner's behalf (multiprocessing using ctypes or unpickling a probe's function).
    through = {
        "import": ("<frozen",) + lib("importlib"),
        "open": ("<frozen",) + lib("importlib", "pathlib.py", "io.py", "codecs.py", "genericpath.py"),
        "ctypes": lib("ctypes"),
        "kill": ("<",) + lib(""),
    }

    def caller(depth, skip=(), stop=()):
        """The learner frame that caused the event, or None.

        ``skip``: filename prefixes to pass through on the way out; ``stop``: prefixes that
        mean the event is someone else's (an open made by the import system is an import).
        """
        f = getframe(depth)
        while f is not None:
            name = f.f_code.co_filename
            if is_learner_file(name):
                return f
            if stop and name.startswith(stop) or not (skip and name.startswith(skip)):
                return None
            f = f.f_back
        return None

    def found(what, frame):
        key = (what, frame.f_code.co_filename, frame.f_lineno)
        if key in seen:
            return
        seen.add(key)
        report({"what": what, "file": frame.f_code.co_filename, "line": frame.f_lineno})

    def descendant(pid):
        try:
            import psutil
            return pid in {p.pid for p in psutil.Process(own_pid).children(recursive=True)}
        except Exception:  # noqa: BLE001 - unknown: treat as not ours
            return False

    def hook(event, args):
        if busy[0] or not (event in _FRAME_EVENTS or event in _NEAREST_EVENTS or event in _OTHER_EVENTS):
            return
        busy[0] = True  # our own frame walk and psutil raise events too
        try:
            check(event, args)
        finally:
            busy[0] = False

    def check(event, args):
        if event in _FRAME_EVENTS:
            f = caller(3)
            if f is not None:
                found(f"called {event}", f)
            return
        if event in _NEAREST_EVENTS:
            f = caller(3, through["ctypes"] if event.startswith("ctypes") else ())
            if f is not None:
                found(f"used {event.split('.')[0]} ({event})", f)
            return
        if event == "import":
            name = str(args[0])
            if name.split(".")[0] in _HARNESS:
                f = caller(3, through["import"])
                if f is not None:
                    found(f"imported {name}", f)
            return
        if event == "object.__setattr__":
            mod = getattr(args[0], "__module__", "") or ""
            if isinstance(args[0], type) and mod.split(".")[0] in _HARNESS:
                f = caller(3)
                if f is not None:
                    found(f"patched {mod}.{getattr(args[0], '__qualname__', '?')}.{args[1]}", f)
            return
        if event == "open":
            path = args[0]
            if isinstance(path, (str, bytes)) and protected:
                p = os.path.abspath(os.fsdecode(path))
                if p.startswith(protected) and not is_learner_file(p):
                    f = caller(3, through["open"], stop=("<frozen importlib",))
                    if f is not None:
                        found(f"opened {p}", f)
            return
        if event in ("os.kill", "os.killpg"):
            pid = args[0]
            f = caller(3, through["kill"])
            if f is None:
                return
            ours = pid > 0 and pid != own_pid and descendant(pid) if event == "os.kill" else False
            if not ours:
                found(f"{event}({pid}, {args[1]}) of a process it did not start", f)
                raise PermissionError(f"{event}({pid}): the grader refuses signals to processes your code did not start")

    sys.addaudithook(hook)


def snapshot(prefixes=("kit.box", "hidden.")) -> dict:
    """Identity of every function, class attribute and code object of the harness modules.

    Taken after the probe is imported and before learner code runs; ``changed`` compares.
    A patch by attribute (``Lockset._access = fake``, ``f.__code__ = ...``) raises no audit
    event, but it cannot hide from this comparison at the end of the probe.
    """
    out = {}
    for name, mod in list(sys.modules.items()):
        if not name.startswith(prefixes) or mod is None:
            continue
        for attr, value in list(vars(mod).items()):
            out[f"{name}.{attr}"] = _ident(value)
            if isinstance(value, type) and value.__module__ == name:
                for cattr, cvalue in list(vars(value).items()):
                    out[f"{name}.{attr}.{cattr}"] = _ident(cvalue)
    return out


def _ident(value):
    code = getattr(value, "__code__", None)
    return (id(value), id(code) if code is not None else None)


def changed(before: dict) -> list:
    after = snapshot()
    return sorted(k for k, v in before.items() if after.get(k, v) != v)
