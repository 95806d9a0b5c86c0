"""Learner tests for exercise 11, bounded_buffer: Closed, BoundedBuffer, run_producers_consumers.

Most tests replace ``buffer.cond`` with a ``ScriptedCondition`` (below): it knows who holds
it and who sleeps in ``wait()``, wakes waiters oldest first, lets woken threads go on one at
a time, and can keep them asleep for a while (``hold``) or wake one that nobody notified
(``spurious``). Each learner call runs in a named thread (``Call``), and each step waits
until the calls have *settled*: returned, or asleep in ``cond.wait()``. So the schedules
these tests describe happen on every run.
"""
import collections
import sys
import threading
import time

import pytest
from helpers import within

pytestmark = pytest.mark.timeout(30)

WHILE_HINT = ("Re-check after every wake-up: `while not self.items and not self.closed: self.cond.wait()` "
              "(and the same kind of loop in put).")
NOTIFY_HINT = ("With one condition for producers and consumers, notify() may wake the wrong side; "
               "use notify_all() after every change.")


class ScriptedCondition:
    """A condition-like object (acquire, release, with, wait, wait_for, notify, notify_all)."""

    def __init__(self):
        self._mutex = threading.Lock()
        self._owner = None
        self._count = 0
        self._state = threading.Condition(threading.Lock())
        self._asleep = []            # waiters, oldest first: {"name", "ident", "woken"}
        self._woken = []             # woken, not yet holding the lock again
        self._admitted = None
        self._holding = False
        self.waits = collections.Counter()      # thread name -> wait() calls
        self.wakeups = collections.Counter()    # thread name -> wait() returns
        self.acquires = collections.Counter()   # thread ident -> outermost acquires
        self.log = []

    # the lock (reentrant, like the RLock of threading.Condition())
    def acquire(self, blocking=True, timeout=-1):
        me = threading.get_ident()
        if self._owner == me:
            self._count += 1
            return True
        got = self._mutex.acquire(blocking, timeout)
        if got:
            self._owner, self._count = me, 1
            self.acquires[me] += 1
            with self._state:
                self._state.notify_all()
        return got

    def release(self):
        if self._owner != threading.get_ident():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if self._count == 0:
            self._owner = None
            self._mutex.release()
            with self._state:
                self._state.notify_all()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()

    def held(self):
        return self._owner == threading.get_ident()

    # waiting
    def wait(self, timeout=None):
        if not self.held():
            raise RuntimeError("cannot wait on un-acquired lock")
        name = threading.current_thread().name
        me = {"name": name, "ident": threading.get_ident(), "woken": None}
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._state:
            self._asleep.append(me)
            self.waits[name] += 1
        count, self._count, self._owner = self._count, 0, None
        self._mutex.release()
        with self._state:
            self._state.notify_all()
            while True:
                if me["woken"] is None and deadline is not None and time.monotonic() >= deadline:
                    me["woken"] = "timeout"
                    self._asleep.remove(me)
                    self._woken.append(me)
                if (me["woken"] and not self._holding and self._admitted is None and self._owner is None
                        and self._woken[0] is me):
                    self._woken.pop(0)
                    self._admitted = me
                    break
                self._state.wait(0.02)
        self._mutex.acquire()
        self._owner, self._count = threading.get_ident(), count
        with self._state:
            self._admitted = None
            self.wakeups[name] += 1
            self._state.notify_all()
        return me["woken"] != "timeout"

    def wait_for(self, predicate, timeout=None):
        end = None if timeout is None else time.monotonic() + timeout
        result = predicate()
        while not result:
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                break
            self.wait(left)
            result = predicate()
        return result

    def notify(self, n=1):
        if not self.held():
            raise RuntimeError("cannot notify on un-acquired lock")
        with self._state:
            woken, self._asleep = self._asleep[:n], self._asleep[n:]
            for w in woken:
                w["woken"] = "notify"
            self._woken += woken
            self.log.append((threading.current_thread().name, f"notify({n})", [w["name"] for w in woken]))
            self._state.notify_all()

    def notify_all(self):
        self.notify(len(self._asleep))

    # the test's controls
    def hold(self):
        with self._state:
            self._holding = True

    def let_go(self):
        with self._state:
            self._holding = False
            self._state.notify_all()

    def spurious(self, name):
        with self._state:
            for w in self._asleep:
                if w["name"] == name:
                    self._asleep.remove(w)
                    w["woken"] = "spurious"
                    self._woken.append(w)
                    self._state.notify_all()
                    return True
        return False

    def sleeping(self):
        """Names of the threads asleep in wait() (not woken, or woken while held)."""
        with self._state:
            return [w["name"] for w in self._asleep] + ([w["name"] for w in self._woken] if self._holding else [])

    def asleep_ident(self, ident):
        with self._state:
            return any(w["ident"] == ident for w in self._asleep)


class Call:
    """One learner call in a daemon thread named ``name``; ``cpu`` is its thread's CPU time."""

    def __init__(self, name, fn, *args):
        self.name = name
        self.done = threading.Event()
        self.result = self.error = self.cpu = None
        self.thread = threading.Thread(target=self._run, args=(fn, args), name=name, daemon=True)
        self.thread.start()

    def _run(self, fn, args):
        cpu = time.thread_time()
        try:
            self.result = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            self.error = exc
        finally:
            self.cpu = time.thread_time() - cpu
            self.done.set()

    def outcome(self):
        if not self.done.is_set():
            return "is still running"
        if self.error is not None:
            return f"raised {type(self.error).__name__}({self.error})"
        return f"returned {self.result!r}"


def settle(cond, *calls, timeout=2.0):
    """Wait until each call has returned, or sleeps in cond.wait(), or polls (takes the lock again and again)."""
    base = {c.name: cond.acquires[c.thread.ident] for c in calls}
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        asleep = cond.sleeping()
        if all(c.done.is_set() or c.name in asleep or cond.acquires[c.thread.ident] - base[c.name] >= 5
               for c in calls):
            return
        time.sleep(0.002)


def finish(*calls, timeout=2.0):
    end = time.monotonic() + timeout
    for c in calls:
        c.done.wait(max(0.0, end - time.monotonic()))
    return all(c.done.is_set() for c in calls)


def scripted(mod, capacity):
    buf = mod.BoundedBuffer(capacity)
    buf.cond = ScriptedCondition()
    return buf, buf.cond


def not_done_first(*calls):
    """A stub's NotImplementedError is the message to show, before anything the schedule says."""
    for c in calls:
        if isinstance(c.error, NotImplementedError):
            raise c.error


def fill(mod, buf, cond, limit=4):
    """Put items until a put blocks: (items put, the blocked Call)."""
    put = []
    for k in range(limit):
        c = Call(f"P{k}", buf.put, f"p{k}")
        settle(cond, c)
        not_done_first(c)
        if not c.done.is_set():
            return put, c
        put.append(f"p{k}")
    pytest.fail(f"put() never waited: {limit} puts into BoundedBuffer(1) all returned.")


# -- the basics ------------------------------------------------------------------------------
def test_new_buffer_is_empty_open_and_has_a_condition(load):
    mod = load("bounded_buffer")
    assert issubclass(mod.Closed, Exception), "Closed should subclass Exception."
    buf = within(3, "BoundedBuffer(3)", mod.BoundedBuffer, 3)
    assert isinstance(buf.items, collections.deque) and len(buf.items) == 0, (
        f"BoundedBuffer(3).items was {buf.items!r}, expected an empty collections.deque.")
    assert buf.capacity == 3, f"BoundedBuffer(3).capacity was {buf.capacity!r}, expected 3."
    assert buf.closed is False, f"BoundedBuffer(3).closed was {buf.closed!r}, expected False."
    assert isinstance(buf.cond, threading.Condition), f"BoundedBuffer(3).cond was {buf.cond!r}, expected a threading.Condition()."


def test_get_returns_the_oldest_item_first(load):
    mod = load("bounded_buffer")
    buf = within(3, "BoundedBuffer(3)", mod.BoundedBuffer, 3)
    for x in ("a", "b", "c"):
        within(3, f"put({x!r}) on a buffer with room", buf.put, x)
    got = [within(3, "get() on a buffer holding items", buf.get) for _ in range(3)]
    assert got == ["a", "b", "c"], f"put('a'), put('b'), put('c'), then get() 3 times returned {got}, expected ['a', 'b', 'c'] (FIFO)."


def test_put_waits_while_the_buffer_is_full(load):
    mod = load("bounded_buffer")

    def scenario():
        buf, cond = scripted(mod, 2)
        buf.put("a")
        buf.put("b")
        p = Call("P", buf.put, "c")
        settle(cond, p)
        not_done_first(p)
        assert not p.done.is_set(), (
            f"put('c') on a full BoundedBuffer(2) {p.outcome()} at once; the buffer then held {list(buf.items)}. "
            "put must wait while len(self.items) >= self.capacity.")
        assert len(buf.items) == 2, f"While put('c') waited, the buffer held {list(buf.items)}, expected 2 items."
        assert buf.get() == "a", "get() on ['a', 'b'] should return 'a'."
        assert finish(p), "get() made room, but the waiting put('c') was not woken: notify after every popleft."
        assert list(buf.items) == ["b", "c"], f"Then the buffer held {list(buf.items)}, expected ['b', 'c']."
    within(10, "put() on a full buffer", scenario)


def test_get_waits_until_an_item_arrives(load):
    mod = load("bounded_buffer")

    def scenario():
        buf, cond = scripted(mod, 2)
        c = Call("C", buf.get)
        settle(cond, c)
        not_done_first(c)
        assert not c.done.is_set(), f"get() on an empty buffer {c.outcome()} at once, instead of waiting."
        buf.put("x")
        assert finish(c), "put('x') did not wake the get() waiting for an item: notify after every append."
        assert c.result == "x", f"The waiting get() {c.outcome()}, expected 'x'."
    within(10, "get() on an empty buffer", scenario)


# -- while, not if ------------------------------------------------------------------------------
def test_a_woken_consumer_checks_again_when_its_item_was_taken(load):
    mod = load("bounded_buffer")

    def scenario():
        buf, cond = scripted(mod, 2)
        c1 = Call("C1", buf.get)
        settle(cond, c1)
        not_done_first(c1)
        assert "C1" in cond.sleeping(), f"get() on an empty buffer {c1.outcome()}, expected it to sleep in self.cond.wait()."
        cond.hold()                          # C1 stays asleep even once notified...
        p1 = Call("P1", buf.put, "x")
        settle(cond, p1)
        c2 = Call("C2", buf.get)             # ...while C2 takes the item it was woken for
        settle(cond, c2)
        assert c2.result == "x", f"C2's get() on a buffer holding 'x' {c2.outcome()}."
        cond.let_go()
        settle(cond, c1)
        assert not c1.done.is_set(), (
            f"C1 slept in get(); put('x') woke it; C2 took 'x' before C1 ran again. Then C1 {c1.outcome()} "
            f"with the buffer empty, instead of waiting again. {WHILE_HINT}")
        cond.spurious("C1")                  # woken with nobody notifying it
        settle(cond, c1)
        assert not c1.done.is_set(), (
            f"C1, asleep in get() on an empty buffer, was woken with no notify (a spurious wake-up) and "
            f"{c1.outcome()}, instead of waiting again. {WHILE_HINT}")
        buf.put("y")
        assert finish(c1) and c1.result == "y", f"After put('y'), C1's get() {c1.outcome()}, expected 'y'."
    within(15, "get() woken after its item was taken", scenario)


def test_a_woken_producer_checks_again_when_its_slot_was_taken(load):
    mod = load("bounded_buffer")

    def scenario():
        buf, cond = scripted(mod, 1)
        before, p1 = fill(mod, buf, cond)
        full = len(buf.items)
        assert p1.name in cond.sleeping(), (
            f"put() on a full buffer {p1.outcome()}, expected it to sleep in self.cond.wait().")
        cond.hold()
        c1 = Call("C1", buf.get)             # frees a slot and wakes the waiting put...
        settle(cond, c1)
        p2 = Call("P2", buf.put, "s")        # ...which P2 fills before it runs again
        settle(cond, p2)
        assert p2.done.is_set(), f"put('s') on a buffer with a free slot {p2.outcome()}."
        cond.let_go()
        settle(cond, p1)
        assert not p1.done.is_set(), (
            f"{p1.name} slept in put() on a full buffer; a get() woke it; put('s') filled the free slot before "
            f"{p1.name} ran again. Then {p1.name} {p1.outcome()} and the buffer held {list(buf.items)} "
            f"(more than {full} item(s)), instead of waiting again. {WHILE_HINT}")
        cond.spurious(p1.name)
        settle(cond, p1)
        assert not p1.done.is_set(), (
            f"{p1.name}, asleep in put() on a full buffer, was woken with no notify (a spurious wake-up) and "
            f"{p1.outcome()}, instead of waiting again. {WHILE_HINT}")
        buf.get()
        assert finish(p1), f"A get() made room, but {p1.name}'s put() {p1.outcome()}."
    within(15, "put() woken after its slot was taken", scenario)


# -- notify_all ----------------------------------------------------------------------------------
def _asleep_forever(cond, calls):
    left = [c for c in calls if not c.done.is_set()]
    return (f"still asleep: {[c.name for c in left]} (asleep in cond.wait(): {cond.sleeping()}); "
            f"notifies since: {cond.log[-4:]}")


def test_no_thread_is_left_asleep_when_consumers_and_producers_share_the_condition(load):
    mod = load("bounded_buffer")

    def consumers_side():
        buf, cond = scripted(mod, 1)
        c1, c2 = Call("C1", buf.get), None
        settle(cond, c1)
        c2 = Call("C2", buf.get)
        settle(cond, c2)
        not_done_first(c1, c2)
        cond.hold()
        p1 = Call("P1", buf.put, "a")
        settle(cond, p1)
        p2 = Call("P2", buf.put, "b")        # full: sleeps beside C2
        settle(cond, p2)
        cond.log.clear()
        cond.let_go()                        # C1 runs first: it takes 'a' and must wake P2
        calls = [c1, c2, p1, p2]
        assert finish(*calls), (
            "C1 and C2 slept in get() on an empty BoundedBuffer(1); P1 put 'a'; P2 then slept in put('b'); "
            f"then C1 took 'a'. Nothing moves any more: {_asleep_forever(cond, calls)}. {NOTIFY_HINT}")
        assert sorted([c1.result, c2.result]) == ["a", "b"], f"The gets {c1.outcome()} and {c2.outcome()}."

    def producers_side():
        buf, cond = scripted(mod, 1)
        before, p1 = fill(mod, buf, cond)
        p2 = Call("P9", buf.put, "c")
        settle(cond, p2)
        cond.hold()
        c1 = Call("C1", buf.get)
        settle(cond, c1)
        c2 = Call("C2", buf.get)             # empty: sleeps beside P9
        settle(cond, c2)
        cond.log.clear()
        cond.let_go()                        # the waiting put runs first: it must wake C2
        calls = [p1, p2, c1, c2]
        assert finish(*calls), (
            f"{p1.name} and P9 slept in put() on a full BoundedBuffer(1); C1 took an item; C2 then slept in "
            f"get(); then {p1.name} put its item. Nothing moves any more: {_asleep_forever(cond, calls)}. "
            f"{NOTIFY_HINT}")
    within(10, "consumers asleep, then a producer", consumers_side)
    within(10, "producers asleep, then a consumer", producers_side)


# -- close ---------------------------------------------------------------------------------------
def test_close_wakes_every_waiting_consumer(load):
    mod = load("bounded_buffer")

    def scenario():
        buf, cond = scripted(mod, 2)
        calls = []
        for name in ("C1", "C2"):
            calls.append(Call(name, buf.get))
            settle(cond, calls[-1])
        not_done_first(*calls)
        buf.close()
        assert finish(*calls), (
            f"close() with two get() asleep on an empty buffer: {_asleep_forever(cond, calls)}. close() must "
            "wake every waiting thread (notify_all), and a get() woken on a closed, empty buffer raises Closed.")
        for c in calls:
            assert isinstance(c.error, mod.Closed), f"After close(), {c.name}'s get() {c.outcome()}, expected Closed."
    within(10, "close() with consumers waiting", scenario)


def test_close_wakes_waiting_producers_and_put_after_close_raises(load):
    mod = load("bounded_buffer")

    def scenario():
        buf, cond = scripted(mod, 1)
        before, p = fill(mod, buf, cond)
        held = list(buf.items)
        buf.close()
        assert finish(p), (f"close() with {p.name}'s put() asleep on a full buffer: it {p.outcome()}. close() "
                           "wakes producers too, and a woken put() on a closed buffer raises Closed.")
        assert isinstance(p.error, mod.Closed), f"After close(), the waiting put() {p.outcome()}, expected Closed."
        late = Call("P", buf.put, "late")
        assert finish(late, timeout=1.0), f"put('late') on a closed buffer {late.outcome()}"
        assert isinstance(late.error, mod.Closed), f"put('late') on a closed buffer {late.outcome()}, expected Closed."
        assert list(buf.items) == held, f"After close() and two refused puts the buffer held {list(buf.items)}, expected {held}."
    within(10, "close() with producers waiting", scenario)


def test_items_left_after_close_can_be_taken_then_get_raises_closed(load):
    mod = load("bounded_buffer")
    buf = within(3, "BoundedBuffer(3)", mod.BoundedBuffer, 3)
    within(3, "put('a')", buf.put, "a")
    within(3, "put('b')", buf.put, "b")
    within(3, "close()", buf.close)
    assert buf.closed is True, f"After close(), buf.closed was {buf.closed!r}."
    got = [within(3, "get() on a closed buffer that still holds items", buf.get) for _ in range(2)]
    assert got == ["a", "b"], f"After put('a'), put('b'), close(): get() twice returned {got}, expected ['a', 'b']."
    with pytest.raises(mod.Closed):
        within(3, "get() on a closed, empty buffer", buf.get)


# -- no busy waiting -------------------------------------------------------------------------------
def spied(mod, capacity):
    """A BoundedBuffer whose reads and writes of items/closed are logged as (attr, kind, cond held?, thread)."""

    class Spy(mod.BoundedBuffer):
        def __getattribute__(self, name):
            if name in ("items", "closed"):
                _note(self, name, "read")
            return object.__getattribute__(self, name)

        def __setattr__(self, name, value):
            object.__setattr__(self, name, value)
            if name in ("items", "closed"):
                _note(self, name, "write")

    buf = Spy(capacity)
    buf.cond = ScriptedCondition()
    object.__setattr__(buf, "_spy_log", [])
    return buf, buf.cond


def _note(buf, name, kind):
    d = object.__getattribute__(buf, "__dict__")
    if "_spy_log" in d:
        d["_spy_log"].append((name, kind, d["cond"].held(), threading.current_thread().name))


def test_a_waiting_thread_uses_no_cpu_and_sleeps_in_wait(load, monkeypatch):
    mod = load("bounded_buffer")
    sleeps = collections.Counter()
    real_sleep = time.sleep

    def counting_sleep(seconds):
        sleeps[threading.current_thread().name] += 1
        real_sleep(seconds)
    monkeypatch.setattr(time, "sleep", counting_sleep)

    def scenario():
        empty, cond_e = spied(mod, 2)
        full, cond_f = spied(mod, 1)
        before, p = fill(mod, full, cond_f)
        c = Call("C", empty.get)
        settle(cond_e, c)
        not_done_first(c, p)
        log_e, log_f = empty._spy_log, full._spy_log
        n = p.name
        start = (cond_e.waits["C"], cond_e.wakeups["C"], sleeps["C"], len(log_e),
                 cond_f.waits[n], cond_f.wakeups[n], sleeps[n], len(log_f))
        real_sleep(0.5)
        end = (cond_e.waits["C"], cond_e.wakeups["C"], sleeps["C"], len(log_e),
               cond_f.waits[n], cond_f.wakeups[n], sleeps[n], len(log_f))
        empty.put("x")
        full.get()
        assert finish(c, p), f"get() {c.outcome()}; put() {p.outcome()}"
        for who, what, offset, call, cond in (("C", "get() on an empty buffer", 0, c, cond_e),
                                              (n, "put() on a full buffer", 4, p, cond_f)):
            waits, wakeups, slept, accesses = (end[offset + i] - start[offset + i] for i in range(4))
            figures = (f"{what} was blocked for 0.5 s; meanwhile it called cond.wait() {waits} times, woke up "
                       f"{wakeups} times, called time.sleep() {slept} times, read items/closed {accesses} times "
                       f"and used {call.cpu:.3f} s of CPU (the whole call).")
            assert accesses <= 10 and waits + wakeups + slept <= 2 and call.cpu < 0.1, (
                figures + " A waiting thread sleeps in self.cond.wait() (no timeout) until it is notified: no "
                "loop that keeps checking, no time.sleep() or short timed wait in a loop.")
            assert cond.waits[who] >= 1, f"{what} blocked without ever calling self.cond.wait(): close() and notify cannot wake it."
    within(15, "a get() and a put() blocked for 0.5 s", scenario)


def test_every_access_of_items_and_closed_holds_cond(load):
    mod = load("bounded_buffer")

    def scenario():
        buf, cond = spied(mod, 1)
        c = Call("C1", buf.get)
        settle(cond, c)
        buf.put("a")
        finish(c)
        buf.put("b")
        p = Call("P1", buf.put, "c")
        settle(cond, p)
        buf.get()
        finish(p)
        buf.get()
        c2 = Call("C2", buf.get)
        settle(cond, c2)
        buf.close()
        finish(c2)
        not_done_first(c, p, c2)
        with pytest.raises(mod.Closed):
            buf.put("d")
        bad = sorted({(attr, kind) for attr, kind, held, _ in buf._spy_log if not held})
        assert buf._spy_log, "No read or write of self.items or self.closed was seen."
        assert not bad, (f"These accesses happened without holding self.cond: {bad}. Every read and write of "
                         "items and closed belongs inside `with self.cond:` (close() included).")
    within(10, "put, get and close with a lock-checking condition", scenario)


# -- run_producers_consumers -------------------------------------------------------------------------
class TakingTurns:
    """Patches ``mod.BoundedBuffer``: consumers take turns at get(), and the first consumer gets
    its item back only once the next one has taken its own and come back for more. So the order
    items are written down differs from the order they left the buffer, every time."""

    def __init__(self, mod, consumers):
        self.mod, self.n = mod, consumers
        self.state = threading.Condition()
        self.order, self.active, self.turn = [], [], None
        self.entered, self.took = collections.Counter(), collections.Counter()
        self.inside, self.done = set(), set()
        self.conds = []
        self.held_on_closed = threading.Event()
        self.joined_check = None

    def _next(self, me):
        if not self.active:
            return None
        return self.active[(self.active.index(me) + 1) % len(self.active)] if me in self.active else self.active[0]

    def blocked_inside(self, ident):
        return ident in self.inside and any(c.asleep_ident(ident) for c in self.conds)

    def _until(self, predicate, timeout=1.0):  # state held; the condition's sleepers change without notice
        end = time.monotonic() + timeout
        while not predicate() and time.monotonic() < end:
            self.state.wait(0.005)

    def patch(self, monkeypatch):
        base = getattr(self.mod.BoundedBuffer, "turns_base", self.mod.BoundedBuffer)
        turns = self

        class TurnTaking(base):
            turns_base = base

            def __init__(self, *args):
                super().__init__(*args)
                self.cond = ScriptedCondition()
                turns.conds.append(self.cond)

            def get(self):
                me = threading.get_ident()
                with turns.state:
                    if me not in turns.order:
                        turns.order.append(me)
                        turns.active.append(me)
                    turns.entered[me] += 1
                    turns.state.notify_all()
                    turns._until(lambda: len(turns.order) >= turns.n)
                    if turns.turn not in turns.active:
                        turns.turn = turns.active[0]
                    turns._until(lambda: turns.turn == me)
                    turns.inside.add(me)
                try:
                    item = base.get(self)
                except BaseException:
                    with turns.state:
                        turns.inside.discard(me)
                        turns.done.add(me)
                        nxt = turns._next(me)
                        turns.active.remove(me)
                        turns.turn = nxt if nxt != me else None
                        turns.state.notify_all()
                    if turns.joined_check:
                        turns.joined_check(me)
                    raise
                with turns.state:
                    turns.inside.discard(me)
                    turns.took[me] += 1
                    nxt = turns.turn = turns._next(me)
                    turns.state.notify_all()
                    if me == turns.order[0] and nxt not in (None, me):
                        took, entered = turns.took[nxt], turns.entered[nxt]
                        turns._until(lambda: nxt in turns.done or turns.blocked_inside(nxt) or (
                            turns.took[nxt] > took and turns.entered[nxt] > entered))
                return item

            def close(self):
                # Close once the consumer whose turn it is sleeps in get(): the buffer is drained.
                with turns.state:
                    turns._until(lambda: not turns.active or (turns.turn is not None
                                                              and turns.blocked_inside(turns.turn)))
                return base.close(self)

        monkeypatch.setattr(self.mod, "BoundedBuffer", TurnTaking)


def test_run_producers_consumers_returns_every_item_once_in_each_producers_order(load, monkeypatch):
    mod = load("bounded_buffer")
    turns = TakingTurns(mod, 2)
    turns.patch(monkeypatch)
    one = [["a1", "a2", "a3", "a4", "a5", "a6"]]
    got = within(10, f"run_producers_consumers({one}, 2, 1) with consumers taking turns", mod.run_producers_consumers, one, 2, 1)
    assert sorted(got) == sorted(one[0]), f"run_producers_consumers({one}, 2, 1) returned {got}: every item exactly once, please."
    assert got == one[0], (
        f"run_producers_consumers({one}, 2, 1) returned {got}, expected {one[0]}. Here the two consumers take "
        "turns at get(), and the first writes its item down only after the second has taken and written down "
        "its own: record where each item came from and put each producer's items back in order.")
    many = [["b1", "b2", "b3"], ["c1", "c2", "c3", "c4"], ["d1", "d2"]]
    turns = TakingTurns(mod, 3)
    turns.patch(monkeypatch)
    got = within(10, f"run_producers_consumers({many}, 3, 2)", mod.run_producers_consumers, many, 3, 2)
    assert sorted(got) == sorted(x for items in many for x in items), (
        f"run_producers_consumers({many}, 3, 2) returned {got}: every item exactly once, please.")
    for items in many:
        mine = [x for x in got if x in items]
        assert mine == items, f"run_producers_consumers({many}, 3, 2) returned {got}: {items} came back as {mine}."


def test_run_producers_consumers_joins_every_thread(load, monkeypatch):
    mod = load("bounded_buffer")
    turns = TakingTurns(mod, 3)
    caller = {}

    def stay_until_joined(me):
        # A consumer that got Closed stays alive until the caller joins it (at most 1 s):
        # code that joins only some of its threads returns while the others still run.
        end = time.monotonic() + 1.0
        while time.monotonic() < end and "returned" not in caller:
            frame = sys._current_frames().get(caller.get("ident"))
            while frame is not None:
                if frame.f_code.co_name in ("join", "_wait_for_tstate_lock") and \
                        frame.f_locals.get("self") is threading.current_thread():
                    return
                frame = frame.f_back
            time.sleep(0.002)
    turns.joined_check = stay_until_joined
    turns.patch(monkeypatch)
    producers = [["e1", "e2"], ["f1", "f2", "f3"]]
    before = set(threading.enumerate())

    def run():
        caller["ident"] = threading.get_ident()
        out = mod.run_producers_consumers(producers, 3, 2)
        caller["alive"] = [t.name for t in threading.enumerate() if t not in before and t.is_alive()
                           and t is not threading.current_thread()]
        caller["returned"] = True
        return out
    got = within(10, f"run_producers_consumers({producers}, 3, 2)", run)
    assert sorted(got) == ["e1", "e2", "f1", "f2", "f3"], f"run_producers_consumers({producers}, 3, 2) returned {got}."
    assert caller["alive"] == [], (
        f"When run_producers_consumers returned, threads {caller['alive']} were still running: join every "
        "producer and every consumer thread (not only the last one).")
