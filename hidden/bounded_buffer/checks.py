"""Hidden checks for bounded_buffer (docs/contract.md, section 11).

The probes replace ``buffer.cond`` with a ``ControlledCondition`` (``kit/sandbox/conditions.py``)
that decides which waiting thread wakes up and when it runs again, and they run each
learner call in a named thread (``C1`` = a ``get()``, ``P2`` = a ``put('b')``), one step at a
time. So the schedules that break wrong code -- an item taken before the woken consumer
runs, a notify() that wakes the wrong side, close() with threads asleep -- happen on every
run, and a thread asleep forever is reported with who waits on what and who woke whom.
"""
from collections import Counter

from kit.core.i18n import _
from kit.engine.verdict import Shown, called

from . import probes

WHILE_HINT = ("Wait in a loop that re-checks: `while not self.items and not self.closed: self.cond.wait()` "
              "(and `while len(self.items) >= self.capacity and not self.closed:` in put).")
NOTIFY_HINT = ("Producers and consumers share one condition, so notify() may wake a thread of the wrong side, "
               "which re-checks and sleeps again, while the one that could go on is never woken. Use "
               "self.cond.notify_all() after every change: each woken thread re-checks its own condition.")


def _setup(check, obs):
    if "setup" in obs:
        check.returned(obs["setup_call"], obs["setup"])
        check.fail(called(obs["setup_call"], _("It did not give a BoundedBuffer with a `cond` attribute.")))


def _outcome(a) -> str:
    if not a["done"]:
        return _("is still running")
    if a["raised"]:
        return _("raised {error}", error=f"{a['raised']['type']}({a['raised']['message']!r})")
    return _("returned {value}", value=repr(a["returned"]))


def _legend(actors) -> str:
    return ", ".join(f"{a['name']} = {a['call']}" for a in actors)


def _not_done(check, call, actors):
    """NotImplementedError (or any error) in a step: say so plainly, before reading the schedule."""
    for a in actors:
        if a["raised"] and a["raised"]["type"] == "NotImplementedError":
            check.fail_raised(f"{a['call']} ({call})", a["raised"])


def _asleep(check, part) -> str:
    """The wait-for picture: who sleeps where, who notified whom since the probe let go."""
    cond = part.get("cond") or {}
    calls = {a["name"]: a["call"] for a in part.get("actors", [])}
    events = cond.get("events", [])
    start = max([i for i, e in enumerate(events) if e["event"] in ("let_go",)] or [0])
    woke = []
    for e in events[start:]:
        if e["event"] in ("notify", "notify_all"):
            what = "notify()" if e["event"] == "notify" and e.get("n") in (None, 1) else (
                f"notify({e['n']})" if e["event"] == "notify" else "notify_all()")
            state = e.get("state") or {}
            woke.append(_("{thread} called {what}, which woke {woken}", thread=e["thread"], what=what,
                          woken=", ".join(e.get("woke") or []) or _("nobody"))
                        + (_(" while {threads} stayed asleep", threads=", ".join(e["left"])) if e.get("left") else "")
                        + (_(" (the buffer held {items})", items=repr(state.get("items"))) if "items" in state else ""))
    sleepers = []
    for w in cond.get("waiting", []):
        name = w["thread"]
        at = check.where([w["site"]]) if w.get("site") else ""
        waits = cond.get("counts", {}).get(name, {}).get("wait", 0)
        history = _("never notified") if waits <= 1 else _("woken {n} time(s), then asleep again", n=waits - 1)
        if at:
            sleepers.append(_("{name} ({call}) sleeps in cond.wait() at {at}, {history}",
                              name=name, call=calls.get(name, "?"), at=at, history=history))
        else:
            sleepers.append(_("{name} ({call}) sleeps in cond.wait(), {history}",
                              name=name, call=calls.get(name, "?"), history=history))
    text = ""
    if woke:
        text += _("Then: {events}.", events="; ".join(woke)) + " "
    if sleepers:
        text += _("Asleep forever: {sleepers}.", sleepers="; ".join(sleepers))
    items = part.get("items")
    if items is not None:
        text += " " + _("The buffer holds {items}.", items=repr(items))
    return text.strip()


# -- correct ----------------------------------------------------------------------------------------
def test_correct_fifo_capacity(check):
    cap = check.rng.randint(2, 4)
    values = [f"{w}{check.rng.randint(1, 9)}" for w in check.rng.sample(["ant", "bee", "cat", "dog", "eel", "fox"], cap)]
    extra = "yak"
    call = _("BoundedBuffer({cap}), then put() of {values} and {extra}, then get() until empty",
             cap=cap, values=values, extra=repr(extra))
    obs = check.run(probes.fifo_capacity, capacity=cap, values=values, extra=extra, call=call)
    _setup(check, obs)
    at = obs["attrs"]
    new = f"BoundedBuffer({cap})"
    check.expect(at["items_is_deque"] and at["items_len"] == 0,
                 called(new, _("self.items was a {type} of {n} items, expected an empty collections.deque.",
                               type=at["items_type"], n=at["items_len"])))
    check.expect(at["capacity"] == cap, called(new, _("self.capacity was {got}, expected {cap}.",
                                                      got=repr(at["capacity"]), cap=cap)))
    check.expect(at["closed"] is False,
                 called(new, _("self.closed was {got}, expected False.", got=repr(at["closed"]))))
    check.expect(at["cond_is_condition"], called(new, _("self.cond was a {type}, expected a threading.Condition().",
                                                        type=at["cond_type"])))
    _not_done(check, call, obs.get("puts", []) + obs.get("gets", []))
    for i, a in enumerate(obs["puts"]):
        step = _("{buffer}, then {calls}", buffer=new, calls=", ".join(p["call"] for p in obs["puts"][:i + 1]))
        if not a["done"]:
            check.fail(called(step, _("{call} did not return: it waited with {i} item(s) in a buffer of "
                                      "capacity {cap}. put must wait only while the buffer is full.",
                                      call=a["call"], i=i, cap=cap)))
        if a["raised"]:
            check.fail_raised(step, a["raised"])
    full = _("{buffer} holding {cap} items (full)", buffer=new, cap=cap)
    check.expect(obs["extra_waited"],
                 called(_("put({item}) on {buffer}", item=repr(extra), buffer=full),
                        _("It returned at once, and the buffer held {n} items. put must wait while "
                          "len(self.items) >= self.capacity.", n=obs["size_with_extra"])))
    check.expect(obs["peak"] <= cap,
                 called(call, _("The buffer held {peak} items at one point, capacity {cap}: it must never "
                                "hold more than capacity items.", peak=obs["peak"], cap=cap)))
    gets = obs["gets"]
    got = [g["returned"] for g in gets if g["done"] and not g["raised"]]
    want = values + [extra]
    for g in gets:
        if not g["done"]:
            check.fail(called(_("get() on {buffer} with put({item}) waiting, then get() until empty",
                                buffer=full, item=repr(extra)),
                              _("After {got}, a get() did not return; was the waiting put({item}) woken "
                                "when get() made room? Notify after every popleft.", got=repr(got), item=repr(extra))))
        if g["raised"]:
            check.fail_raised(_("get() after {got}", got=repr(got)), g["raised"])
    order = ""
    if sorted(map(repr, got)) == sorted(map(repr, want)):
        order = _("The right items in the wrong order: get returns the oldest item (first in, first out: popleft).")
    check.expect(got == want, called(_("put() of {values}, put({item}) (waiting for room), then get() {n} times",
                                       values=values, item=repr(extra), n=len(want)),
                                     returned=Shown(got), expected=Shown(want), hint=order))
    check.expect(obs["extra"]["done"] and not obs["extra"]["raised"],
                 called(_("put({item}) on {buffer}", item=repr(extra), buffer=full),
                        _("It {outcome} after get() made room.", outcome=_outcome(obs["extra"]))))


def test_correct_close(check):
    z = f"zebra{check.rng.randint(1, 99)}"
    obs = check.run(probes.close, z=z, call=_("close() with consumers, then producers, blocked"))
    _setup(check, obs)
    check.expect(obs["closed_is_exception"], _("Closed must be a class derived from Exception."))
    part = obs["consumers"]
    sleepers = [a for a in part["actors"] if a["call"] == "get()"]
    _not_done(check, "close", part["actors"])
    call = _("close() (as X) while C1 = get() and C2 = get() slept on an empty BoundedBuffer(2)")
    x = [a for a in part["actors"] if a["name"] == "X"][0]
    if part["result"] != "done":
        if not x["done"]:
            check.fail(called(call, _("close() itself did not return. {asleep}", asleep=_asleep(check, part))))
        woken = any(e["event"] in ("notify", "notify_all") and e["thread"] == "X" and e.get("woke")
                    for e in part["cond"]["events"])
        why = (_("close() woke them, but they went back to sleep: the wait loop must end once the buffer is "
                 "closed (`while not self.items and not self.closed:`), and get then raises Closed.")
               if woken else _("close() woke nobody: it must call self.cond.notify_all() after setting closed."))
        check.fail(called(call, _("The consumers never got Closed. {asleep}", asleep=_asleep(check, part)), why))
    for a in sleepers:
        check.expect(a["closed"], called(call, _("{name}'s get() {outcome}, expected Closed to be raised "
                                                 "(closed and empty).", name=a["name"], outcome=_outcome(a))))
    p = part["put_after"]
    check.expect(p["closed"], called(_("put({item}) on a closed, empty buffer", item=repr(z)),
                                     _("It {outcome}, expected Closed to be raised; the buffer then held {items}.",
                                       outcome=_outcome(p), items=repr(part["items_after_put"]))
                                     if part.get("size_after_put") else
                                     _("It {outcome}, expected Closed to be raised.", outcome=_outcome(p))))
    g = part["drain"][0] if part.get("drain") else None
    check.expect(g is not None and g["closed"],
                 called(_("get() on a closed, empty buffer"),
                        _("It {outcome}, expected Closed to be raised.",
                          outcome=_outcome(g) if g else _("did not run"))))
    part = obs["producers"]
    filled = part["filled"]
    _not_done(check, "close", part["actors"])
    if part["full"]:
        names = [f"{a['name']} = {a['call']}" for a in part["actors"] if a["name"] != "X"]
        call = _("close() (as X) while {threads} slept on a full BoundedBuffer(1) holding {items}",
                 threads=_(" and ").join(names), items=repr(filled))
        x = [a for a in part["actors"] if a["name"] == "X"][0]
        if part["result"] != "done":
            if not x["done"]:
                check.fail(called(call, _("close() itself did not return. {asleep}", asleep=_asleep(check, part))))
            woken = any(e["event"] in ("notify", "notify_all") and e["thread"] == "X" and e.get("woke")
                        for e in part["cond"]["events"])
            why = (_("close() woke them, but they went back to sleep: put's wait loop must end once the buffer "
                     "is closed (`while len(self.items) >= self.capacity and not self.closed:`), and put then "
                     "raises Closed.") if woken else
                   _("close() woke nobody: call self.cond.notify_all() in close()."))
            check.fail(called(call, _("The producers never got Closed. {asleep}", asleep=_asleep(check, part)), why))
        for a in part["actors"]:
            if a["name"] != "X":
                check.expect(a["closed"], called(call, _("{name}'s {call} {outcome}, expected Closed to be raised: "
                                                         "close wakes blocked producers too, and a closed buffer "
                                                         "takes no more items.", name=a["name"], call=a["call"],
                                                         outcome=_outcome(a))))
        check.expect(part["items_after"] == filled,
                     called(call, _("The buffer held {items} afterwards, expected {filled}.",
                                    items=repr(part["items_after"]), filled=repr(filled))))
    drain = part.get("drain", [])
    call = _("close() on a buffer holding {items}, then get() until Closed", items=repr(filled))
    got = [g["returned"] for g in drain if g["done"] and not g["raised"]]
    if Counter(map(repr, got)) != Counter(map(repr, filled)):
        last = drain[len(got)] if len(drain) > len(got) else None
        if last:
            check.fail(called(call, _("The gets returned {got}, then one {outcome}; expected {filled} first: items "
                                      "already in a closed buffer can still be taken (get raises Closed only once it "
                                      "is closed AND empty).", got=repr(got), outcome=_outcome(last),
                                      filled=repr(filled))))
        check.fail(called(call, _("The gets returned {got}; expected {filled} first: items already in a closed "
                                  "buffer can still be taken (get raises Closed only once it is closed AND empty).",
                                  got=repr(got), filled=repr(filled))))
    last = drain[-1] if len(drain) > len(got) else None
    check.expect(last is not None and last["closed"],
                 called(call, _("After {got}, get() {outcome}, expected Closed to be raised (closed and empty).",
                                got=repr(got), outcome=_outcome(last) if last else _("was not called"))))


def _items_of(rng, n_producers, sizes):
    letters = rng.sample("ABDEFGHJKMNPRSTUVWXYZ", n_producers)
    return [[f"{letters[p]}{k + 1}" for k in range(sizes[p])] for p in range(n_producers)]


def test_correct_run_producers_consumers(check):
    rng = check.rng
    one = _items_of(rng, 1, [rng.randint(5, 6)])
    many = _items_of(rng, 3, [rng.randint(3, 5) for _i in range(3)])
    runs = [(one, 2, rng.randint(1, 2)), (many, 3, 2)]
    obs = check.run(probes.run_producers_consumers, runs=runs, call="run_producers_consumers(...)")
    _setup(check, obs)
    for r, (producers, consumers, capacity) in zip(obs["runs"], runs):
        call = _("{call} with consumers taking turns at get()", call=r["call"]) if consumers > 1 else r["call"]
        out = r["out"]
        if out["hung"]:
            waiting = []
            for cond in r.get("conds", []):
                waiting += [_("{thread} sleeps in cond.wait() at {at}", thread=w["thread"], at=check.where([w["site"]]))
                            if w.get("site") else _("{thread} sleeps in cond.wait()", thread=w["thread"])
                            for w in cond.get("waiting", [])]
            closed = r["closes"]
            advice = (_("close() was called, but a consumer still sleeps: does close() wake every waiting thread?")
                      if closed and waiting else
                      _("Start the consumers, join the producers, close(), then join the consumers; each consumer "
                        "stops when get() raises Closed."))
            check.returned(call, out, hang_hint=_("{waiting}. {advice}", waiting="; ".join(waiting), advice=advice)
                           if waiting else advice)
        check.returned(call, out)
        check.expect(r["buffers"], called(call, _("It made no BoundedBuffer: use one BoundedBuffer(capacity).")))
        caps = [b["capacity"] for b in r["buffers"]]
        check.expect(caps == [capacity], called(call, _("It made BoundedBuffer({caps}), expected one "
                                                        "BoundedBuffer({capacity}).",
                                                        caps=", ".join(map(repr, caps)), capacity=capacity)))
        check.expect(not r["alive"],
                     called(call, _("When it returned, threads {threads} were still running: join every "
                                    "thread it started (every consumer too, not only the last one).",
                                    threads=r["alive"])))
        check.expect(r["returned_type"] in ("list", "tuple"),
                     called(call, returned=Shown(r["returned"]), expected=Shown(_("a list of the items consumed"))))
        got = r["returned"]
        want = [x for items in producers for x in items]
        missing = list((Counter(want) - Counter(got)).elements())
        extra = list((Counter(got) - Counter(want)).elements())
        if missing or extra:
            check.fail(called(call, returned=Shown(got), expected=Shown(_("each of {items} exactly once", items=want)),
                              hint=((_("Missing: {missing}.", missing=missing) + " ") if missing else "")
                              + (_("Not ours, or twice: {extra}.", extra=extra) if extra else "")))
        for p, items in enumerate(producers):
            mine = [x for x in got if x in items]
            check.expect(mine == items, called(
                call, returned=Shown(got),
                expected=Shown(_("{items} in that order", items=items) if len(producers) == 1 else
                               _("producer {p}'s items {items} in that order", p=p, items=items)),
                hint="Here the consumers take turns at get(), and the first one writes its item down only after "
                     "the next one has taken and written down its own: neither the order items are written "
                     "down nor one list per consumer is the order they left the buffer. Record where each item "
                     "came from (producer, position) and put each producer's items back in that order."))
        threads = [sorted(set(t)) for t in r["putters"]]
        for p, ts in enumerate(threads):
            check.expect(len(ts) == 1, called(call, _("Producer {p}'s items were put by {n} threads {threads}, "
                                                      "expected one thread per producer, putting its items in order.",
                                                      p=p, n=len(ts), threads=ts)))
        names = [ts[0] for ts in threads if ts]
        check.expect(len(set(names)) == len(names),
                     called(call, _("Several producers' items were put by the same thread ({threads}): one thread "
                                    "per producer.", threads=names)))
        check.expect(r["consumer_threads"] == consumers,
                     called(call, _("get() was called from {n} thread(s), expected {consumers} consumer threads.",
                                    n=r["consumer_threads"], consumers=consumers)))
        closes = r["closes"]
        check.expect(closes, called(call, _("It never called close(): the consumers can only stop on Closed.")))
        done = closes[0]["producers_done"]
        sizes = [len(items) for items in producers]
        check.expect(done == sizes,
                     called(call, _("close() was called when the producers had put {done} of {sizes} items: close "
                                    "only after joining every producer.", done=done, sizes=sizes)))


# -- safe -------------------------------------------------------------------------------------------
def test_safe_while_loop(check):
    item = f"plum{check.rng.randint(1, 99)}"
    other = f"pear{check.rng.randint(1, 99)}"
    slot = f"sloe{check.rng.randint(1, 99)}"
    obs = check.run(probes.while_loop, item=item, other=other, slot=slot,
                    call=_("get() and put() woken after the item or slot was taken"))
    _setup(check, obs)
    g = obs["get_side"]
    _not_done(check, "get side", g.get("actors", []))
    if g.get("applies"):
        call = _("C1 = get(), P1 = put({item}), C2 = get() on one BoundedBuffer(2), in that order", item=repr(item))
        story = _("C1 slept on the empty buffer; P1 put {item} and woke C1; before C1 ran again, C2 took {item}.",
                  item=repr(item))
        a = g["after_steal"]
        check.expect(not a["done"], called(call, story, _("Woken, C1 did not check again: it {outcome} with "
                                                          "the buffer empty, instead of waiting again.",
                                                          outcome=_outcome(a)), hint=WHILE_HINT))
        s = g.get("after_spurious")
        if s is not None:
            check.expect(not s["done"], called(
                call, story, _("C1 waited again (right); then it was woken with nobody notifying it (a spurious "
                               "wake-up) and {outcome} with the buffer still empty, instead of waiting again.",
                               outcome=_outcome(s)),
                hint=WHILE_HINT))
    p = obs["put_side"]
    _not_done(check, "put side", p.get("actors", []))
    if p.get("applies"):
        full = p["full"]
        who = p["woken"]
        call_of = {a["name"]: a["call"] for a in p["actors"]}
        thief = p["thief"]
        call = _("{who} = {who_call}, C1 = get(), {thief} = {thief_call} on a full BoundedBuffer({capacity}) "
                 "holding {full} item(s), in that order", who=who, who_call=call_of.get(who), thief=thief,
                 thief_call=call_of.get(thief), capacity=p["capacity"], full=full)
        story = _("{who} slept on the full buffer; C1 took an item and woke {who}; before {who} ran again, "
                  "{thief} filled the free slot.", who=who, thief=thief)
        a = p["after_steal"]
        check.expect(not a["done"], called(
            call, story,
            _("Woken, {who} did not check again: it {outcome}, instead of waiting again.", who=who,
              outcome=_outcome(a)) if a["raised"] else
            _("Woken, {who} did not check again: it {outcome} and the buffer held {n} items, instead of waiting "
              "again.", who=who, outcome=_outcome(a), n=p["size_after_steal"]),
            hint=WHILE_HINT))
        s = p.get("after_spurious")
        if s is not None:
            check.expect(not s["done"], called(
                call, story,
                _("{who} waited again (right); then it was woken with nobody notifying it (a spurious wake-up) and "
                  "{outcome}, instead of waiting again.", who=who, outcome=_outcome(s)) if s["raised"] else
                _("{who} waited again (right); then it was woken with nobody notifying it (a spurious wake-up) and "
                  "{outcome}, the buffer holding {n} items, instead of waiting again.", who=who,
                  outcome=_outcome(s), n=p["size_after_spurious"]),
                hint=WHILE_HINT))


def test_safe_notify(check):
    a, b, c = (f"{w}{check.rng.randint(1, 99)}" for w in ("kiwi", "lime", "date"))
    obs = check.run(probes.notify, a=a, b=b, c=c, call=_("producers and consumers asleep on one condition"))
    _setup(check, obs)
    for side in ("consumers", "producers"):
        part = obs[side]
        if not part.get("applies"):
            continue
        _not_done(check, side, part["actors"])
        calls = {x["name"]: x["call"] for x in part["actors"]}
        if side == "consumers":
            call = _("C1 = get(), C2 = get(), P1 = put({a}), P2 = put({b}) on one BoundedBuffer(1), in that order",
                     a=repr(a), b=repr(b))
            story = _("C1 and C2 slept on the empty buffer; P1 put {a} and notified; P2 found the buffer full "
                      "and slept; then C1 ran again.", a=repr(a))
        else:
            s1, s2 = part["sleepers"]
            call = _("{s1} = {call1}, {s2} = {call2}, C1 = get(), C2 = get() on one full BoundedBuffer(1), "
                     "in that order", s1=s1, call1=calls[s1], s2=s2, call2=calls[s2])
            story = _("{s1} and {s2} slept on the full buffer; C1 took an item and notified; C2 found the buffer "
                      "empty and slept; then {s1} ran again.", s1=s1, s2=s2)
        for x in part["actors"]:
            if x["done"] and x["raised"] and not x["closed"]:
                check.fail_raised(_("{call} (as {name} in {scene})", call=x["call"], name=x["name"], scene=call),
                                  x["raised"])
        if part["result"] == "stuck":
            check.fail(called(call, story, _asleep(check, part), _("Nobody is left to notify them."),
                              hint=NOTIFY_HINT))
        if part["result"] == "timeout":
            left = [f"{x['name']} = {x['call']}" for x in part["actors"] if not x["done"]]
            check.fail(called(call, story, _("{threads} did not finish within 2 s (neither returned nor "
                                             "asleep in cond.wait()). {asleep}", threads=", ".join(left),
                                             asleep=_asleep(check, part))))


WAKEUPS = 5  # a thread asleep in cond.wait() wakes 0 times in the window; a polling loop, every poll


def test_safe_no_busy_wait(check):
    window = 0.6
    obs = check.run(probes.no_busy_wait, window=window, call=_("get() on an empty buffer, put() on a full one"))
    _setup(check, obs)
    steps = check.runs[-1].steps  # the judge's reading of each thread, when the window opened and closed
    for side, what, name in (("consumer", _("get() on an empty BoundedBuffer(2)"), "C"),
                             ("producer", _("put() on a full BoundedBuffer"), "P")):
        part = obs[side]
        if not part.get("applies"):
            continue
        a = part["actor"]
        call = what
        if not part["blocked"]:
            if a["raised"]:
                check.fail_raised(call, a["raised"])
            check.fail(called(call, _("It {outcome} at once, instead of waiting.", outcome=_outcome(a))))
        tid = obs["threads"][name]
        before, after = (steps[i]["threads"].get(tid) or {} for i in (0, 1))
        cpu = round(after.get("cpu", 0) - before.get("cpu", 0), 3)
        woke = after.get("voluntary", 0) - before.get("voluntary", 0)
        polls = part["waits"] + part["wakeups"]
        busy = part["accesses"] > 20 or cpu > 0.1 or polls > 3 or woke > WAKEUPS
        figures = _("While it was blocked for {window} s it used {cpu} s of CPU, woke up {woke} times, "
                    "read or wrote items/closed {accesses} times and called cond.wait() "
                    "{waits} times (returning {wakeups} times with nothing changed).",
                    window=f"{window:g}", cpu=f"{cpu:.3f}", woke=woke, accesses=part["accesses"],
                    waits=part["waits"], wakeups=part["wakeups"])
        check.figure(f"{side}_cpu_s", cpu)
        check.figure(f"{side}_wakeups", woke)
        check.figure(f"{side}_accesses", part["accesses"])
        if busy:
            if woke > WAKEUPS and polls <= 3:
                why = _("A loop around time.sleep() polls: it wakes up again and again to look. Sleep in "
                        "self.cond.wait() instead; put, get and close notify the waiters when something changes.")
            elif part["waits"] + part["wakeups"] > 3:
                why = _("cond.wait(timeout) in a loop polls: it wakes up every timeout to look. Call "
                        "self.cond.wait() with no timeout; put, get and close notify the waiters.")
            else:
                why = _("A loop that keeps checking (release, acquire, check again) is busy waiting: it burns a "
                        "CPU doing nothing. Sleep in self.cond.wait(): it uses no CPU until notified.")
            check.fail(called(call, figures, hint=why))
        check.expect(part["waits_before"] > 0,
                     called(call, _("It blocked, but never in self.cond.wait(): then notify_all() and close() "
                                    "cannot wake it. Wait on self.cond.")))


def test_safe_lock_held(check):
    obs = check.run(probes.lock_held, call=_("put, get and close, one at a time, with waits"))
    _setup(check, obs)
    call = _("put(), get() and close() on BoundedBuffer(2), with waiting puts and gets")
    _not_done(check, call, obs["actors"])
    acc = obs["accesses"]
    check.expect(acc, called(call, _("No read or write of self.items or self.closed was seen: keep the state in "
                                     "those plain instance attributes, so the lock discipline can be checked.")))
    for attr in ("items", "closed"):
        for kind in ("read", "write"):
            bad = [r for r in acc if not r["guarded"] and r["attr"] == attr and r["kind"] == kind]
            if bad:
                other = _(" (another lock was held)") if any(r["held"] for r in bad) else ""
                said = (_("self.{attr} was read without holding self.cond at {sites}{other}.", attr=attr,
                          sites=check.sites(bad), other=other) if kind == "read" else
                        _("self.{attr} was written without holding self.cond at {sites}{other}.", attr=attr,
                          sites=check.sites(bad), other=other))
                check.fail(called(call, said + " " + _("Every read and write of items and closed happens inside "
                                                       "`with self.cond:` (the condition's lock), or another thread "
                                                       "can change the state between your check and your action.")))
