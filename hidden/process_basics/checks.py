"""Hidden checks for process_basics (docs/contract.md, section 6)."""
from kit.engine.verdict import Shown, called

from . import probes

SERIAL_HINT = ("Did you join each process right after starting it? Start every process in one "
               "loop, then join them all in a second loop.")
LAST_HINT = ("Joining only `p` after the loop joins the last process alone (the seed's "
             "`for i in range(3): p.join()`): keep every Process in a list and join each.")


def _codes(check, n):
    return check.rng.sample(range(0, 100), n)


def test_correct_exit_codes(check):
    n = check.rng.randint(3, 5)
    codes = _codes(check, n)
    call = (f"run_in_processes(target, {n} args tuples) where child i exits with code {codes} [i] "
            "and child 0 finishes after all the others").replace(" [i]", "[i]")
    obs = check.run(probes.exit_codes, codes=codes, call=call)
    got = check.returned(call, obs["main"], hang_hint=SERIAL_HINT)
    check.in_order(call, got, codes,
                   order_hint="The right codes in the wrong order: read each process's exitcode after joining it, "
                              "in args_list order, not in the order they finish.",
                   unfinished_hint="None is the exitcode of a process that is still running: join every process "
                                   "before reading its exitcode. " + LAST_HINT)
    empty = check.returned("run_in_processes(target, [])", obs["empty"])
    check.expect(empty == [], called("run_in_processes(target, [])", returned=empty, expected=Shown("[]")))


def test_parallel_overlap(check):
    n = check.rng.randint(3, 4)
    call = f"run_in_processes(meet, {n} args tuples) where each child waits until the other {n - 1} are running"
    obs = check.run(probes.overlap, n=n, call=call, timeout=n * 1.0 + 8)
    check.returned(call, obs["out"] or {"hung": True, "raised": None, "seconds": 8}, hang_hint=SERIAL_HINT)
    seen = check.processes(check.runs[-1].steps[0])  # the judge's census while the children waited
    together = len(seen["runners"])
    check.expect(together == n and not seen["caller_runs"],
                 called(call, f"Only {together} of the {n} children were running at once (the others waited "
                        f"{probes.WAIT:g} s and gave up): they never ran all at once.", hint=SERIAL_HINT))


def test_safe_all_joined(check):
    n = check.rng.randint(3, 5)
    call = (f"run_in_processes(target, {n} args tuples) where the last child exits at once and the "
            "others only once you join them")
    obs = check.run(probes.all_joined, n=n, call=call)
    check.returned(call, obs["out"], hang_hint=SERIAL_HINT)
    left = obs["left"]
    if left:
        zombies = sum(1 for p in left if p["status"] == "zombie")
        check.fail(called(call, f"When it returned, {len(left)} of its child processes were left "
                          f"({len(left) - zombies} running, {zombies} zombie), expected none: every child must be "
                          "joined before run_in_processes returns.", hint=LAST_HINT))


def test_correct_square_process(check):
    values = [check.rng.randint(-30, 30) for _ in range(check.rng.randint(3, 6))]
    expected = [v * v for v in values]
    what = f"p = SquareProcess({values}, q); p.start(); q.get(); p.join()"
    obs = check.run(probes.square_process, values=values, call=what)
    check.returned(f"SquareProcess({values}, q)", obs["construct"])
    check.expect(obs["computed_in_init"] == 0,
                 called(f"SquareProcess({values}, q)", "The squares were computed in __init__, which runs in "
                        "the parent: __init__ must only store numbers and queue; run() does the work in the child."))
    check.returned("p.start()", obs["start"])
    got = obs.get("got")
    check.expect(got is not None,
                 called(what, "Nothing arrived on q within 4 s: run() must put (os.getpid(), squares) on the queue."
                        + (f" The child exited with code {obs['exitcode']}." if obs.get("exitcode") else "")))
    check.expect("bad" not in got,
                 called(what, f"q.get() gave something that is not (pid, squares): {got.get('bad')}."))
    check.expect(got["squares"] == expected,
                 called(what, f"The squares on the queue are {got['squares']}, expected {expected}."))
    if got["pid"] == obs["parent"] or obs["computed_in_parent"]:
        check.fail(called(what, f"The work was done in the parent (pid {obs['parent']}), not in the "
                          f"child (pid {obs['child']}): compute the squares and call os.getpid() in run(), which "
                          "start() runs in the child; __init__ runs in the parent."))
    check.expect(got["pid"] == obs["child"],
                 called(what, f"The pid on the queue is {got['pid']}, expected the child's pid {obs['child']} "
                        "(os.getpid() inside run())."))
    check.expect(obs["exitcode"] == 0, called(what, f"The child exited with code {obs['exitcode']}, expected 0."))


def test_correct_spawn(check):
    n = 3
    codes = _codes(check, n)
    values = [check.rng.randint(-30, 30) for _ in range(check.rng.randint(2, 4))]
    obs = check.run(probes.spawn, codes=codes, values=values, start_method="spawn", timeout=15,
                    call=f"run_in_processes(target, {n} args tuples) and SquareProcess({values}, q)")
    call = f"run_in_processes(target, {n} args tuples) under spawn, where child i exits with code {codes}[i]"
    hint = (" Under spawn the child imports the target by name: a lambda, a nested function or a "
            "closure only works under fork. Pass `target` itself to Process, defined at module level.")
    r = obs["run"]
    if r["raised"] and not r["raised"]["type"] == "NotImplementedError":
        check.fail_raised(call, r["raised"], hint)
    got = check.returned(call, r)
    check.expect(got == codes, called(call, returned=got, expected=codes))
    sq = obs["square"]
    what = f"SquareProcess({values}, q) under spawn; p.start(); q.get(); p.join()"
    check.returned(f"SquareProcess({values}, q) under spawn", sq["construct"])
    if sq["start"]["raised"] and sq["start"]["raised"]["type"] != "NotImplementedError":
        check.fail_raised("p.start() under spawn", sq["start"]["raised"],
                          " Under spawn the Process object is pickled to the child: everything it holds must pickle.")
    check.returned("p.start() under spawn", sq["start"])
    got = sq.get("got")
    expected = [v * v for v in values]
    check.expect(got is not None and "bad" not in got and got["squares"] == expected,
                 called(what, f"q.get() gave {got}, expected (child pid, {expected})"
                        + (f"; the child exited with code {sq.get('exitcode')}." if sq.get("exitcode") else ".")))
    check.expect(sq["exitcode"] == 0, called(what, f"The child exited with code {sq['exitcode']}, expected 0."))
