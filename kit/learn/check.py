"""``python -m kit check [NAME ...] [--impl DIR] [--strict]``: one line per exercise.

Runs each exercise's learner tests in a pytest of its own (``run.run_tests``: a time
limit and a process-group kill), two at a time, so a deadlock in one exercise costs that
exercise, never the others. Exercises not done yet are work in progress, not an error:
the exit status is 0 unless ``--strict`` (for scripts and CI: 1 until every exercise passes).
"""
import argparse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kit.core import meta
from kit.core.i18n import _
from . import common
from .run import run_tests

MARK = {"done": "✓", "not started": "·"}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nox -s check --",
                                description=_("Run the learner tests, one line per exercise."))
    p.add_argument("names", nargs="*", metavar="EXERCISE",
                   help=_("exercises to check, by name or number (default: all, in order)"))
    p.add_argument("--impl", default=str(common.EXERCISES),
                   help=_("folder holding the exercise modules (default: exercises/)"))
    p.add_argument("--limit", type=float, default=60.0,
                   help=_("seconds one exercise's tests may take before they are stopped"))
    p.add_argument("-v", "--verbose", action="store_true",
                   help=_("show pytest's own output for exercises that fail"))
    p.add_argument("--strict", action="store_true",
                   help=_("exit with status 1 unless every exercise checked passes (for scripts and CI)"))
    return p


def line(ex: meta.Exercise, res) -> str:
    mark = MARK.get(res.state, "✗")
    text = f"{mark} {ex.name:<20} {common.verdict(ex, res)}"
    if res.state in ("hung", "no tests"):
        text += ". " + _("Run: nox -s check -- {name} -v", name=ex.name)
    return text


def main(argv) -> int:
    args = parser().parse_args(argv)
    try:
        chosen = {common.resolve(n).name for n in args.names}
    except meta.KitError as err:
        return common.fail(err)
    exercises = [ex for ex in meta.load() if not chosen or ex.name in chosen]
    impl = Path(args.impl).resolve()
    if not impl.is_dir():
        return common.fail(meta.KitError(_("{path}: no such folder", path=args.impl)))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda e: run_tests(e.name, impl, args.limit), exercises))
    common.update_progress(impl, results)
    for ex, res in zip(exercises, results):
        print(line(ex, res))
        if args.verbose and not res.ok:
            print(res.output)
    done = sum(res.ok for res in results)
    print()
    head = _("{done} of {total} done.", done=done, total=len(exercises))
    if not chosen:
        head = f"{common.bar(done, len(exercises))}  {head}"
    todo = [ex for ex, res in zip(exercises, results) if not res.ok]
    if not todo:
        print(head, _("They pass their learner tests. Now: nox -s check (all of them)") if chosen else
              _("Every exercise passes its learner tests. Now: nox -s grade"))
        return 0
    nxt = todo[0]
    print(head, _("Next: {name} ({path}). Stuck? nox -s hint -- {name}",
                  name=nxt.name, path=common.shown(impl / f"{nxt.name}.py")))
    print(_("Work through it with nox -s watch: it re-runs the tests each time you save."))
    return 1 if args.strict else 0
