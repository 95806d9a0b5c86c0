"""``python -m kit bench``: the grader's own figures, for the README.

Grades the reference solutions N times (warm: this venv, nothing reinstalled), the
submission whose every body hangs once, and reports medians: seconds per grade, the
reference Pool's calibrated speedup in each run, and the score every time.

``--batch N``: N submissions built from the solutions, the stubs and the selftest mutants
(in turn), graded as one batch (``python -m kit batch``) and then one by one
(``grade`` each); prints both times (``--sample K`` grades only K one by one and
extrapolates; ``--no-share`` grades identical modules again in the batch).

``--flips N``: the speedup verdicts' own benchmark (``kit/dev/flips.py``): the reference
and the speedup-relevant mutants graded N times each, wrong verdicts counted per check.

``--against REV``: the same figures for this tree and for the kit at git revision REV (a
worktree of it, made for the run and removed after), measured side by side in one run:
the two are graded in turn, so both see the same machine.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kit import ROOT
from kit.core import meta
from kit.engine.grade import grade
from kit.teach import batch

from . import flips, selftest
from .selftest import hanging_copy


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m kit bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5, help="grades of the solutions to take the median of")
    p.add_argument("--batch", type=int, default=None, metavar="N", help="time a batch of N submissions against one by one")
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="with --batch: grade only these exercises; with --flips: " + flips.HELP_ONLY)
    p.add_argument("--flips", type=int, default=None, metavar="N",
                   help="the speedup verdicts' benchmark: the reference and the speedup mutants graded N times each")
    p.add_argument("--hog", action="store_true", help="with --flips: keep one core busy the whole time")
    p.add_argument("--json", metavar="FILE", help="with --flips: also write the figures to FILE")
    p.add_argument("--sample", type=int, default=None, metavar="K", help="with --batch: grade K one by one, extrapolate")
    p.add_argument("--no-share", action="store_true", help="with --batch: no shared verdicts for identical modules")
    p.add_argument("--workers", type=int, default=None, help="with --batch: pytest workers")
    p.add_argument("--against", default=None, metavar="REV",
                   help="also grade with the kit at this git revision, in turn with this one (side by side)")
    args = p.parse_args(argv)
    if args.flips is not None:
        s = flips.run(args.flips, args.hog, args.only)
        if args.json:
            Path(args.json).write_text(json.dumps(s, indent=1))
        return 1 if s["wrong"] else 0
    if args.against:
        return side_by_side(args.against, args.runs)
    if args.batch:
        return batch_bench(args.batch, args.only, args.sample, not args.no_share, args.workers)
    secs, scores, ref = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            d = grade(ROOT / "solutions", out=Path(tmp) / f"s{i}")
            secs.append(d.info["seconds"])
            scores.append(f"{d.score:g}/{d.max:g}")
            # Figures read "median (low–high)": the median is what is compared across runs.
            ref += [float(str(r.figures["speedup_reference"]).split()[0]) for r in d.results
                    if r.timing and r.figures.get("speedup_reference")]
            print(f"solutions run {i + 1}: {d.score:g}/{d.max:g} in {d.info['seconds']} s")
        hang_dir = Path(tmp) / "hangs"
        hang_dir.mkdir()
        h = grade(hanging_copy(hang_dir), out=Path(tmp) / "h")
        print(f"every body hangs: {h.score:g}/{h.max:g} in {h.info['seconds']} s, "
              f"{len(h.results)} checks reported")
    print("\n| figure | value |\n|---|---|")
    print(f"| grade of the solutions, warm (median of {args.runs}) | {statistics.median(secs):.1f} s "
          f"(min {min(secs):.1f}, max {max(secs):.1f}) |")
    print(f"| scores | {', '.join(scores)} |")
    print(f"| grade of a submission whose every body hangs | {h.info['seconds']:.1f} s |")
    if ref:
        print(f"| reference Pool speedup measured by the calibration (median of {len(ref)}) | "
              f"{statistics.median(ref):.2f}× (min {min(ref):.2f}) |")
    return 0


def batch_bench(n: int, only=None, sample=None, share=True, workers=None) -> int:
    """A class of ``n`` built submissions: one batch, then one by one; both times."""
    entries = selftest.entries(only)
    pool = [e for e in entries if e.kind in ("solutions", "stubs")] + [e for e in entries if e.kind == "mutant"]
    with tempfile.TemporaryDirectory(prefix="kit-bench-batch-") as tmp:
        subs = Path(tmp) / "class"
        for i in range(n):
            folder = subs / f"student{i + 1:03d}"
            folder.mkdir(parents=True)
            selftest.build(pool[i % len(pool)], folder)
        t0 = time.monotonic()
        res = batch.run(subs, Path(tmp) / "out", seed=1, only=only, workers=workers, share=share, echo=lambda m: None)
        t_batch = time.monotonic() - t0
        per_ex = len(meta.select(only))
        print(f"batch: {n} submissions in {t_batch:.1f} s ({res['units']} gradings of one exercise for "
              f"{n * per_ex} student-exercises{'' if share else ', nothing shared'})")
        k = min(sample or n, n)
        t0 = time.monotonic()
        for i in range(k):
            grade(subs / f"student{i + 1:03d}", out=Path(tmp) / f"one{i}", seed=1, only=only, workers=workers)
        t_one = time.monotonic() - t0
        est = t_one * n / k
        print(f"one by one: {k} submissions in {t_one:.1f} s" + (f", {n} extrapolated: {est:.0f} s" if k < n else ""))
    print(f"\n| {n} submissions | seconds |\n|---|---|\n| one batch | {t_batch:.1f} |\n"
          f"| one by one{' (extrapolated from %d)' % k if k < n else ''} | {est:.1f} |")
    return 0


def side_by_side(rev: str, runs: int) -> int:
    """Grade the solutions ``runs`` times with this tree and with REV's, in turn; then the
    hanging submission once with each. Each grade is a fresh ``python -m kit grade``."""

    def grade_with(tree: Path, sub: Path, out: Path) -> tuple:
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-m", "kit", "grade", str(sub), "--out", str(out), "--quiet"], cwd=tree,
                       env=dict(os.environ, PYTHONPATH=str(tree)), capture_output=True, timeout=900)
        data = json.loads((out / "report.json").read_text())
        return time.monotonic() - t0, f"{data['score']:g}/{data['max']:g}"

    with tempfile.TemporaryDirectory(prefix="kit-bench-against-") as tmp:
        other = Path(tmp) / "other"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(other), rev], check=True,
                       capture_output=True)
        try:
            trees = {"this tree": ROOT, rev: other}
            secs = {k: [] for k in trees}
            for i in range(runs):
                for name, tree in trees.items():
                    s, score = grade_with(tree, tree / "solutions", Path(tmp) / f"o{i}{len(secs[name])}{id(tree)}")
                    secs[name].append(s)
                    print(f"solutions, {name}, run {i + 1}: {score} in {s:.1f} s")
            hangs = {}
            for name, tree in trees.items():
                d = Path(tmp) / f"hang{id(tree)}"
                d.mkdir()
                hanging_copy(d)
                hangs[name], score = grade_with(tree, d, Path(tmp) / f"h{id(tree)}")
                print(f"every body hangs, {name}: {score} in {hangs[name]:.1f} s")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)], capture_output=True)
    print(f"\n| figure ({time.strftime('%Y-%m-%d')}) | this tree | {rev} |\n|---|---|---|")
    print("| grade of the solutions, median of {} (min–max) | {} | {} |".format(
        runs, *(f"{statistics.median(v):.1f} s ({min(v):.1f}–{max(v):.1f})" for v in secs.values())))
    print("| grade of a submission whose every body hangs | {} | {} |".format(
        *(f"{v:.1f} s" for v in hangs.values())))
    return 0
