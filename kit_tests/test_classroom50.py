"""Classroom 50 (issue 18): the bundle of ``python -m kit classroom50``, run as the Classroom 50
runner runs it: published as a tarball, unpacked into $RUNNER_TEMP/classroom50-runtime/SLUG/,
``python autograder.py`` with the runner's environment and the student's checkout (a release
with some work in exercises/) as the working directory. Its result.json must pass the
runner's own checks (``validate_result`` below, ported rule by rule from
foundation50/classroom50 cli/gh-teacher/skeleton/dotgithub/scripts/runner.py) after the
runner's stamping, and agree with the kit's report of the same grade."""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.parse
from pathlib import Path

import pytest

from kit import ROOT
from kit.core import meta
from kit.teach import classroom50

pytestmark = pytest.mark.once  # the machine's isolation and tools, not the interpreter: one Python

EXERCISE = "lock_balance"
CLASSROOM, ASSIGNMENT, USERNAME = "cs-concurrency", "hw3", "alice"
REPO = f"acme/{CLASSROOM}-{ASSIGNMENT}-{USERNAME}"
SHA = "0123456789abcdef0123456789abcdef01234567"
TAG = "submit/2026-12-03T15-00-00Z-0123456"
EARLIER = "head-sha=" + SHA + "\n"   # what the runner's earlier steps left in $GITHUB_OUTPUT


# -- the runner's side, from its source ------------------------------------------------------

def validate_result(data, *, classroom, assignment, expected_type="individual", owner=None):
    """None if ``data`` is a v1 result for this identity, else why not (runner.py's rules)."""
    if not isinstance(data, dict):
        return "not a JSON object"
    if data.get("schema") != "classroom50/result/v1":
        return f"schema is {data.get('schema')!r}"
    if data.get("classroom") != classroom:
        return "classroom"
    if data.get("assignment") != assignment:
        return "assignment"
    o = data.get("owner")
    if not isinstance(o, str) or not o:
        return "owner must be a non-empty string"
    if owner is not None and o.lower() != owner.lower():
        return "owner"
    if data.get("assignment_type") != expected_type:
        return "assignment_type"
    sub = data.get("submission")
    if not isinstance(sub, str) or not sub.startswith("submit/"):
        return "submission must be a 'submit/*' string"
    for field in ("commit", "release", "review", "datetime"):
        v = data.get(field)
        if not isinstance(v, str) or not v:
            return f"{field} must be a non-empty string"

    def count(v):
        return not isinstance(v, bool) and isinstance(v, int) and v >= 0
    if not count(data.get("score")):
        return "score must be a non-negative integer"
    if not count(data.get("max-score")):
        return "max-score must be a non-negative integer"
    if data["score"] > data["max-score"]:
        return "score > max-score"
    tests = data.get("tests")
    if not isinstance(tests, list):
        return "tests is not a list"
    for i, t in enumerate(tests):
        if not isinstance(t, dict):
            return f"tests[{i}] is not an object"
        if not isinstance(t.get("test-name"), str) or not t["test-name"]:
            return f"tests[{i}].test-name"
        if not isinstance(t.get("passed"), bool):
            return f"tests[{i}].passed"
        if not count(t.get("score")):
            return f"tests[{i}].score"
        if not count(t.get("max-score")):
            return f"tests[{i}].max-score"
        if t["score"] > t["max-score"]:
            return f"tests[{i}].score > max-score"
    by = data.get("submitted_by")
    if by is not None:
        if not isinstance(by, dict) or not isinstance(by.get("username"), str) or not by["username"]:
            return "submitted_by"
        if by.get("id") is not None and (isinstance(by["id"], bool) or not isinstance(by["id"], int)):
            return "submitted_by.id"
    return None


def finalize(data: dict) -> dict:
    """What runner.py's finalize_result stamps before it validates (owner, type, dates, pusher)."""
    return dict(data, owner=USERNAME, assignment_type="individual", datetime="2026-12-03T15:00:00Z",
                graded_at="2026-12-03T15:01:00Z", submitted_by={"username": USERNAME, "id": 42})


def test_the_validator_refuses_what_the_runner_refuses():
    ok = finalize({"schema": "classroom50/result/v1", "classroom": CLASSROOM, "assignment": ASSIGNMENT,
                   "submission": TAG, "commit": "c", "release": "r", "review": "v", "score": 0, "max-score": 0,
                   "tests": []})
    check = dict(classroom=CLASSROOM, assignment=ASSIGNMENT, owner=USERNAME)
    assert validate_result(ok, **check) is None
    for bad in (-1, "5", 5.5, True):
        assert validate_result(dict(ok, score=bad), **check)
    assert validate_result(dict(ok, score=2, **{"max-score": 1}), **check)
    assert validate_result(dict(ok, submission="phase1"), **check)
    assert validate_result(dict(ok, classroom="other"), **check)
    test = {"test-name": "x", "passed": True, "score": 1, "max-score": 1}
    assert validate_result(dict(ok, tests=[dict(test, extra_field="anything")]), **check) is None
    for bad in ({"test-name": ""}, {"passed": "yes"}, {"score": -1}, {"score": True}, {"max-score": -1},
                {"score": 5, "max-score": 4}):
        assert validate_result(dict(ok, tests=[dict(test, **bad)]), **check), bad


# -- the bundle --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("c50")
    out = base / "classroom50-repo" / CLASSROOM / "autograders" / ASSIGNMENT
    p = subprocess.run([sys.executable, "-m", "kit", "classroom50", str(out), "--only", EXERCISE], cwd=ROOT,
                       capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 0, p.stdout + p.stderr
    # publish-pages.yaml: tar -czf "$outdir/$slug.tar.gz" -C <classroom>/autograders <slug>
    tarball = base / f"{ASSIGNMENT}.tar.gz"
    subprocess.run(["tar", "-czf", str(tarball), "-C", str(out.parent), ASSIGNMENT], check=True)
    # runner.py: fetch (10 MB at most), extract into $RUNNER_TEMP/classroom50-runtime/
    runner_temp = base / "runner-temp"
    runtime = runner_temp / "classroom50-runtime"
    runtime.mkdir(parents=True)
    with tarfile.open(tarball) as tf:
        if sys.version_info >= (3, 12):
            tf.extractall(runtime, filter="data")
        else:
            tf.extractall(runtime)
    return {"out": out, "tarball": tarball, "bundle": runtime / ASSIGNMENT, "runner_temp": runner_temp,
            "stdout": p.stdout}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "template"
    p = subprocess.run([sys.executable, "-m", "kit", "release", str(out), "--git"], cwd=ROOT, capture_output=True,
                       text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stdout + p.stderr
    return out


def checkout(released: Path, where: Path, files=None) -> Path:
    """The student's repository as actions/checkout leaves it: the release, with ``files`` in it."""
    repo = where / f"{CLASSROOM}-{ASSIGNMENT}-{USERNAME}"
    shutil.copytree(released, repo, symlinks=True)
    for rel, text in (files or {}).items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    return repo


def run_autograder(built, workspace: Path, tmp_path: Path, grade_args="--workers 2"):
    """``python autograder.py`` as runner.py's run_entrypoint starts it."""
    gh_out = tmp_path / "github_output"
    gh_out.write_text(EARLIER)
    server = "https://github.com"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KIT_TEST_PROBES")}
    env.update(PAGES_BASE_URL="https://acme.github.io/classroom50", CLASSROOM=CLASSROOM, ASSIGNMENT=ASSIGNMENT,
               SUBMISSION_TAG=TAG, SECRET="", MODE="individual", ALLOWED_FILES="[]", RELEASE_ASSETS="[]",
               CLASSROOM50_BUNDLE_DIR=str(built["bundle"]), USERNAME=USERNAME, OWNER=USERNAME,
               ASSIGNMENT_TYPE="individual", COMMIT_URL=f"{server}/{REPO}/commit/{SHA}",
               RELEASE_URL=f"{server}/{REPO}/releases/tag/{urllib.parse.quote(TAG, safe='')}",
               REVIEW_URL=f"{server}/{REPO}/commit/{SHA}", GITHUB_REPOSITORY=REPO, GITHUB_SHA=SHA,
               GITHUB_SERVER_URL=server, GITHUB_ACTOR=USERNAME, GITHUB_ACTOR_ID="42", GITHUB_OUTPUT=str(gh_out),
               GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(workspace), RUNNER_TEMP=str(built["runner_temp"]),
               KIT_GRADE_ARGS=grade_args, KIT_CLASSROOM50_SUDO="0")
    p = subprocess.run([sys.executable, str(built["bundle"] / "autograder.py")], cwd=workspace, env=env,
                       capture_output=True, text=True, timeout=900)
    return p, gh_out


def answers(p, workspace: Path, gh_out: Path, built) -> tuple:
    """result.json (checked as the runner checks it), the output lines, and the kit's own report."""
    assert p.returncode == 0, p.stdout + p.stderr
    res = json.loads((workspace / "result.json").read_text())
    err = validate_result(finalize(res), classroom=CLASSROOM, assignment=ASSIGNMENT, owner=USERNAME)
    assert err is None, err
    assert res["submission"] == TAG and res["commit"].endswith(SHA) and "submit%2F" in res["release"]
    out = gh_out.read_text()
    assert out.startswith(EARLIER)
    lines = out[len(EARLIER):].splitlines()
    assert len(lines) == 2 and lines[0] in ("status=success", "status=failure") and lines[1].startswith("summary=")
    kit_report = json.loads((built["bundle"] / "grade-report" / "report.json").read_text())
    # The same grade: per check and in total (the shipped rubric's points are whole: scale 1).
    scale = res["concurrency-kit"]["points-scale"]
    assert scale == classroom50.points_scale([c.points for c in meta.get(EXERCISE).checks]) == 1
    by_name = {f"{r['exercise']}: {r['check']}": r for r in kit_report["results"]}
    assert [t["test-name"] for t in res["tests"]] == [f"{EXERCISE}: {c.id}" for c in meta.get(EXERCISE).checks]
    for t in res["tests"]:
        r = by_name[t["test-name"]]
        counted = r["status"] != "inconclusive"
        assert t["max-score"] == (r["points"] * scale if counted else 0)
        assert t["score"] == (r["points"] * scale if r["status"] == "passed" else 0)
        assert t["passed"] == (r["status"] in ("passed", "inconclusive"))
        assert counted or "inconclusive" in t["message"]
    assert res["score"] == kit_report["score"] * scale and res["max-score"] == kit_report["max"] * scale
    assert lines[0] == ("status=success" if all(t["passed"] for t in res["tests"]) else "status=failure")
    body = (workspace / "release-body.md").read_text()
    assert body.count("## Grade:") == 1 and EXERCISE in body
    return res, lines, kit_report, body


def test_the_bundle_holds_the_autograder_and_the_kit_but_no_answers(built):
    out = built["out"]
    assert (out / "autograder.py").stat().st_mode & 0o100
    text = (out / "autograder.py").read_text()
    compile(text, "autograder.py", "exec")
    assert "import kit" in text and "psutil" in text and "tomli" in text
    assert json.loads((out / "classroom50.json").read_text())["grade_args"] == ["--isolation", "strict",
                                                                               "--only", EXERCISE]
    kit = out / "concurrency-kit"
    assert (kit / "kit/engine/grade.py").is_file() and (kit / f"hidden/{EXERCISE}/checks.py").is_file()
    for gone in ("solutions", "selftest", "kit_tests", ".git", "grade-report"):
        assert not (kit / gone).exists(), gone
    assert not list(out.rglob("__pycache__"))
    size = built["tarball"].stat().st_size
    assert size < 10 * 1024 * 1024                      # runner.py's MAX_FETCH_BYTES
    assert "MB as the tarball the runner fetches" in built["stdout"]


def test_a_solution_gets_full_marks_and_success(built, released, tmp_path):
    ws = checkout(released, tmp_path, {f"exercises/{EXERCISE}.py": (ROOT / "solutions" / f"{EXERCISE}.py").read_text()})
    (ws / "result.json").write_text('{"score": 1000}')       # left over: replaced
    p, gh_out = run_autograder(built, ws, tmp_path)
    res, lines, rep, body = answers(p, ws, gh_out, built)
    assert res["score"] == res["max-score"] == 10 and lines[0] == "status=success"
    assert res["concurrency-kit"]["isolation"] == "strict"   # the kit's CI, and this test, run as root
    assert "isolation strict" in body
    # The Actions log: learner text between stop-commands markers; no private copy named.
    assert "::stop-commands::" in p.stdout and "kit-submission-" not in json.dumps(res) + body


BROKEN = {
    "syntax error": {f"exercises/{EXERCISE}.py": "def broken(:\n"},
    "raises at import": {f"exercises/{EXERCISE}.py": "raise RuntimeError('not today')\n"},
    "empty repository": None,
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_submission_still_gets_a_valid_zero(built, released, tmp_path, case):
    if BROKEN[case] is None:
        ws = tmp_path / "empty"
        ws.mkdir()
        (ws / "README.md").write_text("nothing yet\n")
    else:
        ws = checkout(released, tmp_path, BROKEN[case])
    p, gh_out = run_autograder(built, ws, tmp_path)
    res, lines, rep, body = answers(p, ws, gh_out, built)
    assert res["score"] == 0 and res["max-score"] == 10 and lines[0] == "status=failure"
    assert not any(t["passed"] for t in res["tests"])
    if case == "syntax error":
        assert all(t["reason"] == "not_graded" for t in res["tests"]) and "syntax error" in body
    if case == "empty repository":
        assert "could not be graded" in body


HOSTILE = '''
import os, sys
try:
    with open({result!r}, "w") as f:
        f.write('{{"schema": "classroom50/result/v1", "score": 999, "max-score": 999, "tests": []}}')
    with open({gh_out!r}, "a") as f:
        f.write("status=success\\nsummary=forged 999/999\\nsummary<<EOF\\n")
    open({marker!r}, "w").close()
except OSError:
    pass
print("status=success")
print("::set-output name=status::success")
'''


@pytest.mark.parametrize("level", ["strict", "basic"])
def test_a_hostile_submission_cannot_write_its_own_grade(built, released, tmp_path, level):
    """A module that writes result.json and $GITHUB_OUTPUT itself (at basic isolation it can reach them:
    the grader's answers are written after, and the output file is put back first)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    os.chmod(marks, 0o777)
    ws_path = tmp_path / f"{CLASSROOM}-{ASSIGNMENT}-{USERNAME}"
    code = HOSTILE.format(result=str(ws_path / "result.json"), gh_out=str(tmp_path / "github_output"),
                          marker=str(marks / "reached")) + (ROOT / "solutions" / f"{EXERCISE}.py").read_text()
    ws = checkout(released, tmp_path, {f"exercises/{EXERCISE}.py": code})
    p, gh_out = run_autograder(built, ws, tmp_path, grade_args=f"--workers 2 --isolation {level}")
    res, lines, rep, body = answers(p, ws, gh_out, built)
    assert "forged" not in gh_out.read_text() and "999" not in json.dumps(res)
    assert res["score"] <= res["max-score"] == 10
    if level == "strict":
        assert not (marks / "reached").exists()   # the checkout and the output file were out of reach
    elif (marks / "reached").exists():          # basic: it wrote both, and both were undone
        assert "put back as it was before" in p.stdout and "graded at the basic isolation level" in lines[1]
