"""The wait-for graph over tracked locks: a wait that would never end raises ``Deadlock``.

When a thread is about to block forever on a tracked lock, the graph is followed from
it (thread -> lock it waits for -> that lock's owner -> ...). If the chain comes back to
the thread, the wait would never end: the thread gets ``Deadlock`` (a ``BaseException``,
so ``except Exception`` in learner code does not eat it) and the cycle is recorded as
"thread A holds account 1 and waits for account 2; ...". A non-reentrant lock taken again
by its owner is the one-thread case.
"""
import threading

from .calls import is_learner_file, learner_site
from .frames import stacks


class Deadlock(BaseException):
    """Raised in the thread whose wait would never end (it closes a wait-for cycle)."""


def site_of_stack(rows):
    """The innermost learner frame of a stack (``frames.stacks`` rows, innermost last), or None."""
    for row in reversed(rows or []):
        if is_learner_file(row["file"]):
            return row
    return None


class WaitFor:
    DYNAMIC = frozenset({"deadlocks"})  # kit.sandbox.seal

    def __init__(self, scene):
        self.scene = scene
        self.deadlocks = []   # {"self": bool, "threads": [...], "text": str}

    def cycle(self, me):  # monitor held
        """The chain of (thread, lock it waits for) from ``me`` back to ``me``, or None."""
        chain, t, seen = [], me, set()
        while True:
            lk = self.scene.waiting_for(t)
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

    def deadlock(self, chain, self_lock=False) -> Deadlock:  # monitor held
        """Record the cycle and return the exception to raise in the thread closing it."""
        scene = self.scene
        me = threading.get_ident()
        others = stacks(frozenset(t for t, _ in chain if t != me))
        threads = []
        for t, lk in chain:
            site = learner_site(1) if t == me else site_of_stack(others.get(t))
            threads.append({"thread": scene.name_of(t), "holds": scene.holds(t), "waits": lk.label, "site": site})
        if self_lock:
            t = threads[0]
            text = (f"thread {t['thread']} holds {t['waits']} and asks for it again; the lock is not "
                    "reentrant, so it would wait for itself forever")
        else:
            text = "; ".join(f"thread {t['thread']} holds {' and '.join(t['holds']) or 'nothing'} "
                             f"and waits for {t['waits']}" for t in threads)
        self.deadlocks.append({"self": self_lock, "threads": threads, "text": text})
        scene.monitor.notify_all()
        return Deadlock(text)
