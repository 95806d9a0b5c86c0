"""Judge side of the speedup checks: sequential measurement, decided with a stated confidence.

A speedup probe (``kit.box.cpuwork.speedup``) runs interleaved rounds of the same
CPU-bound work (the kit's own function, never the learner's) three ways -- serially in the
probe process, through the grader's own reference ``Pool``, and through the learner's
code -- and sends a ``mark`` before and after each timed run (``KIND:ROUND:start|end``),
so the judge times them on its own clock. With each learner round it reports the CPU time
the kernel counted for the probe's process tree (``os.times``, taken before learner code
was imported): CPU time over wall time is the *achieved concurrency*, a second signal that
noise can only lower (GIL-bound threads never exceed about 1.0).

The rule (contract, "Speedup checks"). Each round is judged against its own reference:
the learner needs ``need = max(SHARE * ref, 1 + MARGIN * (ref - 1))`` times serial, where
``ref`` is the reference's speedup in that round. Rounds where the reference itself is
below ``MIN_REF`` say "this machine can't show parallelism now" and don't count. Rounds
are added until a one-sided sign test is clear:

- **passed** when the learner met ``need`` in so many rounds that chance would give that
  with probability at most ``ALPHA_PASS`` (1 in 16), and its median achieved concurrency is
  at least ``MIN_CONCURRENCY`` (serial and GIL-bound code stays near 1.0 however the
  rounds fall, so a pass cannot come from noise alone);
- **failed** when it missed ``need`` in so many rounds that chance would give that with
  probability at most ``ALPHA_FAIL`` (99 % confidence): code that cannot be told apart from
  the reference is never failed;
- **inconclusive** when the time budget (``BUDGET`` seconds of measuring) runs out first,
  or the machine shows no parallelism (fewer than 2 CPUs, or the reference below
  ``MIN_REF`` in most rounds): shown with the figures, left out of the total.

Every figure is reported as the median of the rounds with a distribution-free interval
(order statistics, about 90 %). This module imports nothing from the sandbox: the rule is
unit-tested with numbers (``kit_tests/test_speedup.py``).
"""
import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from .check import called

KINDS = ("serial", "reference", "learner")
MIN_REF = 1.2          # a round whose reference is below this shows no parallelism worth judging
SHARE = 0.75           # the learner needs this share of the reference's speedup
MARGIN = 0.4           # ...and at least this share of the reference's gain over 1x
ALPHA_PASS = 1 / 16    # a pass: chance alone would do as well at most 1 time in 16 (4 of 4 rounds, 6 of 7)
ALPHA_FAIL = 0.01      # a fail: at most 1 time in 100 (7 of 7 rounds missed, 10 of 11)
MIN_CONCURRENCY = 1.2  # median CPU time / wall time of the learner's rounds needed to pass
FIRST_ROUNDS = 5       # rounds of the first probe run; each later run adds MORE_ROUNDS
MORE_ROUNDS = 3
BUDGET = 8.0           # seconds of measuring per check before the verdict is "inconclusive"


@dataclass
class Verdict:
    status: str                 # "passed" | "failed" | "inconclusive" | "undecided"
    message: str
    figures: Dict[str, object] = field(default_factory=dict)


@dataclass
class Round:
    serial: float
    reference: float
    learner: float
    cpu: Optional[float] = None     # CPU seconds of the learner's run (process tree), if known

    @property
    def ref_speed(self) -> float:
        return self.serial / self.reference

    @property
    def speed(self) -> float:
        return self.serial / self.learner

    @property
    def need(self) -> float:
        return threshold(self.ref_speed)

    @property
    def concurrency(self) -> Optional[float]:
        return None if self.cpu is None else self.cpu / self.learner


def spans(marks: Iterable[Tuple[str, float]]) -> Dict[str, Dict[str, float]]:
    """Seconds per kind and round from ``(name, time)`` marks named ``KIND:ROUND:start|end``."""
    starts, out = {}, {k: {} for k in KINDS}
    for name, t in marks:
        parts = str(name).split(":")
        if len(parts) != 3 or parts[0] not in out:
            continue
        key = (parts[0], parts[1])
        if parts[2] == "start":
            starts[key] = t
        elif parts[2] == "end" and key in starts:
            out[parts[0]][parts[1]] = t - starts.pop(key)
    return out


def rounds_of(marks, cpu: Optional[Dict[str, float]] = None) -> List[Round]:
    """The complete rounds of one probe run (all three kinds timed), with the learner's CPU time."""
    s = spans(marks)
    out = []
    for r in sorted(s["learner"], key=int):
        if r in s["serial"] and r in s["reference"] and min(s["serial"][r], s["reference"][r], s["learner"][r]) > 0:
            out.append(Round(s["serial"][r], s["reference"][r], s["learner"][r], (cpu or {}).get(r)))
    return out


def threshold(ref: float) -> float:
    """The learner's speedup needed to pass, given the reference's."""
    return max(SHARE * ref, 1 + MARGIN * (ref - 1))


def tail(k: int, n: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2): how often chance alone gives k of n rounds one way."""
    return sum(math.comb(n, i) for i in range(k, n + 1)) / 2 ** n if n else 1.0


def interval(values: List[float]) -> Tuple[float, float, float]:
    """Median and a distribution-free interval of it (order statistics, at least 90 %)."""
    v = sorted(values)
    n = len(v)
    j = 0
    while j + 1 < n and sum(math.comb(n, i) for i in range(j + 1)) / 2 ** n <= 0.05:
        j += 1
    return statistics.median(v), v[max(0, j - 1)] if j else v[0], v[n - j] if j else v[-1]


def _fig(values) -> str:
    m, lo, hi = interval(values)
    return f"{m:.2f} ({lo:.2f}–{hi:.2f})"


def figures(rounds: List[Round], cpus: int) -> Dict[str, object]:
    f = {"cpus_available": cpus, "rounds": len(rounds)}
    if rounds:
        f.update(speedup_learner=_fig([r.speed for r in rounds]),
                 speedup_reference=_fig([r.ref_speed for r in rounds]),
                 needed=_fig([r.need for r in rounds]),
                 serial_s=round(statistics.median(r.serial for r in rounds), 3))
        conc = [r.concurrency for r in rounds if r.concurrency is not None]
        if conc:
            f["concurrency_learner"] = _fig(conc)
    return f


def decide(rounds: List[Round], cpus: int, *, what: str, final: bool = True, hint: str = "") -> Verdict:
    """The verdict for the rounds so far; ``final=False`` may answer "undecided" (measure more)."""
    fig = figures(rounds, cpus)
    if cpus < 2:
        return Verdict("inconclusive", f"Only {cpus} CPU is available to the grader (os.sched_getaffinity): this "
                       "machine cannot show a parallel speedup, so this check is left out of the total.", fig)
    if not rounds:
        return Verdict("inconclusive", "No complete timed round: nothing to compare.", fig)
    valid = [r for r in rounds if r.ref_speed >= MIN_REF]
    fig["rounds_counted"] = len(valid)
    said = (f"{what}: {fig['speedup_learner']}x faster than serial (median of {len(rounds)} rounds, with its "
            f"interval; serial {fig['serial_s']} s); the grader's own Pool({cpus}) reached "
            f"{fig['speedup_reference']}x on this machine in the same rounds")
    if "concurrency_learner" in fig:
        said += f"; your run kept {fig['concurrency_learner']} CPUs busy on average"
    n = len(valid)
    met = sum(r.speed >= r.need for r in valid)
    conc = [r.concurrency for r in valid if r.concurrency is not None]
    busy = statistics.median(conc) if conc else None
    if n and tail(met, n) <= ALPHA_PASS and (busy is None or busy >= MIN_CONCURRENCY):
        fig["confidence"] = f"met the bar in {met} of {n} rounds (p={tail(met, n):.3f})"
        return Verdict("passed", said + ".", fig)
    if n and tail(n - met, n) <= ALPHA_FAIL:
        fig["confidence"] = f"missed the bar in {n - met} of {n} rounds (p={tail(n - met, n):.4f})"
        return Verdict("failed", f"{said}; needed {fig['needed']}x (three quarters of the reference, and clearly "
                       f"above 1x), missed in {n - met} of {n} rounds (99 % confidence)." + (f" {hint}" if hint else ""),
                       fig)
    if not final:
        return Verdict("undecided", said, fig)
    if n < len(rounds) / 2:
        return Verdict("inconclusive", f"{said}. In {len(rounds) - n} of {len(rounds)} rounds the reference showed "
                       f"less than {MIN_REF}x: the machine is too busy to show parallelism, so this check is left "
                       "out of the total.", fig)
    return Verdict("inconclusive", f"{said}; needed {fig['needed']}x. Met in {met} of {n} rounds: not clear at the "
                   "stated confidence within the time budget, so this check is left out of the total "
                   "(never failed on a doubt).", fig)


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


# -- the driver of a speedup check (judge side; used by hidden/*/checks.py) -------------
def run_check(check, probe, *, what: str, first_call: str, code: str, probe_timeout: float = 25.0) -> None:
    """Run a speedup probe until its verdict is clear or the budget is spent; report figures.

    ``probe`` is a function of ``hidden/EXERCISE/probes.py`` built on
    ``kit.box.cpuwork.speedup``. Fails through ``check`` (stub, wrong results, too slow), or
    raises Inconclusive. Every run uses the same work size (``limit``), so rounds pool.
    """
    rounds, obs = [], None
    started = time.monotonic()
    while True:
        n = FIRST_ROUNDS if obs is None else MORE_ROUNDS
        obs = check.run(probe, call=what, rounds=n, limit=(obs or {}).get("limit"), timeout=probe_timeout)
        if "first" in obs:
            got = check.returned(first_call, obs["first"])
            check.fail(called(first_call, returned=got, expected=obs["expected_first"],
                              hint="(each task returns [count, pid])"))
        if obs.get("skipped"):
            check.figure("cpus_available", obs["cpus"])
            check.inconclusive(decide([], obs["cpus"], what=what).message)
        if "learner" in obs:
            call = f"{what} (timed round)"
            got = check.returned(call, obs["learner"])
            check.fail(called(call, f"Returned {obs.get('wrong', repr(got))}, expected {obs['tasks']} results "
                                    f"[{obs.get('expected')}, pid] in item order."))
        rounds += rounds_of(check.runs[-1].marks, obs.get("cpu"))
        final = time.monotonic() - started >= BUDGET
        v = decide(rounds, obs["cpus"], what=what, final=final)
        if v.status != "undecided":
            break
    for k, val in v.figures.items():
        check.figure(k, val)
    check.figure("measuring_s", round(time.monotonic() - started, 2))
    check.figure("worker_pids", len(obs.get("pids", [])))
    if v.status == "passed":
        return
    if v.status == "inconclusive":
        check.inconclusive(v.message)
    speed = statistics.median(r.speed for r in rounds)
    check.fail(v.message + " " + likely_mistake(speed, len(obs.get("pids", [])), obs.get("in_caller", False),
                                                 obs["cpus"], code))
