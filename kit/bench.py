"""``python -m kit bench``: the grader's own figures, for the README.

Grades the reference solutions N times (warm: this venv, nothing reinstalled), the
submission whose every body hangs once, and reports medians: seconds per grade, the
reference Pool's calibrated speedup in each run, and the score every time.
"""
import argparse
import statistics
import tempfile
from pathlib import Path

from . import ROOT
from .grade import grade
from .selftest import hanging_copy


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m kit bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5, help="grades of the solutions to take the median of")
    args = p.parse_args(argv)
    secs, scores, ref = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            d = grade(ROOT / "solutions", out=Path(tmp) / f"s{i}")
            secs.append(d["info"]["seconds"])
            scores.append(f"{d['score']:g}/{d['max']:g}")
            ref += [r["figures"].get("speedup_reference") for r in d["results"]
                    if r["timing"] and r["figures"].get("speedup_reference")]
            print(f"solutions run {i + 1}: {d['score']:g}/{d['max']:g} in {d['info']['seconds']} s")
        hang_dir = Path(tmp) / "hangs"
        hang_dir.mkdir()
        h = grade(hanging_copy(hang_dir), out=Path(tmp) / "h")
        print(f"every body hangs: {h['score']:g}/{h['max']:g} in {h['info']['seconds']} s, "
              f"{len(h['results'])} checks reported")
    print("\n| figure | value |\n|---|---|")
    print(f"| grade of the solutions, warm (median of {args.runs}) | {statistics.median(secs):.1f} s "
          f"(min {min(secs):.1f}, max {max(secs):.1f}) |")
    print(f"| scores | {', '.join(scores)} |")
    print(f"| grade of a submission whose every body hangs | {h['info']['seconds']:.1f} s |")
    if ref:
        print(f"| reference Pool speedup measured by the calibration (median of {len(ref)}) | "
              f"{statistics.median(ref):.2f}× (min {min(ref):.2f}) |")
    return 0
