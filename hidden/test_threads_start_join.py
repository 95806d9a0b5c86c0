"""Hidden checks for threads_start_join (contract section 1)."""

SERIAL_HINT = ("Did you join each thread right after starting it? Start every thread "
               "in one loop, then join them all in a second loop.")


def test_correct_results(check):
    values = [check.rng.randint(-99, 99) for _ in range(check.rng.randint(5, 8))]
    obs = check.run("results", values=values, call=f"run_in_threads(f, {len(values)} calls)")
    call = f"run_in_threads(f, [(0, {values[0]}), (1, {values[1]}), ...]) where call i returns x*x + i and later calls finish first"
    got = check.returned(call, obs["main"], hang_hint=SERIAL_HINT)
    expected = [x * x + i for i, x in enumerate(values)]
    hint = ""
    if isinstance(got, list) and sorted(got) == sorted(expected):
        hint = " The right values in the wrong order: keep each result at its call's index, not in the order threads finish."
    check.expect(got == expected, f"Called {call}. Returned {got}, expected {expected}.{hint}")
    empty = check.returned("run_in_threads(f, [])", obs["empty"])
    check.expect(empty == [], f"Called run_in_threads(f, []). Returned {empty!r}, expected [].")


def test_correct_first_error(check):
    n = check.rng.randint(5, 7)
    bad = sorted(check.rng.sample(range(1, n), 2))
    obs = check.run("first_error", n=n, bad=bad, call=f"run_in_threads(f, {n} calls)")
    call = (f"run_in_threads(f, {n} calls) where calls {bad[0]} and {bad[1]} raise ValueError "
            f"and call {bad[1]} fails first in time")
    out = obs["out"]
    if out["hung"]:
        check.returned(call, out)
    raised = out["raised"]
    check.expect(raised is not None,
                 f"Called {call}. Returned {out['returned']}, expected ValueError('call {bad[0]} failed') "
                 "to be re-raised. An exception in a thread is lost unless you catch it there and raise it again after joining.")
    check.expect(raised["type"] == "ValueError" and raised["message"] == f"call {bad[0]} failed",
                 f"Called {call}. Raised {raised['type']}({raised['message']!r}), expected "
                 f"ValueError('call {bad[0]} failed'): the first failing call in argument order, not in time.")
    check.expect(not obs["alive"],
                 f"Called {call}. It raised while {len(obs['alive'])} of its threads were still running: "
                 "join every thread before re-raising.")


def test_safe_all_joined(check):
    n = check.rng.randint(5, 7)
    obs = check.run("all_joined", n=n, call=f"run_in_threads(f, {n} calls)")
    for fail in (False, True):
        call = (f"run_in_threads(f, {n} calls) where the last call finishes first"
                + (" and call 0 raises RuntimeError" if fail else ""))
        res = obs.get("raised" if fail else "returned")
        out = res["out"]
        if fail:
            if out["hung"] or not out["raised"] or out["raised"]["type"] != "RuntimeError":
                check.returned(call, out)
                check.fail(f"Called {call}. Returned {out['returned']}, expected RuntimeError('call 0 failed').")
        else:
            got = check.returned(call, out)
            check.expect(got == list(range(n)), f"Called {call}. Returned {got}, expected {list(range(n))}.")
        check.expect(not res["alive"],
                     f"Called {call}. When it {'raised' if fail else 'returned'}, {len(res['alive'])} of its "
                     "threads were still running, expected none. Joining only `t` after the loop joins the "
                     "last thread alone (the seed's `for i in range(200): t.join()`): keep every thread in a "
                     "list and join each.")


def test_parallel_overlap(check):
    n = check.rng.randint(4, 6)
    obs = check.run("overlap", n=n, call=f"run_in_threads(wait_for_all, {n} calls)", timeout=n * 0.5 + 5)
    call = f"run_in_threads(f, {n} calls) where each call waits at a barrier for the other {n - 1}"
    got = check.returned(call, obs["out"], hang_hint=SERIAL_HINT)
    alone = sum(1 for r in (got or []) if r != "together")
    check.expect(isinstance(got, list) and len(got) == n and alone == 0,
                 f"Called {call}. {alone} call(s) waited 0.5 s at the barrier and gave up: the calls never ran all at once. "
                 + SERIAL_HINT)


def test_parallel_own_threads(check):
    n = check.rng.randint(4, 6)
    obs = check.run("own_threads", n=n, call=f"run_in_threads(f, {n} calls)", timeout=n * 0.5 + 5)
    call = f"run_in_threads(f, {n} calls) where each call returns threading.get_ident()"
    got = check.returned(call, obs["out"])
    check.expect(isinstance(got, list) and obs["caller"] not in got,
                 f"Called {call}. Some calls ran in the calling thread itself: "
                 "create a threading.Thread for every call and let it do the work.")
    check.expect(len(set(got)) == n,
                 f"Called {call}. The calls ran in {len(set(got))} distinct threads, expected {n}: one thread per call.")
