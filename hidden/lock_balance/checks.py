"""Hidden checks for lock_balance (docs/contract.md, section 3).

The probes replace ``account.lock`` with a tracked lock and watch ``balance`` (lockset and
epochs, see ``kit/sandbox/lockset.py``): the verdicts do not depend on thread switches happening
by luck, so they are the same on every Python.
"""
from kit.core.i18n import _
from kit.engine.verdict import Shown, called

from . import probes

REENTRANT_HINT = ("A threading.Lock is not reentrant: do not call a method that takes self.lock while "
                  "already holding it.")


def _setup(check, obs):
    if "setup" in obs:
        check.returned(obs["setup_call"], obs["setup"])
        check.fail(called(obs["setup_call"], _("It did not give an Account.")))


def _workers(check, obs, call):
    check.finished(call, obs, limit=3, deadlock_hint=REENTRANT_HINT, hang_hint="Is self.lock left held somewhere?")


def test_correct_deposit_withdraw(check):
    rng = check.rng
    start = rng.randint(50, 150)
    deposits = [rng.randint(1, 60) for _ in range(3)]
    total = start + sum(deposits)
    withdrawals = [rng.randint(1, total // 4) for _ in range(2)]
    withdrawals.append(total - sum(withdrawals))  # exactly everything that is left: allowed
    b = rng.randint(0, 40)
    short = [(b, b + rng.randint(1, 30)), (0, rng.randint(1, 9))]
    obs = check.run(probes.deposit_withdraw, start=start, deposits=deposits, withdrawals=withdrawals, short=short,
                    call=_("Account({start}) with deposits and withdrawals", start=start))
    _setup(check, obs)
    check.expect(obs["is_value_error"], _("InsufficientFunds must be a class derived from ValueError."))
    check.expect(obs["default_balance"] == 0,
                 called("Account()", _("Its balance was {got}, expected 0.", got=repr(obs["default_balance"]))))
    done = []
    expected = start
    for step, (kind, amount) in zip(obs["steps"], [("deposit", a) for a in deposits]
                                    + [("withdraw", a) for a in withdrawals]):
        call = _("Account({start}), then {calls}", start=start, calls=", ".join(done + [step["call"]]))
        check.returned(call, step["out"])
        expected += amount if kind == "deposit" else -amount
        check.expect(step["balance"] == expected,
                     called(call, _("The balance was {got}, expected {expected}.", got=repr(step["balance"]),
                                    expected=expected)))
        done.append(step["call"])
    for s in obs["short"]:
        call = f"Account({s['balance']}).withdraw({s['amount']})"
        out = s["out"]
        if out["hung"] or not out["raised"]:
            check.returned(call, out)
            check.fail(called(call, returned=out["returned"], expected=Shown(_("InsufficientFunds to be raised")),
                              hint="(the amount is more than the balance)"))
        check.expect(s["is_insufficient"],
                     called(call, _("Raised {type}: {message}, expected InsufficientFunds.",
                                    type=out["raised"]["type"], message=out["raised"]["message"])))
        check.expect(s["after"] == s["balance"],
                     called(call, _("It raised InsufficientFunds but the balance became {got}, expected {expected} "
                                    "(nothing changed): check the funds before subtracting.",
                                    got=repr(s["after"]), expected=s["balance"])))


def test_correct_run_threads(check):
    rng = check.rng
    start = rng.randint(0, 100)
    n = rng.randint(3, 20)
    amounts = rng.sample(range(1, 20), rng.randint(2, 4))
    iterations = rng.randint(20, 60)
    obs = check.run(probes.change_it_and_run_threads, start=start, n=n, amounts=amounts, iterations=iterations,
                    call=f"run_threads(account, {amounts}, {iterations})")
    _setup(check, obs)
    call = f"Account({start}).change_it({n})"
    check.returned(call, obs["change_it"])
    check.expect("run" in obs, called(call, _("It did not return.")))
    check.expect(obs["after_change_it"] == start,
                 called(call, _("The balance became {got}, expected {expected}: deposit n, then withdraw n.",
                                got=repr(obs["after_change_it"]), expected=start)))
    call = _("{call} with an account whose change_it counts its calls per thread",
             call=f"run_threads(account, {amounts}, {iterations})")
    check.returned(call, obs["run"], hang_hint="Start every thread first, then join them all.")
    per = obs["per_thread"]
    check.expect(not obs["in_caller"],
                 called(call, _("change_it was called in the calling thread: each amount gets a thread of its own.")))
    check.expect(len(per) == len(amounts),
                 called(call, _("change_it was called from {got} thread(s), expected {expected} (one per amount).",
                                got=len(per), expected=len(amounts))))
    got = sorted((p[0], p[-1]) if len(p) == 2 else (p[:-1], p[-1]) for p in per)
    want = sorted((a, iterations) for a in amounts)
    check.expect(got == want,
                 called(call, _("Each thread should call change_it(its amount) {iterations} times; observed "
                                "(amount, calls) per thread: {got}, expected {expected}.",
                                iterations=iterations, got=got, expected=want)))
    check.expect(obs["together"],
                 called(call, _("The threads did not all run at once (the first call of each waited 1 s for "
                                "the others in vain)."), hint="Start every thread before joining any."))
    check.expect(not obs["alive"],
                 called(call, _("When it returned, {n} of its threads were still running: join every thread, "
                                "not only the last one.", n=len(obs["alive"]))))


def _balance_seen(check, call, accesses, calls, write=False):
    """Every call read (or, with ``write``, wrote) ``self.balance`` where the grader saw it: the
    contract keeps the balance there, and a call whose balance work went unseen was not checked."""
    kinds = ("write",) if write else ("read", "write")
    seen = {(a["thread"], a["call"]) for a in accesses if a["attr"] == "balance" and a["kind"] in kinds}
    if len(seen) >= calls:
        return
    if write:
        text = _("In {k} of the {n} calls, `self.balance` was never written as an attribute: keep the balance in "
                 "the plain instance attribute `self.balance` and read and write it as one (no "
                 "object.__setattr__, no __dict__), so the lock discipline can be checked.",
                 k=calls - len(seen), n=calls)
    else:
        text = _("In {k} of the {n} calls, `self.balance` was never read or written as an attribute: keep the "
                 "balance in the plain instance attribute `self.balance` and read and write it as one (no "
                 "object.__setattr__, no __dict__), so the lock discipline can be checked.",
                 k=calls - len(seen), n=calls)
    check.fail(called(call, text))


def test_safe_lock_held(check):
    rng = check.rng
    start = rng.randint(5000, 9000)
    plan = []
    for _thread in range(2):
        calls = []
        for _call in range(rng.randint(6, 10)):
            kind = rng.choice(["deposit", "withdraw", "change_it"])
            calls.append((kind, rng.randint(1, 99)))
        calls += [("deposit", rng.randint(1, 99)), ("withdraw", rng.randint(1, 99)), ("change_it", rng.randint(1, 99))]
        plan.append(calls)
    obs = check.run(probes.lock_held, start=start, plan=plan, call=_("Account({start}) from 2 threads", start=start))
    _setup(check, obs)
    call = _("deposit, withdraw and change_it on Account({start}) from 2 threads", start=start)
    _workers(check, obs, call)
    acc = obs["accesses"]
    check.expect(acc, called(call, _("No read or write of `self.balance` was seen, yet the balance changed: keep "
                                     "the balance in the plain instance attribute `self.balance` (no __dict__ or "
                                     "getattr tricks), so the lock discipline can be checked.")))
    _balance_seen(check, call, acc, sum(len(calls) for calls in plan))
    reads = [a for a in acc if not a["guarded"] and a["kind"] == "read"]
    writes = [a for a in acc if not a["guarded"] and a["kind"] == "write"]
    for kind, bad in (("read", reads), ("written", writes)):
        if bad:
            other = any(a["held"] for a in bad)
            where = {"attr": bad[0]["attr"], "sites": check.sites(bad)}
            if kind == "read" and other:
                text = _("`{attr}` was read without `self.lock` held at {sites}.", **where)
            elif kind == "read":
                text = _("`{attr}` was read without `self.lock` held at {sites} (no lock, or a lock other than "
                         "self.lock, e.g. a new Lock per call or one per thread).", **where)
            elif other:
                text = _("`{attr}` was written without `self.lock` held at {sites}.", **where)
            else:
                text = _("`{attr}` was written without `self.lock` held at {sites} (no lock, or a lock other than "
                         "self.lock, e.g. a new Lock per call or one per thread).", **where)
            check.fail(called(call, text, hint="Every read and write of the balance, the funds check included, must "
                                               "happen inside `with self.lock:` (the account's own lock, looked up "
                                               "each time)."))


def test_safe_no_lost_update(check):
    start = check.rng.randint(0, 100)
    k = check.rng.randint(20, 40)
    obs = check.run(probes.no_lost_update, start=start, k=k,
                    call=_("2 threads x {k} deposit(1) on Account({start})", k=k, start=start))
    _setup(check, obs)
    call = _("deposit(1) {k} times from each of 2 threads on Account({start}), with forced thread switches",
             k=k, start=start)
    _workers(check, obs, call)
    expected = start + 2 * k
    split = obs["split"]
    why = ""
    if split:
        unguarded = [s for s in split if s["epoch"] is None]
        if unguarded:
            why = _("`balance` was read and written without `self.lock` held ({sites}), so the other thread's "
                    "deposit landed between the read and the write and was overwritten.",
                    sites=check.sites(unguarded))
        else:
            why = (_("`balance` was read in one hold of `self.lock` and written in another ({sites}): between the "
                     "two, the other thread deposited, and that deposit was overwritten.", sites=check.sites(split))
                   + " " + _("Keep the read and the write inside one `with self.lock:`."))
    # The forcing works on the accesses it sees: a deposit whose reads and writes it never saw
    # (state kept out of the attributes' sight) was never tested, so this check cannot pass.
    check.expect(not obs["unseen"],
                 called(call, _("In {k} of the {n} deposits no read or write of the account's state was seen: "
                                "keep the balance in a plain instance attribute (self.balance), read and written "
                                "as attributes, so the interleaving can be forced on it.",
                                k=obs["unseen"], n=2 * k)))
    lost = expected - obs["final"] if isinstance(obs["final"], int) else None
    if lost:
        ended = _("The balance ended at {got}, expected {expected}: {lost} deposit(s) lost.",
                  got=repr(obs["final"]), expected=expected, lost=lost)
    else:
        ended = _("The balance ended at {got}, expected {expected}.", got=repr(obs["final"]), expected=expected)
    check.expect(obs["final"] == expected, called(call, ended + (" " + why if why else "")))
    check.expect(not split, called(call, _("The balance was right this time, but {why}", why=why))
                 if why else called(call))


def test_safe_atomic_change(check):
    start = check.rng.randint(0, 100)
    amounts = [check.rng.randint(1, 50) for _ in range(6)]
    obs = check.run(probes.atomic_change, start=start, amounts=amounts,
                    call=_("change_it from 2 threads on Account({start})", start=start))
    _setup(check, obs)
    call = _("change_it(n) for n in {amounts} from 2 threads on Account({start})", amounts=amounts, start=start)
    _workers(check, obs, call)
    check.expect(obs["final"] == start, called(call, _("The balance ended at {got}, expected {expected}.",
                                                       got=repr(obs["final"]), expected=start)))
    groups = {}
    for a in obs["accesses"]:
        groups.setdefault((a["thread"], a["call"]), []).append(a)
    check.expect(groups, called(call, _("No read or write of `self.balance` was seen: keep the balance in the "
                                        "plain instance attribute `self.balance`.")))
    _balance_seen(check, call, obs["accesses"], len(amounts), write=True)
    for recs in groups.values():
        if any(not r["guarded"] for r in recs):
            bad = [r for r in recs if not r["guarded"]]
            check.fail(called(call, _("change_it touched `balance` without `self.lock` held ({sites}): another "
                                      "thread could see the balance between the deposit and the withdraw.",
                                      sites=check.sites(bad)),
                              hint="Hold self.lock once around both steps."))
        epochs = sorted({r["epoch"] for r in recs})
        if len(epochs) > 1:
            check.fail(called(call, _("One change_it call took `self.lock` {n} separate times (at {sites}): "
                                      "between its deposit and its withdraw the lock was free and another thread "
                                      "could see the balance raised by n.", n=len(epochs), sites=check.sites(recs, 4)),
                              hint="Hold self.lock once around both steps (without calling self.deposit/"
                                   "self.withdraw inside it: a Lock is not reentrant)."))


def test_safe_released_on_error(check):
    start = check.rng.randint(0, 60)
    amount = start + check.rng.randint(1, 40)
    obs = check.run(probes.released_on_error, start=start, amount=amount, call=f"Account({start}).withdraw({amount})")
    _setup(check, obs)
    call = f"Account({start}).withdraw({amount})"
    out = obs["out"]
    if out["hung"] or not out["raised"] or not obs["is_insufficient"]:
        check.returned(call, out)
        check.fail(called(call, returned=out["returned"], expected=Shown(_("InsufficientFunds to be raised"))))
    check.expect(not obs["lock"]["held"] and obs["other_got_it"],
                 called(call, _("It raised InsufficientFunds and left `self.lock` held: every later call on this "
                                "account would wait forever."),
                        hint="Release the lock on every path: `with self.lock:` (or try/finally around "
                             "acquire/release)."))
