"""Watched attributes: every read and write made from learner code, with the locks held.

``Lockset(scene).watch(obj, attrs, guard=lock)`` swaps the object's class for a generated
subclass (same name, no new slots) with ``__getattribute__``/``__setattr__`` hooks. Each
access from a learner frame is recorded with the thread, the tracked locks it holds, the
guard's epoch and the learner's file:line: lockset checking in the style of Eraser. A read
that is not yet followed by a write of the same attribute in the same thread is
*pending*: the forced interleaving (``schedule.Interleaver``) works from that.

Accesses through ``object.__getattribute__``/``__dict__`` are not seen: checks report
"no access observed" for those, never a pass.
"""
import threading

from .calls import learner_site


def raw(obj, name):
    """Read an attribute without recording it (the probe's own look)."""
    return object.__getattribute__(obj, name)


class Lockset:
    def __init__(self, scene):
        self.scene = scene
        self.accesses = []      # records, in order
        self._writes = {}       # (id(obj), attr) -> number of writes so far
        self._guards = {}       # id(obj) -> TrackedLock guarding its watched attributes
        self._labels = {}       # id(obj) -> label for messages
        self._local = threading.local()
        scene.on_call.append(lambda index: self.pending().clear())

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
        return [a for a in self.accesses if not a["guarded"]]

    def watch(self, obj, attrs, guard=None, label=None, methods=None):
        """Record reads and writes of ``attrs`` on ``obj``; ``guard`` must be held at each.

        ``methods`` adds or overrides methods on the generated class (e.g. a ``record``
        that observes calls).
        """
        base = type(obj)
        attrs = frozenset(attrs)
        get = base.__getattribute__
        put = base.__setattr__
        access = self._access

        def __getattribute__(self, name):
            value = get(self, name)
            if name in attrs:
                access(self, name, "read")
            return value

        def __setattr__(self, name, value):
            put(self, name, value)
            if name in attrs:
                access(self, name, "write")

        ns = {"__slots__": (), "__getattribute__": __getattribute__, "__setattr__": __setattr__,
              "__module__": base.__module__, "__qualname__": base.__qualname__, "__doc__": base.__doc__}
        ns.update(methods or {})
        obj.__class__ = type(base.__name__, (base,), ns)
        self._guards[id(obj)] = guard
        self._labels[id(obj)] = label or base.__name__
        return obj

    def _access(self, obj, attr, kind):
        site = learner_site(1)
        if site is None:
            return  # the probe's own reads and writes are not observations
        sc = self.scene
        me = threading.get_ident()
        key = (id(obj), attr)
        pending = self.pending()
        guard = self._guards.get(id(obj))
        with sc.monitor:
            epoch = guard.epoch if guard is not None and guard.owner == me else None
            rec = {"kind": kind, "attr": attr, "obj": self._labels.get(id(obj), type(obj).__name__),
                   "thread": sc.name_of(me), "held": sc.holds(me),
                   "guarded": epoch is not None, "epoch": epoch, "call": sc.call_number(), "site": site}
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
        for fn in sc.on_access:
            fn(rec, key)
