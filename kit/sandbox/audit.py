"""The sandbox's audit hook (PEP 578): the reflective routes into the grader, closed or flagged.

Installed by the entry point (``kit.sandbox.entry``) after the jail and after the harness is
imported, armed before the first learner module is. Each finding is sent to the judge at
once, through the channel's ``send`` (held in this hook's closure, nowhere else), with the
learner's file:line; the check it happened in scores 0 and the report carries the flag.
"Refused" below means the hook also raises ``PermissionError`` so the route yields nothing.

What is guarded, and why (the events were measured on CPython 3.9 to 3.13: frames give
``f_back``, ``f_locals`` and ``f_globals`` with no event, so the one moment a frame can be
stopped is when it is first obtained):

| route | decision |
|---|---|
| ``sys._current_frames`` | refused and flagged, except from ``kit.sandbox.frames`` running as written |
| ``sys._getframe`` in the main thread or a private harness thread | refused and flagged (same exception, and standard modules being imported: ``namedtuple`` asks for its caller's module) |
| ``sys._getframe`` in any other thread | allowed: that thread's own stack holds nothing private |
| ``tb_frame``, ``gi_frame``, ``cr_frame``, ``ag_frame`` giving a frame of the main thread or of a private thread | refused and flagged; any other frame is allowed, so ``traceback.print_exc()`` works |
| ``gc.get_objects`` / ``get_referrers`` / ``get_referents`` | refused and flagged |
| ``ctypes`` (importing it, and every ctypes event) from anywhere but ``multiprocessing`` (whose ``Value`` and ``Array`` are made with it); ``_testcapi`` and the other ``_test*`` modules | refused and flagged |
| ``sys.settrace``, ``sys.setprofile``, ``sys.monitoring`` callbacks, ``sys.addaudithook`` | refused and flagged |
| writing ``__code__``, ``__defaults__``, ``__kwdefaults__`` of a harness or standard function | refused and flagged |
| ``__class__`` of an object the harness made or instruments, from anywhere but ``Lockset.watch`` | refused and flagged |
| ``compile``, code objects or functions made with the harness's or the standard library's file names or code objects; ``marshal.loads`` called by learner code | refused and flagged |
| opening ``/proc/*/mem``, ``/proc/*/fd/*``, ``/proc/*/map_files``, ``/dev/fd/*``, ``/dev/std*``; listing ``/proc/*/fd`` | refused and flagged |
| importing the harness (``kit``, ``hidden``) or the answer key | refused and flagged |
| opening a file of the harness (the staged view) | flagged (its text is no secret; the report says it was read) |
| opening anything under the grader's own folders (the kit's repository: answer key, hidden suite) | refused and flagged (at the strict level they are not even there) |
| ``os.kill`` / ``os.killpg`` of a process or group the sandbox did not start (``kill(-1)`` included) | refused and flagged |
| a harness object changed (``kit.sandbox.seal``), a lockset record written by anything but the watched object's hooks | flagged (the harness raises the ``kit.tamper`` audit event) |

Process creation (``os.fork``, ``subprocess.Popen``, ...) and the signals learner code sends
(``terminate()`` and ``kill()`` are signals) are no findings: each is reported to the judge
(``spawned``, ``signalled``), which counts the processes a call started and the ones it
stopped, evidence no learner code can edit.

Writes to modules, classes and closure cells raise no event: ``kit.sandbox.integrity`` watches
those. The hook holds only what ``install`` gives it and takes every function it calls as
a default argument. It never runs a method of an event's argument (it reads them by exact
type: ``sys.audit`` lets anyone raise any event with any objects), skips only the events
of its own frame operations (``own``), and turns the garbage collector off while it runs
(a collection could run a learner finalizer inside it). A path-like object's
``__fspath__`` is the one learner method it calls, with every event still checked.
"""
import gc
import os
import sys
import threading
import types

HARNESS = ("kit", "hidden", "solutions")
FORBIDDEN_IMPORTS = ("ctypes", "_ctypes")
FRAME_ATTRS = ("tb_frame", "gi_frame", "cr_frame", "ag_frame")
EXTENSIONS = (".so", ".pyd", ".dylib", ".dll")
GC_EVENTS = ("gc.get_objects", "gc.get_referrers", "gc.get_referents")
SPAWN_EVENTS = ("os.fork", "os.forkpty", "subprocess.Popen", "os.posix_spawn", "os.spawn", "os.system", "os.exec")
TRACE_EVENTS = ("sys.settrace", "sys.setprofile", "sys.monitoring.register_callback", "sys.addaudithook",
                "cpython._PySys_ClearAuditHooks")
PROC_PRIVATE = ("mem", "fd", "map_files", "pagemap")


class Refused(PermissionError):
    """Raised by the hook where it refuses a route (see the module docstring)."""


def _proc_private(path, _split=str.split, _isdigit=str.isdigit, _private=PROC_PRIVATE):
    """``/proc/<pid|self|thread-self>/(mem|fd|map_files|pagemap)...`` (also under ``task/<tid>/``),
    ``/dev/fd/...`` and ``/dev/std*``: ways back into this process's memory or descriptors."""
    if path.startswith(("/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr")):
        return True
    if not path.startswith("/proc/"):
        return False
    parts = [p for p in _split(path, "/") if p and p != "."]
    if len(parts) < 3:
        return False
    if not (_isdigit(parts[1]) or parts[1] in ("self", "thread-self")):
        return False
    rest = parts[2:]
    if len(rest) >= 3 and rest[0] == "task":
        rest = rest[2:]
    return bool(rest) and rest[0] in _private


def install(*, send, learner_prefix, trusted_prefixes, view_prefix, main_ident, main_root, primitives,
            class_writers, own_pid, protected=(), _getframe=sys._getframe, _ident=threading.get_ident, _isenabled=gc.isenabled,
            _disable=gc.disable, _enable=gc.enable, _type=type, _isinstance=isinstance, _str=str, _bytes=bytes,
            _int=int, _fsdecode=os.fsdecode, _frame=types.FrameType, _func=types.FunctionType,
            _code=types.CodeType, _get=object.__getattribute__, _addhook=sys.addaudithook,
            _proc_private=_proc_private, _refused=Refused, _set=set, _len=len, _open=open, _getpgid=os.getpgid,
            _cdict=type.__dict__["__dict__"].__get__, _frame_attrs=FRAME_ATTRS, _gc_events=GC_EVENTS,
            _trace_events=TRACE_EVENTS, _forbidden=FORBIDDEN_IMPORTS, _harness=HARNESS, _spawn_events=SPAWN_EVENTS,
            _framed=(types.TracebackType, types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType),
            _fspath=os.fspath, _strcopy=str.__str__, _bytescopy=bytes, _ext=EXTENSIONS,
            _stdlib=os.path.dirname(os.__file__) + "/", _exception=Exception):
    """Add the hook (disarmed). Returns ``(arm, add_private)``: ``arm()`` turns the rules on;
    ``add_private(ident, root_frame)`` marks a harness thread whose frames must stay private."""
    armed = [False]
    inside = _set()                 # idents of threads running this hook now
    seen = _set()
    private = {main_ident: main_root}
    prim = {code: expected for code, expected in primitives}
    protected = tuple(d.rstrip("/") + "/" for d in protected)
    writers = frozenset(class_writers)
    own_group = _getpgid(0)
    import_dir = _stdlib + "importlib"
    mp_dir = _stdlib + "multiprocessing/"
    ctypes_dir = _stdlib + "ctypes/"

    def learner(frame):
        return frame is not None and frame.f_code.co_filename.startswith(learner_prefix)

    def untrusted(frame):
        name = frame.f_code.co_filename
        return not name.startswith(trusted_prefixes)

    def first_learner(frame):
        """The innermost learner frame from ``frame`` out, or None."""
        while frame is not None:
            if learner(frame):
                return frame
            frame = frame.f_back
        return None

    def any_untrusted(frame):
        while frame is not None:
            if untrusted(frame):
                return frame
            frame = frame.f_back
        return None

    def is_private(frame):
        """``frame`` is on the stack of the main thread or of a private harness thread."""
        roots = private.values()
        while frame is not None:
            for r in roots:
                if frame is r:
                    return True
            frame = frame.f_back
        return False

    def validated(frame):
        """``frame`` is one of kit.sandbox.frames' primitives, with the defaults it was written with."""
        if frame is None:
            return False
        expected = prim.get(frame.f_code)
        if expected is None:
            return False
        local = frame.f_locals
        for name, value in expected.items():
            if local.get(name) is not value:
                return False
        return True

    def flag(what, frame, refuse):
        where = None if frame is None else (first_learner(frame) or any_untrusted(frame) or frame)
        key = (what, where.f_code.co_filename if where is not None else None,
               where.f_lineno if where is not None else None)
        if key not in seen:
            seen.add(key)
            send("tamper", what=what, file=key[1], line=key[2])
        if refuse:
            raise _refused(f"the grader refuses this ({what}): it reaches into the grader")

    def harness_code(code):
        return code.co_filename.startswith(view_prefix)

    def text(value):
        """An event argument as an exact str, or None: never a method of a learner object
        (str(), ==, in on one would run learner code inside the hook)."""
        t = _type(value)
        if t is _str:
            return value
        if t is _bytes:
            return _fsdecode(value)
        return None

    def trusted_name(name):
        name = text(name)
        return name is not None and name.startswith(trusted_prefixes)

    def harness_made(cls):
        """A harness class, or a class the harness generated to watch an object."""
        try:
            d = _cdict(cls)
        except TypeError:
            return False
        for key in d:  # only exact-str keys: a lookup never calls a learner key's __eq__
            if _type(key) is not _str:
                return False
        module = d.get("__module__", "")
        if _type(module) is _str and module.split(".")[0] in ("kit", "hidden"):
            return True
        ga = d.get("__getattribute__")
        return _type(ga) is _func and harness_code(_get(ga, "__code__"))

    def learner_code(code):
        return code.co_filename.startswith(learner_prefix)

    def qualname(fn):
        try:
            return _str(_get(fn, "__qualname__"))
        except _exception:
            return "a function"

    def descendant(pid):
        """``pid`` descends from this process: read from /proc, never from learner-patchable code."""
        hops = 0
        while pid > 1 and hops < 64:
            hops += 1
            try:
                with _open("/proc/%d/stat" % pid, "rb") as f:
                    stat = f.read()
            except OSError:
                return False
            ppid = _int(stat[stat.rindex(b")") + 2:].split()[1])
            if ppid == own_pid:
                return True
            pid = ppid
        return False

    def stdlib_import(frame):
        """A standard module run by an import in this thread (``namedtuple`` and friends call
        ``sys._getframe`` at import): ``frame`` is standard code, an import is on the stack."""
        if frame is None or not frame.f_code.co_filename.startswith(_stdlib):
            return False
        f = frame.f_back
        while f is not None:
            if f.f_code.co_filename.startswith("<frozen importlib._bootstrap"):
                return True
            f = f.f_back
        return False

    def from_multiprocessing(frame):
        """Standard code that uses ctypes for learners: multiprocessing's Value and Array, and
        ctypes importing its own parts."""
        return frame is not None and frame.f_code.co_filename.startswith((mp_dir, ctypes_dir))

    def own(fn, *a):
        """Run one of the hook's own frame operations with this thread marked: the events they
        raise (sys._getframe, tb_frame) are the hook's, not to be checked again."""
        me = _ident()
        inside.add(me)
        try:
            return fn(*a)
        finally:
            inside.discard(me)

    def check(event, args):
        caller = own(_getframe, 3)  # check <- hook <- (the C function that raised the event) <- caller
        if event == "kit.tamper":
            # The harness's own verifications (kit.sandbox.seal, the lockset) report here; learner
            # code that raises it only flags itself.
            flag((text(args[0]) if args else None) or "tampered with the grader", None, False)
            return
        if event == "sys._current_frames":
            if not validated(caller):
                flag("called sys._current_frames (the stacks of every thread)", caller, True)
            return
        if event == "sys._getframe":
            me = _ident()
            if me in private and not validated(caller) and not stdlib_import(caller):
                flag("called sys._getframe in a thread of the grader", caller, True)
            return
        if event == "object.__getattr__":
            if _len(args) != 2 or _type(args[0]) not in _framed:
                return
            name = text(args[1])
            if name in _frame_attrs:
                target = own(_get, args[0], name)
                if _type(target) is _frame and is_private(target) and not validated(caller):
                    flag(f"took .{name} of a frame of the grader's own thread", caller, True)
            return
        if event in _spawn_events:
            # Not a finding: the judge counts the processes a probe's call started (spawn and
            # forkserver children raise no event: the judge also watches the tree from outside).
            send("spawned", what=event)
            return
        if event in _gc_events:
            flag(f"used {event}", caller, True)
            return
        if event.startswith("ctypes."):
            # Past ctypes's own Python wrappers (string_at, cast...) and the import system (ctypes
            # opens libraries as it is imported) to whoever called them.
            f = caller
            while f is not None and f.f_code.co_filename.startswith((ctypes_dir, "<frozen", import_dir)):
                f = f.f_back
            if f is None or not f.f_code.co_filename.startswith(mp_dir):
                flag(f"used ctypes ({event})", caller, True)
            return
        if event in _trace_events:
            flag(f"called {event}", caller, True)
            return
        if event == "import":
            name = text(args[0]) if args else None
            if name is None:
                return
            filename = text(args[1]) if _len(args) > 1 else None
            if filename is not None and filename.endswith(_ext) and not filename.startswith(trusted_prefixes):
                # Native code of the submission's (or written at run time) would run unwatched.
                flag(f"loaded native code {filename}", caller, True)
            top = name.split(".")[0]
            if top in _forbidden or top.startswith("_test") or top == "_xxsubinterpreters" or top in _harness:
                f = caller
                while f is not None and f.f_code.co_filename.startswith(("<frozen", import_dir)):
                    f = f.f_back
                if top in _harness:
                    if f is not None and learner(f):
                        flag(f"imported {name}", f, True)
                elif not (top in _forbidden and from_multiprocessing(f)):
                    flag(f"imported {name}", caller, True)
            return
        if event == "object.__setattr__":
            if _len(args) < 2:
                return
            obj, name = args[0], text(args[1])
            if name in ("__code__", "__defaults__", "__kwdefaults__") and _type(obj) is _func:
                if trusted_name(_get(obj, "__code__").co_filename):
                    flag(f"replaced {name} of {qualname(obj)}", caller, True)
            elif name == "__class__":
                cls = _type(obj)
                if harness_made(cls) and (caller is None or caller.f_code not in writers):
                    flag("changed the class of an object the grader instruments", caller, True)
            return
        if event == "compile":
            if _len(args) > 1 and trusted_name(args[1]) and any_untrusted(caller):
                flag(f"compiled code under the name {text(args[1])}", caller, True)
            return
        if event == "code.__new__":
            if _len(args) > 1 and trusted_name(args[1]) and any_untrusted(caller):
                flag(f"made a code object named {text(args[1])}", caller, True)
            return
        if event == "function.__new__":
            code = args[0]
            if _type(code) is _code and trusted_name(code.co_filename):
                flag(f"made a function from the code of {code.co_name}", caller, True)
            return
        if event == "marshal.loads":
            if learner(caller):
                flag("loaded code with marshal", caller, True)
            return
        if event in ("open", "os.listdir", "os.scandir"):
            if not args or _type(args[0]) is _int:
                return  # a descriptor: nothing is opened by name
            p = text(args[0])
            if p is None and args[0] is not None:
                # A path-like object: its __fspath__ runs here, with this hook still listening
                # (learner code it runs is checked like any other).
                try:
                    raw = _fspath(args[0])
                    p = text(_bytescopy(raw) if _type(raw) is _bytes else _strcopy(raw))
                except BaseException:  # noqa: BLE001 - a path that cannot be read is refused
                    flag("opened a path the grader could not read", caller, True)
            if p is None:
                return
            if _proc_private(p):
                flag(f"opened {p}", caller, True)
            elif protected and p.startswith(protected) and not p.startswith(trusted_prefixes):
                # (A venv inside the kit's folder, as nox makes, is the interpreter's own: trusted.)
                flag(f"opened the grader's file {p}", caller, True)
            elif event == "open" and p.startswith(view_prefix) and learner(caller):
                flag(f"opened the grader's file {p}", caller, False)
            return
        if event in ("os.kill", "os.killpg"):
            if _len(args) < 2:
                return
            pid, sig = args[0], args[1]
            if _type(pid) is not _int or _type(sig) is not _int:
                return
            if event == "os.kill":
                ok = pid == 0 or pid == own_pid or (pid > 0 and descendant(pid)) or (pid < -1 and -pid == own_group)
            else:
                ok = pid in (0, own_group)
            if not ok:
                flag(f"{event}({pid}, {sig}) of a process it did not start", caller, True)
            who = first_learner(caller)
            if who is not None:
                # Not a finding: the judge learns which signals learner code sent (terminate()
                # and kill() are signals), with the learner's line.
                send("signalled", pid=pid, sig=sig, file=who.f_code.co_filename, line=who.f_lineno)

    def hook(event, args):
        if not armed[0]:
            return
        if _ident() in inside:
            return  # an event of the hook's own frame operations (see own)
        if event == "object.__getattr__" and _len(args) == 2 and _type(args[1]) is _str and \
                args[1] in ("f_code", "__code__"):
            return  # reading a frame's or a function's code: harmless, and the hook does it all the time
        was = _isenabled()
        _disable()
        try:
            check(event, args)
        finally:
            if was:
                _enable()

    _addhook(hook)

    def arm():
        armed[0] = True

    def add_private(ident, root):
        private[ident] = root

    return arm, add_private
