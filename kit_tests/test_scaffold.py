"""Issue 7's promises: ``python -m kit new NAME`` writes every file of an exercise with TODOs
and its table entry, ``python -m kit dev-check`` names what is left until nothing is, and a
scaffolded exercise, once filled in, grades like any other: full marks for its solution, 0
for its stub. Run on a copy of the kit, so the real tree is never touched."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAME = "demo_exercise"
SKIP = {".git", ".nox", "__pycache__", ".pytest_cache", ".benchmarks", ".kit-hints.json"}

pytestmark = pytest.mark.timeout(180)


def _ignore(folder, names):
    out = {n for n in names if n in SKIP or n.endswith("-report")}
    if Path(folder).name == ".ci":
        out.add("venv")
    return out


def _snapshot(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def _kit(copy: Path, *args, timeout=120):
    return subprocess.run([sys.executable, "-m", "kit", *map(str, args)], cwd=copy, capture_output=True,
                          text=True, timeout=timeout, env=dict(os.environ, PYTHONPATH=str(copy)))


def _score(copy: Path, folder: str, out: Path) -> tuple:
    p = _kit(copy, "grade", copy / folder, "--only", NAME, "--out", out)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    data = json.loads((out / "report.json").read_text())
    return data["score"], data["max"], [(r["check"], r["status"], r["reason"], r["message"][:300]) for r in data["results"]]


DOC = '''"""Exercise 99: demo_exercise -- double a number.

The concept
-----------
Multiplying by two.

What to write
-------------
``double(x)``: return ``2 * x``.

What a correct solution guarantees
----------------------------------
* double(x) returns 2 * x.
"""
'''

FILES = {
    "exercises/demo_exercise.py": DOC + '''

def double(x):
    """Twice ``x``."""
    # TODO: return twice x.
    raise NotImplementedError("return 2 * x")
''',
    "solutions/demo_exercise.py": DOC + '''

def double(x):
    """Twice ``x``."""
    return 2 * x  # the simplest thing that is right
''',
    "tests/test_demo_exercise.py": '''"""Learner tests for demo_exercise."""
from helpers import within


def test_double(load):
    mod = load("demo_exercise")
    assert within(3, "double(21)", mod.double, 21) == 42
''',
    "hidden/demo_exercise/checks.py": '''"""Hidden checks for demo_exercise."""
from kit.engine.verdict import called

from . import probes


def test_correct_double(check):
    x = check.rng.randint(1, 99)
    call = f"double({x})"
    obs = check.run(probes.double, x=x, call=call)
    got = check.returned(call, obs["out"])
    check.expect(got == 2 * x, called(call, returned=got, expected=2 * x, hint="Multiply by two."))
''',
    "hidden/demo_exercise/probes.py": '''"""Probes for demo_exercise: call double(x) with a deadline."""
from kit.sandbox.calls import call, jsonable, learner

from .observe import Double


def double(x, seed) -> Double:
    m = learner("demo_exercise")
    return {"out": jsonable(call(m.double, x, timeout=2))}
''',
    "hidden/demo_exercise/observe.py": '''"""What the demo_exercise probes observe."""
from kit.sandbox.observe import Outcome, Setup


class Double(Setup, total=False):
    out: Outcome
''',
    "selftest/mutants/demo_exercise/plus_one.py": '''# mutant: one too many
# expect-fail: correct.double


def double(x):
    return x + x + 1
''',
    "selftest/alternatives/demo_exercise/added.py": '''# alternative: x + x


def double(x):
    return x + x
''',
}

TABLE = '''[[exercise]]
name = "demo_exercise"
title = "Double a number"
seed = "none: a test of the scaffold"
hints = [
    "Multiply.",
    "return 2 * x",
]

  [[exercise.check]]
  id = "correct.double"
  points = 10
  summary = "double(x) returns 2 * x"
'''


def test_new_then_dev_check_then_grade(tmp_path):
    copy = tmp_path / "kit-copy"
    shutil.copytree(ROOT, copy, ignore=_ignore)
    before = _snapshot(copy)

    p = _kit(copy, "new", NAME)
    assert p.returncode == 0, p.stdout + p.stderr
    after = _snapshot(copy)
    touched = sorted(k for k in after if before.get(k) != after[k])
    assert not set(before) - set(after), "new deleted files"
    outside = [k for k in touched if not k.startswith("selftest/")]
    assert len(outside) <= 7, f"adding an exercise touched {len(outside)} files outside selftest/: {outside}"
    assert set(outside) == {"exercises/demo_exercise.py", "solutions/demo_exercise.py", "tests/test_demo_exercise.py",
                            "hidden/demo_exercise/checks.py", "hidden/demo_exercise/probes.py",
                            "hidden/demo_exercise/observe.py", "exercises.toml"}, outside
    assert {k for k in touched if k.startswith("selftest/")} == {
        "selftest/mutants/demo_exercise/TODO_mutant.py", "selftest/alternatives/demo_exercise/TODO_alternative.py"}
    table = (copy / "exercises.toml").read_text()
    assert table.startswith((ROOT / "exercises.toml").read_text()), "new must append to exercises.toml, not rewrite it"

    # A name that exists, or is no identifier, is refused with a clear message and status 2.
    again = _kit(copy, "new", NAME)
    assert again.returncode == 2 and "already exists" in again.stderr, again.stderr
    bad = _kit(copy, "new", "Demo-Exercise")
    assert bad.returncode == 2 and "not a valid exercise name" in bad.stderr, bad.stderr
    assert _snapshot(copy) == after, "a refused `new` changed files"

    # The fresh scaffold is incomplete, and dev-check says where.
    p = _kit(copy, "dev-check", NAME)
    assert p.returncode == 1, p.stdout
    for where in ("solutions/demo_exercise.py", "hidden/demo_exercise/checks.py", "hidden/demo_exercise/probes.py",
                  "hidden/demo_exercise/observe.py", "tests/test_demo_exercise.py", "the seed says TODO",
                  "hint 1 says TODO", "the summary of correct.example says TODO", "TODO_mutant.py",
                  "TODO_alternative.py"):
        assert where in p.stdout, f"dev-check did not name {where!r}:\n{p.stdout}"
    assert re.search(r"solutions/demo_exercise\.py: \d+ TODO left \(line \d+", p.stdout), p.stdout

    # Fill in the TODOs: a tiny real exercise.
    for rel, text in FILES.items():
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        (copy / rel).write_text(text)
    (copy / "selftest/mutants/demo_exercise/TODO_mutant.py").unlink()
    (copy / "selftest/alternatives/demo_exercise/TODO_alternative.py").unlink()
    start = table.index('[[exercise]]\nname = "demo_exercise"')
    (copy / "exercises.toml").write_text(table[:start] + TABLE)

    p = _kit(copy, "dev-check", NAME)
    assert p.returncode == 0, p.stdout
    assert p.stdout.strip().splitlines() == ["dev-check: all 1 exercise complete"], p.stdout

    # It grades like any exercise: the solution full marks, the stub 0.
    score, maximum, results = _score(copy, "solutions", tmp_path / "r-solutions")
    assert (score, maximum) == (10, 10), results
    score, maximum, results = _score(copy, "exercises", tmp_path / "r-stubs")
    assert (score, maximum) == (0, 10), results
    assert {r[2] for r in results} == {"not_done"}, results
