"""``python -m kit release OUT [--git]``: the student repository.

In: the stubs (``exercises/``), the learner tests (``tests/``), the learner tools
(``kit/learn/``, ``kit/core/`` and ``kit/{__init__,__main__}.py``), ``exercises.toml`` (titles, hints, check summaries and points: the rubric
is visible, as on Gradescope), the translations when present, ``pyproject.toml``, a
learner ``noxfile.py`` (the learner sessions of this kit's noxfile, copied through its
syntax tree), a learner README and ``.gitignore``. No workflow and no token: Classroom 50
grades with the bundle of ``python -m kit classroom50``, which stays in the teacher's
``classroom50`` repository (Classroom 50 adds its own workflow shim to each student
repository when the student accepts the assignment).

Out: ``solutions/``, ``hidden/``, ``selftest/``, ``kit_tests/``, ``kit/engine/``,
``kit/sandbox/``, ``kit/teach/``, ``kit/dev/``, ``.ci/``. Before it finishes, the release is searched for any function body
of the solutions or of the hidden suite; it refuses to finish if one is found.

``--git`` makes OUT a repository with one commit (author "concurrency-kit release"),
ready to push as the assignment's template repository
(``gh teacher assignment add ORG CLASSROOM SLUG --template ORG/REPO``).
"""
import argparse
import ast
import os
import shutil
import subprocess
from pathlib import Path
from typing import List

from kit import ROOT
from kit.core import meta

# The learner side is whole packages (kit/core, kit/learn): the layout test keeps them free of
# imports from the teacher's side, so copying them whole can leak nothing.
INCLUDE = ["exercises", "tests", "kit/__init__.py", "kit/__main__.py", "kit/core", "kit/learn",
           "exercises.toml", "pyproject.toml"]
OPTIONAL = ["exercises.zh.toml", "README.zh.md", "docs/zh"]
EXCLUDED = ["solutions", "hidden", "selftest", "kit_tests", "kit/engine", "kit/sandbox", "kit/teach", "kit/dev", ".ci"]
LEARNER_SESSIONS = ("check", "hint", "watch", "reset", "list")
AUTHOR = "concurrency-kit release"
EMAIL = "release@concurrency-kit.invalid"
MARK_START, MARK_END = "<!-- learner:start -->", "<!-- learner:end -->"

GITIGNORE = ["__pycache__/", "*.pyc", ".nox/", ".venv/", "grade-report/", ".kit-hints.json", ".pytest_cache/"]


def learner_gitignore() -> str:
    """The kit's .gitignore without the teacher's entries, plus what a learner's tools write."""
    lines = list(GITIGNORE)
    path = ROOT / ".gitignore"
    for line in (path.read_text(encoding="utf-8").splitlines() if path.is_file() else []):
        entry = line.strip()
        if not entry or entry.startswith("#") or entry in lines:
            continue
        if any(entry.lstrip("/").startswith(x) for x in EXCLUDED) or entry.startswith("selftest-report"):
            continue
        lines.append(entry)
    return "\n".join(lines) + "\n"


def _ignore(_dir, names):
    return [n for n in names if n in ("__pycache__", ".pytest_cache") or n.endswith(".pyc")]


# ------------------------------------------------------------------ noxfile

def _session_name(fn: ast.FunctionDef):
    """The session's name when ``fn`` is decorated with ``nox.session`` (maybe with arguments)."""
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute) and target.attr == "session":
            name = fn.name
            if isinstance(d, ast.Call):
                for kw in d.keywords:
                    if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                        name = kw.value.value
            return name
    return None


def _names_used(nodes) -> set:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


def learner_noxfile(source: str) -> str:
    """The learner sessions of ``source`` (a noxfile), with the helpers and settings they use.

    Copied, not rewritten: each kept statement is taken from the source text by its
    line range (with its decorators and the comment lines just above it).
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    sessions = [n for n in tree.body if isinstance(n, ast.FunctionDef) and _session_name(n) in LEARNER_SESSIONS]
    if not sessions:
        raise SystemExit("release: noxfile.py has none of the learner sessions " + ", ".join(LEARNER_SESSIONS))
    keep = set(id(n) for n in sessions)
    todo = list(sessions)
    assigned = {}
    for n in tree.body:
        if isinstance(n, (ast.Assign, ast.AnnAssign)):
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target]):
                if isinstance(t, ast.Name):
                    assigned.setdefault(t.id, []).append(n)
    seen = set()
    while todo:
        node = todo.pop()
        for name in _names_used([node]) - seen:
            seen.add(name)
            for dep in ([funcs[name]] if name in funcs and _session_name(funcs[name]) is None else []) + assigned.get(name, []):
                if id(dep) not in keep:
                    keep.add(id(dep))
                    todo.append(dep)
    out = ['"""Sessions for working through the exercises: ``nox -l`` lists them, ``nox`` runs the check.\n\n'
           'Generated by ``python -m kit release`` from the kit\'s own noxfile.\n"""\n']
    for n in tree.body:
        is_doc = isinstance(n, ast.Expr) and isinstance(getattr(n, "value", None), ast.Constant) and n is tree.body[0]
        settings = (isinstance(n, (ast.Assign, ast.AnnAssign)) and any(
            isinstance(t, ast.Attribute) and _names_used([t]) == {"nox"}
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])))
        if is_doc or not (isinstance(n, (ast.Import, ast.ImportFrom)) or settings or id(n) in keep):
            continue
        start = min([n.lineno] + [d.lineno for d in getattr(n, "decorator_list", [])]) - 1
        while start > 0 and lines[start - 1].lstrip().startswith("#"):
            start -= 1
        if isinstance(n, ast.FunctionDef):
            out.append("\n\n")
        elif len(out) > 1 and start > 0 and not lines[start - 1].strip():
            out.append("\n")
        out.append("".join(lines[start:n.end_lineno]))
    text = "".join(out).rstrip() + "\n"
    ast.parse(text)  # what we write must be Python
    return text


# ------------------------------------------------------------------ README

def learner_readme(readme: str, sessions: List[str]) -> str:
    if MARK_START in readme and MARK_END in readme:
        return readme.split(MARK_START, 1)[1].split(MARK_END, 1)[0].strip() + "\n"
    rows = "\n".join(f"| {i} | `{e.name}` | {e.title} |" for i, e in enumerate(meta.load(), 1))
    have = set(sessions)
    cmds = ["nox -s check                    # one line per exercise: done, failing (first failure), not started",
            "nox -s check -- lock_balance    # just one exercise"]
    if "hint" in have:
        cmds.append("nox -s hint -- lock_balance     # the next hint (gentle first, then explicit)")
    if "watch" in have:
        cmds.append("nox -s watch -- lock_balance    # re-run the check whenever you save")
    if "reset" in have:
        cmds.append("nox -s reset -- lock_balance    # start an exercise over from its stub")
    cmds.append("python -m kit list              # the exercises in order")
    zh = "\n中文说明见 [README.zh.md](README.zh.md)；`KIT_LANG=zh nox -s check` 用中文输出。\n" if (ROOT / "README.zh.md").is_file() else ""
    return f"""# Concurrency exercises: Python threads and processes

Exercises that take you from your first `threading.Thread` to lock ordering, Queues,
Pipes and Pools. Each `exercises/NAME.py` starts as a stub: its docstring is the
instructions (the concept, what to write, what a correct solution must guarantee). Fill in
every `TODO`; the tests in `tests/` show the expected behaviour and run against your file.
{zh}
On a machine with Python 3.9 or later:

```sh
python3 -m pip install nox
{chr(10).join(cmds)}
```

| # | module | what it is about |
|---|---|---|
{rows}

## How you are graded

Your teacher grades your `exercises/` with a hidden suite that forces the bad
interleavings (races, deadlocks, threads left running) instead of waiting for them to
happen. `exercises.toml` lists, for every exercise, each check the grader runs, what it
guarantees and its points. `nox -s check` passing is a good sign, not the grade:
the hidden checks try harder. Commit and push your work (or upload it as your teacher
asks); `python -m kit grade` is not part of this repository.
"""


# ------------------------------------------------------------------ leak check

def bodies(path: Path) -> dict:
    """{ast.dump of the body: qualified name} of every function with more than one statement."""
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (SyntaxError, ValueError):
        return {}
    out = {}

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef) and len(child.body) > 1:
                    out.setdefault("".join(ast.dump(s) for s in child.body), name)
                walk(child, name + ".")
            else:
                walk(child, prefix)
    walk(tree, "")
    return out


def secrets() -> dict:
    """Function bodies that must not ship: every one of hidden/, and every one of solutions/
    except those the stub itself gives the learner word for word (helpers marked "given")."""
    secret = {}
    for p in sorted((ROOT / "hidden").glob("*/*.py")):
        for b, name in bodies(p).items():
            secret.setdefault(b, f"{p.relative_to(ROOT).as_posix()}::{name}")
    for p in sorted((ROOT / "solutions").glob("*.py")):
        given = bodies(ROOT / "exercises" / p.name)
        for b, name in bodies(p).items():
            if given.get(b) != name:
                secret.setdefault(b, f"{p.relative_to(ROOT).as_posix()}::{name}")
    return secret


def leaks(out: Path) -> List[str]:
    """Functions of the release whose body is a secret one (there should be none)."""
    secret = secrets()
    found = []
    for p in sorted(Path(out).rglob("*.py")):
        for b, name in bodies(p).items():
            if b in secret:
                found.append(f"{p.relative_to(out).as_posix()}::{name}: the body of {secret[b]}")
    return found


# ------------------------------------------------------------------ build

def nox_free_deps() -> List[str]:
    """The test stack (pyproject's ``test`` group), for installers that are not nox."""
    data = meta.toml_reader().loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [d for d in data["dependency-groups"]["test"] if isinstance(d, str)]


def build(out, git: bool = False, force: bool = False, echo=print) -> Path:
    out = Path(out).resolve()
    if out == ROOT or out in ROOT.parents:
        raise SystemExit(f"release: {out} holds the kit itself")
    if ROOT in out.parents and (ROOT / out.relative_to(ROOT).parts[0]).is_dir() and out.parent != ROOT:
        raise SystemExit(f"release: {out} is inside the kit's own {out.relative_to(ROOT).parts[0]}/")
    if out.exists() and any(out.iterdir()):
        looks_like_release = (out / "exercises.toml").is_file() and not (out / "solutions").exists() \
            and not (out / "hidden").exists()
        if not (force and looks_like_release):
            raise SystemExit(f"release: {out} is not empty" + (" (--force replaces an earlier release)"
                                                               if looks_like_release else ""))
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    for rel in INCLUDE + [o for o in OPTIONAL if (ROOT / o).exists()]:
        src, dst = ROOT / rel, out / rel
        if not src.exists():
            raise SystemExit(f"release: {rel} is missing from the kit")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=_ignore, symlinks=False)
        else:
            shutil.copy2(src, dst)
    # `nox -s reset` needs the pristine stubs where there is no git history to take them from.
    stubs = out / "kit" / "learn" / "stubs"
    stubs.mkdir(parents=True, exist_ok=True)
    for f in sorted((ROOT / "exercises").glob("*.py")):
        shutil.copy2(f, stubs / f.name)
    nox_text = learner_noxfile((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    (out / "noxfile.py").write_text(nox_text, encoding="utf-8")
    sessions = [_session_name(n) for n in ast.parse(nox_text).body if isinstance(n, ast.FunctionDef)]
    sessions = [s for s in sessions if s]
    (out / "README.md").write_text(learner_readme((ROOT / "README.md").read_text(encoding="utf-8"), sessions),
                                   encoding="utf-8")
    (out / ".gitignore").write_text(learner_gitignore())
    present = [x for x in EXCLUDED if (out / x).exists()]
    found = leaks(out)
    if present or found:
        shutil.rmtree(out, ignore_errors=True)
        raise SystemExit("release: refusing, the release would hold what stays with the teacher:\n  "
                         + "\n  ".join(present + found))
    if git:
        env = dict(os.environ, GIT_AUTHOR_NAME=AUTHOR, GIT_AUTHOR_EMAIL=EMAIL, GIT_COMMITTER_NAME=AUTHOR,
                   GIT_COMMITTER_EMAIL=EMAIL, GIT_CONFIG_NOSYSTEM="1")
        cfg = ["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", "-c", "init.defaultBranch=main"]

        def git_run(*args):
            subprocess.run(["git", *cfg, *args], cwd=out, env=env, check=True, capture_output=True, text=True)
        git_run("init", "-q")
        git_run("checkout", "-q", "-b", "main")
        git_run("add", "-A")
        git_run("commit", "-q", "-m", f"Concurrency exercises (concurrency-kit {meta.kit_version()} release)")
    echo(f"release: {out}: {len(sessions)} learner sessions ({', '.join(sessions)}), "
         f"{sum(1 for p in out.rglob('*') if p.is_file() and '.git' not in p.relative_to(out).parts)} files"
         + (", one commit" if git else ""))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m kit release", description=__doc__.split("\n\n")[0])
    p.add_argument("out", metavar="OUT", help="folder for the student repository (new or empty)")
    p.add_argument("--git", action="store_true", help="make it a git repository with one commit (a template repository)")
    p.add_argument("--force", action="store_true", help="replace an earlier release in OUT")
    p.add_argument("--grader-repo", help=argparse.SUPPRESS)   # gone with GitHub Classroom: said below
    args = p.parse_args(argv)
    if args.grader_repo is not None:
        p.error("--grader-repo is gone: GitHub Classroom was retired on 2026-08-28 and the release no longer "
                "holds a grading workflow; grade with Classroom 50 (python -m kit classroom50 OUT: "
                "docs/teachers.md) and drop the option")
    build(args.out, git=args.git, force=args.force)
    return 0
