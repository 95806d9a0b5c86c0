"""``python -m kit new NAME`` and ``python -m kit dev-check``: the scaffold for a new exercise.

``new NAME [--title T]`` writes every file an exercise needs, each with ``TODO`` marks
where the author's work goes, and appends its table to ``exercises.toml``:

    exercises/NAME.py  solutions/NAME.py  tests/test_NAME.py
    hidden/NAME/checks.py  hidden/NAME/probes.py  hidden/NAME/observe.py
    selftest/mutants/NAME/TODO_mutant.py  selftest/alternatives/NAME/TODO_alternative.py

``dev-check [NAME ...]`` lists, per exercise of the table, what is missing or
inconsistent (static checks only: nothing is imported, run or graded) and exits 1 until
nothing is; then it prints one line, "all N exercises complete", and exits 0.
"""
import argparse
import ast
import json
import keyword
import re
import sys
from pathlib import Path
from typing import Dict, List, Optional

from .. import ROOT, meta
from ..meta import GROUPS

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
TODO: every name, signature and behaviour the contract (../shared/curriculum.md) fixes,
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

CHECKS = '''"""Hidden checks for {name} (contract section TODO)."""
from kit.judge.check import called

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
from kit.box.calls import call, jsonable, learner

from .observe import Example


def example(x, seed) -> Example:
    m = learner("{name}")
    # TODO: force the schedule that matters (kit.box: scene, locks, lockset, schedule,
    #       conditions) and return plain JSON data: the check decides, never the probe.
    return {{"out": jsonable(call(m.example, x, timeout=2))}}
'''

OBSERVE = '''"""What the {name} probes observe: declared once, for the probes and the checks."""
from kit.box.observe import Outcome, Setup


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


def _toml():
    if meta.tomllib is None:  # Python < 3.11 without tomli: say what to install, in one line
        raise meta._no_toml_reader()
    return meta.tomllib


def _load_table(path: Path = TABLE) -> dict:
    return _toml().loads(path.read_text(encoding="utf-8"))


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
    tomllib = _toml()
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


# -- dev-check ---------------------------------------------------------------------------------
def _todo_lines(text: str, limit: int = 3) -> List[int]:
    return [i for i, line in enumerate(text.splitlines(), 1) if TODO in line][:limit]


def _todos(path: Path, text: str, what: str) -> List[str]:
    lines = _todo_lines(text)
    if not lines:
        return []
    n = sum(TODO in line for line in text.splitlines())
    at = ", ".join(f"line {i}" for i in lines) + (f" and {n - len(lines)} more" if n > len(lines) else "")
    return [f"{rel(path)}: {n} TODO left ({at}); {what}"]


def _parse(path: Path, text: str, problems: List[str]) -> Optional[ast.Module]:
    try:
        return ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        problems.append(f"{rel(path)}:{exc.lineno}: does not parse: {exc.msg}")
        return None


def _raises_not_implemented(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                return True
    return False


def _imports(tree: ast.Module):
    """(line, dotted module) for every import, relative ones with their dots."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            for a in node.names:
                yield node.lineno, (base + "." + a.name) if base and not base.endswith(".") else base + a.name


def _header(text: str, key: str) -> Optional[str]:
    m = re.search(rf"^#\s*{key}:\s*(.*)$", text, re.M)
    return m.group(1).strip() if m else None


PROBE_STRING = re.compile(r"^(hidden\.\w+\.)?probes[.:]\w+$|^hidden\.\w+\.probes\b")


def _check_checks(name: str, path: Path, tree: ast.Module, rubric: List[str], probes_tree,
                  observe_tree, problems: List[str]) -> None:
    tests = {n.name: n.lineno for n in tree.body
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test_")}
    for cid in rubric:
        want = "test_" + cid.replace(".", "_")
        if want not in tests:
            problems.append(f"{rel(path)}: no test for rubric check {cid} (expected `def {want}(check):`)")
    ids = {"test_" + c.replace(".", "_"): c for c in rubric}
    for test, line in tests.items():
        if test not in ids:
            guess = test[len("test_"):].replace("_", ".", 1)
            problems.append(f"{rel(path)}:{line}: {test} has no check {guess} in {rel(TABLE)} "
                            "(add it with points and a summary, or rename the test)")
    if not any(isinstance(n, ast.ImportFrom) and n.level == 1 and not n.module
               and any(a.name == "probes" for a in n.names) for n in ast.walk(tree)):
        problems.append(f"{rel(path)}: does not import `from . import probes` (run probes by reference: "
                        "check.run(probes.NAME, ...))")
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and PROBE_STRING.search(node.value):
            problems.append(f"{rel(path)}:{node.lineno}: names a probe by the string {node.value!r}; pass the "
                            "function itself: check.run(probes.NAME, ...)")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run" \
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str) \
                and not PROBE_STRING.search(node.args[0].value):
            problems.append(f"{rel(path)}:{node.lineno}: run() is given the string {node.args[0].value!r}; pass "
                            "the probe function itself: check.run(probes.NAME, ...)")
    for line, mod in _imports(tree):
        if mod.startswith("kit.judge.runner") or mod == "kit.judge.runner":
            problems.append(f"{rel(path)}:{line}: imports the runner; run probes with check.run(probes.NAME, ...)")
    if probes_tree is None:
        return
    defined = {n.name: n for n in probes_tree.body if isinstance(n, ast.FunctionDef)}
    observed = {n.name for n in observe_tree.body if isinstance(n, ast.ClassDef)} if observe_tree else set()
    used = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "probes":
            used.setdefault(node.attr, node.lineno)
    for probe, line in sorted(used.items(), key=lambda kv: kv[1]):
        fn = defined.get(probe)
        if fn is None:
            problems.append(f"{rel(path)}:{line}: uses probes.{probe}, which hidden/{name}/probes.py does not define")
            continue
        ann = fn.returns
        if ann is None:
            problems.append(f"hidden/{name}/probes.py:{fn.lineno}: probe {probe} has no return annotation "
                            "(the TypedDict of observe.py that declares what it returns)")
        elif isinstance(ann, ast.Name) and observe_tree is not None and ann.id not in observed:
            problems.append(f"hidden/{name}/probes.py:{fn.lineno}: probe {probe} returns {ann.id}, which "
                            f"hidden/{name}/observe.py does not define")


def check_exercise(ex: dict, known_names: set) -> List[str]:
    """Everything missing or inconsistent about one exercise of the table."""
    name = ex.get("name", "?")
    problems: List[str] = []
    where = f"{rel(TABLE)} [[exercise]] {name}"
    # The table entry.
    for key in ("title", "seed"):
        value = ex.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: no {key}")
        elif TODO in value:
            problems.append(f"{where}: the {key} says TODO")
    hints = ex.get("hints")
    if not isinstance(hints, list):
        problems.append(f"{where}: no hints (a list of {HINTS[0]}-{HINTS[1]}, gentle to explicit)")
        hints = []
    elif not HINTS[0] <= len(hints) <= HINTS[1]:
        problems.append(f"{where}: {len(hints)} hints, expected {HINTS[0]} to {HINTS[1]} (gentle to explicit)")
    for i, h in enumerate(hints, 1):
        if not isinstance(h, str) or TODO in h:
            problems.append(f"{where}: hint {i} says TODO")
    rubric, total = [], 0.0
    for c in ex.get("check", []):
        cid = c.get("id", "")
        if not re.fullmatch(rf"({'|'.join(GROUPS)})\.[a-z][a-z0-9_]*", cid):
            problems.append(f"{where}: check id {cid!r} must be GROUP.NAME with GROUP one of {', '.join(GROUPS)}")
            continue
        if cid in rubric:
            problems.append(f"{where}: check {cid} is listed twice")
        rubric.append(cid)
        try:
            total += float(c.get("points", 0))
        except (TypeError, ValueError):
            problems.append(f"{where}: check {cid} has points {c.get('points')!r}, expected a number")
        summary = c.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            problems.append(f"{where}: check {cid} has no summary")
        elif TODO in summary:
            problems.append(f"{where}: the summary of {cid} says TODO")
    if not rubric:
        problems.append(f"{where}: no [[exercise.check]] tables")
    elif abs(total - POINTS) > 1e-9:
        parts = " + ".join(f"{c.get('id')} {c.get('points')}" for c in ex.get("check", []))
        problems.append(f"{where}: points sum to {total:g}, expected {POINTS} ({parts})")

    files = files_of(name)
    texts, trees = {}, {}
    for key in ("stub", "solution", "tests", "checks", "probes", "observe"):
        path = files[key]
        if not path.is_file():
            problems.append(f"{rel(path)} is missing")
            continue
        texts[key] = path.read_text(encoding="utf-8")
        trees[key] = _parse(path, texts[key], problems)
    # TODOs left where the author's work goes (the stub keeps its own for the learner).
    for key, what in (("solution", "the reference solution has none"),
                      ("tests", "the learner tests are the exercise's examples"),
                      ("checks", "the hidden checks decide the grade"),
                      ("probes", "the probes force the schedules"),
                      ("observe", "observe.py declares what the probes return")):
        if key in texts:
            problems += _todos(files[key], texts[key], what)
    if "stub" in texts:
        if TODO not in texts["stub"]:
            problems.append(f"{rel(files['stub'])}: no TODO left: the stub must mark where the learner writes")
        if trees.get("stub") is not None and not _raises_not_implemented(trees["stub"]):
            problems.append(f"{rel(files['stub'])}: nothing raises NotImplementedError: an untouched stub must "
                            "score 0 and never hang")
    if trees.get("stub") is not None and trees.get("solution") is not None:
        if ast.get_docstring(trees["stub"]) != ast.get_docstring(trees["solution"]):
            problems.append(f"{rel(files['stub'])} and {rel(files['solution'])}: the module docstrings differ "
                            "(they are the same instructions: copy one onto the other)")
    if trees.get("checks") is not None:
        _check_checks(name, files["checks"], trees["checks"], rubric, trees.get("probes"),
                      trees.get("observe"), problems)
    for key in ("probes", "observe"):  # sandbox side: never the judge side
        if trees.get(key) is not None:
            for line, mod in _imports(trees[key]):
                if mod.startswith(("kit.judge", "kit.learn")):
                    problems.append(f"{rel(files[key])}:{line}: imports {mod}: sandbox-side code (probes, "
                                    "observe) must not import the judge side")
                elif mod == ".checks" or mod.endswith(".checks"):
                    problems.append(f"{rel(files[key])}:{line}: imports checks.py, the judge side")

    # The selftest: mutants that lose every check, alternatives at full marks.
    named = set()
    for kind in ("mutants", "alternatives"):
        folder = ROOT / "selftest" / kind / name
        paths = sorted(folder.glob("*.py")) if folder.is_dir() else []
        if not paths:
            what = ("a known-wrong override with an '# expect-fail:' line" if kind == "mutants"
                    else "a correct solution in another style, at full marks")
            problems.append(f"selftest/{kind}/{name}/: no {kind[:-1]} ({what})")
        for path in paths:
            text = path.read_text(encoding="utf-8")
            _parse(path, text, problems)
            if TODO in path.stem:
                problems.append(f"{rel(path)}: the file name says TODO: name it after what it "
                                + ("breaks" if kind == "mutants" else "shows"))
            problems += _todos(path, text, "a selftest entry is finished code")
            title = _header(text, kind[:-1])
            if not title:
                problems.append(f"{rel(path)}: no '# {kind[:-1]}: ...' line saying what it "
                                + ("breaks" if kind == "mutants" else "shows"))
            if kind == "mutants":
                expect = _header(text, "expect-fail")
                if expect is None or not expect.split():
                    problems.append(f"{rel(path)}: no '# expect-fail: CHECK ...' line (the checks it must lose)")
                    continue
                ids = expect.split()
                unknown = [i for i in ids if i not in rubric]
                if unknown:
                    problems.append(f"{rel(path)}: expect-fail names {' '.join(unknown)}, not a check of {name} "
                                    f"(its checks: {' '.join(rubric) or 'none'})")
                named |= set(ids) & set(rubric)
    unproven = [c for c in rubric if c not in named]
    if unproven and (ROOT / "selftest" / "mutants" / name).is_dir():
        problems.append(f"selftest/mutants/{name}/: no mutant expects {' '.join(unproven)} to fail "
                        "(each check needs one mutant that loses it)")
    return problems


def dev_check(only: Optional[List[str]] = None, echo=print) -> int:
    try:
        table = _load_table()
    except (OSError, _toml().TOMLDecodeError) as exc:
        echo(f"dev-check: {rel(TABLE)}: {exc}")
        return 1
    exercises = [e for e in table.get("exercise", []) if isinstance(e, dict)]
    names = [e.get("name", "?") for e in exercises]
    if only:
        unknown = [n for n in only if n not in names]
        if unknown:
            echo(f"dev-check: no exercise named {', '.join(unknown)} in {rel(TABLE)}; known: {', '.join(names)}")
            return 2
    report = {}
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup and not only:
        report["(table)"] = [f"{rel(TABLE)}: exercises listed twice: {', '.join(dup)}"]
    if not only:  # selftest folders of exercises the table does not list
        stray = [f"selftest/{kind}/{d.name}/: no exercise {d.name} in {rel(TABLE)}"
                 for kind in ("mutants", "alternatives") if (ROOT / "selftest" / kind).is_dir()
                 for d in sorted((ROOT / "selftest" / kind).iterdir()) if d.is_dir() and d.name not in names]
        if stray:
            report.setdefault("(table)", []).extend(stray)
    for ex in exercises:
        if only and ex.get("name") not in only:
            continue
        problems = check_exercise(ex, set(names))
        if problems:
            report[ex.get("name", "?")] = problems
    checked = len(only) if only else len(exercises)
    if not report:
        echo(f"dev-check: all {checked} exercise{'s' if checked != 1 else ''} complete")
        return 0
    n = sum(len(p) for p in report.values())
    for ex, problems in report.items():
        echo(f"{ex}: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
        for p in problems:
            echo(f"  - {p}")
    bad = len([k for k in report if k != "(table)"])
    echo(f"dev-check: {bad} of {checked} exercise{'s' if checked != 1 else ''} incomplete, "
         f"{n} problem{'s' if n != 1 else ''}")
    return 1


COMMANDS = ("new", "dev-check")


def main(argv=None) -> int:
    """``python -m kit new ...`` or ``python -m kit dev-check ...``.

    ``kit/__main__.py`` hands every command's module the arguments after the command's
    name, and both commands live here: the command is the first argument when it is
    given, else the one typed on the command line (``sys.argv[1]``), else dev-check.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        command = argv.pop(0)
    elif sys.argv[1:2] and sys.argv[1] in COMMANDS and argv == sys.argv[2:]:
        command = sys.argv[1]
    else:
        command = "dev-check"
    return main_new(argv) if command == "new" else main_check(argv)


def main_new(argv) -> int:
    p = argparse.ArgumentParser(prog="python -m kit new",
                                description="Write every file of a new exercise, with TODOs, and its table entry.")
    p.add_argument("name", help="the exercise's module name (lower case, a Python identifier)")
    p.add_argument("--title", default=None, help="its one-line title (default: TODO)")
    args = p.parse_args(argv)
    return new(args.name, args.title, echo=_echo)


def main_check(argv) -> int:
    p = argparse.ArgumentParser(prog="python -m kit dev-check",
                                description="List what each exercise still lacks (static checks, no grading).")
    p.add_argument("names", nargs="*", metavar="EXERCISE", help="only these exercises (default: every one)")
    args = p.parse_args(argv)
    return dev_check(args.names or None, echo=_echo)


def _echo(*args, file=None):
    print(*args, file=file or sys.stdout)
