"""Hidden checks for lock_ordering (docs/contract.md, section 5).

The probes bring their own accounts (any object with .id, .balance and .lock will do):
non-reentrant tracked locks, a watched balance, rendezvous so that a wrong lock order
deadlocks every time, and a wait-for graph that names the cycle instead of hanging.
"""
from kit.core.i18n import _
from kit.engine.verdict import Shown, called

from . import probes

ORDER_HINT = ("Take the two locks in one global order, whatever the argument order -- e.g. "
              "`first, second = sorted((src, dst), key=lambda a: a.id)`: then any two transfers between the "
              "same accounts reach for the same lock first, so one gets both locks and the other waits its "
              "turn, instead of each holding the lock the other needs.")


def _ids(rng, n):
    return rng.sample(range(1, 100), n)


def _and(items):
    """``a and b and c`` in the learner's language ("" for none)."""
    text = ""
    for item in items:
        text = _("{first} and {second}", first=text, second=item) if text else item
    return text


def _finished(check, call, obs, limit, unexpected, deadlock_hint="", hang_hint=""):
    """Every transfer of a workers observation finished: no deadlock, no hang, nothing raised
    (``unexpected``: the message saying why InsufficientFunds was not expected either)."""
    check.finished(call, obs, limit=limit, deadlock_hint=deadlock_hint, hang_hint=hang_hint,
                   allowed=lambda o: o["insufficient"])
    for w in obs["results"]:
        for o in w:
            check.expect(not o["raised"], called(call, unexpected))


def _finished_transfers(check, call, obs, specs, plan, limit, deadlock_hint):
    """Every transfer of ``plan`` finished without raising; return the expected balances."""
    _finished(check, call, obs, limit,
              _("A transfer raised InsufficientFunds, but every account had enough money for all its transfers."),
              deadlock_hint)
    final = [b for _, b in specs]
    for calls in plan:
        for s, d, amount in calls:
            final[s] -= amount
            final[d] += amount
    return final


def test_correct_moves_money(check):
    rng = check.rng
    cases = []
    for kind in ("some", "some", "all", "short"):
        ids = _ids(rng, 2)
        if kind == "some" and len(cases) == 1:
            ids.sort(reverse=True)  # src.id > dst.id once
        bal = [rng.randint(20, 200), rng.randint(0, 200)]
        amount = {"some": rng.randint(1, bal[0] - 1), "all": bal[0], "short": bal[0] + rng.randint(1, 50)}[kind]
        cases.append((ids, bal, amount))
    obs = check.run(probes.moves_money, cases=cases, call="transfer(src, dst, amount)")
    for (ids, bal, amount), got in zip(cases, obs["cases"]):
        call = _("{call} with src = {src}, dst = {dst}", call=f"transfer(src, dst, {amount})",
                 src=f"Account(id={ids[0]}, balance={bal[0]})", dst=f"Account(id={ids[1]}, balance={bal[1]})")
        check.no_deadlock(call, got["deadlocks"], ORDER_HINT)
        out = got["out"]
        if amount > bal[0]:
            if out["hung"] or not out["raised"]:
                check.returned(call, out)
                check.fail(called(call, returned=out["returned"],
                                  expected=Shown(_("InsufficientFunds (the one from lock_balance) to be raised"))))
            check.expect(got["insufficient"],
                         called(call, _("Raised {type}: {message}, expected lock_balance.InsufficientFunds.",
                                        type=out["raised"]["type"], message=out["raised"]["message"])))
            check.expect(got["after"] == bal,
                         called(call, _("It raised InsufficientFunds but the balances became {got}, expected "
                                        "{expected} (nothing changed).", got=got["after"], expected=bal)))
        else:
            check.returned(call, out)
            want = [bal[0] - amount, bal[1] + amount]
            check.expect(got["after"] == want, called(call, _("The balances became {got}, expected {expected}.",
                                                              got=got["after"], expected=want)))
    check.expect(len(obs["cases"]) == len(cases), _("Not every transfer was made."))


def test_safe_locks_held(check):
    rng = check.rng
    ids = _ids(rng, 3)
    specs = [(i, rng.randint(2000, 3000)) for i in ids]
    # Every transfer goes "forward" in one random ranking of the accounts: no two transfers
    # run in opposite directions, so no lock order can deadlock here (that is no_deadlock's job).
    rank = rng.sample(range(3), 3)
    plan = []
    for _thread in range(2):
        calls = []
        for _call in range(rng.randint(4, 6)):
            s, d = sorted(rng.sample(range(3), 2), key=rank.index)
            calls.append((s, d, rng.randint(1, 50)))
        plan.append(calls)
    obs = check.run(probes.locks_held, specs=specs, plan=plan, call=_("transfers between 3 accounts from 2 threads"))
    call = _("transfers between accounts {ids} from 2 threads", ids=ids)
    final = _finished_transfers(check, call, obs, specs, plan, limit=3, deadlock_hint=ORDER_HINT)
    check.expect(obs["final"] == final, called(call, _("The balances ended at {got}, expected {expected}.",
                                                       got=obs["final"], expected=final)))
    check.expect(obs["n_accesses"] > 0,
                 called(call, hint="No read or write of .balance was seen: read and write the accounts' `balance` "
                                   "attributes directly."))
    bad = obs["bad"]
    if bad:
        b = bad[0]
        seen = {"obj": b["obj"], "held": _and(b["held"]) or _("no lock"), "needed": _and(b["needed"] or []),
                "where": check.where([b["site"]])}
        if b["kind"] == "read":
            text = _("The balance of {obj} was read while holding {held}, expected both {needed}, at {where} (the "
                     "funds check must be made under both locks too).", **seen)
        else:
            text = _("The balance of {obj} was written while holding {held}, expected both {needed}, at {where}.",
                     **seen)
        check.fail(called(call, text, hint="Take both locks first, then check and move the money."))


def test_safe_no_deadlock(check):
    rng = check.rng
    rounds = []
    ids = _ids(rng, 2)
    rounds.append(([(ids[0], 500), (ids[1], 500)], [(0, 1, rng.randint(1, 99)), (1, 0, rng.randint(1, 99))]))
    ids = sorted(_ids(rng, 2), reverse=True)
    rounds.append(([(ids[0], 500), (ids[1], 500)], [(0, 1, rng.randint(1, 99)), (1, 0, rng.randint(1, 99))]))
    ids = _ids(rng, 3)
    rounds.append(([(i, 500) for i in ids], [(k, (k + 1) % 3, rng.randint(1, 99)) for k in range(3)]))
    obs = check.run(probes.no_deadlock, rounds=rounds, call=_("transfers in opposite directions at the same moment"))
    for (specs, transfers), r in zip(rounds, obs["rounds"]):
        names = [_("account {id}", id=spec[0]) for spec in specs]
        call = _("{transfers} at the same moment",
                 transfers=_and(f"transfer({names[s]}, {names[d]}, {a})" for s, d, a in transfers))
        _finished(check, call, r, 3, _("A transfer raised InsufficientFunds, but every account had enough money."),
                  deadlock_hint=_("Each thread took the lock of its own src first and then waited for its dst.")
                  + " " + _(ORDER_HINT),
                  hang_hint=ORDER_HINT)
        final = [b for _, b in specs]
        for s, d, a in transfers:
            final[s] -= a
            final[d] += a
        check.expect(r["final"] == final, called(call, _("The balances ended at {got}, expected {expected}.",
                                                         got=r["final"], expected=final)))
    check.expect(len(obs["rounds"]) == len(rounds), _("Not every round was run."))


def test_safe_self_transfer(check):
    rng = check.rng
    cases = []
    b = rng.randint(10, 200)
    cases.append((rng.randint(1, 99), b, rng.randint(1, b)))
    b = rng.randint(0, 200)
    cases.append((rng.randint(1, 99), b, b + rng.randint(1, 50)))
    obs = check.run(probes.self_transfer, cases=cases, call="transfer(a, a, amount)")
    for (id_, bal, amount), got in zip(cases, obs["cases"]):
        call = _("{call} with a = {a}", call=f"transfer(a, a, {amount})", a=f"Account(id={id_}, balance={bal})")
        if got["deadlocks"]:
            d = got["deadlocks"][0]
            site = d["threads"][0].get("site")
            if site:
                text = _("It took a.lock a second time while already holding it (at {where}): a threading.Lock is "
                         "not reentrant, so it would wait for itself forever.", where=check.where([site]))
            else:
                text = _("It took a.lock a second time while already holding it: a threading.Lock is not "
                         "reentrant, so it would wait for itself forever.")
            check.fail(called(call, text,
                              hint="When src is dst, take the lock once (or handle that case first)."))
        out = got["out"]
        if amount > bal:
            if out["hung"] or not out["raised"]:
                check.returned(call, out)
                check.fail(called(call, returned=out["returned"], expected=Shown("InsufficientFunds"),
                                  hint="The amount is more than the balance, even when moving money to the same "
                                       "account."))
            check.expect(got["insufficient"],
                         called(call, _("Raised {type}: {message}, expected lock_balance.InsufficientFunds.",
                                        type=out["raised"]["type"], message=out["raised"]["message"])))
        else:
            check.returned(call, out)
        check.expect(got["after"] == bal,
                     called(call, _("The balance became {got}, expected {expected} (a transfer to the same account "
                                    "changes nothing).", got=got["after"], expected=bal)))
        check.expect(not got["lock"]["held"],
                     called(call, _("Afterwards a.lock was still held: the next transfer would wait forever."),
                            hint="Release it on every path (`with`)."))
    check.expect(len(obs["cases"]) == len(cases), _("Not every transfer was made."))


def test_safe_stress(check):
    rng = check.rng
    k = 4
    ids = _ids(rng, k)
    plan = []
    for i in range(k):
        calls = [(i, (i + 1) % k, rng.randint(1, 30))]  # around the ring, all at once
        for _call in range(rng.randint(8, 12)):
            s, d = rng.sample(range(k), 2)
            calls.append((s, d, rng.randint(1, 30)))
        plan.append(calls)
    outflow = [sum(a for calls in plan for s, _, a in calls if s == i) for i in range(k)]
    specs = [(ids[i], outflow[i] + rng.randint(0, 50)) for i in range(k)]
    obs = check.run(probes.stress, specs=specs, plan=plan, call=_("{k} threads transferring between {k} accounts", k=k))
    call = _("{k} threads each making {low} to {high} transfers between accounts {ids}", k=k,
             low=min(map(len, plan)), high=max(map(len, plan)), ids=ids)
    final = _finished_transfers(check, call, obs, specs, plan, limit=4,
                                deadlock_hint=_("The transfers did not all finish.") + " " + _(ORDER_HINT))
    check.expect(sum(obs["final"]) == sum(final),
                 called(call, _("Money was not conserved: the balances ended at {got} (total {got_total}), "
                                "expected {expected} (total {expected_total}).", got=obs["final"],
                                got_total=sum(obs["final"]), expected=final, expected_total=sum(final))))
    check.expect(obs["final"] == final, called(call, _("The balances ended at {got}, expected {expected}.",
                                                       got=obs["final"], expected=final)))
    held = [lk["label"] for lk in obs["locks"] if lk["held"]]
    check.expect(not held, called(call, _("When every transfer had returned, {locks} was still locked.",
                                          locks=", ".join(held))))
