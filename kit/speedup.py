"""Judge side of the speedup checks: pure functions from judge-side timings to a verdict.

A speedup probe runs interleaved rounds of the same CPU-bound work (the kit's own
function, never the learner's) three ways -- serially in the probe process, through the
grader's own reference ``Pool``, and through the learner's code -- and sends a ``mark``
before and after each timed run (``KIND:ROUND:start`` / ``KIND:ROUND:end``), so the
judge times them on its own clock. This module turns those marks into figures and a
verdict; it imports nothing from the sandbox, so it can be unit-tested with numbers.

The rule (contract, "Speedup checks"): where the machine shows no real parallelism
(fewer than 2 CPUs available, or the reference itself below ``MIN_REF`` times serial),
the check is inconclusive, with the figures. Otherwise the learner passes at
``SHARE`` of the reference's speedup or more, and clearly above 1x
(``1 + MARGIN * (ref - 1)``).
"""
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

KINDS = ("serial", "reference", "learner")
MIN_REF = 1.3      # below this the machine shows no parallelism worth judging
SHARE = 0.75       # the learner needs this share of the reference's speedup
MARGIN = 0.4       # ...and at least this share of the reference's gain over 1x
GREY = 0.08        # within this fraction of the threshold: measure more rounds


@dataclass
class Verdict:
    status: str                 # "passed" | "failed" | "inconclusive" | "grey"
    message: str
    figures: Dict[str, float] = field(default_factory=dict)


def spans(marks: Iterable[Tuple[str, float]]) -> Dict[str, List[float]]:
    """Seconds per kind from ``(name, time)`` marks named ``KIND:ROUND:start|end``."""
    starts, out = {}, {k: [] for k in KINDS}
    for name, t in marks:
        parts = str(name).split(":")
        if len(parts) != 3 or parts[0] not in out:
            continue
        key = (parts[0], parts[1])
        if parts[2] == "start":
            starts[key] = t
        elif parts[2] == "end" and key in starts:
            out[parts[0]].append(t - starts.pop(key))
    return out


def best(times: Dict[str, List[float]]) -> Dict[str, Optional[float]]:
    """The minimum per kind (noise only ever adds time), or None when a kind has no run."""
    return {k: (min(v) if v else None) for k, v in times.items()}


def threshold(ref: float) -> float:
    """The learner's speedup needed to pass, given the reference's."""
    return max(SHARE * ref, 1 + MARGIN * (ref - 1))


def figures(serial: float, reference: float, learner: float) -> Dict[str, float]:
    ref = serial / reference
    lrn = serial / learner
    return {"speedup_learner": round(lrn, 2), "speedup_reference": round(ref, 2),
            "serial_s": round(serial, 3), "reference_s": round(reference, 3),
            "learner_s": round(learner, 3), "needed": round(threshold(ref), 2)}


def decide(times: Dict[str, List[float]], cpus: int, *, what: str, final: bool = True,
           hint: str = "") -> Verdict:
    """The verdict for one set of timings.

    ``what`` names the learner's run for messages ("parallel_map(work, 4 tasks, processes=2)");
    ``hint`` is the likely mistake to name when the learner is too slow. With
    ``final=False`` a result close to the threshold comes back as "grey" (measure more).
    """
    if cpus < 2:
        return Verdict("inconclusive",
                       f"Only {cpus} CPU is available to the grader (os.sched_getaffinity): this machine "
                       "cannot show a parallel speedup, so this check is left out of the total.",
                       {"cpus_available": cpus})
    b = best(times)
    if any(b[k] is None or b[k] <= 0 for k in KINDS):
        missing = [k for k in KINDS if b[k] is None or b[k] <= 0]
        return Verdict("inconclusive", f"No timing for {', '.join(missing)}: nothing to compare.",
                       {"cpus_available": cpus})
    fig = figures(b["serial"], b["reference"], b["learner"])
    fig["cpus_available"] = cpus
    fig["rounds"] = min(len(v) for v in times.values())
    ref, lrn, need = fig["speedup_reference"], fig["speedup_learner"], threshold(serial_ref(b))
    said = (f"{what}: {lrn:.2f}x faster than serial ({b['serial']:.3f} s serial, "
            f"{b['learner']:.3f} s yours); the grader's own Pool({cpus}) reached {ref:.2f}x "
            f"({b['reference']:.3f} s) on this machine in the same run")
    if serial_ref(b) < MIN_REF:
        return Verdict("inconclusive",
                       f"{said}. The reference shows less than {MIN_REF}x: the machine is too busy to "
                       "show parallelism, so this check is left out of the total.", fig)
    l_speed = b["serial"] / b["learner"]
    if not final and abs(l_speed - need) < GREY * need:
        return Verdict("grey", said, fig)
    if l_speed >= need:
        return Verdict("passed", said + ".", fig)
    return Verdict("failed", f"{said}; needed {need:.2f}x (three quarters of the reference, and clearly "
                   f"above 1x)." + (f" {hint}" if hint else ""), fig)


def serial_ref(b: Dict[str, float]) -> float:
    return b["serial"] / b["reference"]


def merge(*many: Dict[str, List[float]]) -> Dict[str, List[float]]:
    """Pool the rounds of several probe runs of the same work."""
    out = {k: [] for k in KINDS}
    for times in many:
        for k in KINDS:
            out[k].extend(times.get(k, []))
    return out


def likely_mistake(speedup: float, pids: int, in_caller: bool, cpus: int, code: str) -> str:
    """The likely mistake behind a slow run, from what the probe saw of the learner's run.

    ``pids``: distinct processes the tasks ran in; ``in_caller``: some task ran in the
    calling process; ``code``: "pool" (parallel_map) or "executor" (run_cpu_bound).
    """
    if in_caller:
        return ("The tasks ran in the calling process: threads (or a plain loop) can't run "
                "pure-Python CPU-bound work in parallel, the GIL lets one thread run at a time. Use processes.")
    if pids <= 1:
        return (f"All tasks ran in one worker process: Pool(1)? Give the pool one process per CPU "
                f"({cpus} here).")
    if speedup < 1.15:
        if code == "pool":
            return ("The tasks ran in {} processes but one at a time: apply() (which waits) instead of "
                    "apply_async(), or .get() right after each apply_async? Queue every task first, "
                    "then collect the results.").format(pids)
        return ("The tasks ran in {} processes but one at a time: waiting for each result before "
                "submitting the next? Submit every call first, then collect.").format(pids)
    return ("Slower than the machine allows: too few workers, or work done outside the pool "
            "(a pool started per task?).")


# -- the driver of a speedup check (judge side; used by hidden/test_*.py) ----------------
def run_check(check, probe: str, *, what: str, first_call: str, code: str, rounds: int = 4,
              probe_timeout: float = 25.0) -> None:
    """Run a speedup probe (see ``kit_probes.pool_map.speedup``), decide, report figures.

    Fails through ``check`` (stub, wrong results, too slow), or raises Inconclusive.
    A result close to the threshold, or a reference that shows no parallelism, is measured
    once more with the same work before the verdict.
    """
    all_times = []
    obs = None
    for attempt in range(2):
        obs = check.run(probe, call=what, rounds=rounds, limit=(obs or {}).get("limit"),
                        timeout=probe_timeout)
        run = check.runs[-1]
        if "first" in obs:
            got = check.returned(first_call, obs["first"])
            check.fail(f"Called {first_call}. Returned {got!r}, expected {obs['expected_first']!r} "
                       "(each task returns [count, pid]).")
        if obs.get("skipped"):
            check.figure("cpus_available", obs["cpus"])
            v = decide({}, obs["cpus"], what=what)
            check.inconclusive(v.message)
        if "learner" in obs:
            call = f"{what} (timed round)"
            got = check.returned(call, obs["learner"])
            check.fail(f"Called {call}. Returned {obs.get('wrong', repr(got))}, expected "
                       f"{obs['tasks']} results [{obs.get('expected')}, pid] in item order.")
        all_times.append(spans(run.marks))
        times = merge(*all_times)
        v = decide(times, obs["cpus"], what=what, final=attempt == 1)
        # Not a clear pass: measure once more (a burst of load elsewhere can spoil every round
        # of one kind), pooling the rounds, before failing or calling it inconclusive.
        retry = v.status != "passed"
        if not retry or attempt == 1:
            break
    for k, val in v.figures.items():
        check.figure(k, val)
    check.figure("worker_pids", len(obs.get("pids", [])))
    if v.status == "passed":
        return
    if v.status == "inconclusive":
        check.inconclusive(v.message)
    check.fail(v.message + " " + likely_mistake(v.figures["speedup_learner"], len(obs.get("pids", [])),
                                                 obs.get("in_caller", False), obs["cpus"], code))
