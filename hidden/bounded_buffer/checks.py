"""Hidden checks for bounded_buffer (docs/contract.md, section 11).

The probes replace ``buffer.cond`` with a ``ControlledCondition`` (``kit/sandbox/conditions.py``)
that decides which waiting thread wakes up and when it runs again, and they run each
learner call in a named thread (``C1`` = a ``get()``, ``P2`` = a ``put('b')``), one step at a
time. So the schedules that break wrong code -- an item taken before the woken consumer
runs, a notify() that wakes the wrong side, close() with threads asleep -- happen on every
run, and a thread asleep forever is reported with who waits on what and who woke whom.
"""
from collections import Counter

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
        check.fail(called(obs["setup_call"], "It did not give a BoundedBuffer with a `cond` attribute."))


def _outcome(a) -> str:
    if not a["done"]:
        return "is still running"
    if a["raised"]:
        return f"raised {a['raised']['type']}({a['raised']['message']!r})"
    return f"returned {a['returned']!r}"


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
            woke.append(f"{e['thread']} called {what}, which woke {', '.join(e.get('woke') or []) or 'nobody'}"
                        + (f" while {', '.join(e['left'])} stayed asleep" if e.get("left") else "")
                        + (f" (the buffer held {state.get('items')!r})" if "items" in state else ""))
    sleepers = []
    for w in cond.get("waiting", []):
        name = w["thread"]
        at = check.where([w["site"]]) if w.get("site") else ""
        waits = cond.get("counts", {}).get(name, {}).get("wait", 0)
        history = "never notified" if waits <= 1 else f"woken {waits - 1} time(s), then asleep again"
        sleepers.append(f"{name} ({calls.get(name, '?')}) sleeps in cond.wait()" + (f" at {at}" if at else "")
                        + f", {history}")
    text = ""
    if woke:
        text += "Then: " + "; ".join(woke) + ". "
    if sleepers:
        text += "Asleep forever: " + "; ".join(sleepers) + "."
    items = part.get("items")
    if items is not None:
        text += f" The buffer holds {items!r}."
    return text.strip()


# -- correct ----------------------------------------------------------------------------------------
def test_correct_fifo_capacity(check):
    cap = check.rng.randint(2, 4)
    values = [f"{w}{check.rng.randint(1, 9)}" for w in check.rng.sample(["ant", "bee", "cat", "dog", "eel", "fox"], cap)]
    extra = "yak"
    call = f"BoundedBuffer({cap}), then put() of {values} and {extra!r}, then get() until empty"
    obs = check.run(probes.fifo_capacity, capacity=cap, values=values, extra=extra, call=call)
    _setup(check, obs)
    at = obs["attrs"]
    new = f"BoundedBuffer({cap})"
    check.expect(at["items_is_deque"] and at["items_len"] == 0,
                 called(new, f"self.items was a {at['items_type']} of {at['items_len']} items, expected an empty "
                        "collections.deque."))
    check.expect(at["capacity"] == cap, called(new, f"self.capacity was {at['capacity']!r}, expected {cap}."))
    check.expect(at["closed"] is False, called(new, f"self.closed was {at['closed']!r}, expected False."))
    check.expect(at["cond_is_condition"], called(new, f"self.cond was a {at['cond_type']}, expected a "
                                                      "threading.Condition()."))
    _not_done(check, call, obs.get("puts", []) + obs.get("gets", []))
    for i, a in enumerate(obs["puts"]):
        step = f"{new}, then {', '.join(p['call'] for p in obs['puts'][:i + 1])}"
        if not a["done"]:
            check.fail(called(step, f"{a['call']} did not return: it waited with {i} item(s) in a buffer of "
                              f"capacity {cap}. put must wait only while the buffer is full."))
        if a["raised"]:
            check.fail_raised(step, a["raised"])
    full = f"{new} holding {cap} items (full)"
    check.expect(obs["extra_waited"],
                 called(f"put({extra!r}) on {full}", f"It returned at once, and the buffer held "
                        f"{obs['size_with_extra']} items. put must wait while len(self.items) >= self.capacity."))
    check.expect(obs["peak"] <= cap,
                 called(call, f"The buffer held {obs['peak']} items at one point, capacity {cap}: it must never "
                        "hold more than capacity items."))
    gets = obs["gets"]
    got = [g["returned"] for g in gets if g["done"] and not g["raised"]]
    want = values + [extra]
    for g in gets:
        if not g["done"]:
            check.fail(called(f"get() on {full} with put({extra!r}) waiting, then get() until empty",
                              f"After {got!r}, a get() did not return; was the waiting put({extra!r}) woken "
                              "when get() made room? Notify after every popleft."))
        if g["raised"]:
            check.fail_raised(f"get() after {got!r}", g["raised"])
    order = ""
    if sorted(map(repr, got)) == sorted(map(repr, want)):
        order = "The right items in the wrong order: get returns the oldest item (first in, first out: popleft)."
    check.expect(got == want, called(f"put() of {values}, put({extra!r}) (waiting for room), then get() "
                                     f"{len(want)} times", returned=Shown(got), expected=Shown(want), hint=order))
    check.expect(obs["extra"]["done"] and not obs["extra"]["raised"],
                 called(f"put({extra!r}) on {full}", f"It {_outcome(obs['extra'])} after get() made room."))


def test_correct_close(check):
    z = f"zebra{check.rng.randint(1, 99)}"
    obs = check.run(probes.close, z=z, call="close() with consumers, then producers, blocked")
    _setup(check, obs)
    check.expect(obs["closed_is_exception"], "Closed must be a class derived from Exception.")
    part = obs["consumers"]
    sleepers = [a for a in part["actors"] if a["call"] == "get()"]
    _not_done(check, "close", part["actors"])
    call = "close() (as X) while C1 = get() and C2 = get() slept on an empty BoundedBuffer(2)"
    x = [a for a in part["actors"] if a["name"] == "X"][0]
    if part["result"] != "done":
        if not x["done"]:
            check.fail(called(call, "close() itself did not return. " + _asleep(check, part)))
        woken = any(e["event"] in ("notify", "notify_all") and e["thread"] == "X" and e.get("woke")
                    for e in part["cond"]["events"])
        why = ("close() woke them, but they went back to sleep: the wait loop must end once the buffer is "
               "closed (`while not self.items and not self.closed:`), and get then raises Closed."
               if woken else "close() woke nobody: it must call self.cond.notify_all() after setting closed.")
        check.fail(called(call, "The consumers never got Closed. " + _asleep(check, part), why))
    for a in sleepers:
        check.expect(a["closed"], called(call, f"{a['name']}'s get() {_outcome(a)}, expected Closed to be raised "
                                         "(closed and empty)."))
    p = part["put_after"]
    check.expect(p["closed"], called(f"put({z!r}) on a closed, empty buffer", f"It {_outcome(p)}, expected Closed "
                                     "to be raised" + (f"; the buffer then held {part['items_after_put']!r}"
                                                       if part.get("size_after_put") else "") + "."))
    g = part["drain"][0] if part.get("drain") else None
    check.expect(g is not None and g["closed"],
                 called(f"get() on a closed, empty buffer", f"It {_outcome(g) if g else 'did not run'}, expected "
                        "Closed to be raised."))
    part = obs["producers"]
    filled = part["filled"]
    _not_done(check, "close", part["actors"])
    if part["full"]:
        names = [f"{a['name']} = {a['call']}" for a in part["actors"] if a["name"] != "X"]
        call = f"close() (as X) while {' and '.join(names)} slept on a full BoundedBuffer(1) holding {filled!r}"
        x = [a for a in part["actors"] if a["name"] == "X"][0]
        if part["result"] != "done":
            if not x["done"]:
                check.fail(called(call, "close() itself did not return. " + _asleep(check, part)))
            woken = any(e["event"] in ("notify", "notify_all") and e["thread"] == "X" and e.get("woke")
                        for e in part["cond"]["events"])
            why = ("close() woke them, but they went back to sleep: put's wait loop must end once the buffer "
                   "is closed (`while len(self.items) >= self.capacity and not self.closed:`), and put then "
                   "raises Closed." if woken else "close() woke nobody: call self.cond.notify_all() in close().")
            check.fail(called(call, "The producers never got Closed. " + _asleep(check, part), why))
        for a in part["actors"]:
            if a["name"] != "X":
                check.expect(a["closed"], called(call, f"{a['name']}'s {a['call']} {_outcome(a)}, expected Closed "
                                                 "to be raised: close wakes blocked producers too, and a closed "
                                                 "buffer takes no more items."))
        check.expect(part["items_after"] == filled,
                     called(call, f"The buffer held {part['items_after']!r} afterwards, expected {filled!r}."))
    drain = part.get("drain", [])
    call = f"close() on a buffer holding {filled!r}, then get() until Closed"
    got = [g["returned"] for g in drain if g["done"] and not g["raised"]]
    if Counter(map(repr, got)) != Counter(map(repr, filled)):
        last = drain[len(got)] if len(drain) > len(got) else None
        check.fail(called(call, f"The gets returned {got!r}" + (f", then one {_outcome(last)}" if last else "")
                          + f"; expected {filled!r} first: items already in a closed buffer can still be taken "
                          "(get raises Closed only once it is closed AND empty)."))
    last = drain[-1] if len(drain) > len(got) else None
    check.expect(last is not None and last["closed"],
                 called(call, f"After {got!r}, get() {_outcome(last) if last else 'was not called'}, expected "
                        "Closed to be raised (closed and empty)."))


def _items_of(rng, n_producers, sizes):
    letters = rng.sample("ABDEFGHJKMNPRSTUVWXYZ", n_producers)
    return [[f"{letters[p]}{k + 1}" for k in range(sizes[p])] for p in range(n_producers)]


def test_correct_run_producers_consumers(check):
    rng = check.rng
    one = _items_of(rng, 1, [rng.randint(5, 6)])
    many = _items_of(rng, 3, [rng.randint(3, 5) for _ in range(3)])
    runs = [(one, 2, rng.randint(1, 2)), (many, 3, 2)]
    obs = check.run(probes.run_producers_consumers, runs=runs, call="run_producers_consumers(...)")
    _setup(check, obs)
    for r, (producers, consumers, capacity) in zip(obs["runs"], runs):
        call = r["call"] + (" with consumers taking turns at get()" if consumers > 1 else "")
        out = r["out"]
        if out["hung"]:
            waiting = []
            for cond in r.get("conds", []):
                waiting += [f"{w['thread']} sleeps in cond.wait()" + (f" at {check.where([w['site']])}"
                                                                       if w.get("site") else "")
                            for w in cond.get("waiting", [])]
            closed = r["closes"]
            check.returned(call, out, hang_hint=(("; ".join(waiting) + ". ") if waiting else "") + (
                "close() was called, but a consumer still sleeps: does close() wake every waiting thread?"
                if closed and waiting else "Start the consumers, join the producers, close(), then join the "
                "consumers; each consumer stops when get() raises Closed."))
        check.returned(call, out)
        check.expect(r["buffers"], called(call, "It made no BoundedBuffer: use one BoundedBuffer(capacity)."))
        caps = [b["capacity"] for b in r["buffers"]]
        check.expect(caps == [capacity], called(call, f"It made BoundedBuffer({', '.join(map(repr, caps))}), "
                                                f"expected one BoundedBuffer({capacity})."))
        check.expect(not r["alive"],
                     called(call, f"When it returned, threads {r['alive']} were still running: join every "
                            "thread it started (every consumer too, not only the last one)."))
        check.expect(r["returned_type"] in ("list", "tuple"),
                     called(call, returned=Shown(r["returned"]), expected=Shown("a list of the items consumed")))
        got = r["returned"]
        want = [x for items in producers for x in items]
        missing = list((Counter(want) - Counter(got)).elements())
        extra = list((Counter(got) - Counter(want)).elements())
        if missing or extra:
            check.fail(called(call, returned=Shown(got), expected=Shown(f"each of {want} exactly once"),
                              hint=(f"Missing: {missing}. " if missing else "")
                              + (f"Not ours, or twice: {extra}." if extra else "")))
        for p, items in enumerate(producers):
            mine = [x for x in got if x in items]
            check.expect(mine == items, called(
                call, returned=Shown(got), expected=Shown(f"{items} in that order" if len(producers) == 1 else
                                                          f"producer {p}'s items {items} in that order"),
                hint="Here the consumers take turns at get(), and the first one writes its item down only after "
                     "the next one has taken and written down its own: neither the order items are written "
                     "down nor one list per consumer is the order they left the buffer. Record where each item "
                     "came from (producer, position) and put each producer's items back in that order."))
        threads = [sorted(set(t)) for t in r["putters"]]
        for p, ts in enumerate(threads):
            check.expect(len(ts) == 1, called(call, f"Producer {p}'s items were put by {len(ts)} threads {ts}, "
                                              "expected one thread per producer, putting its items in order."))
        names = [ts[0] for ts in threads if ts]
        check.expect(len(set(names)) == len(names),
                     called(call, f"Several producers' items were put by the same thread ({names}): one thread "
                            "per producer."))
        check.expect(r["consumer_threads"] == consumers,
                     called(call, f"get() was called from {r['consumer_threads']} thread(s), expected "
                            f"{consumers} consumer threads."))
        closes = r["closes"]
        check.expect(closes, called(call, "It never called close(): the consumers can only stop on Closed."))
        done = closes[0]["producers_done"]
        sizes = [len(items) for items in producers]
        check.expect(done == sizes,
                     called(call, f"close() was called when the producers had put {done} of {sizes} items: close "
                            "only after joining every producer."))


# -- safe -------------------------------------------------------------------------------------------
def test_safe_while_loop(check):
    item = f"plum{check.rng.randint(1, 99)}"
    other = f"pear{check.rng.randint(1, 99)}"
    slot = f"sloe{check.rng.randint(1, 99)}"
    obs = check.run(probes.while_loop, item=item, other=other, slot=slot,
                    call="get() and put() woken after the item or slot was taken")
    _setup(check, obs)
    g = obs["get_side"]
    _not_done(check, "get side", g.get("actors", []))
    if g.get("applies"):
        call = f"C1 = get(), P1 = put({item!r}), C2 = get() on one BoundedBuffer(2), in that order"
        story = (f"C1 slept on the empty buffer; P1 put {item!r} and woke C1; before C1 ran again, C2 took "
                 f"{item!r}.")
        a = g["after_steal"]
        check.expect(not a["done"], called(call, story, f"Woken, C1 did not check again: it {_outcome(a)} with "
                                           "the buffer empty, instead of waiting again.", hint=WHILE_HINT))
        s = g.get("after_spurious")
        if s is not None:
            check.expect(not s["done"], called(
                call, story, "C1 waited again (right); then it was woken with nobody notifying it (a spurious "
                f"wake-up) and {_outcome(s)} with the buffer still empty, instead of waiting again.",
                hint=WHILE_HINT))
    p = obs["put_side"]
    _not_done(check, "put side", p.get("actors", []))
    if p.get("applies"):
        full = p["full"]
        who = p["woken"]
        call_of = {a["name"]: a["call"] for a in p["actors"]}
        thief = p["thief"]
        call = (f"{who} = {call_of.get(who)}, C1 = get(), {thief} = {call_of.get(thief)} on a full "
                f"BoundedBuffer({p['capacity']}) holding {full} item(s), in that order")
        story = (f"{who} slept on the full buffer; C1 took an item and woke {who}; before {who} ran again, "
                 f"{thief} filled the free slot.")
        a = p["after_steal"]
        check.expect(not a["done"], called(
            call, story, f"Woken, {who} did not check again: it {_outcome(a)}"
            + (f" and the buffer held {p['size_after_steal']} items" if not a["raised"] else "")
            + ", instead of waiting again.", hint=WHILE_HINT))
        s = p.get("after_spurious")
        if s is not None:
            check.expect(not s["done"], called(
                call, story, f"{who} waited again (right); then it was woken with nobody notifying it (a spurious "
                f"wake-up) and {_outcome(s)}" + (f", the buffer holding {p['size_after_spurious']} items"
                                                 if not s["raised"] else "") + ", instead of waiting again.",
                hint=WHILE_HINT))


def test_safe_notify(check):
    a, b, c = (f"{w}{check.rng.randint(1, 99)}" for w in ("kiwi", "lime", "date"))
    obs = check.run(probes.notify, a=a, b=b, c=c, call="producers and consumers asleep on one condition")
    _setup(check, obs)
    for side in ("consumers", "producers"):
        part = obs[side]
        if not part.get("applies"):
            continue
        _not_done(check, side, part["actors"])
        calls = {x["name"]: x["call"] for x in part["actors"]}
        if side == "consumers":
            call = f"C1 = get(), C2 = get(), P1 = put({a!r}), P2 = put({b!r}) on one BoundedBuffer(1), in that order"
            story = (f"C1 and C2 slept on the empty buffer; P1 put {a!r} and notified; P2 found the buffer full "
                     "and slept; then C1 ran again.")
        else:
            s1, s2 = part["sleepers"]
            call = (f"{s1} = {calls[s1]}, {s2} = {calls[s2]}, C1 = get(), C2 = get() on one full BoundedBuffer(1), "
                    "in that order")
            story = (f"{s1} and {s2} slept on the full buffer; C1 took an item and notified; C2 found the buffer "
                     f"empty and slept; then {s1} ran again.")
        for x in part["actors"]:
            if x["done"] and x["raised"] and not x["closed"]:
                check.fail_raised(f"{x['call']} (as {x['name']} in {call})", x["raised"])
        if part["result"] == "stuck":
            check.fail(called(call, story, _asleep(check, part), "Nobody is left to notify them.",
                              hint=NOTIFY_HINT))
        if part["result"] == "timeout":
            left = [f"{x['name']} = {x['call']}" for x in part["actors"] if not x["done"]]
            check.fail(called(call, story, f"{', '.join(left)} did not finish within 2 s (neither returned nor "
                              "asleep in cond.wait()). " + _asleep(check, part)))


WAKEUPS = 5  # a thread asleep in cond.wait() wakes 0 times in the window; a polling loop, every poll


def test_safe_no_busy_wait(check):
    window = 0.6
    obs = check.run(probes.no_busy_wait, window=window, call="get() on an empty buffer, put() on a full one")
    _setup(check, obs)
    steps = check.runs[-1].steps  # the judge's reading of each thread, when the window opened and closed
    for side, what, name in (("consumer", "get() on an empty BoundedBuffer(2)", "C"),
                             ("producer", "put() on a full BoundedBuffer", "P")):
        part = obs[side]
        if not part.get("applies"):
            continue
        a = part["actor"]
        call = what
        if not part["blocked"]:
            if a["raised"]:
                check.fail_raised(call, a["raised"])
            check.fail(called(call, f"It {_outcome(a)} at once, instead of waiting."))
        tid = obs["threads"][name]
        before, after = (steps[i]["threads"].get(tid) or {} for i in (0, 1))
        cpu = round(after.get("cpu", 0) - before.get("cpu", 0), 3)
        woke = after.get("voluntary", 0) - before.get("voluntary", 0)
        polls = part["waits"] + part["wakeups"]
        busy = part["accesses"] > 20 or cpu > 0.1 or polls > 3 or woke > WAKEUPS
        figures = (f"While it was blocked for {window:g} s it used {cpu:.3f} s of CPU, woke up {woke} times, "
                   f"read or wrote items/closed {part['accesses']} times and called cond.wait() "
                   f"{part['waits']} times (returning {part['wakeups']} times with nothing changed).")
        check.figure(f"{side}_cpu_s", cpu)
        check.figure(f"{side}_wakeups", woke)
        check.figure(f"{side}_accesses", part["accesses"])
        if busy:
            if woke > WAKEUPS and polls <= 3:
                why = ("A loop around time.sleep() polls: it wakes up again and again to look. Sleep in "
                       "self.cond.wait() instead; put, get and close notify the waiters when something changes.")
            elif part["waits"] + part["wakeups"] > 3:
                why = ("cond.wait(timeout) in a loop polls: it wakes up every timeout to look. Call "
                       "self.cond.wait() with no timeout; put, get and close notify the waiters.")
            else:
                why = ("A loop that keeps checking (release, acquire, check again) is busy waiting: it burns a "
                       "CPU doing nothing. Sleep in self.cond.wait(): it uses no CPU until notified.")
            check.fail(called(call, figures, hint=why))
        check.expect(part["waits_before"] > 0,
                     called(call, "It blocked, but never in self.cond.wait(): then notify_all() and close() "
                            "cannot wake it. Wait on self.cond."))


def test_safe_lock_held(check):
    obs = check.run(probes.lock_held, call="put, get and close, one at a time, with waits")
    _setup(check, obs)
    call = "put(), get() and close() on BoundedBuffer(2), with waiting puts and gets"
    _not_done(check, call, obs["actors"])
    acc = obs["accesses"]
    check.expect(acc, called(call, "No read or write of self.items or self.closed was seen: keep the state in "
                             "those plain instance attributes, so the lock discipline can be checked."))
    for attr in ("items", "closed"):
        for kind, verb in (("read", "read"), ("write", "written")):
            bad = [r for r in acc if not r["guarded"] and r["attr"] == attr and r["kind"] == kind]
            if bad:
                other = any(r["held"] for r in bad)
                check.fail(called(call, f"self.{attr} was {verb} without holding self.cond at "
                                  f"{check.sites(bad)}" + (" (another lock was held)" if other else "")
                                  + ". Every read and write of items and closed happens inside "
                                    "`with self.cond:` (the condition's lock), or another thread can change "
                                    "the state between your check and your action."))
