"""Hidden checks for rlock_ledger (docs/contract.md, section 4).

The probes give the Ledger a tracked lock (reentrant, except in ``safe.reentrant``, which
uses the learner's own kind), watch ``total`` and ``entries``, and observe the calls of
``record`` through a subclass, as the contract allows.
"""
from kit.engine.verdict import Shown, called

from . import probes

RLOCK_HINT = ("record_many holds self.lock and calls self.record, which takes it again: that needs "
              "threading.RLock(), which its owner may take again; a threading.Lock waits for itself forever.")
LOCK_TYPES = {"lock": "threading.Lock", "RLock": "threading.RLock"}


def _setup(check, obs):
    if "setup" in obs:
        check.returned(obs["setup_call"], obs["setup"])
        check.fail(called(obs["setup_call"], "It did not work."))


def test_correct_record_snapshot(check):
    rng = check.rng
    singles = [rng.randint(-20, 99) for _ in range(rng.randint(2, 4))]
    batch = [rng.randint(1, 99) for _ in range(rng.randint(3, 5))]
    obs = check.run(probes.record_snapshot, singles=singles, batch=batch,
                    call="Ledger() with record, record_many, snapshot")
    _setup(check, obs)
    init = obs["initial"]
    check.expect(init == {"total": 0, "entries": []},
                 called("Ledger()", f"It had total={init['total']!r}, entries={init['entries']!r}, expected 0 and []."))
    entries = []
    done = []
    for step in obs["steps"]:
        call = "Ledger(), then " + ", ".join(done + [step["call"]])
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
                     called(call, f"Then entries={f['entries']!r} and total={f['total']!r}, expected "
                                  f"{entries} and {sum(entries)}."))
        done.append(step["call"])
    check.expect(len(obs["steps"]) == len(singles) + 5, "Not every call was made.")


def test_safe_reentrant(check):
    batch = [check.rng.randint(1, 99) for _ in range(check.rng.randint(3, 6))]
    obs = check.run(probes.reentrant, batch=batch, call=f"Ledger().record_many({batch})")
    _setup(check, obs)
    call = f"Ledger().record_many({batch})"
    kind = LOCK_TYPES.get(obs["info"]["original_type"], obs["info"]["original_type"])
    dl = obs["deadlocks"]
    if dl:
        site = dl[0]["threads"][0].get("site")
        check.fail(called(call, f"Deadlock: self.lock (a {kind}) is held by record_many and record asks for it again"
                                + (f" at {check.where([site])}" if site else "")
                                + ": the thread would wait for itself forever.", hint=RLOCK_HINT))
    check.returned(call, obs["out"])
    check.expect(obs["info"]["original_reentrant"],
                 called("Ledger()", f"Its lock is a {kind}, which is not reentrant: the thread holding it cannot "
                                    "take it again.", hint=RLOCK_HINT))
    amounts = [c["amount"] for c in obs["calls"]]
    check.expect(amounts == batch,
                 called(call, f"self.record was called with {amounts}, expected once for each amount, in order: "
                              "record_many must call self.record(amount) (a subclass may change what recording "
                              "means)."))
    check.expect(not obs["lock"]["held"],
                 called(call, f"When it returned, self.lock was still held ({obs['lock']['count']} time(s)): "
                              "every acquire needs its release."))


def test_safe_batch_atomic(check):
    rng = check.rng
    before = [rng.randint(1, 50) for _ in range(rng.randint(1, 3))]
    batch = [rng.randint(1, 99) for _ in range(rng.randint(3, 6))]
    k = rng.randint(0, len(batch) - 2)
    obs = check.run(probes.batch_atomic, before=before, batch=batch, k=k, call=f"record_many({batch})")
    _setup(check, obs)
    call = (f"record_many({batch}) on a ledger holding {before}, while another thread takes self.lock "
            f"right after {batch[k]} is added to total")
    check.no_deadlock(call, obs["deadlocks"])
    check.returned(call, obs["out"])
    whole = before + batch
    check.expect(obs["fields"]["entries"] == whole,
                 called(call, f"Then entries={obs['fields']['entries']!r}, expected {whole}."))
    check.expect(obs["observer_done"] and obs["snap"] is not None,
                 called(call, hint="The other thread could not take self.lock after record_many returned: "
                                   "is it left held?"))
    snap = obs["snap"]
    allowed = ([sum(before), len(before)], [sum(whole), len(whole)])
    if snap not in allowed:
        seen = snap[1] - len(before)
        check.fail(called(call, f"The other thread got self.lock in the middle of the batch and saw "
                                f"total={snap[0]}, {snap[1]} entries: {seen} of the {len(batch)} amounts.",
                          hint="record_many must hold self.lock across the whole loop (`with self.lock:` around "
                               "it), not only inside each record."))
    epochs = obs["epochs"]
    check.expect(epochs, called(call, hint="No write of self.total was seen: keep the total in the plain instance "
                                           "attribute `self.total`."))
    check.expect(None not in epochs and len(set(epochs)) == 1,
                 called(call, "record_many did not hold self.lock across the batch: total was updated "
                              + ("without the lock held" if None in epochs
                                 else f"in {len(set(epochs))} separate holds of it") + ".",
                        hint="Hold self.lock around the whole loop."))


def test_safe_error_midway(check):
    rng = check.rng
    before = [rng.randint(1, 50) for _ in range(rng.randint(1, 2))]
    batch = [rng.randint(1, 99) for _ in range(rng.randint(4, 6))]
    bad = rng.randint(1, len(batch) - 2)
    obs = check.run(probes.error_midway, before=before, batch=batch, bad=bad, call=f"record_many({batch})")
    _setup(check, obs)
    call = (f"record_many({batch}) on a ledger holding {before}, where record({batch[bad]}) (the call for item "
            f"{bad}) raises ValueError")
    out = obs["out"]
    if out["hung"] or not out["raised"] or out["raised"]["type"] != "ValueError":
        check.returned(call, out)
        check.fail(called(call, returned=out["returned"], expected=Shown("the ValueError to reach the caller"),
                          hint="Do not catch it in record_many."))
    check.expect(out["raised"]["message"] == f"record({batch[bad]}) failed",
                 called(call, f"Raised ValueError({out['raised']['message']!r}), expected record's own exception."))
    want = before + batch[:bad]
    f = obs["fields"]
    check.expect(f["entries"] == want and f["total"] == sum(want),
                 called(call, f"Then entries={f['entries']!r} and total={f['total']!r}, expected {want} and "
                              f"{sum(want)}: the amounts recorded before the failure stay, the rest are not recorded."))
    check.expect(not obs["lock"]["held"] and obs["other_got_it"],
                 called(call, f"After the exception self.lock was still held ({obs['lock']['count']} time(s)): "
                              "no other thread can ever take it.",
                        hint="Release on every path: `with self.lock:` (or try/finally)."))


def test_safe_concurrent(check):
    rng = check.rng
    plan = []
    for _ in range(3):
        calls = []
        for _ in range(rng.randint(5, 8)):
            kind = rng.choice(["record", "record", "record_many", "snapshot"])
            if kind == "record":
                calls.append(("record", [rng.randint(1, 99)]))
            elif kind == "record_many":
                calls.append(("record_many", [[rng.randint(1, 99) for _ in range(rng.randint(2, 4))]]))
            else:
                calls.append(("snapshot", []))
        calls.append(("record", [rng.randint(1, 99)]))
        plan.append(calls)
    obs = check.run(probes.concurrent, plan=plan, call="record, record_many and snapshot from 3 threads")
    _setup(check, obs)
    call = "record, record_many and snapshot on one Ledger from 3 threads at once, with forced thread switches"
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
    if bad:
        why = (f" `{bad[0]['attr']}` was {'read' if bad[0]['kind'] == 'read' else 'written'} without self.lock held "
               f"at {check.sites(bad)}.")
    check.expect(isinstance(f["entries"], list) and sorted(f["entries"]) == sorted(amounts),
                 called(call, f"entries ended with {len(f['entries'])} amounts, expected {len(amounts)}.{why}"))
    check.expect(f["total"] == sum(amounts),
                 called(call, f"total ended at {f['total']!r}, expected {sum(amounts)}"
                              + (f" ({lost} lost: another thread's update landed between a read and a write of total)"
                                 if lost else "") + f".{why}"))
    check.expect(obs["n_accesses"] > 0,
                 called(call, hint="No read or write of self.total or self.entries was seen: keep them as plain "
                                   "instance attributes."))
    check.expect(not bad, called(call, f"The results were right this time, but{why}",
                                 hint="Every read and write of total and entries (in snapshot too) must happen "
                                      "while holding self.lock."))
