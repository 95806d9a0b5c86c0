"""Hold calls until the caller joins the thread that runs them (threads_start_join's probes).

A call that returns before it has joined a thread then returns while that thread's call
is provably still running, on every run, instead of only when the scheduler is unlucky.
"""
import threading
import time

from .calls import call_watching
from .frames import joining
from .seal import tamper


class JoinGate:
    """Hold calls until the caller joins the thread that runs them.

    Call ``i`` runs ``gate.hold(i)``: unless ``i`` is free, it waits until the probe sees
    the calling thread inside ``Thread.join`` on the thread running call ``i`` (or
    ``wait`` seconds pass, so code that waits some other way is slowed, never stuck).
    Code that joins every thread is barely slowed; code that returns before joining a
    thread returns while that call is provably still running, on every run.

    The watching is done by the probe's main thread (``calls.call_watching``), whose frame
    keeps which calls it released: an event set by anyone else (learner code that reached
    the gate through the function it was handed) is reported as tampering, and which calls
    were still running when the learner's function returned is read from the stacks, not
    from flags the calls set themselves.
    """

    def __init__(self, n, free=(), wait=0.5):
        self.wait = wait
        self.events = [threading.Event() for _ in range(n)]
        self.threads = [None] * n
        self.free = frozenset(free)
        for i in free:
            self.events[i].set()

    def hold(self, i):
        self.threads[i] = threading.current_thread()
        self.events[i].wait(self.wait)

    def release_all(self):
        for e in self.events:
            e.set()

    def call(self, fn, *args, timeout, inside=None, _watch=call_watching, _joining=joining, _tamper=tamper,
             _monotonic=time.monotonic):
        """``call(fn, *args)`` with the main thread watching; ``inside``: the code of the gated
        function. Adds "unfinished" (calls still inside it when ``fn`` returned, or still held).

        What the gate is made of is copied here first (its events, its wait), and each held
        thread as soon as it shows up: learner code that reaches the gate through the function
        it was handed can rewrite the gate, not these copies. A held call seen leaving ``hold``
        before its release or its time, a call that ran without going through ``hold``, or an
        event set by anyone else is reported (``kit.sandbox.seal.tamper``).
        """
        released = set(self.free)
        expected = list(self.events)
        wait = self.wait
        n = len(expected)
        mine = [None] * n            # Thread objects seen in self.threads, copied at once
        entered = {}                 # thread ident -> when first seen inside hold
        findings = []
        hold_code = JoinGate.hold.__code__
        codes = [hold_code] + ([inside] if inside is not None else [])

        def index_of(ident):
            for i, t in enumerate(mine):
                if t is not None and t.ident == ident:
                    return i
            return None

        def on_poll(caller, here):
            for i in range(min(n, len(self.threads))):
                t = self.threads[i]
                if mine[i] is None and t is not None:
                    mine[i] = t
            joined = set(_joining(caller)["threads"])
            for i, t in enumerate(mine):
                if i not in released and t is not None and id(t) in joined:
                    released.add(i)
                    expected[i].set()
            now = _monotonic()
            for ident in here[0]:
                entered.setdefault(ident, now)
            for ident, since in list(entered.items()):
                if ident in here[0]:
                    continue
                del entered[ident]
                i = index_of(ident)
                if i is not None and i not in released and now - since < wait - 0.1:
                    findings.append("a held call left the grader's join gate early (its wait was changed)")

        def wrapped(*a):
            r = fn(*a)
            # Copy now: threads the learner did not join may still fill the list in later.
            return list(r) if isinstance(r, list) else r

        try:
            out = _watch(wrapped, *args, timeout=timeout, inside=codes, on_poll=on_poll)
            running = set(out["at_end"][-1])
            out["unfinished"] = [i for i, t in enumerate(mine) if t is not None and t.ident in running]
            if inside is not None and len(out["seen"][1]) > len(out["seen"][0]) + len(self.free) + 1:
                findings.append("calls ran without going through the grader's join gate")
            if any(e.is_set() and i not in released for i, e in enumerate(expected)):
                findings.append("released calls the grader was holding (its JoinGate's events)")
            if len(self.events) != n or any(a is not b for a, b in zip(self.events, expected)) or self.wait != wait:
                findings.append("changed the grader's JoinGate")
            for what in dict.fromkeys(findings):
                _tamper(what)
            return out
        finally:
            for e in expected:
                e.set()
