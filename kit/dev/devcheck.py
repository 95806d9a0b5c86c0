"""``python -m kit dev-check [NAME ...]``: what each exercise of the table still lacks.

Lists, per exercise of ``exercises.toml``, what is missing or inconsistent (static
checks only: nothing is imported, run or graded) and exits 1 until nothing is; then it
prints one line, "all N exercises complete", and exits 0. The files an exercise has are
the scaffold's (``kit/dev/scaffold.py``, ``python -m kit new``).
"""
import argparse
import ast
import re
from pathlib import Path
from typing import List, Optional

from kit import ROOT
from kit.core.meta import GROUPS

from .scaffold import HINTS, POINTS, TABLE, TODO, echo, files_of, load_table, rel, toml_reader

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
        if mod.startswith("kit.engine.runner") or mod == "kit.engine.runner":
            problems.append(f"{rel(path)}:{line}: imports the runner; run probes with check.run(probes.NAME, ...)")
    if probes_tree is None:
        return
    defined = {n.name: n for n in probes_tree.body if isinstance(n, ast.FunctionDef)}
    # Other module-level names (a limit the message quotes, imported or assigned) are not probes.
    constants = {t.id for n in probes_tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                 for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    constants |= {a.asname or a.name for n in probes_tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
    observed = {n.name for n in observe_tree.body if isinstance(n, ast.ClassDef)} if observe_tree else set()
    used = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "probes":
            used.setdefault(node.attr, node.lineno)
    for probe, line in sorted(used.items(), key=lambda kv: kv[1]):
        fn = defined.get(probe)
        if fn is None:
            if probe not in constants:
                problems.append(f"{rel(path)}:{line}: uses probes.{probe}, which hidden/{name}/probes.py does not define")
            continue
        ann = fn.returns
        if ann is None:
            problems.append(f"hidden/{name}/probes.py:{fn.lineno}: probe {probe} has no return annotation "
                            "(the TypedDict of observe.py that declares what it returns)")
        elif isinstance(ann, ast.Name) and observe_tree is not None and ann.id not in observed:
            problems.append(f"hidden/{name}/probes.py:{fn.lineno}: probe {probe} returns {ann.id}, which "
                            f"hidden/{name}/observe.py does not define")


def missing_parts(ex: dict, known_names: set) -> List[str]:
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
                if mod.startswith(("kit.engine", "kit.teach", "kit.dev", "kit.learn")):
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
        table = load_table()
    except (OSError, toml_reader().TOMLDecodeError) as exc:
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
        problems = missing_parts(ex, set(names))
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



def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m kit dev-check",
                                description="List what each exercise still lacks (static checks, no grading).")
    p.add_argument("names", nargs="*", metavar="EXERCISE", help="only these exercises (default: every one)")
    args = p.parse_args(argv)
    return dev_check(args.names or None, echo=echo)
