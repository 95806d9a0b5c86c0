"""What the learner tools share: the state files, exercise names, the progress bar, and
how a test run reads in one line.

State lives in the kit's folder (``KIT_STATE_DIR`` overrides it, for tests):
``.kit-hints.json`` (how many hints of each exercise the learner has seen) and
``.kit-progress.json`` (per exercises folder: which exercises passed their learner tests
when last run, and the exercise ``watch`` is on).
"""
import json
import os
import sys
from pathlib import Path
from typing import Dict, List, Optional

from kit import ROOT
from kit.core import meta
from kit.core.i18n import _, title
from .run import Result, first_lines

EXERCISES = ROOT / "exercises"
SOLUTIONS = ROOT / "solutions"
HINTS_FILE = ".kit-hints.json"
PROGRESS_FILE = ".kit-progress.json"


# -- state files ---------------------------------------------------------------------------
def state_dir() -> Path:
    return Path(os.environ.get("KIT_STATE_DIR") or ROOT)


def read_state(name: str) -> dict:
    try:
        data = json.loads((state_dir() / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_state(name: str, data: dict) -> None:
    try:
        (state_dir() / name).write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    except OSError:  # a read-only checkout: the tools still work, they just forget
        pass


def folder_key(impl: Path) -> str:
    """How ``.kit-progress.json`` names an exercises folder: relative to the kit when inside it."""
    impl = Path(impl).resolve()
    try:
        return impl.relative_to(ROOT).as_posix()
    except ValueError:
        return str(impl)


def progress(impl: Path) -> Dict:
    entry = read_state(PROGRESS_FILE).get("folders", {}).get(folder_key(impl), {})
    return entry if isinstance(entry, dict) else {}


def done_names(impl: Path) -> List[str]:
    done = progress(impl).get("done", [])
    return [n for n in meta.names() if n in done]


def update_progress(impl: Path, results=(), current: Optional[str] = "", undone=()) -> None:
    """Record which exercises passed (``results``: Result objects), which are no longer
    done (``undone``: names), and the current exercise if given."""
    data = read_state(PROGRESS_FILE)
    folders = data.setdefault("folders", {})
    entry = folders.setdefault(folder_key(impl), {})
    done = set(entry.get("done", []))
    for res in results:
        if res.cancelled:
            continue
        if res.ok:
            done.add(res.name)
        else:
            done.discard(res.name)
    done.difference_update(undone)
    entry["done"] = [n for n in meta.names() if n in done]
    if current != "":
        entry["current"] = current
    write_state(PROGRESS_FILE, data)


def first_not_done(impl: Path) -> Optional[meta.Exercise]:
    done = set(done_names(impl))
    return next((ex for ex in meta.load() if ex.name not in done), None)


def bar(done: int, total: int) -> str:
    """``[#####-----] 5/10``: one mark per exercise (scaled down past 30)."""
    width = total if total <= 30 else 30
    filled = round(width * done / total) if total else 0
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total}"


# -- names ---------------------------------------------------------------------------------
def resolve(name: str) -> meta.Exercise:
    """An exercise by name, by its file, or by its number in the list (``3``); else
    ``meta.UnknownExercise``."""
    exercises = meta.load()
    if name.isdigit() and 1 <= int(name) <= len(exercises):
        return exercises[int(name) - 1]
    bare = Path(name.strip()).name  # exercises/lock_balance.py works too
    return meta.get(bare[:-3] if bare.endswith(".py") else bare)


def number(ex: meta.Exercise) -> int:
    return meta.names().index(ex.name) + 1


def fail(err: Exception) -> int:
    """Print a learner's error in one line, no traceback; return its exit status."""
    print(str(err), file=sys.stderr)
    return getattr(err, "status", 2)


def shown(path: Path) -> str:
    """A path as the learner would type it: relative to where they stand, or to the kit."""
    path = Path(path).resolve()
    for base in (Path.cwd(), ROOT):
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(path)


def solution_of(ex: meta.Exercise) -> Optional[Path]:
    path = SOLUTIONS / f"{ex.name}.py"
    return path if path.is_file() else None


# -- one run, in words ---------------------------------------------------------------------
def verdict(ex: meta.Exercise, res: Result, width: int = 110) -> str:
    """One line for a run of ``ex``'s learner tests (check's line, watch's headline)."""
    state = res.state
    if state == "done":
        return _("{title} ({n} tests pass)", title=title(ex), n=res.tests)
    if state == "not started":
        return _("not started: {title}", title=title(ex))
    if state == "hung":
        seconds = f"{res.hung_seconds:.0f}"
        if res.hung_test:
            return _("stopped after {seconds} s: a test hung (deadlock?) in {test}", seconds=seconds, test=res.hung_test)
        if res.tests:
            return _("stopped after {seconds} s: a test hung: the tests finished, but something your code "
                     "started (a thread or a process) never ended, so pytest could not exit", seconds=seconds)
        return _("stopped after {seconds} s: a test hung (deadlock?)", seconds=seconds)
    if state == "no pytest":
        return _("pytest or its timeout plugin is missing: run it through nox (nox -s check), "
                 "or: python -m pip install pytest pytest-timeout")
    if state == "no tests":
        return _("no test ran (pytest exit {code}): does the module import?", code=res.exit)
    test, message = res.failed[0]
    first = (first_lines(message, 1, width) or [""])[0]
    return _("{bad} of {n} tests fail; first: {test}: {message}", bad=len(res.failed), n=res.tests,
             test=test, message=first)
