"""``python -m kit bench --flips N``: how often a speedup verdict is wrong, measured.

Grades, N times each, only the speedup checks of: the reference solutions (every one must
pass or be inconclusive) and the speedup-relevant mutants (serial ``apply``, threads for
CPU-bound work: must fail or be inconclusive; ignored ``processes``: must pass or be
inconclusive, since it still uses every CPU). Prints the verdicts and the wrong ones per
check, and how long the reference's timing phase took. ``--hog`` keeps one core busy with a
process of our own the whole time, the condition in which correct code must never fail.
``--only solutions`` (or a mutant's name) measures fewer entries per round.
"""
import multiprocessing
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from kit.core import meta
from kit.core.results import Status
from kit.engine.grade import grade_many
from .selftest import entries, submissions

ENTRIES = ("solutions", "mutant pool_map/apply", "mutant choose_executor/threads_for_cpu",
           "mutant pool_map/ignored_processes")
EXERCISES = [e.name for e in meta.load() if any(c.timing for c in e.checks)]
HELP_ONLY = "measure only these entries (substrings of: " + ", ".join(ENTRIES) + ")"


def _spin(stop):
    while not stop.is_set():
        pass


def _must_fail(entry, result) -> bool:
    return entry.name != "solutions" and result.check in (entry.expect_fail or set())


def run(n: int, hog: bool = False, only=None, echo=print) -> dict:
    names = [x for x in ENTRIES if not only or any(o in x for o in only)]
    if not names:
        raise SystemExit(f"--only {' '.join(only)}: no such entry; the entries are: {', '.join(ENTRIES)}")
    todo = [e for e in entries(EXERCISES) if e.name in names]
    verdicts, wrong, timing_phase, seconds = Counter(), Counter(), [], []
    stop = multiprocessing.Event()
    spinner = multiprocessing.Process(target=_spin, args=(stop,), daemon=True) if hog else None
    if spinner:
        spinner.start()
    try:
        with tempfile.TemporaryDirectory(prefix="kit-flips-") as tmp:
            subs = submissions(todo, Path(tmp))
            for k in range(n):
                t0 = time.monotonic()
                graded = grade_many(subs, timing_only=True, workers=1)
                seconds.append(time.monotonic() - t0)
                for e in todo:
                    for r in graded[e.name].results:
                        key = f"{e.name}: {r.key}"
                        verdicts[key, r.status.value] += 1
                        bad = r.status is Status.ERROR or (r.status is not Status.INCONCLUSIVE
                                                           and (r.status is Status.PASSED) == _must_fail(e, r))
                        if bad:
                            wrong[key] += 1
                            echo(f"  round {k + 1}: WRONG {key}: {r.status.value}: "
                                 f"{r.message.splitlines()[0][:200] if r.message else ''}")
                    if e.name == "solutions":
                        timing_phase.append(sum(r.figures.get("measuring_s", 0) for r in graded[e.name].results))
                echo(f"round {k + 1}/{n}: {sum(wrong.values())} wrong so far ({seconds[-1]:.1f} s"
                     + (f"; reference timing phase {timing_phase[-1]:.1f} s" if timing_phase else "") + ")")
    finally:
        if spinner:
            stop.set()
            spinner.join(5)
            if spinner.is_alive():
                spinner.kill()
    checks = sorted({key for key, _ in verdicts})
    echo(f"\n{n} rounds{' with one core kept busy by another process' if hog else ''}:\n")
    echo("| entry: check | must | grades | passed | failed | inconclusive | wrong |\n|---|---|---|---|---|---|---|")
    for c in checks:
        e = next(x for x in todo if c.startswith(x.name + ":"))
        must = "fail or inconclusive" if any(c.endswith(x) for x in (e.expect_fail or ())) and e.name != "solutions" \
            else "pass or inconclusive"
        echo(f"| {c} | {must} | {sum(verdicts[c, s] for s in ('passed', 'failed', 'inconclusive', 'error'))} | "
             f"{verdicts[c, 'passed']} | {verdicts[c, 'failed']} | {verdicts[c, 'inconclusive']} | {wrong[c]} |")
    summary = {"rounds": n, "hog": hog, "wrong": dict(wrong),
               "verdicts": {f"{c} {s}": v for (c, s), v in sorted(verdicts.items())},
               "round_s_median": round(statistics.median(seconds), 2) if seconds else None}
    if timing_phase:
        summary.update(reference_timing_phase_s_median=round(statistics.median(timing_phase), 2),
                       reference_timing_phase_s_max=round(max(timing_phase), 2),
                       reference_timing_phase_over_6s=sum(t > 6 for t in timing_phase))
        echo(f"\nreference timing phase (both speedup checks of a reference grade): median "
             f"{summary['reference_timing_phase_s_median']} s, max {summary['reference_timing_phase_s_max']} s, "
             f"over 6 s in {summary['reference_timing_phase_over_6s']} of {len(timing_phase)}")
    echo(f"{sum(wrong.values())} wrong verdicts; a round took {summary['round_s_median']} s (median)")
    return summary
