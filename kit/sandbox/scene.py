"""The worker threads of one probe run, and the monitor that every instrument shares.

A probe builds one ``Scene``, makes its tracked locks from it (``scene.lock``), adds the
instruments it needs (``lockset.Lockset``, ``schedule.Interleaver``,
``schedule.Rendezvous``) and runs the learner's calls with ``run_workers``. The
instruments talk to each other only through the scene's hooks; probes use the small
public API below (``wait_until``, ``blocked``, ``holds``, ``name_of``).

On CPython 3.10+ a missing lock almost never loses an update by itself (thread switches
happen only at calls and back-edges), so the probes do not wait for luck: the instruments
force the bad schedule and record what the learner's code did.
"""
import threading
import time

from .frames import describe_exception, stacks
from .seal import broken, seal, tamper
from .waitfor import WaitFor


class Scene:
    POLL = 0.02
    # What a scene changes itself as the workers run (kit.sandbox.seal leaves these out).
    DYNAMIC = frozenset({"_workers", "_names", "_parked", "_waiting", "locks"})

    def __init__(self):
        # Instruments wait on and notify this one monitor; probes use wait_until().
        self.monitor = threading.Condition(threading.Lock())
        self.locks = []
        self.before_acquire = []  # fn(lock): in the acquiring thread, before an outermost acquire
        self.after_acquire = []   # fn(lock): after an outermost acquire
        self.on_access = []       # fn(record, key): after a watched read or write (see lockset)
        self.on_call = []         # fn(index): a worker starts call ``index`` (None: it ended one)
        self.members = []         # instruments built on this scene (sealed with it: kit.sandbox.seal)
        self.waitfor = WaitFor(self)
        self._workers = set()
        self._names = {}
        self._parked = set()
        self._waiting = {}        # thread ident -> TrackedLock it waits for
        self._local = threading.local()

    # -- tracked locks -------------------------------------------------------------------
    def lock(self, label, reentrant=False):
        from .locks import TrackedLock
        return TrackedLock(self, label, reentrant)

    def holds(self, ident=None):
        """Labels of the tracked locks held by thread ``ident`` (default: this thread)."""
        ident = ident or threading.get_ident()
        return [lk.label for lk in self.locks if lk.owner == ident]

    def waiting_for(self, ident):
        return self._waiting.get(ident)

    def set_waiting(self, ident, lock):  # monitor held
        if lock is None:
            self._waiting.pop(ident, None)
        else:
            self._waiting[ident] = lock
        self.monitor.notify_all()

    # -- workers -------------------------------------------------------------------------
    def name_of(self, ident):
        if ident in self._names:
            return self._names[ident]
        for t in threading.enumerate():
            if t.ident == ident:
                return t.name
        return f"thread {ident}"

    def is_worker(self, ident=None):
        return (ident or threading.get_ident()) in self._workers

    def enter(self, name=None):
        me = threading.get_ident()
        with self.monitor:
            self._workers.add(me)
            self._names[me] = name or threading.current_thread().name
            self.monitor.notify_all()

    def leave(self):
        with self.monitor:
            self._workers.discard(threading.get_ident())
            self.monitor.notify_all()

    def begin_call(self, index):
        self._local.call = getattr(self._local, "call", 0) + 1
        for fn in self.on_call:
            fn(index)

    def end_call(self):
        for fn in self.on_call:
            fn(None)

    def call_number(self):
        """How many calls this worker thread has begun (1 for the first)."""
        return getattr(self._local, "call", 0)

    # -- who can still move --------------------------------------------------------------
    def park(self, ident):  # monitor held: ``ident`` is held by an instrument
        self._parked.add(ident)
        self.monitor.notify_all()

    def unpark(self, ident):  # monitor held
        self._parked.discard(ident)
        self.monitor.notify_all()

    def blocked(self, ident):
        """Thread ``ident`` cannot move now: held by an instrument, or waiting for a lock another thread holds."""
        if ident in self._parked:
            return True
        lk = self._waiting.get(ident)
        return lk is not None and lk.owner not in (None, ident)

    def others_settled(self, me, holding_counts=False):  # monitor held
        """Every other worker is blocked (or, with ``holding_counts``, holds a tracked lock)."""
        for p in self._workers:
            if p == me or self.blocked(p):
                continue
            if holding_counts and any(lk.owner == p for lk in self.locks):
                continue
            return False
        return True

    def wait_until(self, predicate, timeout):
        """Wait (on the monitor) until ``predicate()`` is true or ``timeout`` passes; return it."""
        deadline = time.monotonic() + timeout
        with self.monitor:
            return self.wait_locked(predicate, deadline)

    def wait_locked(self, predicate, deadline):  # monitor held: the instruments' loop
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.monitor.wait(min(left, self.POLL))
        return True

    def changed(self):
        """Tell waiters something changed (a probe's own event)."""
        with self.monitor:
            self.monitor.notify_all()

    def summary(self):
        return {"deadlocks": self.waitfor.deadlocks, "locks": [lk.state() for lk in self.locks]}

    def instruments(self):
        """The scene, its locks and every instrument whose hooks it holds (to be sealed)."""
        out = [self, self.waitfor] + list(self.locks) + list(self.members)
        for hooks in (self.before_acquire, self.after_acquire, self.on_access, self.on_call):
            for fn in hooks:
                owner = getattr(fn, "__self__", None)
                if owner is not None and all(owner is not o for o in out):
                    out.append(owner)
        return out


def run_workers(scene, jobs, timeout=3.0, names=None, start_timeout=2.0):
    """Run ``jobs`` (one list of ``(fn, args)`` per worker) in daemon threads started together.

    Workers enter the scene (the instruments only concern them). Returns
    ``{"results": [[outcome, ...] per worker], "hung": [...]}`` where an outcome is
    ``{"returned", "raised", "exception"}`` (live objects: the probe makes them JSON).
    """
    n = len(jobs)
    names = names or [chr(ord("A") + i) for i in range(n)]
    barrier = threading.Barrier(n, timeout=start_timeout)
    results = [[] for _ in range(n)]

    def worker(i):
        scene.enter(names[i])
        try:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
            for k, (fn, args) in enumerate(jobs[i]):
                scene.begin_call(k)
                out = {"returned": None, "raised": None, "exception": None}
                try:
                    out["returned"] = fn(*args)
                except BaseException as exc:  # noqa: BLE001 - every outcome is an observation
                    out["raised"] = describe_exception(exc)
                    out["exception"] = exc
                finally:
                    scene.end_call()
                results[i].append(out)
        finally:
            scene.leave()

    # Sealed now, from the probe's main thread: what learner code changes in the instruments
    # (an emptied hook list, a lock's inner lock swapped) is reported once the workers end.
    sealed = [seal(x) for x in scene.instruments()]
    threads = [threading.Thread(target=worker, args=(i,), name=names[i], daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    for s in sealed:
        for label in broken(s):
            tamper(f"changed the grader's {label} while your code ran")
    for member in scene.members:
        finish = getattr(type(member), "finish", None)
        if finish is not None:
            finish(member)
    hung = []
    alive = [t for t in threads if t.is_alive()]
    now = stacks(frozenset(t.ident for t in alive)) if alive else {}
    for t in alive:
        hung.append({"thread": t.name, "stack": now.get(t.ident, [])})
    return {"results": results, "hung": hung}


def outcomes(res):
    """``run_workers`` results without the live exception objects (JSON)."""
    return [[{k: v for k, v in o.items() if k != "exception"} for o in worker] for worker in res["results"]]
