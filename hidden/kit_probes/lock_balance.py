"""Probes for lock_balance: the learner's Account with an instrumented lock and balance.

``account.lock`` is replaced by a ``TrackedLock`` (as reentrant as the learner's own
lock) and ``balance`` is watched: every read and write made by the learner's methods is
recorded with the locks held and the epoch of the hold (see ``kit.instrument``). The
verdicts come from those records (deterministic on every Python), and the directed
interleaving makes an unprotected update really lose a deposit.
"""
import threading

from kit.instrument import Tracker, is_reentrant, raw, run_workers, watch
from kit.probe import call, jsonable, learner, new_threads, threads_now


def _account(m, tracker, balance):
    """A learner Account with a tracked lock and a watched balance, or the failed constructor call."""
    made = call(m.Account, balance, timeout=2)
    if made["raised"] or made["hung"]:
        return None, jsonable(made)
    acct = made["returned"]
    original = raw(acct, "lock")
    lock = tracker.lock("self.lock", reentrant=is_reentrant(original))
    acct.lock = lock
    watch(tracker, acct, {"balance"}, guard=lock, label="account")
    return acct, None


def _outcomes(res):
    return [[{k: v for k, v in o.items() if k != "exception"} for o in worker] for worker in res["results"]]


def deposit_withdraw(start, deposits, withdrawals, short, seed):
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


def change_it_and_run_threads(start, n, amounts, iterations, seed):
    m = learner("lock_balance")
    tracker = Tracker()
    acct, failed = _account(m, tracker, start)
    if failed:
        return {"setup": failed, "setup_call": f"Account({start})"}
    ch = call(acct.change_it, n, timeout=2)
    out = {"change_it": jsonable(ch), "after_change_it": raw(acct, "balance")}
    if ch["hung"]:
        return out

    # run_threads with an account-like object that counts calls per thread and checks
    # that all the threads run at once (the first call of each waits at a barrier).
    barrier = threading.Barrier(len(amounts), timeout=1.0)
    seen = {}
    lock = threading.Lock()
    met = []

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
                try:
                    barrier.wait()
                    met.append(True)
                except threading.BrokenBarrierError:
                    met.append(False)
            if last and amount in done:
                if amount in after:
                    done[after[amount]].wait(1.0)
                    threading.Event().wait(0.05)
                done[amount].set()

    caller = {}

    def go():
        caller["ident"] = threading.get_ident()
        return m.run_threads(Recorder(), amounts, iterations)

    before = threads_now()
    r = call(go, timeout=len(amounts) * 1.0 + 3)
    out["run"] = jsonable(r)
    out["alive"] = new_threads(before)
    out["per_thread"] = [sorted(set(v)) + [len(v)] for v in seen.values()]
    out["in_caller"] = caller.get("ident") in seen
    out["together"] = all(met) and len(met) == len(amounts)
    return out


def lock_held(start, plan, seed):
    """Deposits, withdrawals (always covered) and change_it from two threads; lockset records."""
    m = learner("lock_balance")
    tracker = Tracker()
    acct, failed = _account(m, tracker, start)
    if failed:
        return {"setup": failed, "setup_call": f"Account({start})"}
    jobs = [[(getattr(acct, kind), (amount,)) for kind, amount in calls] for calls in plan]
    res = run_workers(tracker, jobs, timeout=3.0)
    return {"results": _outcomes(res), "hung": res["hung"], "final": raw(acct, "balance"),
            "accesses": tracker.accesses[:2000], "tracker": tracker.summary()}


def no_lost_update(start, k, seed):
    """Two threads x k deposits of 1, with directed interleaving."""
    m = learner("lock_balance")
    tracker = Tracker(interleave=True, hold_timeout=0.5)
    acct, failed = _account(m, tracker, start)
    if failed:
        return {"setup": failed, "setup_call": f"Account({start})"}
    jobs = [[(acct.deposit, (1,))] * k for _ in range(2)]
    res = run_workers(tracker, jobs, timeout=4.0)
    bad = [a for a in tracker.accesses if a["kind"] == "write" and a.get("after_read")
           and (a["epoch"] is None or a.get("read_epoch") != a["epoch"])]
    return {"results": _outcomes(res), "hung": res["hung"], "final": raw(acct, "balance"),
            "split": bad[:5], "n_split": len(bad), "reads": [a for a in tracker.accesses if a["kind"] == "read"][:3],
            "tracker": tracker.summary()}


def atomic_change(start, amounts, seed):
    """change_it from two threads; every call's accesses must share one hold of self.lock."""
    m = learner("lock_balance")
    tracker = Tracker()
    acct, failed = _account(m, tracker, start)
    if failed:
        return {"setup": failed, "setup_call": f"Account({start})"}
    jobs = [[(acct.change_it, (a,)) for a in amounts[i::2]] for i in range(2)]
    res = run_workers(tracker, jobs, timeout=3.0)
    return {"results": _outcomes(res), "hung": res["hung"], "final": raw(acct, "balance"),
            "accesses": tracker.accesses[:2000], "tracker": tracker.summary()}


def released_on_error(start, amount, seed):
    m = learner("lock_balance")
    tracker = Tracker()
    acct, failed = _account(m, tracker, start)
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
