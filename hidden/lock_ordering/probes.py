"""Probes for lock_ordering: the learner's transfer() on the probe's own accounts.

Accounts have an ``id``, a watched ``balance`` and a ``TrackedLock`` (not reentrant, like
a ``threading.Lock``). A rendezvous (``kit.sandbox.schedule.Rendezvous``) makes two transfers
that take their locks in opposite orders deadlock every time; the wait-for graph names
the cycle and breaks it (``Deadlock`` in the thread that closes it), so a wrong order
costs a precise message, never a hung grader.
"""
from kit.sandbox.calls import call, jsonable, learner
from kit.sandbox.lockset import Lockset, raw
from kit.sandbox.scene import Scene, run_workers
from kit.sandbox.schedule import Rendezvous

from .observe import LocksHeld, MovesMoney, NoDeadlock, SelfTransfer, Stress


class Account:
    """The judge's own account: any object with .id, .balance and .lock will do."""

    def __init__(self, id, balance, lock):
        self.id = id
        self.balance = balance
        self.lock = lock

    def __repr__(self):
        return f"Account({self.id!r}, {raw(self, 'balance')!r})"


def _accounts(scene, lockset, specs):
    out = []
    for id_, balance in specs:
        lock = scene.lock(f"account {id_}")
        out.append(lockset.watch(Account(id_, balance, lock), guard=lock, label=f"account {id_}", skip={"lock"}))
    return out


def _insufficient():
    return learner("lock_balance").InsufficientFunds


def _outcome(o, insufficient):
    exc = o.get("exception")
    return {"returned": o["returned"], "raised": o["raised"],
            "insufficient": isinstance(exc, insufficient) if exc is not None else False}


def _balances(accts):
    return [raw(a, "balance") for a in accts]


def _locks(accts):
    return [raw(a, "lock").state() for a in accts]


def moves_money(cases, seed) -> MovesMoney:
    m = learner("lock_ordering")
    insufficient = _insufficient()
    out = []
    for (ids, balances, amount) in cases:
        scene = Scene()
        src, dst = _accounts(scene, Lockset(scene), list(zip(ids, balances)))
        r = call(m.transfer, src, dst, amount, timeout=2)
        exc = r["exception"]
        out.append({"out": jsonable(r), "after": _balances([src, dst]),
                    "insufficient": isinstance(exc, insufficient) if exc is not None else False,
                    "deadlocks": scene.waitfor.deadlocks})
        if r["hung"]:
            break
    return {"cases": out}


def locks_held(specs, plan, seed) -> LocksHeld:
    m = learner("lock_ordering")
    scene = Scene()
    lockset = Lockset(scene)
    accts = _accounts(scene, lockset, specs)
    jobs = [[(m.transfer, (accts[s], accts[d], amount)) for s, d, amount in calls] for calls in plan]
    res = run_workers(scene, jobs, timeout=3.0)
    insufficient = _insufficient()
    # Which locks each access needed: those of the transfer in progress in its thread.
    need = {}
    for w, calls in enumerate(plan):
        for c, (s, d, _) in enumerate(calls, 1):
            need[(chr(ord("A") + w), c)] = [f"account {specs[s][0]}", f"account {specs[d][0]}"]
    bad = []
    for a in lockset.shared():
        want = need.get((a["thread"], a["call"]))
        if want is None or not all(label in a["held"] for label in want):
            bad.append(dict(a, needed=want))
    return {"results": [[_outcome(o, insufficient) for o in w] for w in res["results"]], "hung": res["hung"],
            "deadlocks": scene.waitfor.deadlocks, "final": _balances(accts), "n_accesses": len(lockset.accesses),
            "bad": bad[:20]}


def no_deadlock(rounds, seed) -> NoDeadlock:
    """Each round: one transfer per thread, all started together, rendezvous armed."""
    m = learner("lock_ordering")
    insufficient = _insufficient()
    out = []
    for specs, transfers in rounds:
        scene = Scene()
        accts = _accounts(scene, Lockset(scene), specs)
        Rendezvous(scene, calls=1, timeout=0.3)
        jobs = [[(m.transfer, (accts[s], accts[d], amount))] for s, d, amount in transfers]
        res = run_workers(scene, jobs, timeout=3.0)
        out.append({"results": [[_outcome(o, insufficient) for o in w] for w in res["results"]],
                    "hung": res["hung"], "deadlocks": scene.waitfor.deadlocks, "final": _balances(accts)})
        if res["hung"]:
            break
    return {"rounds": out}


def self_transfer(cases, seed) -> SelfTransfer:
    m = learner("lock_ordering")
    insufficient = _insufficient()
    out = []
    for id_, balance, amount in cases:
        scene = Scene()
        (a,) = _accounts(scene, Lockset(scene), [(id_, balance)])
        r = call(m.transfer, a, a, amount, timeout=2)
        exc = r["exception"]
        out.append({"out": jsonable(r), "after": raw(a, "balance"), "lock": raw(a, "lock").state(),
                    "insufficient": isinstance(exc, insufficient) if exc is not None else False,
                    "deadlocks": scene.waitfor.deadlocks})
        if r["hung"]:
            break
    return {"cases": out}


def stress(specs, plan, seed) -> Stress:
    """Thread i first transfers around a ring (rendezvous armed), then at random.

    Balances cover every possible outflow, so every transfer succeeds in any order and
    the final balances are known in advance.
    """
    m = learner("lock_ordering")
    insufficient = _insufficient()
    scene = Scene()
    accts = _accounts(scene, Lockset(scene), specs)
    Rendezvous(scene, calls=1, timeout=0.3)
    jobs = [[(m.transfer, (accts[s], accts[d], amount)) for s, d, amount in calls] for calls in plan]
    res = run_workers(scene, jobs, timeout=4.0)
    return {"results": [[_outcome(o, insufficient) for o in w] for w in res["results"]], "hung": res["hung"],
            "deadlocks": scene.waitfor.deadlocks, "final": _balances(accts), "locks": _locks(accts)}
