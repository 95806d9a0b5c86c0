"""The Gradescope autograder (issue 9): the zip's run_autograder, run against a folder laid out
like /autograder, writes a results.json with Gradescope's documented fields."""
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kit import ROOT
from kit.core import meta
from kit.dev import selftest

pytestmark = pytest.mark.once  # the machine's isolation and tools, not the interpreter: one Python

# Gradescope's autograder specification: the fields of results.json and their values.
TOP = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
       "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
        "visibility", "extra_data"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def validate(res: dict) -> None:
    assert set(res) <= TOP, set(res) - TOP
    assert isinstance(res["score"], (int, float))
    assert isinstance(res.get("execution_time", 0), (int, float))
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert res.get(key, "text") in FORMATS
    for key in ("visibility", "stdout_visibility"):
        assert res.get(key, "visible") in VISIBILITY
    assert isinstance(res.get("extra_data", {}), dict)
    assert isinstance(res["tests"], list) and res["tests"]
    for t in res["tests"]:
        assert set(t) <= TEST, set(t) - TEST
        assert isinstance(t["name"], str) and t["name"]
        assert isinstance(t["score"], (int, float)) and isinstance(t["max_score"], (int, float))
        assert 0 <= t["score"] <= t["max_score"] or t["max_score"] == 0
        assert t.get("status", "passed") in ("passed", "failed")
        assert t.get("visibility", "visible") in VISIBILITY
        assert t.get("output_format", "text") in FORMATS and t.get("name_format", "text") in FORMATS
        assert isinstance(t.get("tags", []), list) and all(isinstance(x, str) for x in t.get("tags", []))
        assert isinstance(t.get("output", ""), str)
    assert res["score"] == pytest.approx(sum(t["score"] for t in res["tests"]))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    p = subprocess.run([sys.executable, "-m", "kit", "gradescope", str(out), "--visibility", "after_due_date",
                        "--stdout-visibility", "visible"], cwd=ROOT, capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 0, p.stdout + p.stderr
    return out


def autograder_root(tmp_path: Path, bundle: Path) -> Path:
    """A folder laid out as Gradescope lays /autograder out before run_autograder."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


def run_autograder(root: Path, grade_args: str):
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), KIT_PYTHON=sys.executable, KIT_GRADE_ARGS=grade_args)
    env.pop("PYTHONPATH", None)
    return subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_zip_holds_the_scripts_and_the_kit_but_no_answers(bundle):
    with zipfile.ZipFile(bundle) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        for script in ("setup.sh", "run_autograder"):
            assert (infos[script].external_attr >> 16) & stat.S_IXUSR, script
            text = zf.read(script).decode()
            assert text.startswith("#!/usr/bin/env bash")
            check = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
            assert check.returncode == 0, check.stderr
        setup = zf.read("setup.sh").decode()
        assert "apt-get install" in setup and "util-linux" in setup and "pytest" in setup
        assert "bubblewrap" not in setup  # the kit uses unshare and system calls, never bubblewrap
        assert "--isolation" in zf.read("gradescope.json").decode()
        assert json.loads(zf.read("gradescope.json"))["visibility"] == "after_due_date"
    names = set(infos)
    assert {"kit/engine/grade.py", "hidden/lock_balance/checks.py", "exercises.toml", "pyproject.toml"} <= names
    assert not any(n.startswith(("solutions/", "selftest/", ".git/", ".nox/", "grade-report/")) for n in names)
    assert not any("__pycache__" in n for n in names)


def test_run_autograder_grades_a_repository_layout_and_writes_results(tmp_path, bundle):
    root = autograder_root(tmp_path, bundle)
    mutant = next(e for e in selftest.entries(only=["lock_balance"]) if e.kind == "mutant")
    (root / "submission" / "exercises").mkdir()
    selftest.build(mutant, root / "submission" / "exercises")
    (root / "submission" / "README.md").write_text("my work\n")
    (root / "results" / "results.json").write_text('{"score": 1000, "tests": []}')   # forged beforehand
    p = run_autograder(root, "--only lock_balance --workers 2")
    assert p.returncode == 0, p.stdout + p.stderr
    res = json.loads((root / "results" / "results.json").read_text())
    validate(res)
    checks = meta.get("lock_balance").checks
    assert len(res["tests"]) == len(checks)
    assert res["visibility"] == "after_due_date" and res["stdout_visibility"] == "visible"
    assert all(t["visibility"] == "after_due_date" for t in res["tests"])
    failed = {t["name"].split(": ", 1)[1] for t in res["tests"] if t["status"] == "failed"}
    assert failed and failed <= set(mutant.expect_fail) | {c.id for c in checks if c.timing}
    assert 0 < res["score"] < 10
    assert "kit-gradescope-" not in json.dumps(res)   # messages name the student's files, not our copy
    assert res["extra_data"].get("isolation", "strict") == "strict" or "graded without it" in res["output"]


def test_an_empty_submission_gets_results_that_say_so(tmp_path, bundle):
    root = autograder_root(tmp_path, bundle)
    p = run_autograder(root, "--only lock_balance")
    assert p.returncode == 0, p.stdout + p.stderr
    res = json.loads((root / "results" / "results.json").read_text())
    validate(res)
    assert res["score"] == 0 and "could not be graded: empty submission" in res["output"]
    assert all(t["status"] == "failed" for t in res["tests"])
