"""Hidden checks for choose_executor (contract section 10, and "Speedup checks")."""
from kit import speedup

WAIT = 1.0


def _results(check, fn, probe, hint_order):
    values = [check.rng.randint(-99, 99) for _ in range(check.rng.randint(4, 6))]
    n = len(values)
    bad = sorted(check.rng.sample(range(1, n), 2))
    obs = check.run(probe, values=values, bad=bad, call=f"{fn}(f, {n} calls)", timeout=2 * n * WAIT + 6)
    call = (f"{fn}(f, [(0, {values[0]}), (1, {values[1]}), ...]) where call (i, x) returns x*x + i "
            "and the first call finishes last")
    got = check.returned(call, obs["main"])
    expected = [x * x + i for i, x in enumerate(values)]
    hint = ""
    if isinstance(got, list) and sorted(map(repr, got)) == sorted(map(repr, expected)):
        hint = (" The right values in the wrong order: keep the futures in argument order and ask each for "
                "its result in that order (not as_completed, not executor.map over a dict).")
    check.expect(got == expected, f"Called {call}. Returned {got}, expected {expected}.{hint}")
    empty = check.returned(f"{fn}(f, [])", obs["empty"])
    check.expect(empty == [], f"Called {fn}(f, []). Returned {empty!r}, expected [].")
    call = (f"{fn}(f, {n} calls) where calls {bad[0]} and {bad[1]} raise TaskError (a ValueError) "
            f"and call {bad[1]} fails first in time")
    out = obs["error"]
    if out["hung"] or out["raised"] is None or out["raised"]["type"] == "NotImplementedError":
        check.returned(call, out)
        check.fail(f"Called {call}. Returned {out['returned']}, expected TaskError('call {bad[0]} failed') to be "
                   "re-raised: future.result() re-raises the call's exception, don't catch it.")
    raised = out["raised"]
    check.expect(raised["type"] == "TaskError" and raised["message"] == f"call {bad[0]} failed",
                 f"Called {call}. Raised {raised['type']}({raised['message']!r}), expected "
                 f"TaskError('call {bad[0]} failed'): the first failing call in argument order, not the first "
                 "in time (ask the futures for their results in argument order).")


def test_correct_io_results(check):
    _results(check, "run_io_bound", "io_results", "")


def test_correct_cpu_results(check):
    _results(check, "run_cpu_bound", "cpu_results", "")


def test_parallel_io_overlap(check):
    n = check.rng.randint(16, 32)
    m = check.rng.randint(36, 44)
    obs = check.run("io_overlap", n=n, m=m, call=f"run_io_bound(f, {n} calls)", timeout=10)
    call = f"run_io_bound(f, {n} calls) where each call waits (up to {WAIT:g} s) until all {n} are running"
    got = check.returned(call, obs["first"])
    alone = sum(1 for r in (got or []) if r != "together")
    check.expect(isinstance(got, list) and len(got) == n and alone == 0,
                 f"Called {call}. The calls were not all running at once (a call waited {WAIT:g} s and gave up): "
                 f"IO-bound calls spend their time waiting, so run each in a thread of its own, up to 32 at once "
                 "(ThreadPoolExecutor(max_workers=min(len(args_list), 32)), not the default max_workers, not one "
                 "call at a time).")
    call = (f"run_io_bound(f, {m} calls) where each call records how many calls are running at once "
            f"and waits briefly for a 33rd")
    got = check.returned(call, obs["second"])
    check.expect(isinstance(got, list) and len(got) == m and all(isinstance(g, int) for g in got),
                 f"Called {call}. Returned {got!r}, expected {m} counts.")
    peak = max(got)
    check.expect(peak <= 32,
                 f"Called {call}. Up to {peak} calls ran at once, expected at most 32: cap the threads at 32 "
                 "(max_workers=min(len(args_list), 32)).")
    check.expect(peak == 32,
                 f"Called {call}. At most {peak} calls ran at once, expected 32 (as many as there are calls, up to 32).")


def test_safe_io_no_processes(check):
    n = check.rng.randint(3, 6)
    obs = check.run("io_no_processes", n=n, call=f"run_io_bound(f, {n} calls)")
    call = f"run_io_bound(f, {n} calls) where each call returns the pid it runs in"
    got = check.returned(call, obs["out"])
    check.expect(isinstance(got, list) and len(got) == n and all(isinstance(g, list) and len(g) == 2 for g in got),
                 f"Called {call}. Returned {got!r}, expected {n} results.")
    pids = sorted({g[0] for g in got} - {obs["caller"]})
    kids = max([g[1] for g in got] + [len(obs["left"])])
    check.expect(not pids and not obs["started"] and kids == 0,
                 f"Called {call}. It started child processes"
                 + (f" ({len(pids)} of the calls ran in other processes)" if pids else "")
                 + ": IO-bound calls wait rather than compute, so threads of this process serve them best; "
                 "processes only add start-up cost and pickling (ThreadPoolExecutor, not ProcessPoolExecutor or Pool).")


def test_parallel_cpu_processes(check):
    obs = check.run("cpu_processes", call="run_cpu_bound(f, one call per CPU)", timeout=16)
    for run in obs["runs"]:
        cpus = run["cpus"]
        where = (f" with {cpus} CPU available to the process (os.sched_getaffinity) while os.cpu_count() "
                 f"says {run['cpu_count']}") if run["restricted"] else f" ({cpus} CPU{'s' if cpus > 1 else ''} available)"
        call = (f"run_cpu_bound(f, {cpus} call{'s' if cpus > 1 else ''}){where}"
                + (f", where each call waits until {cpus} are running" if cpus > 1 else ""))
        got = check.returned(call, run["out"])
        check.expect(isinstance(got, list) and len(got) == cpus and all(isinstance(g, list) for g in got),
                     f"Called {call}. Returned {got!r}, expected {cpus} results.")
        pids = {g[0] for g in got}
        check.expect(obs["caller"] not in pids,
                     f"Called {call}. The calls ran in the calling process (threads?): CPU-bound Python code holds "
                     "the GIL, so threads take turns on one core. Run the calls in worker processes "
                     "(ProcessPoolExecutor or multiprocessing.Pool).")
        workers = run.get("workers", 0)
        if run["restricted"]:
            check.expect(workers == 1,
                         f"Called {call}. It started {workers} worker processes, expected 1: count the CPUs this "
                         "process may use, len(os.sched_getaffinity(0)) (available_cpus()), not os.cpu_count().")
        check.expect(workers == cpus,
                     f"Called {call}. It started {workers} worker processes, expected {cpus}: one per available CPU "
                     "(available_cpus()).")
        arrived = run.get("arrived", 0)
        check.expect(arrived == cpus,
                     f"Called {call}. Only {arrived} of the calls were running at once (waited 2 s): submit every "
                     "call first, then collect the results.")


def test_correct_spawn(check):
    values = [check.rng.randint(-50, 50) for _ in range(check.rng.randint(3, 6))]
    call = f"run_cpu_bound(square, {[(x,) for x in values]})"
    obs = check.run("spawn", values=values, call=call, start_method="spawn", timeout=12)
    got = check.returned(call + " under spawn", obs["out"])
    expected = [x * x for x in values]
    check.expect(isinstance(got, list) and sorted(got) == sorted(expected),  # order: correct.cpu_results
                 f"Called {call} under spawn. Returned {got}, expected {expected}.")


def test_parallel_cpu_speedup(check):
    speedup.run_check(check, "speedup_probe", what="run_cpu_bound(work, 2 calls per CPU)",
                      first_call="run_cpu_bound(work, [(200,), (300,)])", code="executor")
