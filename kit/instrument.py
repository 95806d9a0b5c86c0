"""Child-side instrumentation for the lock exercises: tracked locks, watched attributes,
directed interleaving, rendezvous and deadlock detection. Used by probes only.

On CPython 3.10+ a missing lock almost never loses an update by itself (thread switches
happen only at calls and back-edges), so the probes do not wait for luck. They:

* replace the learner's lock with a ``TrackedLock`` (same reentrancy as the original):
  it knows its owner, its hold count and an *epoch* (a fresh id for every outermost
  acquisition, so "were the read and the write of one update in the same critical
  section?" is a comparison of two numbers);
* ``watch`` chosen attributes of an object (its class is swapped for a generated
  subclass with ``__getattribute__``/``__setattr__`` hooks): every read and write made
  from learner code is recorded with the thread, the tracked locks it holds, the guard
  lock's epoch and the learner's file:line (lockset checking in the style of Eraser);
* with ``interleave=True``, force the bad interleaving: a thread that read a watched
  attribute without its guard lock, or that comes back for the guard lock after reading
  in an earlier critical section, is held (one thread at a time, short timeout) until
  another thread has written that attribute. An unlocked or split read-modify-write then
  loses an update every time; correct code never triggers a hold;
* with ``rendezvous`` armed for a call, a thread that takes its first tracked lock waits
  until every other worker holds a lock, waits for one, or is done (timeout), so two
  transfers taking locks in opposite orders deadlock every time;
* detect deadlocks when a thread blocks (wait-for graph over tracked locks), and a
  non-reentrant lock taken again by its owner; the thread that would wait forever gets
  ``Deadlock`` (a ``BaseException``, so ``except Exception`` in learner code does not eat
  it) and the cycle is recorded as "thread A holds account 1 and waits for account 2; ...".
"""
import itertools
import sys
import threading
import time

from .child import describe_exception
from .probe import frames_of, is_learner_file, learner_site


class Deadlock(BaseException):
    """Raised in the thread whose wait would never end (it closes a wait-for cycle)."""


def _site_of_frame(frame):
    while frame is not None:
        if is_learner_file(frame.f_code.co_filename):
            return {"file": frame.f_code.co_filename, "line": frame.f_lineno, "func": frame.f_code.co_name}
        frame = frame.f_back
    return None


class TrackedLock:
    """A lock-like object (acquire/release/locked/with) that reports to its ``Tracker``."""

    def __init__(self, tracker, label, reentrant=False):
        self.tracker = tracker
        self.label = label
        self.reentrant = reentrant
        self._inner = threading.Lock()
        self.owner = None        # thread ident of the holder
        self.count = 0           # hold count (reentrant locks)
        self.epoch = None        # id of the current outermost hold
        self.acquisitions = 0    # outermost acquisitions so far
        self.releases = 0        # outermost releases so far
        tracker.locks.append(self)

    def __repr__(self):
        return f"<TrackedLock {self.label} {'reentrant ' if self.reentrant else ''}{'locked' if self.owner else 'unlocked'}>"

    def acquire(self, blocking=True, timeout=-1):
        tr = self.tracker
        me = threading.get_ident()
        forever = blocking and (timeout is None or timeout < 0)
        with tr.cond:
            if self.owner == me:
                if self.reentrant:
                    self.count += 1
                    return True
                if forever:
                    tr._record_deadlock([(me, self)], self_lock=True)
                    raise Deadlock(tr.deadlocks[-1]["text"])
        if self.owner == me and not self.reentrant:  # non-blocking or timed retake of our own Lock
            if blocking and timeout and timeout > 0:
                time.sleep(timeout)
            return False
        if tr.on_acquire is not None:
            tr.on_acquire(self)
        tr._before_acquire(self)
        if not blocking:
            got = self._inner.acquire(False)
        else:
            with tr.cond:
                tr.waiting[me] = self
                if forever:
                    cycle = tr._cycle(me)
                    if cycle:
                        del tr.waiting[me]
                        tr._record_deadlock(cycle)
                        raise Deadlock(tr.deadlocks[-1]["text"])
                tr.cond.notify_all()
            got = False
            try:
                got = self._inner.acquire() if forever else self._inner.acquire(True, timeout)
            finally:
                if not got:
                    with tr.cond:
                        tr.waiting.pop(me, None)
                        tr.cond.notify_all()
        if got:
            with tr.cond:
                tr.waiting.pop(me, None)
                self.owner = me
                self.count = 1
                self.epoch = next(tr.epochs)
                self.acquisitions += 1
                tr.cond.notify_all()
            tr._after_acquire(self)
        return got

    def release(self):
        tr = self.tracker
        me = threading.get_ident()
        with tr.cond:
            if self.owner is None:
                raise RuntimeError("release unlocked lock")
            if self.reentrant and self.owner != me:
                raise RuntimeError("cannot release un-acquired lock")
            self.count -= 1
            if self.count == 0:
                self.owner = None
                self.epoch = None
                self.releases += 1
                self._inner.release()
                tr.cond.notify_all()

    def locked(self):
        return self.owner is not None

    def held_here(self):
        return self.owner == threading.get_ident()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()

    def state(self):
        return {"label": self.label, "held": self.owner is not None, "count": self.count,
                "owner": self.tracker.name_of(self.owner) if self.owner else None,
                "acquisitions": self.acquisitions}


def is_reentrant(lock) -> bool:
    """Probe a lock-like object: can the thread holding it take it again? (Left as found.)"""
    if not lock.acquire(False):
        return False
    try:
        again = lock.acquire(False)
        if again:
            lock.release()
        return bool(again)
    finally:
        lock.release()


class Tracker:
    """The shared state of one probe run: tracked locks, workers, accesses, holds, deadlocks."""

    def __init__(self, interleave=False, hold_timeout=0.5, rendezvous_timeout=0.3):
        """``interleave``: False, True (every watched attribute) or a set of attribute names."""
        self.cond = threading.Condition(threading.Lock())
        self.interleave = interleave
        self.hold_timeout = hold_timeout
        self.rendezvous_timeout = rendezvous_timeout
        self.epochs = itertools.count(1)
        self.locks = []
        self.guards = {}        # id(obj) -> TrackedLock guarding its watched attributes
        self.labels = {}        # id(obj) -> label for messages
        self.participants = set()
        self.parked = set()     # workers held by us (hold or rendezvous)
        self.waiting = {}       # thread ident -> TrackedLock it waits for
        self.names = {}
        self.accesses = []
        self.deadlocks = []
        self.holds = []
        self.rendezvous = []
        self.seq = {}           # (id(obj), attr) -> number of writes so far
        self.holder = None
        self.on_access = None   # optional callback(record), called in the accessing thread
        self.on_acquire = None  # optional callback(lock), before an outermost acquire, in that thread
        self._local = threading.local()

    # -- per-thread state ------------------------------------------------------------------
    def _state(self):
        st = self._local
        if not hasattr(st, "pending"):
            st.pending = {}      # (id(obj), attr) -> epoch of the last read not yet followed by a write
            st.call = 0
            st.rendezvous = False
        return st

    def name_of(self, ident):
        if ident in self.names:
            return self.names[ident]
        for t in threading.enumerate():
            if t.ident == ident:
                return t.name
        return f"thread {ident}"

    def lock(self, label, reentrant=False) -> TrackedLock:
        return TrackedLock(self, label, reentrant)

    def held_labels(self, ident=None):
        ident = ident or threading.get_ident()
        return [lk.label for lk in self.locks if lk.owner == ident]

    # -- calls made by workers -------------------------------------------------------------
    def begin_call(self, rendezvous=False):
        st = self._state()
        st.pending.clear()
        st.call += 1
        st.rendezvous = rendezvous

    def end_call(self):
        st = self._state()
        st.pending.clear()
        st.rendezvous = False

    def join_workers(self, name=None):
        me = threading.get_ident()
        with self.cond:
            self.participants.add(me)
            self.names[me] = name or threading.current_thread().name
            self.cond.notify_all()

    def leave_workers(self):
        with self.cond:
            self.participants.discard(threading.get_ident())
            self.cond.notify_all()

    # -- attribute accesses ------------------------------------------------------------------
    def _access(self, obj, attr, kind):
        site = learner_site(1)
        if site is None:
            return  # the probe's own reads and writes are not observations
        me = threading.get_ident()
        key = (id(obj), attr)
        st = self._state()
        guard = self.guards.get(id(obj))
        with self.cond:
            epoch = guard.epoch if guard is not None and guard.owner == me else None
            rec = {"kind": kind, "attr": attr, "obj": self.labels.get(id(obj), type(obj).__name__),
                   "thread": self.name_of(me), "held": self.held_labels(me),
                   "guarded": epoch is not None, "epoch": epoch, "call": st.call, "site": site}
            if kind == "write":
                self.seq[key] = self.seq.get(key, 0) + 1
                if key in st.pending:
                    rec["read_epoch"] = st.pending.pop(key)
                    rec["after_read"] = True
                else:
                    rec["after_read"] = False
                self.cond.notify_all()
            else:
                st.pending[key] = epoch
            self.accesses.append(rec)
        if self.on_access is not None:
            self.on_access(rec)
        if kind == "read" and epoch is None and self._interleaves(attr):
            self._hold(key, "read without the lock", site)

    # -- directed interleaving -----------------------------------------------------------
    def _interleaves(self, attr):
        if self.interleave is True:
            return True
        return bool(self.interleave) and attr in self.interleave

    def _blocked(self, ident):
        if ident in self.parked:
            return True
        lk = self.waiting.get(ident)
        return lk is not None and lk.owner not in (None, ident)

    def _others_settled(self, me, holding_counts=False):
        for p in self.participants:
            if p == me or self._blocked(p):
                continue
            if holding_counts and any(lk.owner == p for lk in self.locks):
                continue
            return False
        return True

    def _hold(self, key, reason, site):
        me = threading.get_ident()
        with self.cond:
            if self.holder is not None or me not in self.participants:
                return
            self.holder = me
            self.parked.add(me)
            self.cond.notify_all()
            start = self.seq.get(key, 0)
            began = time.monotonic()
            deadline = began + self.hold_timeout
            why = "timeout"
            while True:
                if self.seq.get(key, 0) > start:
                    why = "written by another thread"
                    break
                if self._others_settled(me):
                    why = "no other thread could write"
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(min(left, 0.02))
            self.holder = None
            self.parked.discard(me)
            self.holds.append({"thread": self.name_of(me), "reason": reason, "ended": why,
                               "seconds": round(time.monotonic() - began, 4), "site": site})
            self.cond.notify_all()

    def _before_acquire(self, lock):
        """Hold a thread that comes back for a lock after reading under an earlier hold of it."""
        if not self.interleave or lock.owner == threading.get_ident():
            return
        st = self._state()
        for key, epoch in list(st.pending.items()):
            if epoch is not None and self.guards.get(key[0]) is lock and self._interleaves(key[1]):
                self._hold(key, "read in an earlier critical section", learner_site(1))
                return

    def _after_acquire(self, lock):
        st = self._state()
        if not st.rendezvous:
            return
        me = threading.get_ident()
        with self.cond:
            if me not in self.participants or sum(1 for lk in self.locks if lk.owner == me) != 1:
                return
            st.rendezvous = False
            self.parked.add(me)
            self.cond.notify_all()
            began = time.monotonic()
            deadline = began + self.rendezvous_timeout
            met = False
            while True:
                if self._others_settled(me, holding_counts=True):
                    met = True
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(min(left, 0.02))
            self.parked.discard(me)
            self.rendezvous.append({"thread": self.name_of(me), "lock": lock.label, "met": met,
                                    "seconds": round(time.monotonic() - began, 4)})
            self.cond.notify_all()

    # -- deadlocks -------------------------------------------------------------------------
    def _cycle(self, me):
        chain = []
        t = me
        seen = set()
        while True:
            lk = self.waiting.get(t)
            if lk is None:
                return None
            chain.append((t, lk))
            owner = lk.owner
            if owner is None or owner in seen:
                return None
            if owner == me:
                return chain
            seen.add(owner)
            t = owner

    def _record_deadlock(self, chain, self_lock=False):
        frames = sys._current_frames()
        me = threading.get_ident()
        threads = []
        for t, lk in chain:
            site = learner_site(1) if t == me else _site_of_frame(frames.get(t))
            holds = self.held_labels(t)
            threads.append({"thread": self.name_of(t), "holds": holds, "waits": lk.label, "site": site})
        if self_lock:
            t = threads[0]
            text = (f"thread {t['thread']} holds {t['waits']} and asks for it again; the lock is not "
                    "reentrant, so it would wait for itself forever")
        else:
            text = "; ".join(f"thread {t['thread']} holds {' and '.join(t['holds']) or 'nothing'} "
                             f"and waits for {t['waits']}" for t in threads)
        self.deadlocks.append({"self": self_lock, "threads": threads, "text": text})
        self.cond.notify_all()

    # -- summaries -------------------------------------------------------------------------
    def summary(self):
        return {"deadlocks": self.deadlocks, "holds": self.holds[:50], "n_holds": len(self.holds),
                "rendezvous": self.rendezvous[:50], "locks": [lk.state() for lk in self.locks]}


def watch(tracker, obj, attrs, guard=None, label=None, methods=None):
    """Record reads/writes of ``attrs`` on ``obj`` (from learner code) in ``tracker``.

    The object's class is swapped for a generated subclass (same name, no new slots) with
    hooks; ``methods`` adds or overrides methods on it (e.g. a ``record`` that observes
    calls). ``guard`` is the tracked lock that must be held at every access.
    """
    base = type(obj)
    attrs = frozenset(attrs)
    get = base.__getattribute__
    put = base.__setattr__

    def __getattribute__(self, name):
        value = get(self, name)
        if name in attrs:
            tracker._access(self, name, "read")
        return value

    def __setattr__(self, name, value):
        put(self, name, value)
        if name in attrs:
            tracker._access(self, name, "write")

    ns = {"__slots__": (), "__getattribute__": __getattribute__, "__setattr__": __setattr__,
          "__module__": base.__module__, "__qualname__": base.__qualname__, "__doc__": base.__doc__}
    ns.update(methods or {})
    obj.__class__ = type(base.__name__, (base,), ns)
    tracker.guards[id(obj)] = guard
    tracker.labels[id(obj)] = label or base.__name__
    return obj


def raw(obj, name):
    """Read an attribute without recording it (the probe's own look)."""
    return object.__getattribute__(obj, name)


def run_workers(tracker, jobs, timeout=3.0, names=None, rendezvous_calls=0, start_timeout=2.0):
    """Run ``jobs`` (one list of ``(fn, args)`` per worker) in daemon threads started together.

    Workers are registered with the tracker (directed interleaving and rendezvous only
    concern them). The first ``rendezvous_calls`` calls of each worker have the
    rendezvous armed. Returns ``{"results": [[outcome, ...] per worker], "hung": [...]}``
    where an outcome is ``{"returned", "raised", "exception"}`` (live objects: the probe
    makes them JSON).
    """
    n = len(jobs)
    names = names or [chr(ord("A") + i) for i in range(n)]
    barrier = threading.Barrier(n, timeout=start_timeout)
    results = [[] for _ in range(n)]

    def worker(i):
        tracker.join_workers(names[i])
        try:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
            for k, (fn, args) in enumerate(jobs[i]):
                tracker.begin_call(rendezvous=k < rendezvous_calls)
                out = {"returned": None, "raised": None, "exception": None}
                try:
                    out["returned"] = fn(*args)
                except BaseException as exc:  # noqa: BLE001 - every outcome is an observation
                    out["raised"] = describe_exception(exc)
                    out["exception"] = exc
                finally:
                    tracker.end_call()
                results[i].append(out)
        finally:
            tracker.leave_workers()

    threads = [threading.Thread(target=worker, args=(i,), name=names[i], daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    hung = []
    frames = sys._current_frames()
    for t in threads:
        if t.is_alive():
            f = frames.get(t.ident)
            hung.append({"thread": t.name, "stack": frames_of(f) if f is not None else []})
    return {"results": results, "hung": hung}
