"""What the probes rely on must not change while learner code runs: a private baseline.

Writing to a module, a class or a closure cell raises no audit event (measured on 3.9 to
3.13: ``setattr(module, ...)``, ``setattr(cls, ...)``, ``cell.cell_contents = ...``), so
the audit hook cannot see a learner that rebinds ``threading.Event.wait``,
``kit.sandbox.lockset.Lockset._access`` or ``os.getpid``. ``baseline`` records, before any
learner code runs, the identity of every value in the modules the harness relies on (the
harness's own modules and the standard modules its probes use), of every attribute of
the classes they define, of the contents of the harness functions' closure cells and
defaults, and of the import system's hooks; ``diff`` says what changed since.

The entry point (``kit.sandbox.entry``) keeps the baseline in its own frame and checks it from
a private thread every ``WATCH_PERIOD`` seconds and once more when the probe is done.
Values are compared by ``id``, never with ``==`` (a learner object could answer
``__eq__`` as it likes), and only objects that were in the baseline are looked into (a
learner class put in a module is a change, never introspected). Every function here
takes what it calls as default arguments bound at import, before learner code exists.
A check is a few C-level passes (``map(id, ...)``) compared with the baseline's tuples;
the labels of what changed are worked out only when something did.

Imports nothing from the kit.
"""
import sys
import types

WATCH_PERIOD = 0.05

# Standard modules whose functions and classes the probes and instruments call while
# learner code runs (only those already imported when the baseline is taken are watched).
STDLIB = frozenset((
    "builtins", "os", "posix", "time", "threading", "_thread", "queue", "_queue", "select", "signal",
    "json", "importlib", "traceback", "tempfile", "shutil", "random", "functools", "itertools", "pickle",
    "copyreg", "io", "weakref", "collections", "struct", "faulthandler", "resource", "math", "hashlib",
    "multiprocessing", "multiprocessing.pool", "multiprocessing.process", "multiprocessing.context",
    "multiprocessing.connection", "multiprocessing.queues", "multiprocessing.reduction",
    "multiprocessing.util", "multiprocessing.synchronize", "multiprocessing.popen_fork",
    "multiprocessing.popen_spawn_posix", "multiprocessing.popen_forkserver", "multiprocessing.spawn",
    "multiprocessing.forkserver", "multiprocessing.resource_tracker", "multiprocessing.managers",
    "multiprocessing.sharedctypes", "concurrent.futures", "concurrent.futures._base",
    "concurrent.futures.process", "concurrent.futures.thread", "psutil", "psutil._common",
    "psutil._pslinux", "psutil._psposix", "subprocess"))

# What the standard library (or honest code, through a documented API) rebinds itself at
# run time: never a finding.
DYNAMIC = {
    "threading": frozenset({"excepthook", "_main_thread", "_shutdown_locks", "_profile_hook",
                            "_counter", "_shutdown", "_SHUTTING_DOWN", "_threading_atexits"}),
    "multiprocessing.process": frozenset({"_current_process", "_process_counter", "_parent_process"}),
    "multiprocessing.util": frozenset({"_exiting", "_log_to_stderr", "_logger"}),
    "multiprocessing.resource_tracker": frozenset({"_resource_tracker"}),
    "multiprocessing.forkserver": frozenset({"_forkserver"}),
    "concurrent.futures.process": frozenset({"_global_shutdown"}),
    "concurrent.futures.thread": frozenset({"_shutdown"}),
    "psutil": frozenset({"_last_cpu_times", "_last_per_cpu_times", "_last_cpu_times_2",
                         "_last_per_cpu_times_2", "_timer", "_TOTAL_PHYMEM", "_LOWEST_PID"}),
    "tempfile": frozenset({"tempdir", "_name_sequence"}),
    "subprocess": frozenset({"_USE_POSIX_SPAWN", "_USE_VFORK"}),
}

# ``sys`` holds state that honest code sets (stdout, path, ...): only these are watched.
SYS_NAMES = frozenset(("_getframe", "_current_frames", "settrace", "setprofile", "addaudithook", "audit",
                       "exc_info", "getswitchinterval", "setswitchinterval", "modules", "meta_path",
                       "path_hooks"))

# Set on classes by the standard library as caches (copyreg's pickling support), or not
# values at all: never a finding.
CLASS_CACHES = frozenset({"__dict__", "__weakref__", "__doc__", "__slotnames__"})

_MDICT = types.ModuleType.__dict__["__dict__"].__get__
_CDICT = type.__dict__["__dict__"].__get__
_CELL = __import__("operator").attrgetter("cell_contents")
_DEFAULTS = __import__("operator").attrgetter("__defaults__")


def _module_of(cls, _cdict=_CDICT):
    return _cdict(cls).get("__module__")


def baseline(harness_prefixes=("kit.sandbox", "hidden."), _mods=sys.modules, _items=dict.items, _list=list,
             _type=type, _sub=issubclass, _mdict=_MDICT, _cdict=_CDICT, _id=id, _stdlib=STDLIB,
             _module_of=_module_of, _set=set, _tuple=tuple, _map=map, _dict=dict, _func=types.FunctionType,
             _get=object.__getattribute__, _cell=_CELL, _sys=sys, _enum=enumerate):
    """The private baseline of every watched module imported now (see the module docstring)."""
    dicts = []     # [label, the dict (a module's or a mappingproxy), {name: id}, ids of its values, ignored names]
    cells, cell_labels = [], []
    funcs, func_labels = [], []
    sysmods = {}
    for name, mod in _list(_items(_mods)):
        if mod is None or not (name.startswith(harness_prefixes) or name in _stdlib or name == "sys"):
            continue
        harness = name.startswith(harness_prefixes)
        sysmods[name] = _id(mod)
        d = _mdict(mod)
        ignore = DYNAMIC.get(name, frozenset()) | {"__builtins__"}
        if name == "sys":
            ignore = frozenset(k for k in d if k not in SYS_NAMES)
        dicts.append([name, d, {k: _id(v) for k, v in _list(_items(d)) if k not in ignore},
                      _tuple(_map(_id, d.values())), ignore])
        for k, v in _list(_items(d)):
            if k in ignore:
                continue
            targets = []
            if _sub(_type(v), type) and d.get("__name__") == _module_of(v):
                cd = _cdict(v)
                dicts.append([name + "." + k, cd, {c: _id(x) for c, x in _list(cd.items()) if c not in CLASS_CACHES},
                              _tuple(_map(_id, cd.values())), CLASS_CACHES])
                targets = [(name + "." + k + "." + c, x) for c, x in _list(cd.items()) if _type(x) is _func]
            elif _type(v) is _func:
                targets = [(name + "." + k, v)]
            if not harness:
                continue
            for label, fn in targets:
                if _get(fn, "__defaults__") is not None:
                    funcs.append(fn)
                    func_labels.append(label + ".__defaults__")
                for i, cell in _enum(_get(fn, "__closure__") or ()):
                    try:
                        cell.cell_contents
                    except ValueError:  # empty now: nothing to compare
                        continue
                    cells.append(cell)
                    cell_labels.append(label + ".<cell %d>" % i)
    return {"dicts": dicts, "cells": (cells, cell_labels, _tuple(_map(_id, _map(_cell, cells)))),
            "funcs": (funcs, func_labels, _tuple(_map(_id, _map(_DEFAULTS, funcs)))), "sysmods": sysmods,
            # The import system's hooks: a finder of the learner's would run inside the grader's imports.
            "hooks": (_tuple(_map(_id, _sys.meta_path)), _tuple(_map(_id, _sys.path_hooks)))}


def diff(base, _mods=sys.modules, _items=dict.items, _id=id, _sorted=sorted, _tuple=tuple, _map=map,
         _list=list, _cell=_CELL, _defaults=_DEFAULTS, _sys=sys, _zip=zip, _type=type, _dict=dict):
    """Labels whose value is not the one in the baseline: rebound, deleted, added to a class
    (a name added to a module is none: importing a submodule adds one), the module replaced in
    ``sys.modules``, or a hook added to the import system."""
    changed = []
    for name, ident in _items(base["sysmods"]):
        if _id(_mods.get(name)) != ident:
            changed.append("sys.modules[%r]" % name)
    for entry in base["dicts"]:
        label, d, ids, fast, ignore = entry
        now = _tuple(_map(_id, d.values()))  # a name rebound, added or deleted changes this tuple
        if now == fast:
            continue
        module_level = _type(d) is _dict  # a module's own dict; a class's is a mappingproxy
        found = []
        current = {k: _id(v) for k, v in _list(d.items()) if k not in ignore}
        for k, i in _items(ids):
            if current.get(k) != i:
                found.append(label + "." + k)
        if not module_level:
            found += [label + "." + k for k in current if k not in ids]
        changed += found
        if not found:
            entry[3] = now  # only ignored names changed, or names were added to a module: remember
    cells, labels, ids = base["cells"]
    now = _tuple(_map(_id, _map(_cell, cells)))
    if now != ids:
        changed += [label for label, a, b in _zip(labels, ids, now) if a != b]
    funcs, labels, ids = base["funcs"]
    now = _tuple(_map(_id, _map(_defaults, funcs)))
    if now != ids:
        changed += [label for label, a, b in _zip(labels, ids, now) if a != b]
    hooks = (_tuple(_map(_id, _sys.meta_path)), _tuple(_map(_id, _sys.path_hooks)))
    if hooks != base["hooks"]:
        changed.append("sys.meta_path or sys.path_hooks")
    return _sorted(changed)
