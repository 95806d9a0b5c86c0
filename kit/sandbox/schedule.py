"""Forced schedules: the bad interleaving made to happen on the first run, never hoped for.

``Interleaver``: a worker that read a watched attribute without its guard lock, or that
comes back for the guard lock after reading in an earlier critical section, is held (one
thread at a time, short timeout) until another worker has written that attribute. An
unlocked or split read-modify-write then loses an update every time; correct code never
triggers a hold.

``Rendezvous``: a worker whose first tracked lock of an armed call is taken waits until
every other worker holds a lock, waits for one, or is done (timeout), so two transfers
taking locks in opposite orders deadlock every time (and ``waitfor`` names the cycle).
"""
import threading
import time

from .calls import learner_site
from .seal import tamper


class Interleaver:
    DYNAMIC = frozenset({"holds", "_holder"})  # kit.sandbox.seal

    def __init__(self, scene, lockset, attrs=True, timeout=0.5):
        """``attrs``: True (every watched attribute) or a set of attribute names."""
        self.scene = scene
        self.lockset = lockset
        self.attrs = attrs
        self.timeout = timeout
        self.holds = []
        self._holder = None
        scene.on_access.append(self._on_access)
        scene.before_acquire.append(self._before_acquire)

    def _applies(self, attr):
        return self.attrs is True or attr in self.attrs

    def _on_access(self, rec, key):
        if rec["kind"] == "read" and rec["epoch"] is None and self._applies(rec["attr"]):
            self._hold(key, "read without the lock", rec["site"])

    def _before_acquire(self, lock):
        """Hold a thread that comes back for a lock after reading under an earlier hold of it."""
        if lock.owner == threading.get_ident():
            return
        for key, epoch in list(self.lockset.pending().items()):
            if epoch is not None and self.lockset.guard_of(key[0]) is lock and self._applies(key[1]):
                self._hold(key, "read in an earlier critical section", learner_site(2))
                return

    def _hold(self, key, reason, site):
        sc = self.scene
        me = threading.get_ident()
        with sc.monitor:
            if self._holder is not None or not sc.is_worker(me):
                return
            self._holder = me
            sc.park(me)
            start = self.lockset.writes(key)
            began = time.monotonic()
            why = ["timeout"]

            def moved():
                if self.lockset.writes(key) > start:
                    why[0] = "written by another thread"
                    return True
                if sc.others_settled(me):
                    why[0] = "no other thread could write"
                    return True
                return False

            sc.wait_locked(moved, began + self.timeout)
            self._holder = None
            sc.unpark(me)
            self.holds.append({"thread": sc.name_of(me), "reason": reason, "ended": why[0],
                               "seconds": round(time.monotonic() - began, 4), "site": site})

    def summary(self):
        return {"holds": self.holds[:50], "n_holds": len(self.holds)}


class Rendezvous:
    DYNAMIC = frozenset({"records"})  # kit.sandbox.seal

    def __init__(self, scene, calls=1, timeout=0.3):
        """Armed for the first ``calls`` calls of each worker."""
        self.scene = scene
        self.calls = calls
        self.timeout = timeout
        self.records = []
        self._local = threading.local()
        scene.on_call.append(self._arm)
        scene.after_acquire.append(self._after_acquire)

    def _arm(self, index):
        self._local.armed = index is not None and index < self.calls

    def _after_acquire(self, lock):
        sc = self.scene
        if not getattr(self._local, "armed", False):
            # Unarmed at the first lock of a call it is armed for, with no rendezvous of this
            # thread on record: learner code cleared the flag (it lives in a threading.local the
            # worker's own code can reach), so the schedule was never forced.
            me = threading.get_ident()
            if sc.is_worker(me) and 1 <= sc.call_number() <= self.calls and \
                    sum(1 for lk in sc.locks if lk.owner == me) == 1 and \
                    not any(r["thread"] == sc.name_of(me) for r in self.records):
                tamper("disarmed the grader's rendezvous (the flag that forces the schedule)")
            return
        me = threading.get_ident()
        with sc.monitor:
            if not sc.is_worker(me) or sum(1 for lk in sc.locks if lk.owner == me) != 1:
                return
            self._local.armed = False
            sc.park(me)
            began = time.monotonic()
            met = sc.wait_locked(lambda: sc.others_settled(me, holding_counts=True), began + self.timeout)
            sc.unpark(me)
            self.records.append({"thread": sc.name_of(me), "lock": lock.label, "met": met,
                                 "seconds": round(time.monotonic() - began, 4)})

    def summary(self):
        return {"rendezvous": self.records[:50]}
