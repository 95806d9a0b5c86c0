"""Probes for lock_balance: the learner's Account with an instrumented lock and balance.

``account.lock`` is replaced by a ``TrackedLock`` (as reentrant as the learner's own
lock) and ``balance`` is watched: every read and write made by the learner's methods is
recorded with the locks held and the epoch of the hold (``kit.sandbox.lockset``). The
verdicts come from those records (deterministic on every Python), and the directed
interleaving makes an unprotected update really lose a deposit.
"""
import threading

from kit.sandbox.calls import call, call_watching, jsonable, learner, new_threads, threads_now
from kit.sandbox.locks import is_reentrant
from kit.sandbox.lockset import Lockset, raw
from kit.sandbox.scene import Scene, outcomes, run_workers
from kit.sandbox.schedule import Interleaver

from .observe import AtomicChange, DepositWithdraw, LockHeld, NoLostUpdate, ReleasedOnError, RunThreads


def _account(m, scene, balance):
    """A learner Account with a tracked lock and a watched balance (and its lockset), or the failed call."""
    made = call(m.Account, balance, timeout=2)
    if made["raised"] or made["hung"]:
        return None, None, jsonable(made)
    acct = made["returned"]
    lock = scene.lock("self.lock", reentrant=is_reentrant(raw(acct, "lock")))
    acct.lock = lock
    lockset = Lockset(scene)
    lockset.watch(acct, guard=lock, label="account", skip={"lock"})
    return acct, lockset, None


def deposit_withdraw(start, deposits, withdrawals, short, seed) -> DepositWithdraw:
    m = learner("lock_balance")
    out = {"is_value_error": isinstance(getattr(m, "InsufficientFunds", None), type)
           and issubclass(m.InsufficientFunds, ValueError)}
    made = call(m.Account, timeout=2)
    if made["raised"] or made["hung"]:
        return {"setup": jsonable(made), "setup_call": "Account()"}
    out["default_balance"] = raw(made["returned"], "balance")
    made = call(m.Account, start, timeout=2)
    if made["raised"] or made["hung"]:
        return {"setup": jsonable(made), "setup_call": f"Account({start})"}
    acct = made["returned"]
    steps = []
    for kind, amount in [("deposit", a) for a in deposits] + [("withdraw", a) for a in withdrawals]:
        r = call(getattr(acct, kind), amount, timeout=2)
        steps.append({"call": f"{kind}({amount})", "out": jsonable(r), "balance": raw(acct, "balance")})
        if r["raised"] or r["hung"]:
            break
    out["steps"] = steps
    if steps and steps[-1]["out"]["hung"]:
        return out  # a call that never returns: say so now, do not wait for more
    # Not enough money: a fresh account each time (a lock left held must not fail this check).
    shorts = []
    for balance, amount in short:
        made = call(m.Account, balance, timeout=2)
        if made["raised"] or made["hung"]:
            return {"setup": jsonable(made), "setup_call": f"Account({balance})"}
        a = made["returned"]
        r = call(a.withdraw, amount, timeout=2)
        exc = r["exception"]
        shorts.append({"balance": balance, "amount": amount, "out": jsonable(r), "after": raw(a, "balance"),
                       "is_insufficient": isinstance(exc, getattr(m, "InsufficientFunds", ())) if exc else False})
        if r["hung"]:
            break
    out["short"] = shorts
    return out


def change_it_and_run_threads(start, n, amounts, iterations, seed) -> RunThreads:
    m = learner("lock_balance")
    acct, _, failed = _account(m, Scene(), start)
    if failed:
        return {"setup": failed, "setup_call": f"Account({start})"}
    ch = call(acct.change_it, n, timeout=2)
    out = {"change_it": jsonable(ch), "after_change_it": raw(acct, "balance")}
    if ch["hung"]:
        return out

    # run_threads with an account-like object that counts calls per thread; the first call
    # of each thread waits until the probe's main thread has seen every thread inside
    # change_it at once (the stacks, call_watching: nothing the calls report themselves).
    go_ev = threading.Event()
    seen = {}
    lock = threading.Lock()

    # The last call of the thread for amounts[i] waits until the thread for amounts[i + 1]
    # made its last call, then dawdles: later threads finish first, so joining only the
    # last thread leaves the others running, every time.
    done = {a: threading.Event() for a in amounts}
    after = dict(zip(amounts, amounts[1:]))

    class Recorder:
        def change_it(self, amount):
            me = threading.get_ident()
            with lock:
                first = me not in seen
                seen.setdefault(me, []).append(amount)
                last = len(seen[me]) == iterations
            if first:
                go_ev.wait(2.0)
            if last and amount in done:
                if amount in after:
                    done[after[amount]].wait(1.0)
                    threading.Event().wait(0.05)
                done[amount].set()

    before = threads_now()
    r = call_watching(m.run_threads, Recorder(), amounts, iterations, timeout=len(amounts) * 1.0 + 3,
                      inside=[Recorder.change_it.__code__], release=(go_ev, len(amounts), 1.0))
    out["run"] = jsonable(r)
    out["alive"] = new_threads(before)
    out["per_thread"] = [sorted(set(v)) + [len(v)] for v in seen.values()]
    out["in_caller"] = r["caller"] in r["seen"][0]
    out["together"] = r["peak"][0] >= len(amounts)
    return out


def _workers(scene, acct, lockset, jobs, timeout=3.0) -> dict:
    res = run_workers(scene, jobs, timeout=timeout)
    return {"results": outcomes(res), "hung": res["hung"], "deadlocks": scene.waitfor.deadlocks,
            "final": raw(acct, "balance")}


def lock_held(start, plan, seed) -> LockHeld:
    """Deposits, withdrawals (always covered) and change_it from two threads; lockset records."""
    m = learner("lock_balance")
    scene = Scene()
    acct, lockset, failed = _account(m, scene, start)
    if failed:
        return {"setup": failed, "setup_call": f"Account({start})"}
    jobs = [[(getattr(acct, kind), (amount,)) for kind, amount in calls] for calls in plan]
    return dict(_workers(scene, acct, lockset, jobs), accesses=lockset.shared()[:2000])


def no_lost_update(start, k, seed) -> NoLostUpdate:
    """Two threads x k deposits of 1, with the interleaving forced between read and write."""
    m = learner("lock_balance")
    scene = Scene()
    acct, lockset, failed = _account(m, scene, start)
    if failed:
        return {"setup": failed, "setup_call": f"Account({start})"}
    Interleaver(scene, lockset, timeout=0.5)
    jobs = [[(acct.deposit, (1,))] * k for _ in range(2)]
    out = _workers(scene, acct, lockset, jobs, timeout=4.0)
    bad = [a for a in lockset.shared() if a["kind"] == "write" and a.get("after_read")
           and (a["epoch"] is None or a.get("read_epoch") != a["epoch"])]
    seen = {(a["thread"], a["call"]) for a in lockset.shared()}
    return dict(out, split=bad[:5], n_split=len(bad), unseen=2 * k - len(seen))


def atomic_change(start, amounts, seed) -> AtomicChange:
    """change_it from two threads; every call's accesses must share one hold of self.lock."""
    m = learner("lock_balance")
    scene = Scene()
    acct, lockset, failed = _account(m, scene, start)
    if failed:
        return {"setup": failed, "setup_call": f"Account({start})"}
    jobs = [[(acct.change_it, (a,)) for a in amounts[i::2]] for i in range(2)]
    return dict(_workers(scene, acct, lockset, jobs), accesses=lockset.shared()[:2000])


def released_on_error(start, amount, seed) -> ReleasedOnError:
    m = learner("lock_balance")
    acct, _, failed = _account(m, Scene(), start)
    if failed:
        return {"setup": failed, "setup_call": f"Account({start})"}
    r = call(acct.withdraw, amount, timeout=2)
    exc = r["exception"]
    lock = raw(acct, "lock")
    state = lock.state()
    # Can another thread take it now? (A tracked lock never blocks the probe for long.)
    def try_it():
        if lock.acquire(True, 0.3):
            lock.release()
            return True
        return False
    other = call(try_it, timeout=2)
    return {"out": jsonable(r), "after": raw(acct, "balance"), "lock": state,
            "is_insufficient": isinstance(exc, getattr(m, "InsufficientFunds", ())) if exc else False,
            "other_got_it": bool(other["returned"])}
