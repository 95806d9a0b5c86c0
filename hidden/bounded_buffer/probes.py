"""Probes for bounded_buffer: the learner's BoundedBuffer with a controlled condition.

``buffer.cond`` is replaced by a ``ControlledCondition`` (``kit/sandbox/conditions.py``): it
decides which waiting thread wakes up, and when it runs again, so the bad schedules are
forced, never hoped for. Every learner call runs in a named thread of its own (an
*actor*: ``C1`` calls ``get()``, ``P2`` calls ``put('b')``), started one at a time; the
probe waits until each has *settled* (returned, asleep in ``cond.wait()``, or polling)
before the next step. The probes observe; the checks decide.
"""
import threading
import time
from typing import Iterator

from kit.sandbox.calls import call, jsonable, learner, new_threads, threads_now, stretch
from kit.sandbox.frames import describe_exception
from kit.sandbox.conditions import Actors, ControlledCondition
from kit.sandbox.joingate import JoinGate
from kit.sandbox.locks import is_reentrant
from kit.sandbox.lockset import Lockset, raw
from kit.sandbox.scene import Scene

from .observe import Close, FifoCapacity, LockHeld, NoBusyWait, Notify, RunProducersConsumers, WhileLoop

SETTLE = 1.5     # seconds a call gets to return or fall asleep (correct code needs milliseconds)
FINISH = 2.0     # seconds the last step of a schedule gets to end, or to be seen asleep forever
FILL_MAX = 4     # puts tried, beyond capacity, before deciding the buffer never fills up
MODULE = "bounded_buffer"


def _items(buf):
    try:
        return list(raw(buf, "items"))
    except Exception:  # noqa: BLE001 - the learner's attribute may be anything
        try:
            return repr(raw(buf, "items"))
        except Exception:  # noqa: BLE001
            return None


def _size(buf) -> int:
    try:
        return len(raw(buf, "items"))
    except Exception:  # noqa: BLE001
        return -1


def _buffer(m, scene, capacity, **options):
    """A learner BoundedBuffer whose ``cond`` is a ControlledCondition (as reentrant as the
    learner's own), with its cond and what its constructor made; or None, None and a Setup."""
    made = call(m.BoundedBuffer, capacity, timeout=2)
    if made["raised"] or made["hung"]:
        return None, None, {"setup": jsonable(made), "setup_call": f"BoundedBuffer({capacity})"}
    buf = made["returned"]
    try:
        original = raw(buf, "cond")
        reentrant = is_reentrant(original)
    except Exception as exc:  # noqa: BLE001 - no cond, or not lock-like
        return None, None, {"setup": {"returned": None, "raised": describe_exception(exc), "hung": False,
                                      "stack": None, "seconds": 0.0},
                            "setup_call": f"BoundedBuffer({capacity}).cond"}
    cc = ControlledCondition(scene, "self.cond", reentrant=reentrant, **options)
    cc.original = original
    buf.cond = cc
    cc.snapshot = lambda: {"items": _items(buf), "closed": _closed(buf)}
    return buf, cc, None


def _closed(buf):
    try:
        return raw(buf, "closed")
    except Exception:  # noqa: BLE001
        return None


def _actor(m, a) -> dict:
    out = a.json()
    out["closed"] = a.exception is not None and isinstance(a.exception, getattr(m, "Closed", ()))
    return out


def _fill(m, actors, buf, prefix, limit):
    """Put items until a put blocks: (the puts that returned, the blocked actor or None)."""
    done = []
    for k in range(limit):
        item = f"{prefix.lower()}{k}"
        a = actors.start(f"{prefix}{k}", f"put({item!r})", buf.put, item, settle=SETTLE)
        if not a.done.is_set():
            return done, a
        done.append(a)
        if a.raised:
            break
    return done, None


def _favourable(buf, roles):
    """Admit first a woken thread whose own condition holds now: the schedule that never
    wakes a thread for nothing, so only a notify that woke too few can leave one asleep."""
    def admit(ready):
        size, closed = _size(buf), _closed(buf)
        cap = raw(buf, "capacity")
        for w in ready:
            role = roles.get(w.name)
            if role == "get" and (size > 0 or closed):
                return w
            if role == "put" and (size < cap or closed):
                return w
        return None
    return admit


# -- FIFO and capacity ---------------------------------------------------------------------------
def fifo_capacity(capacity, values, extra, seed) -> FifoCapacity:
    m = learner(MODULE)
    scene = Scene()
    buf, cc, failed = _buffer(m, scene, capacity)
    if failed:
        return failed
    original = cc.original
    items = raw(buf, "items")
    out = {"attrs": {"items_type": type(items).__name__, "items_is_deque": type(items).__name__ == "deque",
                     "items_len": _size(buf), "capacity": raw(buf, "capacity"), "closed": _closed(buf),
                     "cond_type": type(original).__name__,
                     "cond_is_condition": isinstance(original, threading.Condition)}}
    peak = [0]

    def seen():
        peak[0] = max(peak[0], _size(buf))
    cc.on_release.append(seen)
    actors = Actors(scene, [cc])
    puts = []
    for i, v in enumerate(values):
        a = actors.start(f"P{i + 1}", f"put({v!r})", buf.put, v, settle=SETTLE)
        puts.append(_actor(m, a))
        peak[0] = max(peak[0], _size(buf))
        if not a.done.is_set() or a.raised:
            out.update(puts=puts, full=_size(buf), peak=peak[0], cond=cc.state())
            return out
    out["puts"] = puts
    out["full"] = _size(buf)
    x = actors.start("P+", f"put({extra!r})", buf.put, extra, settle=SETTLE)
    out["extra_waited"] = not x.done.is_set()
    out["extra_in_wait"] = cc.is_waiting(x.ident)
    out["size_with_extra"] = _size(buf)
    peak[0] = max(peak[0], _size(buf))
    gets = []
    for i in range(len(values) + 1):
        g = actors.start(f"C{i + 1}", "get()", buf.get, settle=SETTLE)
        if i == 0:
            actors.settle([x], SETTLE)  # the blocked put goes on once there is room
        if not g.done.is_set():
            actors.finish([g], FINISH)
        gets.append(_actor(m, g))
        if not g.done.is_set() or g.raised:
            break
    actors.finish([x], 0.5)
    out.update(extra=_actor(m, x), gets=gets, peak=peak[0], cond=cc.state())
    return out


# -- while, not if -----------------------------------------------------------------------------------
def _steal_item(m, item, other, seed) -> dict:
    """C1 waits on an empty buffer; P1 puts ``item`` and notifies; C1 stays asleep while C2
    takes the item; then C1 runs again: it must wait again. Then a spurious wake-up."""
    scene = Scene()
    buf, cc, failed = _buffer(m, scene, 2)
    if failed:
        return failed
    actors = Actors(scene, [cc])
    out = {"capacity": 2}
    c1 = actors.start("C1", "get()", buf.get, settle=SETTLE)
    if not cc.is_waiting(c1.ident):
        out.update(applies=False, why_not="C1's get() on an empty buffer did not wait in cond.wait()",
                   actors=[_actor(m, c1)], cond=cc.state())
        return out
    cc.hold()
    p1 = actors.start("P1", f"put({item!r})", buf.put, item, settle=SETTLE)
    woken = not cc.is_waiting(c1.ident)
    c2 = actors.start("C2", "get()", buf.get, settle=SETTLE)  # takes the item C1 was woken for
    out.update(applies=woken, woken="C1", size_after_steal=_size(buf))
    if not woken:
        out["why_not"] = "P1's put() did not wake C1 (no notify reached it)"
    cc.let_go()
    actors.settle([c1], SETTLE)
    out["after_steal"] = _actor(m, c1)
    if not c1.done.is_set() and cc.is_waiting(c1.ident):
        out["spurious_tried"] = cc.spurious("C1")
        actors.settle([c1], SETTLE)
        out["after_spurious"] = _actor(m, c1)
        out["size_after_spurious"] = _size(buf)
    p2 = actors.start("P2", f"put({other!r})", buf.put, other, settle=SETTLE)
    actors.finish([c1, p1, c2, p2], FINISH)
    out.update(actors=[_actor(m, a) for a in actors.all], items=_items(buf), cond=cc.state())
    return out


def _steal_slot(m, other, seed) -> dict:
    """P1 waits on a full buffer; C1 takes an item and notifies; P1 stays asleep while P2
    fills the slot; then P1 runs again: it must wait again. Then a spurious wake-up."""
    scene = Scene()
    buf, cc, failed = _buffer(m, scene, 1)
    if failed:
        return failed
    actors = Actors(scene, [cc])
    out = {"capacity": 1}
    filled, p1 = _fill(m, actors, buf, "P", 1 + FILL_MAX)
    if p1 is None or not cc.is_waiting(p1.ident):
        out.update(applies=False, why_not="no put() waited in cond.wait() on the full buffer",
                   actors=[_actor(m, a) for a in actors.all], cond=cc.state())
        return out
    out["full"] = _size(buf)
    cc.hold()
    c1 = actors.start("C1", "get()", buf.get, settle=SETTLE)
    woken = not cc.is_waiting(p1.ident)
    p2 = actors.start(f"P{len(filled) + 1}", f"put({other!r})", buf.put, other, settle=SETTLE)  # fills the slot
    out.update(applies=woken, woken=p1.name, thief=p2.name)
    if not woken:
        out["why_not"] = f"C1's get() did not wake {p1.name}, the waiting put() (no notify reached it)"
    cc.let_go()
    actors.settle([p1], SETTLE)
    out["after_steal"] = _actor(m, p1)
    out["size_after_steal"] = _size(buf)
    if not p1.done.is_set() and cc.is_waiting(p1.ident):
        out["spurious_tried"] = cc.spurious(p1.name)
        actors.settle([p1], SETTLE)
        out["after_spurious"] = _actor(m, p1)
        out["size_after_spurious"] = _size(buf)
    gets = [actors.start(f"C{i}", "get()", buf.get, settle=SETTLE) for i in (2, 3)]
    actors.finish([p1, c1, p2] + gets, FINISH)
    out.update(actors=[_actor(m, a) for a in actors.all], items=_items(buf), cond=cc.state())
    return out


def while_loop(item, other, slot, seed) -> WhileLoop:
    m = learner(MODULE)
    get_side = _steal_item(m, item, other, seed)
    if "setup" in get_side:
        return get_side
    return {"get_side": get_side, "put_side": _steal_slot(m, slot, seed)}


# -- notify_all, or enough notify ------------------------------------------------------------------
def _sleepers_consumers(m, a, b) -> dict:
    """C1, C2 asleep on an empty buffer of capacity 1; P1 puts (waking C1, or both); P2 then
    waits for room; C1 takes the item. A notify() of C1 wakes C2, the oldest waiter, not P2."""
    scene = Scene()
    roles = {"C1": "get", "C2": "get", "P1": "put", "P2": "put"}
    buf, cc, failed = _buffer(m, scene, 1)
    if failed:
        return failed
    cc.admit = _favourable(buf, roles)
    actors = Actors(scene, [cc])
    actors.start("C1", "get()", buf.get, settle=SETTLE)
    actors.start("C2", "get()", buf.get, settle=SETTLE)
    cc.hold()
    actors.start("P1", f"put({a!r})", buf.put, a, settle=SETTLE)
    actors.start("P2", f"put({b!r})", buf.put, b, settle=SETTLE)
    cc.let_go()
    result = actors.finish(None, FINISH)
    return {"applies": True, "result": result, "actors": [_actor(m, x) for x in actors.all],
            "items": _items(buf), "capacity": 1, "cond": cc.state()}


def _sleepers_producers(m, c) -> dict:
    """P1, P2 asleep on a full buffer; C1 takes an item (waking P1, or both); C2 then waits
    for an item; P1 puts. A notify() of P1 wakes P2, the oldest waiter, not C2."""
    scene = Scene()
    buf, cc, failed = _buffer(m, scene, 1)
    if failed:
        return failed
    roles = {}
    cc.admit = _favourable(buf, roles)
    actors = Actors(scene, [cc])
    filled, p1 = _fill(m, actors, buf, "P", 1 + FILL_MAX)
    for x in actors.all:
        roles[x.name] = "put"
    if p1 is None:
        return {"applies": False, "why_not": "no put() blocked: the buffer never filled up",
                "actors": [_actor(m, x) for x in actors.all], "cond": cc.state()}
    p2 = f"P{len(filled) + 1}"
    roles.update({p2: "put", "C1": "get", "C2": "get"})
    actors.start(p2, f"put({c!r})", buf.put, c, settle=SETTLE)
    cc.hold()
    actors.start("C1", "get()", buf.get, settle=SETTLE)
    actors.start("C2", "get()", buf.get, settle=SETTLE)
    cc.let_go()
    result = actors.finish(None, FINISH)
    return {"applies": True, "result": result, "actors": [_actor(m, x) for x in actors.all],
            "full": len(filled), "sleepers": [p1.name, p2], "items": _items(buf), "capacity": 1,
            "cond": cc.state()}


def notify(a, b, c, seed) -> Notify:
    m = learner(MODULE)
    consumers = _sleepers_consumers(m, a, b)
    if "setup" in consumers:
        return consumers
    return {"consumers": consumers, "producers": _sleepers_producers(m, c)}


# -- close ---------------------------------------------------------------------------------------------
def _drain(m, actors, buf, n):
    out = []
    for i in range(n):
        g = actors.start(f"G{i + 1}", "get()", buf.get, settle=SETTLE)
        out.append(_actor(m, g))
        if not g.done.is_set() or g.raised:
            break
    return out


def close(z, seed) -> Close:
    m = learner(MODULE)
    closed_cls = getattr(m, "Closed", None)
    out = {"closed_is_exception": isinstance(closed_cls, type) and issubclass(closed_cls, Exception)}
    # Consumers asleep on an empty buffer.
    scene = Scene()
    buf, cc, failed = _buffer(m, scene, 2)
    if failed:
        return failed
    actors = Actors(scene, [cc])
    sleepers = [actors.start(f"C{i}", "get()", buf.get, settle=SETTLE) for i in (1, 2)]
    x = actors.start("X", "close()", buf.close, settle=SETTLE)
    part = {"result": actors.finish(sleepers + [x], FINISH)}
    if part["result"] == "done":
        p = actors.start("P", f"put({z!r})", buf.put, z, settle=SETTLE)
        actors.finish([p], 0.5)
        part["put_after"] = _actor(m, p)
        part["size_after_put"] = _size(buf)
        part["items_after_put"] = _items(buf)
        part["drain"] = _drain(m, actors, buf, 1)
    part.update(actors=[_actor(m, a) for a in sleepers + [x]], cond=cc.state(), items_after=_items(buf))
    out["consumers"] = part
    # Producers asleep on a full buffer.
    scene = Scene()
    buf, cc, failed = _buffer(m, scene, 1)
    if failed:
        return failed
    actors = Actors(scene, [cc])
    filled, p1 = _fill(m, actors, buf, "P", 1 + FILL_MAX)
    part = {"filled": _items(buf), "full": p1 is not None}
    blocked = []
    if p1 is not None:
        blocked = [p1, actors.start(f"P{len(filled) + 1}", f"put({z!r})", buf.put, z, settle=SETTLE)]
    x = actors.start("X", "close()", buf.close, settle=SETTLE)
    part["result"] = actors.finish(blocked + [x], FINISH)
    part["items_after"] = _items(buf)
    if part["result"] == "done":
        part["drain"] = _drain(m, actors, buf, len(filled) + 1)
    part.update(actors=[_actor(m, a) for a in blocked + [x]], cond=cc.state())
    out["producers"] = part
    return out


# -- run_producers_consumers -------------------------------------------------------------------------
class _Rotation:
    """Consumers take turns at get(), in the order they first came; the first consumer's item
    is handed back only after the next consumer has taken its own and come back for more. So
    consumers always share the items, and the first writes its item down after the second:
    code that relies on the order consumers write items down gets them out of order."""
    WAIT = 1.0

    def __init__(self, scene, n, conds):
        self.sc = scene
        self.n = n
        self.conds = conds
        self.order = []      # idents, by first get()
        self.active = []     # still getting
        self.current = None  # whose turn it is
        self.entered = {}
        self.took = {}
        self.done = set()
        self.timeouts = []
        self.inside = {}     # ident -> its acquires of cond when it went into get()

    def index(self, me):
        return self.order.index(me) if me in self.order else 0

    def _next(self, me):
        if not self.active:
            return None
        if me in self.active:
            return self.active[(self.active.index(me) + 1) % len(self.active)]
        return self.active[0]

    def _acquires(self, ident):
        return sum(c.acquires.get(ident, 0) for c in self.conds())

    def _inside(self, ident):
        """Blocked inside get(): asleep in cond.wait(), or polling (taking the lock again and again)."""
        if any(c.is_waiting(ident) for c in self.conds()):
            return True
        return ident in self.inside and self._acquires(ident) - self.inside[ident] >= 5

    def going_in(self, me):
        with self.sc.monitor:
            self.inside[me] = self._acquires(me)

    def came_out(self, me):
        with self.sc.monitor:
            self.inside.pop(me, None)

    def enter(self, me):
        sc = self.sc
        with sc.monitor:
            if me not in self.order:
                self.order.append(me)
                self.active.append(me)
            self.entered[me] = self.entered.get(me, 0) + 1
            sc.monitor.notify_all()
            if not sc.wait_locked(lambda: len(self.order) >= self.n, time.monotonic() + stretch(self.WAIT)):
                self.timeouts.append("not every consumer called get()")
            if self.current not in self.active:
                self.current = self.active[0]
            if not sc.wait_locked(lambda: self.current == me, time.monotonic() + stretch(self.WAIT)):
                self.timeouts.append(f"{sc.name_of(me)} waited for its turn")

    def taken(self, me):
        sc = self.sc
        with sc.monitor:
            self.took[me] = self.took.get(me, 0) + 1
            nxt = self._next(me)
            self.current = nxt
            sc.monitor.notify_all()
            if self.order and me == self.order[0] and nxt not in (None, me):
                took, entered = self.took.get(nxt, 0), self.entered.get(nxt, 0)
                sc.wait_locked(lambda: nxt in self.done or self._inside(nxt) or (
                    self.took.get(nxt, 0) > took and self.entered.get(nxt, 0) > entered),
                    time.monotonic() + stretch(self.WAIT))

    def leave(self, me):
        sc = self.sc
        with sc.monitor:
            self.done.add(me)
            nxt = self._next(me)
            if me in self.active:
                self.active.remove(me)
            if self.current == me or self.current not in self.active:
                self.current = nxt if nxt != me else (self.active[0] if self.active else None)
            sc.monitor.notify_all()

    def holder_waiting(self):
        return not self.active or (self.current is not None and self._inside(self.current))


def _one_run(m, producers, consumers, capacity) -> dict:
    scene = Scene()
    base = m.BoundedBuffer
    closed_cls = getattr(m, "Closed", ())
    owner = {item: (p, k) for p, items in enumerate(producers) for k, item in enumerate(items)}
    n_prod = len(producers)
    gate = JoinGate(n_prod + consumers, wait=0.5)
    made = []
    lock = threading.Lock()
    putters = [[] for _ in producers]
    put_order = [[] for _ in producers]
    put_done = [0] * n_prod
    foreign = []
    closes = []
    rot = _Rotation(scene, consumers, lambda: [b["cc"] for b in made])

    def find(x):
        if isinstance(x, str) and x in owner:
            return x
        if isinstance(x, (tuple, list)):
            for e in x:
                if isinstance(e, str) and e in owner:
                    return e
        return None

    class Instrumented(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            cc = ControlledCondition(scene, "self.cond", reentrant=is_reentrant(raw(self, "cond")), generous=True)
            self.cond = cc
            made.append({"capacity": args[0] if args else kwargs.get("capacity"), "cc": cc})

        def put(self, item):
            r = base.put(self, item)
            label = find(item)
            with lock:
                if label is None:
                    foreign.append(repr(item)[:80])
                else:
                    p, k = owner[label]
                    putters[p].append(threading.current_thread().name)
                    put_order[p].append(k)
                    put_done[p] += 1
            if label is not None and owner[label][1] == len(producers[owner[label][0]]) - 1:
                gate.hold(owner[label][0])  # its last item: this producer stays until it is joined
            return r

        def get(self):
            me = threading.get_ident()
            rot.enter(me)
            rot.going_in(me)
            try:
                item = base.get(self)
            except BaseException as exc:
                rot.came_out(me)
                rot.leave(me)
                if isinstance(exc, closed_cls) and rot.index(me) < consumers:
                    gate.hold(n_prod + rot.index(me))  # stays until it is joined
                raise
            rot.came_out(me)
            rot.taken(me)
            return item

        def close(self):
            with lock:
                closes.append({"producers_done": list(put_done)})
            scene.wait_until(rot.holder_waiting, 1.0)  # the consumer whose turn it is sleeps in get()
            return base.close(self)

    Instrumented.__name__ = base.__name__
    Instrumented.__qualname__ = base.__qualname__
    Instrumented.__module__ = base.__module__
    before = threads_now()
    alive = []

    def go():
        r = m.run_producers_consumers(producers, consumers, capacity)
        alive.extend(new_threads(before))  # the moment it returns, before anything is let go
        return list(r) if isinstance(r, (list, tuple)) else r

    desc = f"run_producers_consumers({producers!r}, {consumers}, {capacity})"
    m.BoundedBuffer = Instrumented
    try:
        r = gate.call(go, timeout=5.0)
    finally:
        m.BoundedBuffer = base
    out = jsonable(r)
    out.pop("unfinished", None)
    returned = r["returned"]
    if isinstance(returned, list):
        labels = [x if isinstance(x, str) and x in owner else repr(x)[:80] for x in returned]
        out["returned"] = labels
    else:
        labels = None
        out["returned"] = repr(returned)[:200]
    return {"call": desc, "out": out, "returned": labels, "returned_type": type(returned).__name__,
            "alive": alive, "buffers": [{"capacity": b["capacity"]} for b in made],
            "putters": putters, "put_order": put_order, "foreign_puts": foreign[:5],
            "consumer_threads": len(rot.order), "closes": closes,
            "turns": {"timeouts": rot.timeouts[:5]},
            "conds": [b["cc"].state() for b in made][:2]}


def run_producers_consumers(runs, seed) -> RunProducersConsumers:
    m = learner(MODULE)
    made = call(m.BoundedBuffer, 1, timeout=2)
    if made["raised"] or made["hung"]:
        return {"setup": jsonable(made), "setup_call": "BoundedBuffer(1)"}
    out = []
    for producers, consumers, capacity in runs:
        one = _one_run(m, producers, consumers, capacity)
        out.append(one)
        if one["out"]["hung"] or one["out"]["raised"]:
            break
    return {"runs": out}


# -- no busy waiting ---------------------------------------------------------------------------------
def no_busy_wait(window, seed) -> Iterator[NoBusyWait]:
    """A get() on an empty buffer and a put() on a full one, blocked for ``window`` seconds.

    The probe yields when the window starts and when it ends, naming the two threads: at
    each yield the judge reads, from /proc, each thread's CPU time and context switches
    (a thread asleep in cond.wait() has none; a sleep or timed-wait loop wakes again and
    again; a busy loop burns CPU). The instruments' own counts (waits, wake-ups, accesses)
    say what kind of loop it was.
    """
    m = learner(MODULE)
    scene = Scene()
    empty, cc_e, failed = _buffer(m, scene, 2)
    if failed:
        return failed
    full, cc_f, failed = _buffer(m, scene, 1)
    if failed:
        return failed
    lockset = Lockset(scene)
    lockset.watch(empty, {"items", "closed"}, guard=cc_e.lock, label="empty buffer")
    lockset.watch(full, {"items", "closed"}, guard=cc_f.lock, label="full buffer")
    actors = Actors(scene, [cc_e, cc_f])
    filled, p = _fill(m, actors, full, "P", 1 + FILL_MAX)
    c = actors.start("C", "get()", empty.get, settle=SETTLE)
    actors.settle([a for a in (p, c) if a is not None], SETTLE)
    conds = {"C": cc_e, "P": cc_f}

    def counters(a, name):
        cc = conds[name]
        k = cc.counts.get(a.name, {})
        return {"waits": k.get("wait", 0), "wakeups": k.get("woke", 0) + k.get("timeout", 0),
                "accesses": sum(1 for r in lockset.accesses if r["thread"] == a.name)}
    blocked = [("C", c)] + ([("P", p)] if p is not None else [])
    threads = {name: a.native for name, a in blocked}
    start = {name: counters(a, name) for name, a in blocked}
    yield {"window": window, "threads": threads}
    threading.Event().wait(window)
    end = {name: counters(a, name) for name, a in blocked}
    still = {name: not a.done.is_set() for name, a in blocked}
    yield {"window": window, "threads": threads}
    wake = [actors.start("Q", "put('y')", empty.put, "y", settle=SETTLE)]
    if p is not None:
        wake.append(actors.start("G", "get()", full.get, settle=SETTLE))
    actors.finish([a for _, a in blocked] + wake, FINISH)
    out = {"window": window, "threads": threads}
    for name, a in blocked:
        rec = {k: end[name][k] - start[name][k] for k in ("waits", "wakeups", "accesses")}
        rec.update(actor=_actor(m, a), blocked=still[name], waits_before=start[name]["waits"], applies=True)
        out["consumer" if name == "C" else "producer"] = rec
    if p is None:
        out["producer"] = {"applies": False, "why_not": "no put() blocked: the buffer never filled up"}
    return out


# -- lock discipline -----------------------------------------------------------------------------------
def lock_held(seed) -> LockHeld:
    """Every kind of call, one at a time (waits, wake-ups, close included), with every access
    of ``items`` and ``closed`` recorded with the locks held (``kit.sandbox.lockset``)."""
    m = learner(MODULE)
    scene = Scene()
    buf, cc, failed = _buffer(m, scene, 2)
    if failed:
        return failed
    lockset = Lockset(scene)
    lockset.watch(buf, {"items", "closed"}, guard=cc.lock, label="buffer")
    actors = Actors(scene, [cc])
    s = dict(settle=SETTLE)
    c1 = actors.start("C1", "get()", buf.get, **s)
    actors.start("P1", "put('a')", buf.put, "a", **s)
    actors.finish([c1], 1.0)
    for i, v in ((2, "b"), (3, "c")):
        actors.start(f"P{i}", f"put({v!r})", buf.put, v, **s)
    p4 = actors.start("P4", "put('d')", buf.put, "d", **s)
    actors.start("C2", "get()", buf.get, **s)
    actors.finish([p4], 1.0)
    for i in (3, 4):
        actors.start(f"C{i}", "get()", buf.get, **s)
    c5 = actors.start("C5", "get()", buf.get, **s)
    actors.start("X", "close()", buf.close, **s)
    actors.finish([c5], 1.0)
    actors.start("P5", "put('e')", buf.put, "e", **s)
    actors.start("C6", "get()", buf.get, **s)
    actors.finish(None, 1.0)
    return {"actors": [_actor(m, a) for a in actors.all], "accesses": lockset.accesses[:2000],
            "n_accesses": len(lockset.accesses),
            "hung": [a.name for a in actors.all if not a.done.is_set()]}
