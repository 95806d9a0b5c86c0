"""Hidden checks for pool_map (docs/contract.md, section 9, and "Speedup checks")."""
import os

from kit.core.i18n import _
from kit.engine import speedup
from kit.engine.verdict import Shown, called

from . import probes

WAIT = 1.0


def _workers(left):
    return ", ".join(f"pid {c['pid']} ({c['status']})" for c in left)


def _cleanup_hint(calls):
    if "close" not in calls and "terminate" not in calls:
        return _("The pool was never closed: call pool.close() then pool.join() (or terminate() and join() on a "
                 "failure).")
    if "join" not in calls:
        return _("pool.close() was called but never pool.join(): join() waits for the workers to exit and reaps "
                 "them.")
    return _("Close and join the pool on every path, the error path included (try/finally).")


def test_correct_results(check):
    values = [check.rng.randint(-99, 99) for _i in range(check.rng.randint(4, 6))]
    n = len(values)
    obs = check.run(probes.results, values=values, call=_("parallel_map(f, {n} items, processes={n})", n=n),
                    timeout=n * WAIT + 6)
    call = _("parallel_map(f, [item0, ..., item{last}], processes={n}) where item i = (i, x) with x in "
             "{values}, f returns x*x + i, and item 0 finishes last", last=n - 1, n=n, values=values)
    got = check.returned(call, obs["main"])
    check.in_order(call, got, [x * x + i for i, x in enumerate(values)],
                   order_hint="The right values in the wrong order: keep each AsyncResult in item order and get() "
                              "them in that order, not as the tasks finish (no callback=results.append, no "
                              "imap_unordered).")
    call = "parallel_map(f, [], processes=2)"
    empty = check.returned(call, obs["empty"])
    check.expect(empty == [], called(call, returned=empty, expected=[]))


def test_correct_first_error(check):
    n = check.rng.randint(5, 7)
    bad = sorted(check.rng.sample(range(1, n), 2))
    obs = check.run(probes.first_error, n=n, bad=bad, call=_("parallel_map(f, {n} items, processes={n})", n=n),
                    timeout=n * WAIT + 6)
    call = _("parallel_map(f, {n} items, processes={n}) where items {first} and {second} raise TaskError "
             "and item {second} fails first in time", n=n, first=bad[0], second=bad[1])
    check.first_error(call, obs["out"], error=f"TaskError('item {bad[0]} failed')",
                      missing_hint="AsyncResult.get() re-raises a task's exception in the caller: call it on every "
                                   "result, and don't catch the exception to carry on.",
                      order_hint="the first failing item in item order, not the first in time (get() the results "
                                 "in item order, no error_callback).")
    check.expect(not obs["left"],
                 called(call, _("When it raised, pool workers were still there: {workers}. "
                                "Re-raise only after the pool is cleaned up.", workers=_workers(obs["left"])),
                        hint=_cleanup_hint(obs["pool_calls"])))


def test_safe_cleanup(check):
    n = check.rng.randint(4, 8)
    for fail in (False, True):
        call = (_("parallel_map(f, {n} items, processes=2) where item {last} raises TaskError", n=n, last=n - 1)
                if fail else _("parallel_map(f, {n} items, processes=2) where f squares its item", n=n))
        obs = check.run(probes.cleanup, n=n, fail=fail, call=call)
        out = obs["out"]
        if fail:
            # Only the workers are judged here (correct.first_error judges the exception);
            # a call that hung, or raised something else than TaskError, has not worked.
            if out["hung"] or (out["raised"] and out["raised"]["type"] != "TaskError"):
                check.returned(call, out)
        else:
            got = check.returned(call, out)
            expected = [i * i for i in range(n)]
            check.expect(isinstance(got, list) and sorted(got) == expected,  # order: correct.results
                         called(call, returned=got, expected=expected))
        check.expect(not obs["left"],
                     called(call, (_("When it raised, pool workers were still there (alive or not reaped): "
                                     "{workers}, expected none.", workers=_workers(obs["left"])) if fail else
                                   _("When it returned, pool workers were still there (alive or not reaped): "
                                     "{workers}, expected none.", workers=_workers(obs["left"]))),
                            hint=_cleanup_hint(obs["pool_calls"])))


def _default_pool_size():
    """What ``Pool()`` starts when ``processes`` is None on this Python, and its name.

    The multiprocessing docs (``Pool``): "If processes is None then the number returned by
    os.process_cpu_count() is used" -- from 3.13; before, os.cpu_count().
    """
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1, "os.process_cpu_count()"
    return os.cpu_count() or 1, "os.cpu_count()"


def test_parallel_processes(check):
    # n must differ from every count a Pool() that ignores `processes` could start, so that
    # it cannot pass by accident: the default on this Python, and the CPUs this process may
    # use (they differ under an affinity mask, where os.cpu_count() does not change).
    default, default_name = _default_pool_size()
    taken = {default, os.cpu_count() or 1}
    if hasattr(os, "sched_getaffinity"):
        taken.add(len(os.sched_getaffinity(0)))
    choices = [k for k in (3, 4, 5) if k not in taken] or [6]
    n = check.rng.choice(choices)
    obs = check.run(probes.processes, n=n, call=_("parallel_map(f, {n} items, processes={n})", n=n), timeout=14)
    call = _("parallel_map(f, {n} items, processes={n}) where each task waits until all {n} are running", n=n)
    got = check.returned(call, obs["out"] or {"hung": True, "seconds": 4 * WAIT, "raised": None})
    check.expect(isinstance(got, list) and len(got) == n and all(isinstance(g, list) and len(g) == 2 for g in got),
                 called(call, returned=got, expected=Shown(_("{n} results", n=n))))
    seen = check.processes(check.runs[-1].steps[0])  # the judge's census while the tasks waited
    check.expect(not seen["caller_runs"],
                 called(call, _("Some tasks ran in the calling process itself: run them in the pool's workers "
                                "(pool.apply_async(func, (item,))).")))
    workers = len(seen["workers"])
    check.expect(workers == n,
                 called(call, _("The pool had {workers} worker processes, expected {n}: pass `processes` on to "
                                "multiprocessing.Pool(processes) (Pool() alone starts {default_name} = "
                                "{default} workers).", workers=workers, n=n, default_name=default_name,
                                default=default)))
    arrived = sum(len(t) for t in seen["runners"].values())
    check.expect(arrived == n,
                 called(call, _("Only {arrived} of the {n} tasks were running at once (waited 2 s for the rest): "
                                "pool.apply(...) waits for each task, and so does .get() right after apply_async. "
                                "Queue every task with apply_async first, then collect the results.",
                                arrived=arrived, n=n)))
    check.expect(len(seen["runners"]) == n,
                 called(call, _("The tasks ran in {processes} distinct processes, expected {n}.",
                                processes=len(seen["runners"]), n=n)))
    check.same_processes(call, seen, [[g[0], g[1]] for g in got])


def test_correct_spawn(check):
    values = [check.rng.randint(-50, 50) for _i in range(check.rng.randint(3, 6))]
    call = f"parallel_map(square, {values}, processes=2)"
    obs = check.run(probes.spawn, values=values, call=call, start_method="spawn", timeout=12)
    call = _("{call} under spawn", call=call)
    got = check.returned(call, obs["out"])
    expected = [x * x for x in values]
    # Order is judged by correct.results; here: did the work get done under spawn?
    check.expect(isinstance(got, list) and sorted(got) == sorted(expected),
                 called(call, returned=got, expected=expected))


def test_parallel_speedup(check):
    speedup.run_check(check, probes.speedup_probe, what=_("parallel_map(work, 2 tasks per CPU, processes=CPUs)"),
                      first_call="parallel_map(work, [200, 300], processes=2)", code="pool")
