"""``python -m kit hint [NAME] [--all | --reset]``: the next hint for an exercise.

Each exercise has two or three hints, from gentle to explicit; every call shows one more
(and the ones before it). ``--all`` shows them all at once, ``--reset`` starts that
exercise's hints over. Without NAME: the exercise you are on (the first not done).
What was seen is kept in ``.kit-hints.json``, shared with ``watch``'s ``h`` key.
"""
import argparse

from kit.core import meta
from kit.core.i18n import _, hints, seed, title
from . import common


def seen(ex: meta.Exercise) -> int:
    return int(common.read_state(common.HINTS_FILE).get(ex.name, 0) or 0)


def reveal(ex: meta.Exercise, everything: bool = False) -> int:
    """One more hint of ``ex`` seen (or all of them); return how many are seen now."""
    state = common.read_state(common.HINTS_FILE)
    total = len(hints(ex))
    now = total if everything else min(int(state.get(ex.name, 0) or 0) + 1, total)
    state[ex.name] = now
    common.write_state(common.HINTS_FILE, state)
    return now


def forget(ex: meta.Exercise) -> None:
    state = common.read_state(common.HINTS_FILE)
    state.pop(ex.name, None)
    common.write_state(common.HINTS_FILE, state)


def hint_lines(ex: meta.Exercise, count: int) -> list:
    texts = hints(ex)
    return [_("hint {i}/{n}: {text}", i=i, n=len(texts), text=h) for i, h in enumerate(texts[:count], 1)]


def main(argv) -> int:
    p = argparse.ArgumentParser(prog="nox -s hint --", description=_(
        "Show the next hint for an exercise (2-3 per exercise, gentle to explicit)."))
    p.add_argument("name", nargs="?", metavar="EXERCISE",
                   help=_("the exercise, by name or number (default: the first not done)"))
    group = p.add_mutually_exclusive_group()
    group.add_argument("--all", action="store_true", help=_("show every hint at once"))
    group.add_argument("--reset", action="store_true", help=_("start this exercise's hints over"))
    args = p.parse_args(argv)
    try:
        ex = common.resolve(args.name) if args.name else common.first_not_done(common.EXERCISES)
    except meta.KitError as err:
        return common.fail(err)
    if ex is None:
        print(_("Every exercise passes its learner tests: no hint needed. Name one: nox -s hint -- NAME"))
        return 0
    total = len(hints(ex))
    if args.reset:
        forget(ex)
        print(_("The hints for {name} start over: the next nox -s hint -- {name} shows hint 1 of {total}.",
                name=ex.name, total=total))
        return 0
    count = reveal(ex, everything=args.all)
    print(f"{ex.name}: {title(ex)}  " + _("(in the seed article: {seed})", seed=seed(ex)))
    for text in hint_lines(ex, count):
        print("  " + text)
    if count < total:
        print("  " + _("(run again for the next hint; --all shows every hint)"))
    else:
        print("  " + _("(that was the last hint; --reset starts them over)"))
    return 0
