"""The layout's rules, enforced: each package imports only what its audience may (the
table below), kit imports sit at module level, the sandbox side imports nothing of the
judge's, no module decides anything from message text, and every observation key is
declared once."""
import ast
import fnmatch
from pathlib import Path

import pytest

from kit.core import meta
from kit.engine import runner
from kit.engine.verdict import declared_keys

ROOT = Path(__file__).resolve().parents[1]

# Who may import whom. ``kit`` alone (``from kit import ROOT``) is open to every package.
# core: learner-safe, copied whole into a student's release; learn: the learner tools;
# sandbox: runs beside learner code; engine: one grade; teach: the teacher's tools and
# platforms; dev: the maintainers' tools.
RULES = {
    "kit/core/*": {"kit.core"},
    "kit/learn/*": {"kit.core", "kit.learn"},
    "kit/sandbox/*": {"kit.sandbox"},
    "kit/engine/*": {"kit.core", "kit.sandbox", "kit.engine"},
    "kit/teach/*": {"kit.core", "kit.engine", "kit.teach"},
    "kit/dev/*": {"kit.core", "kit.engine", "kit.teach", "kit.dev"},
    "kit/__main__.py": {"kit.core"},            # the command table names the rest as strings
    "kit/__init__.py": set(),
    "hidden/*/checks.py": {"kit.core", "kit.engine", "hidden"},   # kit.core: _() for messages
    "hidden/*/probes.py": {"kit.sandbox", "hidden"},
    "hidden/*/observe.py": {"kit.sandbox", "hidden"},
    "hidden/*.py": set(),
}
# Where a kit import may sit inside a function, and why.
LATE_IMPORTS = {
    "kit/__main__.py": "a command loads only its own module",
    "kit/sandbox/*": "the order is part of the jail: nothing beyond the entry loads before the jail is up",
}
GOVERNED = ("kit", "hidden", "solutions", "exercises", "tests", "selftest")


def imports(path: Path, text: str = None):
    """(line, module or module.name, at module level?) of every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8") if text is None else text)
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1]) if path.is_relative_to(ROOT) else ""
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name, id(node) in top
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for a in node.names:
                yield node.lineno, f"{base}.{a.name}" if base else a.name, id(node) in top


def rule_for(rel: str):
    for pattern, allowed in RULES.items():
        if fnmatch.fnmatch(rel, pattern):
            return allowed
    return None


def violations(rel: str, found) -> list:
    """The imports of module ``rel`` (its path in the repository) that break the rules."""
    allowed = rule_for(rel)
    if allowed is None:
        return [f"{rel}: no rule says what it may import (add it to RULES)"]
    bad = []
    for line, name, top in found:
        root = name.split(".")[0]
        if root not in GOVERNED or name in ("kit.ROOT", "kit"):
            continue
        if not any(name == a or name.startswith(a + ".") for a in allowed):
            bad.append(f"{rel}:{line}: imports {name}")
        elif root == "kit" and not top and not any(fnmatch.fnmatch(rel, p) for p in LATE_IMPORTS):
            bad.append(f"{rel}:{line}: imports {name} inside a function (kit imports go at the top)")
    return bad


MODULES = sorted(p for p in list((ROOT / "kit").rglob("*.py")) + list((ROOT / "hidden").rglob("*.py"))
                 if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_imports_only_what_its_package_may(path):
    rel = path.relative_to(ROOT).as_posix()
    bad = violations(rel, imports(path))
    assert not bad, "\n".join(bad)


def test_the_rule_fails_on_a_forbidden_import(tmp_path):
    # The rule can fail: the learner side reaching the engine, the sandbox reaching the
    # judge side, a teacher tool importing a kit module inside a function.
    cases = {"kit/learn/x.py": "from kit.engine import grade\n",
             "kit/core/x.py": "import kit.teach.batch\n",
             "kit/sandbox/x.py": "from kit.core import meta\n",
             "kit/teach/x.py": "def f():\n    from kit.engine import grade\n",
             "hidden/x/probes.py": "from kit.engine.verdict import called\n"}
    for rel, text in cases.items():
        f = tmp_path / "m.py"
        f.write_text(text)
        assert violations(rel, imports(f, text)), f"{rel}: {text!r} was not refused"
    f = tmp_path / "ok.py"
    f.write_text("from kit.core import meta\n")
    assert not violations("kit/teach/x.py", imports(f))


def _message_tests(tree):
    """Places where code decides from the text of a result's message."""
    def is_message(node):
        return (isinstance(node, ast.Attribute) and node.attr == "message") or (
            isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "message")
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) and \
                any(is_message(c) or any(is_message(n) for n in ast.walk(c)) for c in node.comparators):
            yield node.lineno
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("startswith", "endswith", "find", "index", "count") and is_message(node.func.value):
            yield node.lineno


def test_no_module_decides_anything_from_message_text():
    found = []
    for path in (ROOT / "kit").rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        found += [f"{path.relative_to(ROOT)}:{n}" for n in _message_tests(ast.parse(path.read_text(encoding="utf-8")))]
    assert not found, ("these lines decide from a message's text; use the result's status and reason "
                       "(kit.core.results): " + ", ".join(found))
    # The search can fail: the old class page's test is found.
    assert list(_message_tests(ast.parse('hung = any(h in (x.get("message") or "") for h in HUNG)\n'
                                         'ng = x["message"].startswith("not graded:")\n')))


def test_a_submission_cannot_import_the_answer_key_or_the_checks(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "lock_balance.py").write_text(
        "import importlib\n"
        "REACHED = {}\n"
        "for _name in ('solutions', 'solutions.pool_map', 'kit.judge', 'kit.engine.verdict', 'kit.core.meta',\n"
        "              'hidden.lock_balance.checks', 'hidden.pool_map.checks', 'exercises'):\n"
        "    try:\n"
        "        importlib.import_module(_name)\n"
        "        REACHED[_name] = True\n"
        "    except BaseException as _exc:  # ImportError, or the audit hook's refusal\n"
        "        REACHED[_name] = type(_exc).__name__\n")
    r = runner.run("kit_probes.engine:learner_value", submission=sub, timeout=20,
                   module="lock_balance", attr="REACHED")
    assert r.status == "ok", (r.status, r.error, r.stderr)
    assert r.value and len(r.value) == 8, r.value
    assert not [k for k, v in r.value.items() if v is True], f"importable from a sandbox: {r.value}"


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


def test_dev_check_finds_every_exercise_complete():
    # The maintainers' static check agrees with the tree as it is (a constant that checks.py
    # quotes from probes.py, e.g. probes.ARRIVE, is not a missing probe).
    from kit.dev import devcheck
    lines = []
    assert devcheck.dev_check(echo=lines.append) == 0, "\n".join(lines)
    assert lines[-1] == f"dev-check: all {len(meta.names())} exercises complete", lines
