"""Hidden checks for choose_executor (docs/contract.md, section 10, and "Speedup checks")."""
from kit.core.i18n import _
from kit.engine import speedup
from kit.engine.verdict import Shown, called

from . import probes

WAIT = 1.0


def _results(check, fn, probe):
    values = [check.rng.randint(-99, 99) for _i in range(check.rng.randint(4, 6))]
    n = len(values)
    bad = sorted(check.rng.sample(range(1, n), 2))
    obs = check.run(probe, values=values, bad=bad, call=_("{fn}(f, {n} calls)", fn=fn, n=n), timeout=2 * n * WAIT + 6)
    call = _("{fn}(f, [(0, {first}), (1, {second}), ...]) where call (i, x) returns x*x + i "
             "and the first call finishes last", fn=fn, first=values[0], second=values[1])
    got = check.returned(call, obs["main"])
    check.in_order(call, got, [x * x + i for i, x in enumerate(values)],
                   order_hint="The right values in the wrong order: keep the futures in argument order and ask "
                              "each for its result in that order (not as_completed, not executor.map over a dict).")
    call = f"{fn}(f, [])"
    empty = check.returned(call, obs["empty"])
    check.expect(empty == [], called(call, returned=empty, expected=[]))
    call = _("{fn}(f, {n} calls) where calls {first} and {second} raise TaskError (a ValueError) "
             "and call {second} fails first in time", fn=fn, n=n, first=bad[0], second=bad[1])
    check.first_error(call, obs["error"], error=f"TaskError('call {bad[0]} failed')",
                      missing_hint="future.result() re-raises the call's exception: don't catch it.",
                      order_hint="the first failing call in argument order, not the first in time (ask the "
                                 "futures for their results in argument order).")


def test_correct_io_results(check):
    _results(check, "run_io_bound", probes.io_results)


def test_correct_cpu_results(check):
    _results(check, "run_cpu_bound", probes.cpu_results)


def test_parallel_io_overlap(check):
    n = check.rng.randint(16, 32)
    m = check.rng.randint(36, 44)
    obs = check.run(probes.io_overlap, n=n, m=m, call=_("{fn}(f, {n} calls)", fn="run_io_bound", n=n),
                    timeout=2 * probes.ARRIVE + 10)
    call = _("run_io_bound(f, {n} calls) where each call waits (up to {seconds} s) until all {n} are running",
             n=n, seconds=f"{probes.ARRIVE:g}")
    got = check.returned(call, obs["first"])
    alone = sum(1 for r in (got or []) if r != "together")
    check.expect(isinstance(got, list) and len(got) == n and alone == 0,
                 called(call, _("The calls were not all running at once (a call waited {seconds} s and gave up): "
                                "IO-bound calls spend their time waiting, so run each in a thread of its own, up to "
                                "32 at once (ThreadPoolExecutor(max_workers=min(len(args_list), 32)), not the default "
                                "max_workers, not one call at a time).", seconds=f"{probes.ARRIVE:g}")))
    call = _("run_io_bound(f, {m} calls) where each call records how many calls are running at once "
             "waits until 32 are running, then briefly for a 33rd", m=m)
    got = check.returned(call, obs["second"])
    check.expect(isinstance(got, list) and len(got) == m and all(isinstance(g, int) for g in got),
                 called(call, returned=got, expected=Shown(_("{m} counts", m=m))))
    peak = max(got)
    check.expect(peak <= 32,
                 called(call, _("Up to {peak} calls ran at once, expected at most 32: cap the threads at 32 "
                                "(max_workers=min(len(args_list), 32)).", peak=peak)))
    check.expect(peak == 32,
                 called(call, _("At most {peak} calls ran at once, expected 32 (as many as there are calls, "
                                "up to 32).", peak=peak)))


def test_safe_io_no_processes(check):
    n = check.rng.randint(3, 6)
    obs = check.run(probes.io_no_processes, n=n, call=_("{fn}(f, {n} calls)", fn="run_io_bound", n=n))
    call = _("run_io_bound(f, {n} calls) where each call returns the pid it runs in", n=n)
    got = check.returned(call, obs["out"])
    check.expect(isinstance(got, list) and len(got) == n and all(isinstance(g, list) and len(g) == 2 for g in got),
                 called(call, returned=got, expected=Shown(_("{n} results", n=n))))
    pids = sorted({g[0] for g in got} - {obs["caller"]})
    kids = max([g[1] for g in got] + [len(obs["left"])])
    check.expect(not pids and not check.runs[-1].started and kids == 0,
                 called(call, _("It started child processes ({n} of the calls ran in other processes): IO-bound "
                                "calls wait rather than compute, so threads of this process serve them best; "
                                "processes only add start-up cost and pickling (ThreadPoolExecutor, not "
                                "ProcessPoolExecutor or Pool).", n=len(pids)) if pids else
                        _("It started child processes: IO-bound calls wait rather than compute, so threads of this "
                          "process serve them best; processes only add start-up cost and pickling "
                          "(ThreadPoolExecutor, not ProcessPoolExecutor or Pool).")))


def test_parallel_cpu_processes(check):
    obs = check.run(probes.cpu_processes, call=_("run_cpu_bound(f, one call per CPU)"), timeout=16)
    steps = check.runs[-1].steps  # the judge's census while each call's tasks waited at the gate
    for run, step in zip(obs["runs"], steps):
        seen = check.processes(step)
        cpus = run["cpus"]
        if run["restricted"]:  # the probe restricts the process to one CPU (probes.cpu_processes)
            call = _("run_cpu_bound(f, {cpus} call) with {cpus} CPU available to the process "
                     "(os.sched_getaffinity) while os.cpu_count() says {cpu_count}",
                     cpus=cpus, cpu_count=run["cpu_count"])
        elif cpus > 1:
            call = _("run_cpu_bound(f, {cpus} calls) ({cpus} CPUs available), where each call waits until {cpus} "
                     "are running", cpus=cpus)
        else:
            call = _("run_cpu_bound(f, {cpus} call) ({cpus} CPU available)", cpus=cpus)
        got = check.returned(call, run["out"])
        check.expect(isinstance(got, list) and len(got) == cpus and all(isinstance(g, list) for g in got),
                     called(call, returned=got, expected=Shown(_("{n} results", n=cpus))))
        check.expect(not seen["caller_runs"],
                     called(call, _("The calls ran in the calling process (threads?): CPU-bound Python code holds "
                                    "the GIL, so only one thread at a time runs it. Run the calls in worker processes "
                                    "(ProcessPoolExecutor or multiprocessing.Pool).")))
        workers = len(seen["workers"])
        if run["restricted"]:
            check.expect(workers == 1,
                         called(call, _("It started {workers} worker processes, expected 1: count the CPUs this "
                                        "process may use, len(os.sched_getaffinity(0)) (available_cpus()), not "
                                        "os.cpu_count().", workers=workers)))
        check.expect(workers == cpus,
                     called(call, _("It started {workers} worker processes, expected {cpus}: one per available "
                                    "CPU (available_cpus()).", workers=workers, cpus=cpus)))
        arrived = sum(len(t) for t in seen["runners"].values())
        check.expect(arrived == cpus,
                     called(call, _("Only {arrived} of the calls were running at once (waited 2 s): submit every "
                                    "call first, then collect the results.", arrived=arrived)))


def test_correct_spawn(check):
    values = [check.rng.randint(-50, 50) for _i in range(check.rng.randint(3, 6))]
    call = f"run_cpu_bound(square, {[(x,) for x in values]})"
    obs = check.run(probes.spawn, values=values, call=call, start_method="spawn", timeout=12)
    call = _("{call} under spawn", call=call)
    got = check.returned(call, obs["out"])
    expected = [x * x for x in values]
    check.expect(isinstance(got, list) and sorted(got) == sorted(expected),  # order: correct.cpu_results
                 called(call, returned=got, expected=expected))


def test_parallel_cpu_speedup(check):
    speedup.run_check(check, probes.speedup_probe, what=_("run_cpu_bound(work, 2 calls per CPU)"),
                      first_call="run_cpu_bound(work, [(200,), (300,)])", code="executor")
