"""``python -m kit bench --flips N``: how often a speedup verdict is wrong, measured.

Grades, N times each, only the speedup checks of: the reference solutions (every one must
pass or be inconclusive) and the speedup-relevant mutants (serial ``apply``, threads for
CPU-bound work: must fail or be inconclusive; ignored ``processes``: must pass or be
inconclusive, since it still uses every CPU). Prints the wrong verdicts per check, and the
inconclusive ones. ``--hog`` keeps one core busy with a process of our own the whole time,
the condition in which correct code must never fail.
"""
import argparse
import multiprocessing
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from .. import meta
from .grade import grade_many
from .selftest import build, entries

MUTANTS = ("mutant pool_map/apply", "mutant choose_executor/threads_for_cpu", "mutant pool_map/ignored_processes")
EXERCISES = [e.name for e in meta.load() if any(c.timing for c in e.checks)]


def _spin(stop):
    while not stop.is_set():
        pass


def run(n: int, hog: bool = False, echo=print) -> dict:
    todo = [e for e in entries(EXERCISES) if e.name == "solutions" or e.name in MUTANTS]
    wrong, inconclusive, seconds = Counter(), Counter(), []
    stop = multiprocessing.Event()
    spinner = multiprocessing.Process(target=_spin, args=(stop,), daemon=True) if hog else None
    if spinner:
        spinner.start()
    try:
        with tempfile.TemporaryDirectory(prefix="kit-flips-") as tmp:
            subs = {}
            for i, e in enumerate(todo):
                folder = Path(tmp) / f"e{i}"
                folder.mkdir()
                subs[e.name] = (build(e, folder), e.exercises)
            for k in range(n):
                t0 = time.monotonic()
                graded = grade_many(subs, timing_only=True, workers=1)
                seconds.append(time.monotonic() - t0)
                for e in todo:
                    for r in graded[e.name]["results"]:
                        must_fail = r["check"] in (e.expect_fail or set()) and e.name != "solutions"
                        key = f"{e.name}: {r['key']}"
                        if r["status"] == "inconclusive":
                            inconclusive[key] += 1
                        elif (r["status"] == "passed") == must_fail or r["status"] == "error":
                            wrong[key] += 1
                            echo(f"  round {k + 1}: WRONG {key}: {r['status']}: {r['message'].splitlines()[0][:160]}")
                echo(f"round {k + 1}/{n}: {sum(wrong.values())} wrong, {sum(inconclusive.values())} inconclusive "
                     f"so far ({seconds[-1]:.1f} s)")
    finally:
        if spinner:
            stop.set()
            spinner.join(5)
            if spinner.is_alive():
                spinner.kill()
    checks = sorted({f"{e.name}: {r}" for e in todo for r in
                     (c.key for x in e.exercises for c in meta.get(x).checks if c.timing)})
    echo(f"\n| entry: check | grades | wrong | inconclusive |\n|---|---|---|---|")
    for c in checks:
        echo(f"| {c} | {n} | {wrong[c]} | {inconclusive[c]} |")
    echo(f"\n{n} rounds{' with one core kept busy' if hog else ''}: {sum(wrong.values())} wrong verdicts, "
         f"{sum(inconclusive.values())} inconclusive; a round took {statistics.median(seconds):.1f} s (median)")
    return {"wrong": dict(wrong), "inconclusive": dict(inconclusive), "rounds": n}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m kit bench --flips", description=__doc__.split("\n\n")[0])
    p.add_argument("--flips", type=int, required=True, metavar="N", help="grades of each entry")
    p.add_argument("--hog", action="store_true", help="keep one core busy the whole time")
    args = p.parse_args(argv)
    return 1 if run(args.flips, args.hog)["wrong"] else 0
