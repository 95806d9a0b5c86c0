"""Probes for rlock_ledger: the learner's Ledger with a tracked lock, watched fields and a
``record`` observed through a generated subclass (the contract allows both).

Except in ``reentrant``, the tracked lock is reentrant whatever the learner chose, so a
Lock-for-RLock mistake costs only the check that names it.
"""
import threading

from kit.sandbox.calls import call, jsonable, learner
from kit.sandbox.locks import is_reentrant
from kit.sandbox.lockset import Lockset, raw
from kit.sandbox.scene import Scene, run_workers
from kit.sandbox.schedule import Interleaver

from .observe import BatchAtomic, Concurrent, ErrorMidway, RecordSnapshot, Reentrant


def _ledger(m, scene, reentrant=True, record=None):
    """A learner Ledger with a tracked lock (and an observing ``record``), its lockset and
    the learner's lock kind; or None, None, None and the failed call (a Setup observation)."""
    made = call(m.Ledger, timeout=2)
    if made["raised"] or made["hung"]:
        return None, None, None, {"setup": jsonable(made), "setup_call": "Ledger()"}
    ledger = made["returned"]
    original = raw(ledger, "lock")
    info = {"original_reentrant": is_reentrant(original), "original_type": type(original).__name__}
    lock = scene.lock("self.lock", reentrant=info["original_reentrant"] if reentrant is None else reentrant)
    ledger.lock = lock
    base = type(ledger)
    methods = {}
    if record is not None:
        def observed_record(self, amount):
            return record(base, self, amount)
        methods["record"] = observed_record
    lockset = Lockset(scene)
    lockset.watch(ledger, guard=lock, label="ledger", methods=methods, skip={"lock"})
    return ledger, lock, lockset, info


def _fields(ledger):
    entries = raw(ledger, "entries")
    return {"total": raw(ledger, "total"), "entries": list(entries) if isinstance(entries, list) else repr(entries)}


def record_snapshot(singles, batch, seed) -> RecordSnapshot:
    m = learner("rlock_ledger")
    ledger, lock, _, info = _ledger(m, Scene())
    if ledger is None:
        return info
    out = {"initial": _fields(ledger), "steps": []}
    plan = [("record", a) for a in singles] + [("snapshot", None), ("record_many", batch), ("snapshot", None),
                                                ("record_many", []), ("snapshot", None)]
    for name, arg in plan:
        fn = getattr(ledger, name)
        r = call(fn, *(() if arg is None else (arg,)), timeout=2)
        if isinstance(r["returned"], tuple):
            r["returned"] = list(r["returned"])
        out["steps"].append({"call": f"{name}({'' if arg is None else arg})", "out": jsonable(r),
                             "fields": _fields(ledger)})
        if r["raised"] or r["hung"]:
            break
    return out


def reentrant(batch, seed) -> Reentrant:
    """record_many with the learner's own kind of lock; each self.record call sees the hold count."""
    m = learner("rlock_ledger")
    scene = Scene()
    calls = []

    def record(base, self, amount):
        calls.append({"amount": amount, "count": lock.count if lock.held_here() else 0})
        return base.record(self, amount)

    ledger, lock, _, info = _ledger(m, scene, reentrant=None, record=record)
    if ledger is None:
        return info
    r = call(ledger.record_many, batch, timeout=2)
    return {"info": info, "out": jsonable(r), "calls": calls, "fields": _fields(ledger),
            "lock": lock.state(), "deadlocks": scene.waitfor.deadlocks}


def batch_atomic(before, batch, k, seed) -> BatchAtomic:
    """After the (k+1)-th amount of a batch reached ``total``, another thread takes the lock and looks."""
    m = learner("rlock_ledger")
    scene = Scene()
    go = threading.Event()
    seen = {}
    observer = {}
    writes = []
    batch_thread = {}

    def look():
        go.wait(3)
        observer["ident"] = threading.get_ident()
        with lock:
            seen["snap"] = [raw(ledger, "total"), len(raw(ledger, "entries"))]
        seen["done"] = True
        scene.changed()

    def on_access(rec, key):
        if rec["attr"] != "total" or rec["kind"] != "write" or threading.get_ident() != batch_thread.get("ident"):
            return
        writes.append(rec)
        if len(writes) == k + 1:
            go.set()
            # Let the observer run: wait until it has looked or is blocked on the lock.
            scene.wait_until(lambda: seen.get("done") or scene.blocked(observer.get("ident")), 0.5)

    def before_acquire(lk):
        # The batch thread comes back for the lock mid-batch (it let go of it): let the
        # observer in first, so what it sees is what any thread could see there.
        if threading.get_ident() != batch_thread.get("ident") or len(writes) < k + 1:
            return
        scene.wait_until(lambda: seen.get("done"), 0.5)

    ledger, lock, _, info = _ledger(m, scene)
    if ledger is None:
        return info
    for a in before:
        r = call(ledger.record, a, timeout=2)
        if r["raised"] or r["hung"]:
            return {"setup": jsonable(r), "setup_call": f"record({a})"}
    scene.before_acquire.append(before_acquire)

    def run_batch():
        batch_thread["ident"] = threading.get_ident()
        return ledger.record_many(batch)

    scene.on_access.append(on_access)
    t = threading.Thread(target=look, name="observer", daemon=True)
    t.start()
    r = call(run_batch, timeout=3)
    go.set()
    t.join(2)
    return {"out": jsonable(r), "snap": seen.get("snap"), "epochs": [w["epoch"] for w in writes],
            "sites": [w["site"] for w in writes], "fields": _fields(ledger),
            "observer_done": not t.is_alive(), "deadlocks": scene.waitfor.deadlocks}


def error_midway(before, batch, bad, seed) -> ErrorMidway:
    """The (bad+1)-th self.record call of a batch raises ValueError."""
    m = learner("rlock_ledger")
    count = []

    def record(base, self, amount):
        count.append(amount)
        if len(count) == bad + 1:
            raise ValueError(f"record({amount}) failed")
        return base.record(self, amount)

    ledger, lock, _, info = _ledger(m, Scene())
    if ledger is None:
        return info
    for a in before:
        r = call(ledger.record, a, timeout=2)
        if r["raised"] or r["hung"]:
            return {"setup": jsonable(r), "setup_call": f"record({a})"}
    base = type(ledger).__mro__[1]
    type(ledger).record = lambda self, amount: record(base, self, amount)
    r = call(ledger.record_many, batch, timeout=2)
    state = lock.state()

    def try_it():
        if lock.acquire(True, 0.3):
            lock.release()
            return True
        return False
    other = call(try_it, timeout=2)
    return {"out": jsonable(r), "fields": _fields(ledger), "lock": state, "other_got_it": bool(other["returned"]),
            "calls": count}


def concurrent(plan, seed) -> Concurrent:
    """record, record_many and snapshot from 3 threads, with the interleaving forced on ``total``."""
    m = learner("rlock_ledger")
    scene = Scene()
    ledger, lock, lockset, info = _ledger(m, scene)
    if ledger is None:
        return info
    Interleaver(scene, lockset, attrs={"total"}, timeout=0.5)
    jobs = [[(getattr(ledger, name), tuple(args)) for name, args in calls] for calls in plan]
    res = run_workers(scene, jobs, timeout=4.0)
    results = [[{k: (list(v) if isinstance(v, tuple) else v) for k, v in o.items() if k != "exception"}
                for o in w] for w in res["results"]]
    return {"results": results, "hung": res["hung"], "deadlocks": scene.waitfor.deadlocks,
            "fields": _fields(ledger), "unguarded": lockset.unguarded()[:20],
            "n_accesses": len(lockset.accesses), "lock": lock.state()}
