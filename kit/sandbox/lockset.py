"""Watched attributes: every read and write made from learner code, with the locks held.

``Lockset(scene).watch(obj, guard=lock)`` swaps the object's class for a generated subclass
(same name, no new slots) with ``__getattribute__``/``__setattr__`` hooks. By default every
attribute the object holds is watched, whatever its name (a balance kept as ``_real``
instead of ``balance`` is seen as well), except ``skip`` and the guard itself; ``attrs``
names a subset instead. Each access from a learner frame is recorded with the thread, the
tracked locks it holds, the guard's epoch and the learner's file:line: lockset checking in
the style of Eraser. ``shared()`` keeps the accesses of the attributes that learner code
also wrote (an id read without the lock is no race; a balance is). A read that is not yet
followed by a write of the same attribute in the same thread is *pending*: the forced
interleaving (``schedule.Interleaver``) works from that.

An access through ``__dict__`` is recorded as one of ``__dict__`` itself (a check reports
the state as kept out of sight); one through ``object.__getattribute__`` is not seen:
checks that need accesses report "no access observed" for those, never a pass.
"""
import collections
import threading

from .calls import learner_site
from .frames import code_at
from .seal import tamper

MUTABLE = (list, dict, set, bytearray, collections.deque)  # state that changes through a read
# The only callers of Lockset._access: the hooks ``watch`` generates, in this file (no code
# of the learner's can carry this file's name: the audit hook refuses compiling under it).
_HOOKS = frozenset({(__file__, "__getattribute__"), (__file__, "__setattr__")})
_VIEW = __file__.rsplit("/kit/sandbox/", 1)[0] + "/"  # the grader's own code (the staged view)
_MAIN = threading.main_thread().ident             # the probe's thread (this module is imported there)


def raw(obj, name):
    """Read an attribute without recording it (the probe's own look)."""
    return object.__getattribute__(obj, name)


class Lockset:
    DYNAMIC = frozenset({"accesses", "_writes", "_shadow", "_suspect"})  # kit.sandbox.seal

    def __init__(self, scene):
        self.scene = scene
        self.accesses = []      # records, in order
        self._writes = {}       # (id(obj), attr) -> number of writes so far
        self._guards = {}       # id(obj) -> TrackedLock guarding its watched attributes
        self._labels = {}       # id(obj) -> label for messages
        self._inners = {}       # id(obj) -> the guard's inner RLock (whose _is_owned() cannot be faked)
        self._shadow = {}       # id(obj) -> {attr: id(value)} as the hooks last saw them
        self._suspect = {}      # id(obj) -> {(attr, id(value)): True} changed with no hook write (yet)
        self._local = threading.local()
        scene.on_call.append(lambda index: self.pending().clear())
        scene.members.append(self)

    def pending(self):
        """This thread's reads not yet followed by a write: (id(obj), attr) -> epoch of the read."""
        st = self._local
        if not hasattr(st, "pending"):
            st.pending = {}
        return st.pending

    def guard_of(self, obj_id):
        return self._guards.get(obj_id)

    def writes(self, key):
        return self._writes.get(key, 0)

    def unguarded(self):
        return [a for a in self.shared() if not a["guarded"]]

    def shared(self):
        """The accesses of attributes that learner code modified: wrote at least once, or read
        as a mutable container (``self.entries.append(x)`` changes state through a read)."""
        written = {(a["obj"], a["attr"]) for a in self.accesses if a["kind"] == "write" or a.get("mutable")}
        return [a for a in self.accesses if (a["obj"], a["attr"]) in written]

    def watch(self, obj, attrs=None, guard=None, label=None, methods=None, skip=()):
        """Record reads and writes of ``obj``'s attributes (``attrs``: only these); ``guard`` must be
        held at each. ``skip``: names never recorded (the lock attribute itself).

        ``methods`` adds or overrides methods on the generated class (e.g. a ``record``
        that observes calls).
        """
        base = type(obj)
        names = None if attrs is None else frozenset(attrs)
        skipped = frozenset(skip)
        # Everything the hooks use is bound as a default argument, not a closure: a closure
        # cell can be rewritten by code that reaches the hook (no audit event), a function's
        # defaults cannot (the audit hook refuses it for the grader's functions).

        def state(self, name, value, _names=names, _skipped=skipped, _guard=guard, _dict=object.__getattribute__,
                  _callable=callable):
            """Is ``name`` part of the object's state (an attribute it holds, not a method or the lock)?"""
            if _names is not None:
                return name in _names
            if name in _skipped or value is _guard or (name.startswith("__") and name != "__dict__"):
                return False
            try:
                return name == "__dict__" or name in _dict(self, "__dict__")
            except AttributeError:  # __slots__: an attribute found on the instance is state
                return not _callable(value)

        def __getattribute__(self, name, _get=base.__getattribute__, _state=state, _access=self._access,
                             _mutable=MUTABLE, _type=type):
            value = _get(self, name)
            if _state(self, name, value):
                _access(self, name, "read", _type(value) in _mutable)
            return value

        def __setattr__(self, name, value, _put=base.__setattr__, _state=state, _access=self._access, _id=id):
            _put(self, name, value)
            if _state(self, name, value):
                _access(self, name, "write", False, _id(value))

        ns = {"__slots__": (), "__getattribute__": __getattribute__, "__setattr__": __setattr__,
              "__module__": base.__module__, "__qualname__": base.__qualname__, "__doc__": base.__doc__}
        ns.update(methods or {})
        obj.__class__ = type(base.__name__, (base,), ns)
        self._guards[id(obj)] = guard
        # The guard's real lock, kept here: "held" is asked of it (_is_owned), never of the
        # guard's own bookkeeping (``owner``), which learner code holding the guard can rewrite.
        self._inners[id(obj)] = getattr(guard, "_inner", None)
        self._labels[id(obj)] = label or base.__name__
        return obj

    def _access(self, obj, attr, kind, mutable=False, value_id=None):
        # Only the watched object's own hooks record: a record written by a direct call (learner
        # code that reached this method through the hooks' closures) is tampering, not evidence.
        if code_at(1) not in _HOOKS:
            tamper("wrote a record into the grader's lockset itself")
            return
        # The probe's own reads and writes are not observations: those of its main thread, or
        # made by the grader's code. Anything else is, whatever file name its code carries
        # (code compiled under "<account>" is no less the learner's).
        if threading.get_ident() == _MAIN:
            return
        who = code_at(2)
        if who is None or who[0].startswith(_VIEW):
            return
        site = learner_site(2) or {"file": who[0], "line": 0, "func": who[1]}
        sc = self.scene
        me = threading.get_ident()
        key = (id(obj), attr)
        pending = self.pending()
        guard = self._guards.get(id(obj))
        inner = self._inners.get(id(obj))
        really = inner is not None and inner._is_owned()
        with sc.monitor:
            epoch = guard.epoch if guard is not None and guard.owner == me and really else None
            if guard is not None and guard.owner == me and not really:
                tamper("made the grader's lock say it was held when it was not")
            rec = {"kind": kind, "attr": attr, "obj": self._labels.get(id(obj), type(obj).__name__),
                   "thread": sc.name_of(me), "held": sc.holds(me),
                   "guarded": epoch is not None, "epoch": epoch, "call": sc.call_number(), "site": site}
            if mutable:
                rec["mutable"] = True
            if kind == "write":
                self._writes[key] = self._writes.get(key, 0) + 1
                if key in pending:
                    rec["read_epoch"] = pending.pop(key)
                    rec["after_read"] = True
                else:
                    rec["after_read"] = False
                sc.monitor.notify_all()
            else:
                pending[key] = epoch
            self.accesses.append(rec)
            self._behind(obj, attr if kind == "write" else None, value_id)
        for fn in sc.on_access:
            fn(rec, key)

    def _behind(self, obj, written, value_id, _get=object.__getattribute__, _id=id):  # monitor held
        """Compare the object's attributes with what its hooks last saw: a value that changed
        with no hook write of it (``object.__setattr__``, ``__dict__`` edits: a write the hooks
        never see) is suspect until a hook write of that very value shows up (another thread's
        write in flight between its assignment and its record); ``finish`` reports the rest."""
        try:
            now = {k: _id(v) for k, v in list(_get(obj, "__dict__").items()) if k != "lock"}
        except AttributeError:
            return
        seen = self._shadow.setdefault(_id(obj), dict(now))
        suspect = self._suspect.setdefault(_id(obj), {})
        if written is not None:
            suspect.pop((written, value_id), None)
        for k, i in now.items():
            if seen.get(k, i) != i and not (k == written and i == value_id):
                suspect[(k, i)] = True
        self._shadow[_id(obj)] = now

    def finish(self):
        """After the workers: any value changed behind the hooks and never written through them."""
        with self.scene.monitor:
            labels = sorted({self._labels.get(o, "object") + "." + k for o, s in self._suspect.items() for k, _ in s})
        for label in labels:
            tamper(f"changed {label} where the grader's watch cannot see it (object.__setattr__ or __dict__)")
