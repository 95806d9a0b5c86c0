"""Hidden checks for queue_reader_writer (docs/contract.md, section 7)."""
import signal
from collections import Counter

from kit.core.i18n import _
from kit.engine.verdict import Shown, called

from . import probes

DRAIN_HINT = ("Collect from `out` until n_readers sentinels have arrived, and only then join the processes: "
              "a process that put data on a Queue does not exit until its feeder thread has written all of it "
              "into the pipe, and the pipe's buffer is bounded, so joining it first waits forever once the data "
              "no longer fits.")


def _items(rng, k):
    """k items, never None, with falsy ones (0 and "") among them: compare with `is SENTINEL`."""
    items = [rng.choice([rng.randint(-999, 999), f"item-{rng.randint(0, 999)}"]) for _i in range(k)]
    for falsy in (0, ""):
        items[rng.randrange(2, k)] = falsy
    items[1] = f"late-{rng.randint(0, 999)}"  # the probe makes this one late (see probes.Late)
    return items


def _multiset(xs):
    return Counter(repr(x) for x in xs)


def test_correct_writer(check):
    items = _items(check.rng, check.rng.randint(5, 9))
    n = check.rng.randint(2, 4)
    call = f"writer(q, {items}, n_readers={n})"
    obs = check.run(probes.writer, items=items, n_readers=n, call=call)
    check.returned(call, obs["out"])
    expected = items + [None] * n
    got = obs["puts"]
    why, hint = "", ""
    if got[:len(items)] == items and got.count(None) == 1 and n > 1:
        why = _("Only one SENTINEL for {n} readers: each reader consumes the one it gets and stops, "
                "so the others wait forever.", n=n)
        hint = _("Put one per reader.")
    elif got[:len(items)] != items:
        hint = _("Put every item, in order, before any SENTINEL.")
    check.expect(got == expected, called(call, _("q received {got}, expected {expected}.", got=got, expected=expected),
                                         why, hint=hint))
    call = f"writer(q, {items})"
    check.returned(call, obs["default"])
    expected = items + [None]
    check.expect(obs["default_puts"] == expected,
                 called(call, _("q received {got}, expected {expected} (n_readers defaults to 1).",
                                got=obs["default_puts"], expected=expected)))


def test_correct_reader(check):
    items = _items(check.rng, check.rng.randint(6, 9))
    cut = check.rng.randint(2, len(items) - 2)
    early, late = items[:cut], items[cut:]
    obs = check.run(probes.reader, early=early, late=late, call="reader(q, out)")
    call = _("reader(q, out) where q holds {early}, then, once the reader has found q empty, "
             "{late} and two SENTINELs arrive", early=early, late=late)
    res = obs["out"]
    if res["hung"]:
        check.returned(call, res, hang_hint=_(
            "out had received {puts}. The reader must stop at the first SENTINEL it gets (`if item is "
            "SENTINEL: break`), put one SENTINEL on out and return, so its process ends by itself: a "
            "`while True` loop that only terminate() can stop is the article's mistake.", puts=obs["puts"]))
    check.returned(call, res)
    got = obs["puts"]
    expected = items + [None]
    why, hint = "", ""
    if got[:len(early)] == early and got[len(early):len(early) + 1] != late[:1] and got.count(None) <= 1:
        how = ", ".join(sorted(set(obs["calls"]))) or "q.empty()"
        why = _("It stopped before the late items came ({how} on an empty queue): an empty queue does not mean "
                "the writer is done, only a SENTINEL does.", how=how)
        hint = _("Block on q.get() (no timeout, no empty() check).")
    elif not got or got[-1] is not None:
        hint = _("After the last item, put one SENTINEL on out: it tells the collector this reader is done.")
    else:
        lost = [x for x in items if x not in got]
        if lost and all(x in (0, "") for x in lost):
            why = _("It stopped at a falsy item: 0 and '' are items.")
            hint = _("Test `item is SENTINEL`, not `not item`.")
    check.expect(got == expected, called(call, _("out received {got}, expected {expected}.", got=got,
                                                 expected=expected), why, hint=hint))
    check.expect(obs["left"] == [None],
                 called(call, _("After it returned, q still held {left}, expected [None]: a reader takes "
                                "exactly one SENTINEL (the other is another reader's) and then stops reading.",
                                left=obs["left"])))


def test_correct_pipeline(check):
    items = _items(check.rng, check.rng.randint(8, 14))
    n = check.rng.randint(2, 4)
    obs = check.run(probes.pipeline, items=items, n_readers=n, call=f"run_pipeline({items})", timeout=18)
    single_procs, many_procs = (step["started"] for step in check.runs[-1].steps)  # counted by the judge
    call = f"run_pipeline({items})"
    got = check.returned(call, obs["single"], hang_hint=DRAIN_HINT)
    check.in_order(call, got, items, order_hint="One reader: the items come back in input order.")
    check.expect(single_procs == 2,
                 called(call, _("It started {started} processes, expected 2: one writer process and "
                                "one reader process.", started=single_procs)))
    call = f"run_pipeline({items}, n_readers={n})"
    got = check.returned(call, obs["many"], hang_hint=_(
        "With {n} readers the writer must put {n} SENTINELs (writer(q, items, n_readers)), one for each reader, "
        "and the collector must wait for {n} SENTINELs on out. {drain}", n=n, drain=_(DRAIN_HINT)))
    ok = isinstance(got, list) and _multiset(got) == _multiset(items)
    check.expect(ok, called(call, returned=got, expected=Shown(_("the items {items} in any order, each exactly once",
                                                                 items=items))))
    check.expect(many_procs == n + 1,
                 called(call, _("It started {started} processes, expected {expected}: one writer and "
                                "{n} readers.", started=many_procs, expected=n + 1, n=n)))


def test_safe_large_payload(check):
    n = check.rng.randint(1200, 2000)
    kib = check.rng.randint(10, 16)
    call = _("run_pipeline({n} items of {kib} KiB each)", n=n, kib=kib)
    obs = check.run(probes.large, n=n, size=kib * 1024, call=call, timeout=11, hang_hint=DRAIN_HINT)
    check.returned(call, obs["out"], hang_hint=DRAIN_HINT)
    check.expect(obs["type"] == "list", called(call, _("Returned a {type}, expected a list.", type=obs["type"])))
    check.expect(obs.get("complete") and obs.get("in_order"),
                 called(call, _("Returned {count} items, expected all {n} in input order.", count=obs.get("count"), n=n)
                        if obs.get("complete") else
                        _("Returned {count} items, not the same items, expected all {n} in input order.",
                          count=obs.get("count"), n=n)))


def test_safe_no_terminate(check):
    items = _items(check.rng, check.rng.randint(5, 9))
    call = f"run_pipeline({items})"
    obs = check.run(probes.no_terminate, items=items, call=call)
    check.returned(call, obs["out"], hang_hint=DRAIN_HINT)
    # The signals its code sent, as the audit hook saw them (terminate() is SIGTERM, kill() SIGKILL).
    killed = [s for s in check.runs[-1].signals if s["sig"] in (signal.SIGTERM, signal.SIGKILL)]
    if killed:
        k = killed[0]
        how = "terminate()" if k["sig"] == signal.SIGTERM else "kill()"
        site = check.where([k]) if k.get("file") else ""
        stopped = (_("It stopped {n} process(es) with {how} at {site}: a reader that returns after its SENTINEL "
                     "ends by itself.", n=len(killed), how=how, site=site) if site else
                   _("It stopped {n} process(es) with {how}: a reader that returns after its SENTINEL ends by "
                     "itself.", n=len(killed), how=how))
        check.fail(called(call, stopped,
                          _("terminate() kills a process wherever it is: items it holds are lost and a Queue lock "
                            "it holds stays locked."), hint="Join it instead."))
    if obs["left"]:
        check.fail(called(call, _("When it returned, {n} of its processes were still there "
                                  "({statuses}): join every process before returning.",
                                  n=len(obs["left"]), statuses=", ".join(c["status"] for c in obs["left"]))))


def test_correct_spawn(check):
    items = _items(check.rng, check.rng.randint(5, 9))
    call = f"run_pipeline({items})"
    obs = check.run(probes.spawn, items=items, call=call, start_method="spawn", timeout=12)
    call = _("{call} under spawn", call=call)
    got = check.returned(call, obs["out"], hang_hint=DRAIN_HINT)
    check.expect(got == items, called(call, returned=got, expected=items))
