"""The student repository (issue 9): no trace of the solutions or of the hidden suite, and its
learner loop works on its own. No grading workflow and no token (issue 18: Classroom 50 grades
with the teacher's bundle, ``kit_tests/test_classroom50.py``)."""
import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit import ROOT
from kit.core import meta
from kit.teach import release

pytestmark = pytest.mark.once  # the machine's isolation and tools, not the interpreter: one Python

EXCLUDED = ["solutions", "hidden", "selftest", "kit_tests", "kit/engine", "kit/sandbox", "kit/teach", "kit/dev", ".ci"]


@pytest.fixture(scope="module")
def rel(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "student-repo"
    p = subprocess.run([sys.executable, "-m", "kit", "release", str(out), "--git"],
                       cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stdout + p.stderr
    return out


def learner(rel, *args, timeout=600):
    """``python -m kit ARGS`` inside the release, with the current interpreter and nothing of the kit's."""
    return subprocess.run([sys.executable, "-m", "kit", *map(str, args)], cwd=rel, capture_output=True,
                          text=True, timeout=timeout, env={"PYTHONPATH": str(rel), "PATH": "/usr/bin:/bin",
                                                           "HOME": str(rel.parent)})


def bodies(path: Path) -> dict:
    """{ast.dump of the body: function name} for every function of more than one statement."""
    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return {}
    return {"".join(ast.dump(s) for s in n.body): n.name for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(n.body) > 1}


def secret_bodies() -> dict:
    """Every multi-statement function body of hidden/*/*.py and solutions/*.py, except a helper the
    stub itself hands the learner word for word under the same name (e.g. ``count_primes``)."""
    out = {}
    for p in (ROOT / "hidden").glob("*/*.py"):
        out.update({b: f"{p.relative_to(ROOT)}::{n}" for b, n in bodies(p).items()})
    for p in (ROOT / "solutions").glob("*.py"):
        given = bodies(ROOT / "exercises" / p.name)
        out.update({b: f"{p.relative_to(ROOT)}::{n}" for b, n in bodies(p).items() if given.get(b) != n})
    return out


def test_nothing_of_the_teacher_ships(rel):
    for x in EXCLUDED:
        assert not (rel / x).exists(), x
    assert not list(rel.rglob("checks.py")) and not list(rel.rglob("probes.py"))
    secret = secret_bodies()
    assert len(secret) > 100   # the comparison has something to find
    found = [f"{p.relative_to(rel)}::{n} is {secret[b]}" for p in rel.rglob("*.py") for b, n in bodies(p).items()
             if b in secret]
    assert not found, found
    # ... and it would find one: a solution planted in a copy is caught.
    copy = rel.parent / "planted"
    shutil.copytree(rel / "exercises", copy)
    shutil.copy(ROOT / "solutions" / "lock_balance.py", copy / "helpers.py")
    assert any(b in secret for p in copy.rglob("*.py") for b in bodies(p))
    assert release.leaks(copy)


def test_what_ships(rel):
    for x in ["exercises.toml", "pyproject.toml", "noxfile.py", "README.md", ".gitignore", "kit/__main__.py",
              "kit/core/meta.py", "kit/core/proc.py", "kit/core/i18n.py", "kit/learn", "kit/core/locale", "tests/conftest.py"]:
        assert (rel / x).exists(), x
    for e in meta.load():
        assert (rel / "exercises" / f"{e.name}.py").read_bytes() == (ROOT / "exercises" / f"{e.name}.py").read_bytes()
        assert (rel / "tests" / f"test_{e.name}.py").is_file()
    for x in ["exercises.zh.toml", "README.zh.md", "docs/zh"]:
        assert (rel / x).exists() == (ROOT / x).exists(), x
    assert not list(rel.rglob("__pycache__"))
    # GitHub Classroom is gone: no workflow, no grader repository, no token. Classroom 50 adds its own
    # shim when a student accepts; the hidden suite stays in the teacher's bundle.
    assert not (rel / ".github").exists()
    text = "\n".join(p.read_text(errors="replace") for p in rel.rglob("*") if p.is_file() and ".git" not in p.parts)
    for gone in ("KIT_GRADER_TOKEN", "grader-repo", "autograding-grading-reporter", "kit classroom "):
        assert gone not in text, gone


def test_grader_repo_option_says_why_it_is_gone(tmp_path):
    p = subprocess.run([sys.executable, "-m", "kit", "release", str(tmp_path / "r"), "--grader-repo", "acme/grader"],
                       cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "retired on 2026-08-28" in p.stderr and "classroom50" in p.stderr
    assert not (tmp_path / "r").exists()


def test_learner_noxfile_has_the_learner_sessions_only(rel):
    text = (rel / "noxfile.py").read_text()
    tree = ast.parse(text)
    sessions = {release._session_name(n) for n in tree.body if isinstance(n, ast.FunctionDef)} - {None}
    kit_sessions = {release._session_name(n) for n in ast.parse((ROOT / "noxfile.py").read_text()).body
                    if isinstance(n, ast.FunctionDef)}
    assert sessions == kit_sessions & set(release.LEARNER_SESSIONS) and "check" in sessions
    # Each session is the kit's own function, copied: same syntax tree.
    ours = {n.name: ast.dump(n) for n in ast.parse((ROOT / "noxfile.py").read_text()).body if isinstance(n, ast.FunctionDef)}
    for n in tree.body:
        if isinstance(n, ast.FunctionDef):
            assert ast.dump(n) == ours[n.name], n.name
    if shutil.which("nox"):
        p = subprocess.run(["nox", "-l"], cwd=rel, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        for s in sessions:
            assert re.search(rf"^[*-] {s} ", p.stdout, re.M), (s, p.stdout)
        assert "selftest" not in p.stdout and "batch" not in p.stdout


def test_learner_loop_works_in_the_release(rel, tmp_path):
    names = [e.name for e in meta.load()]
    p = learner(rel, "check")
    for name in names:
        line = next(ln for ln in p.stdout.splitlines() if re.search(rf"\b{name}\b", ln))
        assert "not started" in line, line
    impl = tmp_path / "mine"
    shutil.copytree(ROOT / "solutions", impl)
    p = learner(rel, "check", "--impl", impl)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"{len(names)} of {len(names)} done" in p.stdout, p.stdout
    p = learner(rel, "grade")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip() == ("python -m kit grade: grading is done by your teacher's grader; "
                                "`nox` checks your work")
    assert learner(rel, "list").returncode == 0


def test_git_template(rel):
    log = subprocess.run(["git", "log", "--format=%an|%s"], cwd=rel, capture_output=True, text=True, check=True)
    lines = log.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{release.AUTHOR}|")
    status = subprocess.run(["git", "status", "--porcelain"], cwd=rel, capture_output=True, text=True, check=True)
    assert status.stdout == ""
    tracked = subprocess.run(["git", "ls-files"], cwd=rel, capture_output=True, text=True, check=True).stdout
    assert "exercises/lock_balance.py" in tracked and "solutions/" not in tracked and ".github/" not in tracked
