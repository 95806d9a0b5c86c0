"""``python -m kit classroom [PATH]``: the grading step of the GitHub Classroom workflow.

Grades the student's repository at PATH (its ``exercises/``, or wherever the modules are:
the same layouts as ``batch``) from a private copy, then writes what GitHub Classroom's
grading reporter (``education/autograding-grading-reporter``) reads: ``result=BASE64`` in
``$GITHUB_OUTPUT``, the base64 of a JSON object shaped like the output of
``education/autograding-command-grader``::

    {"version": 1, "status": "pass" | "fail" | "error", "max_score": 100,
     "tests": [{"name", "status", "score", "message", "test_code", "filename", "line_no", "duration"}]}

one test per rubric check. The reporter adds up the tests' ``score`` against
``max_score`` (the points GitHub Classroom records) and marks the job failed when the
status is "fail". The Markdown summary goes to ``$GITHUB_STEP_SUMMARY``. Without those
variables (a local run) both are printed. Exits 0 whatever the score, so the reporter
step always runs; options after the path (``--only``, ``--seed``, ``--workers``,
``--isolation``) and ``KIT_GRADE_ARGS`` go to ``python -m kit grade``.
"""
import argparse
import base64
import json
import os
import shlex
import sys
from pathlib import Path

from kit.core.results import Report, Status
from kit.engine import report

from . import submission

MESSAGE_LIMIT = 2000   # characters per test message: the reporter prints each failing one
STATUS = {Status.PASSED: "pass", Status.INCONCLUSIVE: "pass", Status.FAILED: "fail", Status.ERROR: "error"}


def _points(x):
    return int(x) if float(x).is_integer() else x


def result(rep: Report) -> dict:
    """The reporter's input: one test per check; scores add up to the grade."""
    tests = []
    for r in rep.results:
        msg = r.message
        if r.status is Status.INCONCLUSIVE:
            msg = "inconclusive (left out of the total): " + msg
        elif r.status is Status.PASSED:
            msg = msg or r.summary
        if len(msg) > MESSAGE_LIMIT:
            msg = msg[:MESSAGE_LIMIT - 40] + f"\n... ({len(msg) - MESSAGE_LIMIT + 40} more characters)"
        tests.append({"name": f"{r.exercise}: {r.check}", "status": STATUS[r.status],
                      "score": _points(r.earned), "message": msg, "test_code": r.summary,
                      "filename": f"exercises/{r.exercise}.py", "line_no": 0,
                      "duration": int(1000 * r.figures.get("seconds", 0))})
    statuses = {t["status"] for t in tests}
    status = "error" if "error" in statuses or rep.info.get("grader_errors") else \
        "fail" if "fail" in statuses else "pass"
    return {"version": 1, "status": status, "max_score": _points(rep.max), "tests": tests}


def encode(res: dict) -> str:
    return base64.b64encode(json.dumps(res, ensure_ascii=False, separators=(",", ":")).encode()).decode("ascii")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m kit classroom", description=__doc__.split("\n\n")[0])
    p.add_argument("path", nargs="?", default=".", help="the student's repository (default: here)")
    p.add_argument("--out", default="grade-report", help="folder for the full report set")
    p.add_argument("--output-name", default="result", help="name of the step output (default: result)")
    args, grade_args = p.parse_known_args(argv)
    # A CI runner is often not root: by default the best level it allows (the report says which).
    opts = submission.options(grade_args + shlex.split(os.environ.get("KIT_GRADE_ARGS", "")), default_level="auto")
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    outcome = submission.grade_one(Path(args.path), shown=args.path, hide=[out], log_path=out / "grader.log", **opts)
    rep = outcome.report
    report.write_all(rep, out)
    encoded = encode(result(rep))
    note = " ".join(outcome.notes)
    summary = (f"> {note}\n\n" if note else "") + report.markdown(rep)
    gh_out, gh_summary = os.environ.get("GITHUB_OUTPUT"), os.environ.get("GITHUB_STEP_SUMMARY")
    if gh_out:
        with open(gh_out, "a") as f:
            f.write(f"{args.output_name}={encoded}\n")
    else:
        print(f"{args.output_name}={encoded}")
    if gh_summary:
        with open(gh_summary, "a") as f:
            f.write(summary)
    else:
        print(summary)
    print(report.terminal(rep))
    if note:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
