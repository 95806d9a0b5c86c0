"""Hidden checks for lock_ordering (contract section 5).

The probes bring their own accounts (any object with .id, .balance and .lock will do):
non-reentrant tracked locks, a watched balance, rendezvous so that a wrong lock order
deadlocks every time, and a wait-for graph that names the cycle instead of hanging.
"""

ORDER_HINT = ("Take the two locks in one global order -- e.g. `first, second = sorted((src, dst), key=lambda a: a.id)` -- "
              "never in argument order: then two transfers between the same accounts reach for the same lock first.")


def _ids(rng, n):
    return rng.sample(range(1, 100), n)


def _deadlock_msg(check, call, d, hint):
    sites = []
    for t in d["threads"]:
        if t.get("site"):
            w = check.where([t["site"]])
            if w and w not in sites:
                sites.append(w)
    check.fail(f"Called {call}. Deadlock: {d['text']}" + (f" (at {', '.join(sites)})" if sites else "") + f". {hint}")


def _raised(check, call, o):
    if o["raised"] and not o["insufficient"]:
        check.fail(check.raised(call, o["raised"]))


def _desc(t):
    return f"transfer({t[0]}, {t[1]}, {t[2]})"


def _finished_transfers(check, call, obs, specs, plan, limit):
    """Every transfer of ``plan`` finished without raising; return the expected balances."""
    if obs["hung"]:
        h = obs["hung"][0]
        check.fail(f"Called {call}. Thread {h['thread']} did not finish within {limit} s; it was blocked at "
                   f"{check.where(h['stack']) or 'an unknown place'}.")
    for w in obs["results"]:
        for o in w:
            _raised(check, call, o)
            check.expect(not o["raised"], f"Called {call}. A transfer raised InsufficientFunds, but every account "
                                          "had enough money for all its transfers.")
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
    obs = check.run("moves_money", cases=cases, call="transfer(src, dst, amount)")
    for (ids, bal, amount), got in zip(cases, obs["cases"]):
        call = f"transfer(src, dst, {amount}) with src = Account(id={ids[0]}, balance={bal[0]}), dst = Account(id={ids[1]}, balance={bal[1]})"
        if got["deadlocks"]:
            _deadlock_msg(check, call, got["deadlocks"][0], ORDER_HINT)
        out = got["out"]
        if amount > bal[0]:
            if out["hung"] or not out["raised"]:
                check.returned(call, out)
                check.fail(f"Called {call}. Returned {out['returned']!r}, expected InsufficientFunds (the one from "
                           "lock_balance) to be raised.")
            check.expect(got["insufficient"],
                         f"Called {call}. Raised {out['raised']['type']}: {out['raised']['message']}, expected "
                         "lock_balance.InsufficientFunds.")
            check.expect(got["after"] == bal,
                         f"Called {call}. It raised InsufficientFunds but the balances became {got['after']}, expected "
                         f"{bal} (nothing changed).")
        else:
            check.returned(call, out)
            want = [bal[0] - amount, bal[1] + amount]
            check.expect(got["after"] == want, f"Called {call}. The balances became {got['after']}, expected {want}.")
    check.expect(len(obs["cases"]) == len(cases), "Not every transfer was made.")


def test_safe_locks_held(check):
    rng = check.rng
    ids = _ids(rng, 3)
    specs = [(i, rng.randint(2000, 3000)) for i in ids]
    # Every transfer goes "forward" in one random ranking of the accounts: no two transfers
    # run in opposite directions, so no lock order can deadlock here (that is no_deadlock's job).
    rank = rng.sample(range(3), 3)
    plan = []
    for _ in range(2):
        calls = []
        for _ in range(rng.randint(4, 6)):
            s, d = sorted(rng.sample(range(3), 2), key=rank.index)
            calls.append((s, d, rng.randint(1, 50)))
        plan.append(calls)
    obs = check.run("locks_held", specs=specs, plan=plan, call="transfers between 3 accounts from 2 threads")
    call = f"transfers between accounts {ids} from 2 threads"
    for d in obs["tracker"]["deadlocks"][:1]:
        _deadlock_msg(check, call, d, ORDER_HINT)
    final = _finished_transfers(check, call, obs, specs, plan, limit=3)
    check.expect(obs["final"] == final, f"Called {call}. The balances ended at {obs['final']}, expected {final}.")
    check.expect(obs["n_accesses"] > 0, f"Called {call}. No read or write of .balance was seen: read and write the "
                                        "accounts' `balance` attributes directly.")
    bad = obs["bad"]
    if bad:
        b = bad[0]
        held = " and ".join(b["held"]) or "no lock"
        kind = "read" if b["kind"] == "read" else "written"
        funds = " (the funds check must be made under both locks too)" if b["kind"] == "read" else ""
        check.fail(f"Called {call}. The balance of {b['obj']} was {kind} while holding {held}, expected both "
                   f"{' and '.join(b['needed'] or [])}, at {check.where([b['site']])}{funds}. Take both locks "
                   "first, then check and move the money.")


def test_safe_no_deadlock(check):
    rng = check.rng
    rounds = []
    ids = _ids(rng, 2)
    rounds.append(([(ids[0], 500), (ids[1], 500)], [(0, 1, rng.randint(1, 99)), (1, 0, rng.randint(1, 99))]))
    ids = sorted(_ids(rng, 2), reverse=True)
    rounds.append(([(ids[0], 500), (ids[1], 500)], [(0, 1, rng.randint(1, 99)), (1, 0, rng.randint(1, 99))]))
    ids = _ids(rng, 3)
    rounds.append(([(i, 500) for i in ids], [(k, (k + 1) % 3, rng.randint(1, 99)) for k in range(3)]))
    obs = check.run("no_deadlock", rounds=rounds, call="transfers in opposite directions at the same moment")
    for (specs, transfers), r in zip(rounds, obs["rounds"]):
        names = [f"account {i}" for i, _ in specs]
        call = " and ".join(f"transfer({names[s]}, {names[d]}, {a})" for s, d, a in transfers) + " at the same moment"
        if r["tracker"]["deadlocks"]:
            _deadlock_msg(check, call, r["tracker"]["deadlocks"][0],
                          "Each thread took the lock of its own src first and then waited for its dst. " + ORDER_HINT)
        if r["hung"]:
            h = r["hung"][0]
            check.fail(f"Called {call}. Thread {h['thread']} did not finish within 3 s; it was blocked at "
                       f"{check.where(h['stack']) or 'an unknown place'}. " + ORDER_HINT)
        for w in r["results"]:
            for o in w:
                _raised(check, call, o)
                check.expect(not o["raised"], f"Called {call}. A transfer raised InsufficientFunds, but every "
                                              "account had enough money.")
        final = [b for _, b in specs]
        for s, d, a in transfers:
            final[s] -= a
            final[d] += a
        check.expect(r["final"] == final, f"Called {call}. The balances ended at {r['final']}, expected {final}.")
    check.expect(len(obs["rounds"]) == len(rounds), "Not every round was run.")


def test_safe_self_transfer(check):
    rng = check.rng
    cases = []
    b = rng.randint(10, 200)
    cases.append((rng.randint(1, 99), b, rng.randint(1, b)))
    b = rng.randint(0, 200)
    cases.append((rng.randint(1, 99), b, b + rng.randint(1, 50)))
    obs = check.run("self_transfer", cases=cases, call="transfer(a, a, amount)")
    for (id_, bal, amount), got in zip(cases, obs["cases"]):
        call = f"transfer(a, a, {amount}) with a = Account(id={id_}, balance={bal})"
        if got["deadlocks"]:
            d = got["deadlocks"][0]
            site = d["threads"][0].get("site")
            check.fail(f"Called {call}. It took a.lock a second time while already holding it"
                       + (f" (at {check.where([site])})" if site else "")
                       + ": a threading.Lock is not reentrant, so it would wait for itself forever. When src is dst, "
                         "take the lock once (or handle that case first).")
        out = got["out"]
        if amount > bal:
            if out["hung"] or not out["raised"]:
                check.returned(call, out)
                check.fail(f"Called {call}. Returned {out['returned']!r}, expected InsufficientFunds: the amount is "
                           "more than the balance, even when moving money to the same account.")
            check.expect(got["insufficient"], f"Called {call}. Raised {out['raised']['type']}: "
                                              f"{out['raised']['message']}, expected lock_balance.InsufficientFunds.")
        else:
            check.returned(call, out)
        check.expect(got["after"] == bal, f"Called {call}. The balance became {got['after']}, expected {bal} "
                                          "(a transfer to the same account changes nothing).")
        check.expect(not got["lock"]["held"], f"Called {call}. Afterwards a.lock was still held: the next transfer "
                                              "would wait forever. Release it on every path (`with`).")
    check.expect(len(obs["cases"]) == len(cases), "Not every transfer was made.")


def test_safe_stress(check):
    rng = check.rng
    k = 4
    ids = _ids(rng, k)
    plan = []
    for i in range(k):
        calls = [(i, (i + 1) % k, rng.randint(1, 30))]  # around the ring, all at once
        for _ in range(rng.randint(8, 12)):
            s, d = rng.sample(range(k), 2)
            calls.append((s, d, rng.randint(1, 30)))
        plan.append(calls)
    outflow = [sum(a for calls in plan for s, _, a in calls if s == i) for i in range(k)]
    specs = [(ids[i], outflow[i] + rng.randint(0, 50)) for i in range(k)]
    obs = check.run("stress", specs=specs, plan=plan, call=f"{k} threads transferring between {k} accounts")
    call = f"{k} threads each making {min(map(len, plan))} to {max(map(len, plan))} transfers between accounts {ids}"
    if obs["tracker"]["deadlocks"]:
        _deadlock_msg(check, call, obs["tracker"]["deadlocks"][0], "The transfers did not all finish. " + ORDER_HINT)
    final = _finished_transfers(check, call, obs, specs, plan, limit=4)
    check.expect(sum(obs["final"]) == sum(final),
                 f"Called {call}. Money was not conserved: the balances ended at {obs['final']} (total "
                 f"{sum(obs['final'])}), expected {final} (total {sum(final)}).")
    check.expect(obs["final"] == final, f"Called {call}. The balances ended at {obs['final']}, expected {final}.")
    held = [lk["label"] for lk in obs["locks"] if lk["held"]]
    check.expect(not held, f"Called {call}. When every transfer had returned, {', '.join(held)} was still locked.")
