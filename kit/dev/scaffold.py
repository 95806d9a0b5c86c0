"""``python -m kit new NAME``: the scaffold for a new exercise (``dev-check`` says what it still lacks).

``new NAME [--title T]`` writes every file an exercise needs, each with ``TODO`` marks
where the author's work goes, and appends its table to ``exercises.toml``:

    exercises/NAME.py  solutions/NAME.py  tests/test_NAME.py
    hidden/NAME/checks.py  hidden/NAME/probes.py  hidden/NAME/observe.py
    selftest/mutants/NAME/TODO_mutant.py  selftest/alternatives/NAME/TODO_alternative.py

``python -m kit dev-check`` (``kit/dev/devcheck.py``) then lists what each exercise
still lacks.
"""
import argparse
import json
import keyword
import re
import sys
from pathlib import Path
from typing import Dict, Optional

from kit import ROOT
from kit.core import meta

TABLE = ROOT / "exercises.toml"
TODO = "TODO"
POINTS = 10
HINTS = (2, 3)
# Names a submission folder or the learner tests already use: an exercise module must not shadow them.
RESERVED = {"kit", "tests", "helpers", "conftest", "hidden", "solutions", "exercises", "selftest",
            "noxfile", "setup", "sitecustomize", "usercustomize"}


# -- the templates -----------------------------------------------------------------------------
DOCSTRING = '''"""Exercise {number}: {name} -- {heading}

The concept
-----------
TODO: the concept this exercise teaches, in a few short paragraphs.

What to write
-------------
TODO: every name, signature and behaviour the contract (docs/contract.md) fixes,
e.g. ``example(x)``.

What a correct solution guarantees
----------------------------------
* TODO: one line per graded behaviour: the check summaries of exercises.toml.
"""
'''

STUB = DOCSTRING + '''

def example(x):
    """TODO: what it returns."""
    # TODO: write the body.
    raise NotImplementedError("TODO: a one-line pointer to what to write")
'''

SOLUTION = DOCSTRING + '''

def example(x):
    """TODO: what it returns."""
    # TODO: the reference solution; its comments say why, not what.
    raise NotImplementedError("TODO: the reference solution")
'''

LEARNER_TESTS = '''"""Learner tests for exercise {number}, {name}."""
import pytest
from helpers import within

pytestmark = pytest.mark.timeout(10)


def test_example(load):
    mod = load("{name}")
    # TODO: one behaviour per test, deterministic, every call of learner code under a time limit.
    got = within(3, "example(1)", mod.example, 1)
    assert got == "TODO", f"example(1) returned {{got!r}}, expected TODO."
'''

CHECKS = '''"""Hidden checks for {name} (docs/contract.md, section TODO)."""
from kit.engine.verdict import called

from . import probes


def test_correct_example(check):
    x = check.rng.randint(1, 99)
    call = f"example({{x}})"
    obs = check.run(probes.example, x=x, call=call)
    got = check.returned(call, obs["out"])
    expected = "TODO"  # TODO: what a correct solution returns for x
    check.expect(got == expected, called(call, returned=got, expected=expected,
                                         hint="TODO: the likely mistake, in one sentence."))
'''

PROBES = '''"""Probes for {name}: TODO what they call, which schedule they force, what they observe."""
from kit.sandbox.calls import call, jsonable, learner

from .observe import Example


def example(x, seed) -> Example:
    m = learner("{name}")
    # TODO: force the schedule that matters (kit.sandbox: scene, locks, lockset, schedule,
    #       conditions) and return plain JSON data: the check decides, never the probe.
    return {{"out": jsonable(call(m.example, x, timeout=2))}}
'''

OBSERVE = '''"""What the {name} probes observe: declared once, for the probes and the checks."""
from kit.sandbox.observe import Outcome, Setup


class Example(Setup, total=False):
    out: Outcome      # TODO: everything else the probe returns
'''

MUTANT = '''# mutant: TODO one line: the mistake this mutant makes
# expect-fail: correct.example


def example(x):
    return "TODO: a known-wrong body (this file is appended to the reference solution)"
'''

ALTERNATIVE = '''# alternative: TODO one line: the other correct style this solution shows


def example(x):
    raise NotImplementedError("TODO: a correct solution in another style")
'''

TABLE_ENTRY = '''
[[exercise]]
name = {name}
title = {title}
seed = "TODO"
hints = [
    "TODO: a gentle hint: where to look",
    "TODO: an explicit hint: what to write",
]

  [[exercise.check]]
  id = "correct.example"
  points = 10
  summary = "TODO: what a correct solution guarantees, in one line"
'''


def files_of(name: str) -> Dict[str, Path]:
    """Every file an exercise has (one mutant and one alternative stand for their folders)."""
    return {
        "stub": ROOT / "exercises" / f"{name}.py",
        "solution": ROOT / "solutions" / f"{name}.py",
        "tests": ROOT / "tests" / f"test_{name}.py",
        "checks": ROOT / "hidden" / name / "checks.py",
        "probes": ROOT / "hidden" / name / "probes.py",
        "observe": ROOT / "hidden" / name / "observe.py",
        "mutant": ROOT / "selftest" / "mutants" / name / "TODO_mutant.py",
        "alternative": ROOT / "selftest" / "alternatives" / name / "TODO_alternative.py",
    }


def rel(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def toml_reader():
    return meta.toml_reader()  # Python < 3.11 without tomli: says what to install, in one line


def load_table(path: Path = TABLE) -> dict:
    return toml_reader().loads(path.read_text(encoding="utf-8"))


def _stdlib() -> set:
    names = set(getattr(sys, "stdlib_module_names", ()))
    names |= set(sys.builtin_module_names)
    # Before 3.10 there is no list: the modules an exercise is most likely to be named after.
    names |= {"threading", "queue", "multiprocessing", "concurrent", "asyncio", "select", "signal",
              "socket", "time", "random", "os", "sys", "io", "re", "json", "typing", "collections",
              "functools", "itertools", "subprocess", "sched", "heapq", "array", "string", "test"}
    return names


def invalid_name(name: str) -> Optional[str]:
    """Why ``name`` cannot be an exercise's name, or None."""
    rule = ("use lower-case letters, digits and _, starting with a letter: it becomes the module "
            f"name of exercises/{name}.py and solutions/{name}.py")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name or ""):
        return f"{name!r} is not a valid exercise name: {rule}"
    if keyword.iskeyword(name):
        return f"{name!r} is a Python keyword, so no module can import it: pick another name"
    if name in _stdlib():
        return (f"{name!r} is a standard-library module: exercises/{name}.py would shadow it for every "
                "exercise (the submission folder comes first on sys.path); pick another name")
    if name in RESERVED or name.startswith(("test_", "workers_")):
        return f"{name!r} is a name the kit itself uses (tests, helpers, workers_*): pick another name"
    return None


def new(name: str, title: Optional[str] = None, echo=print) -> int:
    why = invalid_name(name)
    if why:
        echo(f"new: {why}", file=sys.stderr)
        return 2
    tomllib = toml_reader()
    table_text = TABLE.read_text(encoding="utf-8")
    try:
        table = tomllib.loads(table_text)
    except tomllib.TOMLDecodeError as exc:
        echo(f"new: {rel(TABLE)} does not parse ({exc}): fix it first", file=sys.stderr)
        return 2
    exercises = table.get("exercise", [])
    files = files_of(name)
    taken = [f"{rel(TABLE)} lists it"] if any(e.get("name") == name for e in exercises) else []
    taken += [rel(p) for k, p in files.items() if k not in ("mutant", "alternative") and p.exists()]
    taken += [rel(p.parent) + "/" for k, p in files.items()
              if k in ("mutant", "alternative") and p.parent.exists()]
    if (ROOT / "hidden" / name).exists() and not files["checks"].exists():
        taken.append(f"hidden/{name}/")
    if taken:
        echo(f"new: an exercise named {name!r} already exists ({', '.join(taken)}); pick another name "
             "or finish that one (python -m kit dev-check " + name + ")", file=sys.stderr)
        return 2
    number = len(exercises) + 1
    heading = title or "TODO: a one-line title"
    fields = {"number": number, "name": name, "heading": heading}
    entry = TABLE_ENTRY.format(name=json.dumps(name), title=json.dumps(title or TODO, ensure_ascii=False))
    new_table = table_text + ("" if table_text.endswith("\n") else "\n") + entry
    tomllib.loads(new_table)  # the appended table must parse before anything is written
    contents = {
        "stub": STUB.format(**fields), "solution": SOLUTION.format(**fields),
        "tests": LEARNER_TESTS.format(**fields), "checks": CHECKS.format(**fields),
        "probes": PROBES.format(**fields), "observe": OBSERVE.format(**fields),
        "mutant": MUTANT, "alternative": ALTERNATIVE,
    }
    for key, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(contents[key], encoding="utf-8")
    with open(TABLE, "a", encoding="utf-8") as f:  # a targeted insertion: append, never rewrite
        f.write(new_table[len(table_text):])
    echo(f"new: exercise {number}, {name}: wrote")
    for path in files.values():
        echo(f"  {rel(path)}")
    echo(f"  {rel(TABLE)} (appended its [[exercise]] table)")
    echo(f"Fill in every TODO; `python -m kit dev-check {name}` lists what is left.")
    return 0


def main(argv=None) -> int:
    """``python -m kit new NAME [--title T]``."""
    p = argparse.ArgumentParser(prog="python -m kit new",
                                description="Write every file of a new exercise, with TODOs, and its table entry.")
    p.add_argument("name", help="the exercise's module name (lower case, a Python identifier)")
    p.add_argument("--title", default=None, help="its one-line title (default: TODO)")
    args = p.parse_args(argv)
    return new(args.name, args.title, echo=echo)


def echo(*args, file=None):
    print(*args, file=file or sys.stdout)
