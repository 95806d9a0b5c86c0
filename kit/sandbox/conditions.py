"""``ControlledCondition``: a condition-like object whose wake-ups the probe decides.

It replaces a learner's ``threading.Condition`` (``acquire``, ``release``, ``with``,
``wait(timeout=None)``, ``wait_for``, ``notify(n=1)``, ``notify_all``) and is built on a
``TrackedLock`` of the probe's scene, so ``lockset.Lockset`` can check it is held at every
access of the state it guards. What ``threading.Condition`` leaves to the scheduler, it
decides, so the schedules that break wrong code happen on every run:

- ``notify(n)`` wakes the ``n`` oldest waiters (as CPython does); a woken thread runs again
  only when the probe lets it: ``hold()`` keeps every woken thread asleep until ``let_go()``,
  so another thread can take the item it was woken for (a stolen item), and ``spurious(name)``
  wakes a thread that nobody notified;
- woken threads take the lock back one at a time, each only once the lock is free, in the
  order of their wake-ups, or in the order the probe's ``admit(ready)`` picks;
- ``generous=True`` makes every notify wake every waiter (wake-ups a Condition is allowed
  to give): for probes that test something else than how many threads are notified;
- a timed wait times out in real time, but a timed-out thread is admitted like a woken one.

Everything is logged (who waited where, who notified whom, who was left waiting), and
``sleepers()`` / ``state()`` give the wait-for picture when a thread sleeps forever.
``Actors`` runs named learner calls, one thread each, and waits until they are
*settled*: finished, waiting on a controlled condition, or polling (taking the lock
again and again without ever waiting).
"""
import itertools
import threading
import time

from .calls import describe_exception, learner_site


class Waiter:
    """One call of ``wait()``: who, where, and what became of it."""
    __slots__ = ("ident", "name", "number", "timeout", "deadline", "site", "state", "by")

    def __init__(self, ident, name, number, timeout, site):
        self.ident = ident
        self.name = name
        self.number = number            # the n-th wait() of this condition
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        self.site = site
        self.state = "waiting"          # waiting | notified | timeout | spurious
        self.by = None                  # who notified it

    def json(self):
        return {"thread": self.name, "state": self.state, "by": self.by, "timeout": self.timeout,
                "site": self.site, "number": self.number}


class ControlledCondition:
    POLL = 0.05

    def __init__(self, scene, label="self.cond", reentrant=True, generous=False, admit=None):
        self.scene = scene
        self.label = label
        self.lock = scene.lock(label, reentrant=reentrant)
        self.generous = generous
        self.admit = admit            # fn(list of ready Waiters) -> the one to run next, or None
        self.holding = False
        self.waiting = []             # Waiters still asleep, oldest first
        self.ready = []               # woken, not yet holding the lock again
        self._admitted = None
        self._numbers = itertools.count(1)
        self.events = []              # the log: wait, notify, notify_all, timeout, spurious, woke, hold, let_go
        self.counts = {}              # thread name -> {"wait", "woke", "timeout", "notify", "notify_all", "acquire"}
        self.acquires = {}            # thread ident -> outermost acquire() calls (polling shows here)
        self.on_release = []          # fn(): the lock is held and about to be freed (state others will see)
        self.snapshot = None          # fn() -> JSON of the guarded state, added to notify events
        self.max_events = 400

    def __repr__(self):
        return f"<ControlledCondition {self.label}: {len(self.waiting)} waiting, {len(self.ready)} woken>"

    # -- the lock --------------------------------------------------------------------------
    def acquire(self, blocking=True, timeout=-1):
        me = threading.get_ident()
        if not self.lock.held_here():
            with self.scene.monitor:
                self.acquires[me] = self.acquires.get(me, 0) + 1
                self._count(self.scene.name_of(me), "acquire")
        return self.lock.acquire(blocking, timeout)

    def release(self):
        if self.lock.held_here() and self.lock.count == 1:
            self._before_free()
        self.lock.release()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()

    def locked(self):
        return self.lock.locked()

    def _before_free(self):
        for fn in self.on_release:
            try:
                fn()
            except Exception:  # noqa: BLE001 - an observer must never break the learner's call
                pass

    # -- waiting ---------------------------------------------------------------------------
    def wait(self, timeout=None):
        sc = self.scene
        me = threading.get_ident()
        if not self.lock.held_here():
            raise RuntimeError("cannot wait on un-acquired lock")
        site = learner_site(2)
        count = self.lock.count
        with sc.monitor:
            w = Waiter(me, sc.name_of(me), next(self._numbers), timeout, site)
            self.waiting.append(w)
            self._count(w.name, "wait")
            self._log("wait", w.name, site, timeout=timeout)
            sc.park(me)
        self._before_free()
        for _ in range(count):  # all of a reentrant hold, as Condition does
            self.lock.release()
        with sc.monitor:
            while True:
                now = time.monotonic()
                if w.state == "waiting" and w.deadline is not None and now >= w.deadline:
                    self.waiting.remove(w)
                    w.state = "timeout"
                    self.ready.append(w)
                    self._count(w.name, "timeout")
                    self._log("timeout", w.name, site)
                if w.state != "waiting" and self._choose() is w:
                    self.ready.remove(w)
                    self._admitted = w
                    break
                # Asleep until notified, it sleeps for real: every way out of "waiting"
                # (notify, notify_all, spurious) notifies the monitor, and the judge counts the
                # thread's wake-ups from /proc (safe.no_busy_wait): the instrument adds none.
                left = None if w.state == "waiting" and w.deadline is None else self.POLL
                if w.state == "waiting" and w.deadline is not None:
                    left = max(0.001, min(left, w.deadline - now))
                sc.monitor.wait(left)
            sc.unpark(me)
        try:
            self.lock.acquire()
            for _ in range(count - 1):
                self.lock.acquire()
        finally:
            with sc.monitor:
                if self._admitted is w:
                    self._admitted = None
                self._count(w.name, "woke")
                self._log("woke", w.name, site, why=w.state, by=w.by)
                sc.monitor.notify_all()
        return w.state != "timeout"

    def wait_for(self, predicate, timeout=None):
        """As ``threading.Condition.wait_for``: a while loop around ``wait``."""
        endtime = None
        waittime = timeout
        result = predicate()
        while not result:
            if waittime is not None:
                if endtime is None:
                    endtime = time.monotonic() + waittime
                else:
                    waittime = endtime - time.monotonic()
                    if waittime <= 0:
                        break
            self.wait(waittime)
            result = predicate()
        return result

    def _choose(self):  # monitor held: the woken thread that may take the lock back now
        if self.holding or self._admitted is not None or self.lock.owner is not None or not self.ready:
            return None
        if self.admit is not None:
            try:
                pick = self.admit(list(self.ready))
            except Exception:  # noqa: BLE001 - a policy bug must not hang the learner
                pick = None
            if pick in self.ready:
                return pick
        return self.ready[0]

    # -- notifying -------------------------------------------------------------------------
    def notify(self, n=1):
        if not self.lock.held_here():
            raise RuntimeError("cannot notify on un-acquired lock")
        self._notify(n, "notify")

    def notify_all(self):
        if not self.lock.held_here():
            raise RuntimeError("cannot notify on un-acquired lock")
        self._notify(None, "notify_all")

    notifyAll = notify_all

    def _notify(self, n, kind):
        sc = self.scene
        me = threading.get_ident()
        site = learner_site(3)
        with sc.monitor:
            name = sc.name_of(me)
            if n is None or self.generous:
                chosen = list(self.waiting)
            else:
                chosen = list(self.waiting[:max(0, int(n))])
            for w in chosen:
                self.waiting.remove(w)
                w.state = "notified"
                w.by = name
                self.ready.append(w)
            self._count(name, kind)
            self._log(kind, name, site, n=n, woke=[w.name for w in chosen],
                      left=[w.name for w in self.waiting])
            sc.monitor.notify_all()

    # -- the probe's controls ----------------------------------------------------------------
    def hold(self):
        """From now on, woken threads stay asleep (until ``let_go``)."""
        with self.scene.monitor:
            self.holding = True
            self._log("hold", "probe", None)

    def let_go(self):
        with self.scene.monitor:
            self.holding = False
            self._log("let_go", "probe", None)
            self.scene.monitor.notify_all()

    def spurious(self, name) -> bool:
        """Wake the waiting thread ``name`` although nobody notified it; False if it was not waiting."""
        with self.scene.monitor:
            for w in self.waiting:
                if w.name == name:
                    self.waiting.remove(w)
                    w.state = "spurious"
                    self.ready.append(w)
                    self._log("spurious", name, None)
                    self.scene.monitor.notify_all()
                    return True
        return False

    # -- what the probe sees (monitor held or not: reads are of plain lists) ------------------------
    def parked(self, ident) -> bool:
        """Thread ``ident`` cannot move: waiting, or woken while the condition holds woken threads."""
        if any(w.ident == ident for w in self.waiting):
            return True
        return self.holding and any(w.ident == ident for w in self.ready)

    def is_waiting(self, ident) -> bool:
        return any(w.ident == ident for w in self.waiting)

    def sleepers(self) -> list:
        """Waiters that only a notify can wake (no time-out)."""
        return [w for w in self.waiting if w.deadline is None]

    def quiet(self) -> bool:
        """No woken thread is on its way back: nothing moves unless someone notifies."""
        return not self.ready and self._admitted is None

    def waits_of(self, name) -> int:
        return self.counts.get(name, {}).get("wait", 0)

    def state(self) -> dict:
        with self.scene.monitor:
            return {"label": self.label, "waiting": [w.json() for w in self.waiting],
                    "ready": [w.json() for w in self.ready], "holding": self.holding,
                    "lock": self.lock.state(), "counts": {k: dict(v) for k, v in self.counts.items()},
                    "events": list(self.events[-60:]), "n_events": len(self.events)}

    # -- bookkeeping (monitor held) -------------------------------------------------------------
    def _count(self, name, what):
        c = self.counts.setdefault(name, {})
        c[what] = c.get(what, 0) + 1

    def _log(self, event, who, site, **data):
        if len(self.events) >= self.max_events:
            return
        rec = {"event": event, "thread": who, "t": round(time.monotonic(), 4)}
        if site:
            rec["site"] = site
        rec.update({k: v for k, v in data.items() if v is not None})
        if event in ("notify", "notify_all") and self.snapshot is not None:
            try:
                rec["state"] = self.snapshot()
            except Exception:  # noqa: BLE001
                pass
        self.events.append(rec)


class Actor:
    """One named learner call in a thread of its own."""

    def __init__(self, name, text):
        self.name = name
        self.text = text                # "put('b')", for messages
        self.ident = None
        self.native = None              # threading.get_native_id(): the judge reads its kernel counters
        self.thread = None
        self.done = threading.Event()
        self.returned = None
        self.raised = None
        self.exception = None
        self.cpu = None                 # CPU seconds of the call (time.thread_time in its thread)
        self.started = None
        self.seconds = None

    def json(self):
        return {"name": self.name, "call": self.text, "done": self.done.is_set(),
                "returned": self.returned, "raised": self.raised, "cpu": self.cpu,
                "seconds": self.seconds}


class Actors:
    """Start named learner calls one at a time and wait until they settle."""
    POLLING = 5   # outermost acquires without a wait(): a loop that polls

    def __init__(self, scene, conds=()):
        self.scene = scene
        self.conds = list(conds)
        self.all = []

    def watch(self, cond):
        self.conds.append(cond)

    def start(self, name, text, fn, *args, settle=None) -> Actor:
        """Run ``fn(*args)`` in a daemon thread named ``name``; with ``settle`` (seconds), wait
        until it has settled."""
        a = Actor(name, text)
        ready = threading.Event()
        sc = self.scene

        def body():
            a.ident = threading.get_ident()
            a.native = threading.get_native_id()
            sc.enter(name)
            ready.set()
            a.started = time.monotonic()
            cpu = time.thread_time()
            try:
                a.returned = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - every outcome is an observation
                a.raised = describe_exception(exc)
                a.exception = exc
            finally:
                a.cpu = round(time.thread_time() - cpu, 4)
                a.seconds = round(time.monotonic() - a.started, 4)
                a.done.set()
                sc.leave()

        a.thread = threading.Thread(target=body, name=name, daemon=True)
        self.all.append(a)
        a.thread.start()
        ready.wait(2.0)
        if settle:
            self.settle([a], settle)
        return a

    def _acquires(self, a):
        return sum(c.acquires.get(a.ident, 0) for c in self.conds)

    def settled(self, a, base=None) -> bool:
        if a.done.is_set() or any(c.parked(a.ident) for c in self.conds):
            return True
        return base is not None and self._acquires(a) - base >= self.POLLING

    def settle(self, actors=None, timeout=1.5) -> bool:
        """Wait until each actor is finished, waiting on a controlled condition, or polling."""
        actors = self.all if actors is None else actors
        base = {id(a): self._acquires(a) for a in actors}
        return self.scene.wait_until(lambda: all(self.settled(a, base[id(a)]) for a in actors), timeout)

    def stuck(self, actors=None) -> bool:
        """Every unfinished actor sleeps on a condition that nobody will notify: forever."""
        actors = self.all if actors is None else actors
        left = [a for a in actors if not a.done.is_set()]
        if not left or not all(c.quiet() for c in self.conds):
            return False
        asleep = {w.ident for c in self.conds for w in c.sleepers()}
        return all(a.ident in asleep for a in left)

    def finish(self, actors=None, timeout=2.0) -> str:
        """Wait until the actors are all done ("done"), asleep forever ("stuck"), or ``timeout``."""
        actors = self.all if actors is None else actors
        self.scene.wait_until(lambda: all(a.done.is_set() for a in actors) or self.stuck(actors), timeout)
        with self.scene.monitor:
            if all(a.done.is_set() for a in actors):
                return "done"
            return "stuck" if self.stuck(actors) else "timeout"

    def json(self, actors=None):
        return [a.json() for a in (self.all if actors is None else actors)]
