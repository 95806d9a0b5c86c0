"""Hidden checks for rlock_ledger (docs/contract.md, section 4).

The probes give the Ledger a tracked lock (reentrant, except in ``safe.reentrant``, which
uses the learner's own kind), watch ``total`` and ``entries``, and observe the calls of
``record`` through a subclass, as the contract allows.
"""
from kit.core.i18n import _
from kit.engine.verdict import Shown, called

from . import probes

RLOCK_HINT = ("record_many holds self.lock and calls self.record, which takes it again: that needs "
              "threading.RLock(), which its owner may take again; a threading.Lock waits for itself forever.")
LOCK_TYPES = {"lock": "threading.Lock", "RLock": "threading.RLock"}


def _setup(check, obs):
    if "setup" in obs:
        check.returned(obs["setup_call"], obs["setup"])
        check.fail(called(obs["setup_call"], _("It did not work.")))


def test_correct_record_snapshot(check):
    rng = check.rng
    singles = [rng.randint(-20, 99) for _ in range(rng.randint(2, 4))]
    batch = [rng.randint(1, 99) for _ in range(rng.randint(3, 5))]
    obs = check.run(probes.record_snapshot, singles=singles, batch=batch,
                    call=_("Ledger() with record, record_many, snapshot"))
    _setup(check, obs)
    init = obs["initial"]
    check.expect(init == {"total": 0, "entries": []},
                 called("Ledger()", _("It had total={total}, entries={entries}, expected 0 and [].",
                                      total=repr(init["total"]), entries=repr(init["entries"]))))
    entries = []
    done = []
    for step in obs["steps"]:
        call = _("Ledger(), then {calls}", calls=", ".join(done + [step["call"]]))
        got = check.returned(call, step["out"])
        name = step["call"].split("(")[0]
        if name == "record":
            entries.append(singles[len(entries)])
        elif name == "record_many" and step["call"] != "record_many([])":
            entries += batch
        elif name == "snapshot":
            want = [sum(entries), len(entries)]
            check.expect(got == want, called(call, returned=got, expected=tuple(want)))
        f = step["fields"]
        check.expect(f["entries"] == entries and f["total"] == sum(entries),
                     called(call, _("Then entries={entries} and total={total}, expected {want} and {want_total}.",
                                    entries=repr(f["entries"]), total=repr(f["total"]), want=entries,
                                    want_total=sum(entries))))
        done.append(step["call"])
    check.expect(len(obs["steps"]) == len(singles) + 5, _("Not every call was made."))


def test_safe_reentrant(check):
    batch = [check.rng.randint(1, 99) for _ in range(check.rng.randint(3, 6))]
    obs = check.run(probes.reentrant, batch=batch, call=f"Ledger().record_many({batch})")
    _setup(check, obs)
    call = f"Ledger().record_many({batch})"
    kind = LOCK_TYPES.get(obs["info"]["original_type"], obs["info"]["original_type"])
    dl = obs["deadlocks"]
    if dl:
        site = dl[0]["threads"][0].get("site")
        if site:
            where = check.where([site])
            text = _("Deadlock: self.lock (a {kind}) is held by record_many and record asks for it again at "
                     "{where}: the thread would wait for itself forever.", kind=kind, where=where)
        else:
            text = _("Deadlock: self.lock (a {kind}) is held by record_many and record asks for it again: the "
                     "thread would wait for itself forever.", kind=kind)
        check.fail(called(call, text, hint=RLOCK_HINT))
    check.returned(call, obs["out"])
    check.expect(obs["info"]["original_reentrant"],
                 called("Ledger()", _("Its lock is a {kind}, which is not reentrant: the thread holding it cannot "
                                      "take it again.", kind=kind), hint=RLOCK_HINT))
    amounts = [c["amount"] for c in obs["calls"]]
    check.expect(amounts == batch,
                 called(call, _("self.record was called with {amounts}, expected once for each amount, in order: "
                                "record_many must call self.record(amount) (a subclass may change what recording "
                                "means).", amounts=amounts)))
    check.expect(not obs["lock"]["held"],
                 called(call, _("When it returned, self.lock was still held ({count} time(s)): every acquire "
                                "needs its release.", count=obs["lock"]["count"])))


def test_safe_batch_atomic(check):
    rng = check.rng
    before = [rng.randint(1, 50) for _ in range(rng.randint(1, 3))]
    batch = [rng.randint(1, 99) for _ in range(rng.randint(3, 6))]
    k = rng.randint(0, len(batch) - 2)
    obs = check.run(probes.batch_atomic, before=before, batch=batch, k=k, call=f"record_many({batch})")
    _setup(check, obs)
    call = _("{call} on a ledger holding {before}, while another thread takes self.lock right after {amount} is "
             "added to total", call=f"record_many({batch})", before=before, amount=batch[k])
    check.no_deadlock(call, obs["deadlocks"])
    check.returned(call, obs["out"])
    whole = before + batch
    check.expect(obs["fields"]["entries"] == whole,
                 called(call, _("Then entries={entries}, expected {want}.", entries=repr(obs["fields"]["entries"]),
                                want=whole)))
    check.expect(obs["observer_done"] and obs["snap"] is not None,
                 called(call, hint="The other thread could not take self.lock after record_many returned: "
                                   "is it left held?"))
    snap = obs["snap"]
    allowed = ([sum(before), len(before)], [sum(whole), len(whole)])
    if snap not in allowed:
        seen = snap[1] - len(before)
        check.fail(called(call, _("The other thread got self.lock in the middle of the batch and saw total={total}, "
                                  "{entries} entries: {seen} of the {n} amounts.", total=snap[0], entries=snap[1],
                                  seen=seen, n=len(batch)),
                          hint="record_many must hold self.lock across the whole loop (`with self.lock:` around "
                               "it), not only inside each record."))
    epochs = obs["epochs"]
    check.expect(epochs, called(call, hint="No write of self.total was seen: keep the total in the plain instance "
                                           "attribute `self.total`."))
    if None in epochs:
        text = _("record_many did not hold self.lock across the batch: total was updated without the lock held.")
    else:
        text = _("record_many did not hold self.lock across the batch: total was updated in {n} separate holds "
                 "of it.", n=len(set(epochs)))
    check.expect(None not in epochs and len(set(epochs)) == 1,
                 called(call, text, hint="Hold self.lock around the whole loop."))


def test_safe_error_midway(check):
    rng = check.rng
    before = [rng.randint(1, 50) for _ in range(rng.randint(1, 2))]
    batch = [rng.randint(1, 99) for _ in range(rng.randint(4, 6))]
    bad = rng.randint(1, len(batch) - 2)
    obs = check.run(probes.error_midway, before=before, batch=batch, bad=bad, call=f"record_many({batch})")
    _setup(check, obs)
    call = _("{call} on a ledger holding {before}, where {record} (the call for item {bad}) raises ValueError",
             call=f"record_many({batch})", before=before, record=f"record({batch[bad]})", bad=bad)
    out = obs["out"]
    if out["hung"] or not out["raised"] or out["raised"]["type"] != "ValueError":
        check.returned(call, out)
        check.fail(called(call, returned=out["returned"], expected=Shown(_("the ValueError to reach the caller")),
                          hint="Do not catch it in record_many."))
    check.expect(out["raised"]["message"] == f"record({batch[bad]}) failed",
                 called(call, _("Raised ValueError({message}), expected record's own exception.",
                                message=repr(out["raised"]["message"]))))
    want = before + batch[:bad]
    f = obs["fields"]
    check.expect(f["entries"] == want and f["total"] == sum(want),
                 called(call, _("Then entries={entries} and total={total}, expected {want} and {want_total}: the "
                                "amounts recorded before the failure stay, the rest are not recorded.",
                                entries=repr(f["entries"]), total=repr(f["total"]), want=want,
                                want_total=sum(want))))
    check.expect(not obs["lock"]["held"] and obs["other_got_it"],
                 called(call, _("After the exception self.lock was still held ({count} time(s)): no other thread "
                                "can ever take it.", count=obs["lock"]["count"]),
                        hint="Release on every path: `with self.lock:` (or try/finally)."))


def test_safe_concurrent(check):
    rng = check.rng
    plan = []
    for _thread in range(3):
        calls = []
        for _call in range(rng.randint(5, 8)):
            kind = rng.choice(["record", "record", "record_many", "snapshot"])
            if kind == "record":
                calls.append(("record", [rng.randint(1, 99)]))
            elif kind == "record_many":
                calls.append(("record_many", [[rng.randint(1, 99) for _ in range(rng.randint(2, 4))]]))
            else:
                calls.append(("snapshot", []))
        calls.append(("record", [rng.randint(1, 99)]))
        plan.append(calls)
    obs = check.run(probes.concurrent, plan=plan, call=_("record, record_many and snapshot from 3 threads"))
    _setup(check, obs)
    call = _("record, record_many and snapshot on one Ledger from 3 threads at once, with forced thread switches")
    check.finished(call, obs, limit=4, deadlock_hint=RLOCK_HINT)
    amounts = []
    for calls in plan:
        for name, args in calls:
            if name == "record":
                amounts.append(args[0])
            elif name == "record_many":
                amounts += args[0]
    f = obs["fields"]
    lost = sum(amounts) - f["total"] if isinstance(f["total"], int) else None
    bad = obs["unguarded"]
    why = ""
    if bad and bad[0]["kind"] == "read":
        why = _("`{attr}` was read without self.lock held at {sites}.", attr=bad[0]["attr"], sites=check.sites(bad))
    elif bad:
        why = _("`{attr}` was written without self.lock held at {sites}.", attr=bad[0]["attr"], sites=check.sites(bad))
    also = " " + why if why else ""
    check.expect(isinstance(f["entries"], list) and sorted(f["entries"]) == sorted(amounts),
                 called(call, _("entries ended with {n} amounts, expected {expected}.", n=len(f["entries"]),
                                expected=len(amounts)) + also))
    if lost:
        ended = _("total ended at {got}, expected {expected} ({lost} lost: another thread's update landed between "
                  "a read and a write of total).", got=repr(f["total"]), expected=sum(amounts), lost=lost)
    else:
        ended = _("total ended at {got}, expected {expected}.", got=repr(f["total"]), expected=sum(amounts))
    check.expect(f["total"] == sum(amounts), called(call, ended + also))
    check.expect(obs["n_accesses"] > 0,
                 called(call, hint="No read or write of self.total or self.entries was seen: keep them as plain "
                                   "instance attributes."))
    check.expect(not bad, called(call, _("The results were right this time, but {why}", why=why),
                                 hint="Every read and write of total and entries (in snapshot too) must happen "
                                      "while holding self.lock."))
