"""``python -m kit reset NAME [--yes] [--impl DIR]``: put an exercise's stub back.

Where the pristine stub comes from, first that exists:

1. git: ``git show HEAD:exercises/NAME.py``, when the kit is a git checkout that tracks
   the file (a clone: the usual way to get the kit);
2. the stub store ``kit/learn/stubs/NAME.py``, for a copy of the kit without git history:
   a release that ships without ``.git`` must copy ``exercises/*.py`` there.

Otherwise it says so and changes nothing. Your file is never lost: it is copied to
``exercises/.backup/NAME.py.TIMESTAMP`` first. Without ``--yes`` you type the exercise's
name to confirm (no terminal, no ``--yes``: nothing happens, status 2).
"""
import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Tuple

from kit import ROOT
from kit.core import meta
from kit.core.i18n import _
from . import common

STUBS = Path(__file__).resolve().parent / "stubs"
BACKUP = ".backup"


def pristine(name: str) -> Tuple[Optional[bytes], str]:
    """The stub of exercise ``name`` as shipped, and where it came from."""
    rel = f"exercises/{name}.py"
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        def run(*args):
            return subprocess.run([git, *args], cwd=ROOT, capture_output=True, timeout=30)
        try:
            tracked = run("ls-files", "--error-unmatch", "--", rel).returncode == 0
            shown = run("show", f"HEAD:./{rel}") if tracked else None
        except (OSError, subprocess.SubprocessError):
            shown = None
        if shown is not None and shown.returncode == 0:
            return shown.stdout, f"git HEAD:{rel}"
    stored = STUBS / f"{name}.py"
    if stored.is_file():
        return stored.read_bytes(), common.shown(stored)
    return None, ""


def backup(target: Path) -> Path:
    folder = target.parent / BACKUP
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():  # backups are the learner's, never the repository's
        ignore.write_text("*\n", encoding="utf-8")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"{target.name}.{stamp}"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{target.name}.{stamp}-{n}"
    shutil.copy2(target, path)
    return path


def confirmed(ex: meta.Exercise, target: Path) -> Optional[bool]:
    """Ask the learner to type the name; None when there is nobody to ask."""
    if not (sys.stdin and sys.stdin.isatty()):
        return None
    try:
        answer = input(_("This replaces {path} with the stub (your file goes to {backup}/ first). "
                         "Type {name} to go on: ", path=common.shown(target),
                         backup=common.shown(target.parent / BACKUP), name=ex.name))
    except EOFError:
        return False
    return answer.strip() == ex.name


def main(argv) -> int:
    p = argparse.ArgumentParser(prog="nox -s reset --", description=_(
        "Put an exercise's stub back (your file is kept in exercises/.backup/)."))
    p.add_argument("name", metavar="EXERCISE", help=_("the exercise, by name or number"))
    p.add_argument("--yes", action="store_true", help=_("don't ask: reset now"))
    p.add_argument("--impl", default=str(common.EXERCISES),
                   help=_("folder holding the exercise modules (default: exercises/)"))
    args = p.parse_args(argv)
    try:
        ex = common.resolve(args.name)
    except meta.KitError as err:
        return common.fail(err)
    target = Path(args.impl).resolve() / f"{ex.name}.py"
    stub, source = pristine(ex.name)
    if stub is None:
        print(_("No pristine copy of {name}'s stub: this copy of the kit is not a git checkout and has no "
                "kit/learn/stubs/{name}.py. Nothing changed.", name=ex.name), file=sys.stderr)
        return 1
    if target.is_file() and target.read_bytes() == stub:
        print(_("{path} is already the stub: nothing to do.", path=common.shown(target)))
        return 0
    if not args.yes:
        ok = confirmed(ex, target)
        if ok is None:
            print(_("reset replaces your file: confirm with --yes (nox -s reset -- {name} --yes).", name=ex.name),
                  file=sys.stderr)
            return 2
        if not ok:
            print(_("Nothing changed."))
            return 1
    kept = backup(target) if target.is_file() else None
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(stub)
    common.update_progress(target.parent, undone=[ex.name])
    print(_("{path} is the stub again (from {source}).", path=common.shown(target), source=source))
    if kept is not None:
        print(_("Your file is kept as {backup}.", backup=common.shown(kept)))
    print(_("Hints start over with: nox -s hint -- {name} --reset", name=ex.name))
    return 0
