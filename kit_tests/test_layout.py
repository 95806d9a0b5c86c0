"""Issue 7's boundary: the sandbox side imports nothing of the judge side, a sandbox can't
import the answer key or the checks, and every observation key is declared once."""
import ast
import typing
from pathlib import Path

import pytest

from kit import meta
from kit.judge import runner
from kit.judge.check import declared_keys

ROOT = Path(__file__).resolve().parents[1]
SANDBOX_SIDE = sorted((ROOT / "kit" / "box").rglob("*.py")) + sorted((ROOT / "hidden").glob("*/probes.py")) \
    + sorted((ROOT / "hidden").glob("*/observe.py"))
JUDGE_ONLY = ("kit.judge", "kit.learn", "kit.meta", "kit.proc", "kit.i18n", "solutions", "pytest")


def imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for a in node.names:
                yield node.lineno, f"{base}.{a.name}" if base else a.name


@pytest.mark.parametrize("path", SANDBOX_SIDE, ids=lambda p: str(p.relative_to(ROOT)))
def test_sandbox_side_imports_nothing_of_the_judge_side(path):
    bad = [f"line {n}: {name}" for n, name in imports(path)
           if name.startswith(JUDGE_ONLY) or (name.startswith("hidden.") and name.endswith(".checks"))
           or name in ("kit", "kit.ROOT")]
    assert not bad, f"{path.relative_to(ROOT)} runs in the sandbox but imports the judge side: {bad}"


def test_a_submission_cannot_import_the_answer_key_or_the_checks(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "lock_balance.py").write_text(
        "import importlib\n"
        "REACHED = {}\n"
        "for _name in ('solutions', 'solutions.pool_map', 'kit.judge', 'kit.judge.check', 'kit.meta',\n"
        "              'hidden.lock_balance.checks', 'hidden.pool_map.checks', 'exercises'):\n"
        "    try:\n"
        "        importlib.import_module(_name)\n"
        "        REACHED[_name] = True\n"
        "    except ImportError:\n"
        "        REACHED[_name] = False\n")
    r = runner.run("hidden.engine.probes:learner_value", submission=sub, timeout=20,
                   module="lock_balance", attr="REACHED")
    assert r.status == "ok", (r.status, r.error, r.stderr)
    assert r.value and not any(r.value.values()), f"importable from a sandbox: {[k for k, v in r.value.items() if v]}"


def _probe_functions(ex):
    """The probes: the functions of probes.py that checks.py runs (``probes.NAME``)."""
    tree = ast.parse((ROOT / "hidden" / ex / "probes.py").read_text(encoding="utf-8"))
    checks = ast.parse((ROOT / "hidden" / ex / "checks.py").read_text(encoding="utf-8"))
    used = {n.attr for n in ast.walk(checks) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id == "probes"}
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in used}


def _own_nodes(fn: ast.FunctionDef):
    """The nodes of ``fn`` itself, not of the functions defined inside it."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    todo = [n for n in fn.body if not isinstance(n, nested)]
    while todo:
        node = todo.pop()
        yield node
        todo += [c for c in ast.iter_child_nodes(node) if not isinstance(c, nested)]


def _keys_written(fn: ast.FunctionDef):
    """Keys a probe puts in what it returns: dict literals and dict(..., k=v) it returns."""
    keys = set()
    for node in _own_nodes(fn):
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict):
            keys |= {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Call) and \
                getattr(node.value.func, "id", "") == "dict":
            keys |= {k.arg for k in node.value.keywords if k.arg}
    return keys


def _keys_read(tree, probe_names):
    """In checks.py: for each `obs = check.run(probes.NAME, ...)`, the keys read from obs."""
    out = {}
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        bound = {}
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                    isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "run" and \
                    node.value.args and isinstance(node.value.args[0], ast.Attribute) and \
                    len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                bound[node.targets[0].id] = node.value.args[0].attr
        for node in ast.walk(fn):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in bound:
                key = node.slice.value if isinstance(node.slice, ast.Constant) else \
                    getattr(getattr(node.slice, "value", None), "value", None)
                if isinstance(key, str):
                    out.setdefault(bound[node.value.id], set()).add((node.lineno, key))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id in bound and node.args and \
                    isinstance(node.args[0], ast.Constant):
                out.setdefault(bound[node.func.value.id], set()).add((node.lineno, node.args[0].value))
    return out


@pytest.mark.parametrize("ex", meta.names())
def test_every_observation_key_is_declared_once(ex):
    import importlib
    probes = importlib.import_module(f"hidden.{ex}.probes")
    fns = _probe_functions(ex)
    declared = {}
    for name in fns:
        keys = declared_keys(getattr(probes, name))
        assert keys is not None, (f"hidden/{ex}/probes.py: {name}() has no TypedDict return annotation "
                                  f"from hidden/{ex}/observe.py")
        declared[name] = keys
        extra = _keys_written(fns[name]) - keys
        assert not extra, f"hidden/{ex}/probes.py: {name}() returns {sorted(extra)}, not declared in observe.py"
    tree = ast.parse((ROOT / "hidden" / ex / "checks.py").read_text(encoding="utf-8"))
    for probe, reads in _keys_read(tree, set(fns)).items():
        assert probe in declared, f"hidden/{ex}/checks.py runs probes.{probe}, which is not a probe of {ex}"
        unknown = sorted((line, k) for line, k in reads if k not in declared[probe])
        assert not unknown, (f"hidden/{ex}/checks.py reads {[k for _, k in unknown]} (lines "
                             f"{[n for n, _ in unknown]}) from probes.{probe}(), not declared in observe.py")


def test_checks_name_probes_by_reference_not_by_string():
    for ex in meta.names():
        text = (ROOT / "hidden" / ex / "checks.py").read_text(encoding="utf-8")
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run" \
                    and node.args and isinstance(node.args[0], ast.Constant):
                pytest.fail(f"hidden/{ex}/checks.py:{node.lineno}: check.run({node.args[0].value!r}): "
                            "pass the probe function (probes.NAME), not its name")


def test_nothing_says_ten():
    words = (" the ten ", "ten modules", "ten exercise", " 10 exercises", "Ten exercises")
    for path in list((ROOT / "kit").rglob("*.py")) + list((ROOT / "tests").glob("*.py")) + \
            list((ROOT / "kit_tests").glob("*.py")):
        if path.name == "test_layout.py":
            continue
        text = path.read_text(encoding="utf-8")
        for w in words:
            assert w not in text, f"{path.relative_to(ROOT)} says {w.strip()!r}: the count comes from exercises.toml"
