"""Hidden checks for threads_start_join (docs/contract.md, section 1)."""
from kit.core.i18n import _
from kit.engine.verdict import Shown, called

from . import probes

SERIAL_HINT = ("Did you join each thread right after starting it? Start every thread "
               "in one loop, then join them all in a second loop.")
JOIN_HINT = ("Joining only `t` after the loop joins the last thread alone (the seed's "
             "`for i in range(200): t.join()`): keep every thread in a list and join each.")


def _worked(check, call, out):
    """The call must have run (returned, or raised something other than NotImplementedError)."""
    if out["hung"] or (out["raised"] and out["raised"]["type"] == "NotImplementedError"):
        check.returned(call, out)


def test_correct_results(check):
    values = [check.rng.randint(-99, 99) for _ in range(check.rng.randint(5, 8))]
    call = _("run_in_threads(f, [(0, {x0}), (1, {x1}), ...{n} calls]) where call i returns x*x + i and the "
             "last call finishes first", x0=values[0], x1=values[1], n=len(values))
    obs = check.run(probes.results, values=values, call=call)
    got = check.returned(call, obs["main"])
    expected = [x * x + i for i, x in enumerate(values)]
    check.in_order(call, got, expected,
                   unfinished_hint=_("Some calls had not finished when it returned: {hint}", hint=_(JOIN_HINT)),
                   order_hint="The right values in the wrong order: keep each result at its call's index, "
                              "not in the order threads finish.")
    empty = check.returned("run_in_threads(f, [])", obs["empty"])
    check.expect(empty == [], called("run_in_threads(f, [])", returned=empty, expected=Shown("[]")))


def test_correct_first_error(check):
    n = check.rng.randint(5, 7)
    bad = sorted(check.rng.sample(range(n - 1), 2))
    call = _("run_in_threads(f, {n} calls) where calls {a} and {b} raise ValueError and call {b} fails first "
             "in time", n=n, a=bad[0], b=bad[1])
    obs = check.run(probes.first_error, n=n, bad=bad, call=call)
    check.first_error(call, obs["out"], error=f"ValueError('call {bad[0]} failed')",
                      missing_hint="An exception in a thread is lost unless you catch it there and "
                                   "raise it again after joining.",
                      order_hint="the first failing call in argument order, not in time.")
    check.expect(not obs["unfinished"],
                 called(call, _("It raised while calls {calls} were still running: join every thread before "
                                "re-raising.", calls=obs["unfinished"])))


def test_safe_all_joined(check):
    n = check.rng.randint(5, 7)
    obs = check.run(probes.all_joined, n=n, call=_("run_in_threads(f, {n} calls)", n=n))
    for fail in (False, True):
        if fail:
            call = _("run_in_threads(f, {n} calls) where the last call finishes first and call 0 raises "
                     "RuntimeError", n=n)
        else:
            call = _("run_in_threads(f, {n} calls) where the last call finishes first", n=n)
        res = obs["raised" if fail else "returned"]
        _worked(check, call, res["out"])
        still = {"calls": res["unfinished"], "alive": len(res["alive"])}
        if res["out"]["raised"]:
            text = _("When it raised, calls {calls} were still running ({alive} threads alive), expected none.",
                     **still)
        else:
            text = _("When it returned, calls {calls} were still running ({alive} threads alive), expected none.",
                     **still)
        check.expect(not res["unfinished"] and not res["alive"], called(call, text, hint=JOIN_HINT))


def test_parallel_overlap(check):
    n = check.rng.randint(4, 6)
    call = _("run_in_threads(f, {n} calls) where each call waits at a barrier for the other {others}",
             n=n, others=n - 1)
    obs = check.run(probes.overlap, n=n, call=call, timeout=n * 0.5 + 5)
    check.returned(call, obs["out"], hang_hint=SERIAL_HINT)
    peak = obs["peak"]
    check.expect(peak == n,
                 called(call, _("At most {peak} of the {n} calls ran at once (the others waited 0.5 s at the "
                                "barrier and gave up): the calls never ran all at once.", peak=peak, n=n),
                        hint=SERIAL_HINT))


def test_parallel_own_threads(check):
    n = check.rng.randint(4, 6)
    call = _("run_in_threads(f, {n} calls) where each call notes the thread it runs in", n=n)
    obs = check.run(probes.own_threads, n=n, call=call)
    check.returned(call, obs["out"])
    check.expect(obs["in_caller"] == 0,
                 called(call, _("{k} of {n} calls ran in the calling thread itself: create a threading.Thread "
                                "for every call and let it do the work.", k=obs["in_caller"], n=n)))
    check.expect(obs["distinct"] == n == obs["ran"],
                 called(call, _("The calls ran in {distinct} distinct threads, expected {n}: one thread per call.",
                                distinct=obs["distinct"], n=n)))
