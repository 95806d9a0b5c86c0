"""``python -m kit list [--impl DIR]``: the exercises in order, with what is done.

✓ marks an exercise that passed its learner tests when they last ran (check or watch),
→ the one you are on (the first not done).
"""
import argparse
from pathlib import Path

from kit.core import meta
from kit.core.i18n import _, title
from . import common


def lines(impl: Path, current=None) -> list:
    """The list as ``watch``'s ``l`` key and ``list`` show it."""
    done = set(common.done_names(impl))
    if current is None:
        nxt = common.first_not_done(impl)
        current = nxt.name if nxt else None
    out = []
    for i, ex in enumerate(meta.load(), 1):
        mark = "✓" if ex.name in done else "→" if ex.name == current else " "
        out.append(f" {mark} {i:>2}. {ex.name:<20} {title(ex)}")
    return out


def main(argv) -> int:
    p = argparse.ArgumentParser(prog="nox -s list --", description=_("The exercises in order, with what is done."))
    p.add_argument("--impl", default=str(common.EXERCISES),
                   help=_("folder holding the exercise modules (default: exercises/)"))
    args = p.parse_args(argv)
    try:
        exercises = meta.load()
    except meta.KitError as err:
        return common.fail(err)
    impl = Path(args.impl)
    for text in lines(impl):
        print(text)
    done = len(common.done_names(impl))
    print()
    nxt = common.first_not_done(impl)
    tail = (_("Next: {name} ({path}). Work on it with: nox -s watch", name=nxt.name,
              path=common.shown(impl / f"{nxt.name}.py")) if nxt else
            _("Every exercise passes its learner tests. Now: nox -s grade"))
    print(f"{common.bar(done, len(exercises))}  {tail}")
    print(_("✓ = passed its learner tests when they last ran (nox -s check runs them all)."))
    return 0
