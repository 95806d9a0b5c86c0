"""Hidden checks for process_basics (docs/contract.md, section 6)."""
from kit.core.i18n import _
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
    call = _("run_in_processes(target, {n} args tuples) where child i exits with code {codes}[i] "
             "and child 0 finishes after all the others", n=n, codes=codes)
    obs = check.run(probes.exit_codes, codes=codes, call=call)
    got = check.returned(call, obs["main"], hang_hint=SERIAL_HINT)
    check.in_order(call, got, codes,
                   order_hint="The right codes in the wrong order: read each process's exitcode after joining it, "
                              "in args_list order, not in the order they finish.",
                   unfinished_hint=_("None is the exitcode of a process that is still running: join every process "
                                     "before reading its exitcode. {last}", last=_(LAST_HINT)))
    empty = check.returned("run_in_processes(target, [])", obs["empty"])
    check.expect(empty == [], called("run_in_processes(target, [])", returned=empty, expected=Shown("[]")))


def test_parallel_overlap(check):
    n = check.rng.randint(3, 4)
    call = _("run_in_processes(meet, {n} args tuples) where each child waits until the other {others} are running",
             n=n, others=n - 1)
    obs = check.run(probes.overlap, n=n, call=call, timeout=n * 1.0 + 8)
    check.returned(call, obs["out"] or {"hung": True, "raised": None, "seconds": 8}, hang_hint=SERIAL_HINT)
    seen = check.processes(check.runs[-1].steps[0])  # the judge's census while the children waited
    together = len(seen["runners"])
    check.expect(together == n and not seen["caller_runs"],
                 called(call, _("Only {together} of the {n} children were running at once (the others waited "
                                "{seconds} s and gave up): they never ran all at once.",
                                together=together, n=n, seconds=f"{probes.WAIT:g}"), hint=SERIAL_HINT))


def test_safe_all_joined(check):
    n = check.rng.randint(3, 5)
    call = _("run_in_processes(target, {n} args tuples) where the last child exits at once and the "
             "others only once you join them", n=n)
    obs = check.run(probes.all_joined, n=n, call=call)
    check.returned(call, obs["out"], hang_hint=SERIAL_HINT)
    left = obs["left"]
    if left:
        zombies = sum(1 for p in left if p["status"] == "zombie")
        check.fail(called(call, _("When it returned, {left} of its child processes were left "
                                  "({running} running, {zombies} zombie), expected none: every child must be "
                                  "joined before run_in_processes returns.",
                                  left=len(left), running=len(left) - zombies, zombies=zombies), hint=LAST_HINT))


def test_correct_square_process(check):
    values = [check.rng.randint(-30, 30) for _i in range(check.rng.randint(3, 6))]
    expected = [v * v for v in values]
    what = f"p = SquareProcess({values}, q); p.start(); q.get(); p.join()"
    obs = check.run(probes.square_process, values=values, call=what)
    check.returned(f"SquareProcess({values}, q)", obs["construct"])
    check.expect(obs["computed_in_init"] == 0,
                 called(f"SquareProcess({values}, q)", _("The squares were computed in __init__, which runs in "
                                                         "the parent: __init__ must only store numbers and queue; "
                                                         "run() does the work in the child.")))
    check.returned("p.start()", obs["start"])
    got = obs.get("got")
    check.expect(got is not None,
                 called(what, _("Nothing arrived on q within 4 s: run() must put (os.getpid(), squares) on the "
                                "queue.")
                        + (" " + _("The child exited with code {code}.", code=obs["exitcode"])
                           if obs.get("exitcode") else "")))
    check.expect("bad" not in got,
                 called(what, _("q.get() gave something that is not (pid, squares): {bad}.", bad=got.get("bad"))))
    check.expect(got["squares"] == expected,
                 called(what, _("The squares on the queue are {got}, expected {expected}.",
                                got=got["squares"], expected=expected)))
    if got["pid"] == obs["parent"] or obs["computed_in_parent"]:
        check.fail(called(what, _("The work was done in the parent (pid {parent}), not in the "
                                  "child (pid {child}): compute the squares and call os.getpid() in run(), which "
                                  "start() runs in the child; __init__ runs in the parent.",
                                  parent=obs["parent"], child=obs["child"])))
    check.expect(got["pid"] == obs["child"],
                 called(what, _("The pid on the queue is {pid}, expected the child's pid {child} "
                                "(os.getpid() inside run()).", pid=got["pid"], child=obs["child"])))
    check.expect(obs["exitcode"] == 0,
                 called(what, _("The child exited with code {code}, expected 0.", code=obs["exitcode"])))


def test_correct_spawn(check):
    n = 3
    codes = _codes(check, n)
    values = [check.rng.randint(-30, 30) for _i in range(check.rng.randint(2, 4))]
    obs = check.run(probes.spawn, codes=codes, values=values, start_method="spawn", timeout=15,
                    call=_("run_in_processes(target, {n} args tuples) and SquareProcess({values}, q)",
                           n=n, values=values))
    call = _("run_in_processes(target, {n} args tuples) under spawn, where child i exits with code {codes}[i]",
             n=n, codes=codes)
    hint = " " + _("Under spawn the child imports the target by name: a lambda, a nested function or a "
                   "closure only works under fork. Pass `target` itself to Process, defined at module level.")
    r = obs["run"]
    if r["raised"] and not r["raised"]["type"] == "NotImplementedError":
        check.fail_raised(call, r["raised"], hint)
    got = check.returned(call, r)
    check.expect(got == codes, called(call, returned=got, expected=codes))
    sq = obs["square"]
    what = _("SquareProcess({values}, q) under spawn; p.start(); q.get(); p.join()", values=values)
    check.returned(_("SquareProcess({values}, q) under spawn", values=values), sq["construct"])
    if sq["start"]["raised"] and sq["start"]["raised"]["type"] != "NotImplementedError":
        check.fail_raised(_("p.start() under spawn"), sq["start"]["raised"],
                          " " + _("Under spawn the Process object is pickled to the child: everything it holds "
                                  "must pickle."))
    check.returned(_("p.start() under spawn"), sq["start"])
    got = sq.get("got")
    expected = [v * v for v in values]
    check.expect(got is not None and "bad" not in got and got["squares"] == expected,
                 called(what, _("q.get() gave {got}, expected (child pid, {expected}); the child exited with "
                                "code {code}.", got=got, expected=expected, code=sq.get("exitcode"))
                        if sq.get("exitcode") else
                        _("q.get() gave {got}, expected (child pid, {expected}).", got=got, expected=expected)))
    check.expect(sq["exitcode"] == 0,
                 called(what, _("The child exited with code {code}, expected 0.", code=sq["exitcode"])))
