"""Issue 2's promises: stubs stay stubs, solutions pass every learner test under every
start method, untouched stubs fail every exercise without hanging, and the table drives it."""
import ast
import multiprocessing
import subprocess
import sys
from pathlib import Path

import pytest

from kit.core import meta

ROOT = Path(__file__).resolve().parents[1]
NAMES = meta.names()


def test_table_lists_every_module_and_test():
    for name in NAMES:
        for folder, fname in (("exercises", f"{name}.py"), ("solutions", f"{name}.py"),
                              ("tests", f"test_{name}.py"), (f"hidden/{name}", "checks.py"), (f"hidden/{name}", "probes.py"), (f"hidden/{name}", "observe.py")):
            assert (ROOT / folder / fname).is_file(), f"{folder}/{fname} is missing for {name}"
    for ex in meta.load():
        assert 2 <= len(ex.hints) <= 3, f"{ex.name}: {len(ex.hints)} hints, expected 2 or 3"
        assert ex.points == 10, f"{ex.name}: checks sum to {ex.points} points, expected 10"
        assert "TODO" not in ex.title + ex.seed


@pytest.mark.parametrize("name", NAMES)
def test_stub_differs_from_solution_only_in_bodies(name):
    stub = (ROOT / "exercises" / f"{name}.py").read_text()
    sol = (ROOT / "solutions" / f"{name}.py").read_text()
    assert stub != sol, f"exercises/{name}.py is identical to its solution"
    assert "TODO" in stub, f"exercises/{name}.py marks no spot to fill (TODO)"

    def api(text):
        tree = ast.parse(text)
        out = {}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_") or \
                    isinstance(node, ast.FunctionDef) and node.name == "__init__":
                out[node.name] = ast.dump(node.args) if isinstance(node, ast.FunctionDef) else \
                    [ast.dump(b) for b in node.bases]
        return out
    assert api(stub).keys() <= api(sol).keys() | {"__init__"}
    for k, v in api(stub).items():
        assert api(sol).get(k) == v, f"{name}.{k}: the stub's signature differs from the solution's"
    assert ast.get_docstring(ast.parse(stub)) == ast.get_docstring(ast.parse(sol)), \
        f"{name}: the stub and the solution must carry the same instructions"


STUB_PROBE = r'''
import importlib, inspect, sys, json
sys.path.insert(0, sys.argv[1])
m = importlib.import_module(sys.argv[2])
raised, other = [], []
def probe(fn, label, *args):
    try:
        fn(*args)
    except NotImplementedError:
        raised.append(label)
    except Exception as e:
        other.append(f"{label}: {type(e).__name__}: {e}")
    else:
        other.append(f"{label}: returned without raising")
for name, obj in vars(m).items():
    if getattr(obj, "__module__", None) != m.__name__ or name.startswith("_"):
        continue
    if inspect.isfunction(obj):
        src = inspect.getsource(obj)
        if "NotImplementedError" in src:
            n = len([p for p in inspect.signature(obj).parameters.values() if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)])
            probe(obj, name, *[None] * n)
    elif inspect.isclass(obj):
        for attr, fn in vars(obj).items():
            if inspect.isfunction(fn) and "NotImplementedError" in inspect.getsource(fn):
                inst = object.__new__(obj)
                n = len([p for p in inspect.signature(fn).parameters.values() if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]) - 1
                probe(lambda *a, fn=fn, inst=inst: fn(inst, *a), f"{name}.{attr}", *[None] * n)
print(json.dumps({"raised": raised, "other": other}))
'''


@pytest.mark.parametrize("name", NAMES)
def test_stub_imports_and_raises_not_implemented(name):
    import json
    p = subprocess.run([sys.executable, "-c", STUB_PROBE, str(ROOT / "exercises"), name],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["raised"], f"exercises/{name}.py: nothing raises NotImplementedError"
    assert not out["other"], f"exercises/{name}.py: {out['other']}"


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_solutions_pass_every_learner_test(method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} does not exist on this platform")
    p = subprocess.run([sys.executable, "-m", "pytest", "tests", "--impl", "solutions",
                        "--start-method", method, "-q", "-n", "2", "-p", "no:randomly"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    assert " passed" in p.stdout and "failed" not in p.stdout.splitlines()[-1]


def test_check_on_stubs_reports_every_exercise_not_done(run_kit):
    p = run_kit("check", "--impl", "exercises")
    assert p.returncode == 0, "work in progress is not an error: exit 0 for a learner"
    lines = [ln for ln in p.stdout.splitlines() if ln and ln[0] in "✓✗·"]
    assert len(lines) == len(NAMES), p.stdout
    for name, line in zip(NAMES, lines):
        assert name in line and not line.startswith("✓"), line
    assert f"0 of {len(NAMES)} done" in p.stdout
    assert run_kit("check", "--impl", "exercises", "--strict", NAMES[0]).returncode == 1


def test_check_on_solutions_passes(run_kit):
    p = run_kit("check", "--impl", "solutions")
    assert p.returncode == 0, p.stdout
    assert f"{len(NAMES)} of {len(NAMES)} done" in p.stdout
