"""Hold calls until the caller joins the thread that runs them (threads_start_join's probes).

A call that returns before it has joined a thread then returns while that thread's call
is provably still running, on every run, instead of only when the scheduler is unlucky.
"""
import threading

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

    def call(self, fn, *args, timeout, inside=None):
        """``call(fn, *args)`` with the main thread watching; ``inside``: the code of the gated
        function (default: ``hold``'s own). Adds "unfinished" (calls still inside it when ``fn``
        returned); events set by anyone else are reported (``kit.box.seal.tamper``)."""
        released = set(self.free)
        expected = list(self.events)

        def on_poll(caller):
            joined = set(joining(caller)["threads"])
            for i, t in enumerate(self.threads):
                if i not in released and t is not None and id(t) in joined:
                    released.add(i)
                    expected[i].set()

        def wrapped(*a):
            r = fn(*a)
            # Copy now: threads the learner did not join may still fill the list in later.
            return list(r) if isinstance(r, list) else r

        try:
            out = call_watching(wrapped, *args, timeout=timeout, inside=[inside or JoinGate.hold.__code__],
                                on_poll=on_poll)
            running = set(out["at_end"][0])
            out["unfinished"] = [i for i, t in enumerate(self.threads) if t is not None and t.ident in running]
            if any(e.is_set() and i not in released for i, e in enumerate(expected)):
                tamper("released calls the grader was holding (its JoinGate's events)")
            if len(self.events) != len(expected) or any(a is not b for a, b in zip(self.events, expected)):
                tamper("replaced the grader's JoinGate events")
            return out
        finally:
            for e in expected:
                e.set()
