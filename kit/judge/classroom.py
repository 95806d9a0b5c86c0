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
import tempfile
import time
from pathlib import Path

from .. import meta
from . import report

MESSAGE_LIMIT = 2000   # characters per test message: the reporter prints each failing one
STATUS = {"passed": "pass", "inconclusive": "pass", "failed": "fail", "error": "error"}


def _points(x):
    return int(x) if float(x).is_integer() else x


def result(data: dict) -> dict:
    """The reporter's input: one test per check; scores add up to the grade."""
    tests = []
    for r in data["results"]:
        msg = r["message"] or ""
        if r["status"] == "inconclusive":
            msg = "inconclusive (left out of the total): " + msg
        elif r["status"] == "passed":
            msg = msg or r["summary"]
        if len(msg) > MESSAGE_LIMIT:
            msg = msg[:MESSAGE_LIMIT - 40] + f"\n... ({len(msg) - MESSAGE_LIMIT + 40} more characters)"
        tests.append({"name": f"{r['exercise']}: {r['check']}", "status": STATUS[r["status"]],
                      "score": _points(r["points"] if r["status"] == "passed" else 0),
                      "message": msg, "test_code": r["summary"], "filename": f"exercises/{r['exercise']}.py",
                      "line_no": 0, "duration": int(1000 * r.get("figures", {}).get("seconds", 0))})
    statuses = {t["status"] for t in tests}
    status = "error" if "error" in statuses or data["info"].get("grader_errors") else \
        "fail" if "fail" in statuses else "pass"
    return {"version": 1, "status": status, "max_score": _points(data["max"]), "tests": tests}


def encode(res: dict) -> str:
    return base64.b64encode(json.dumps(res, ensure_ascii=False, separators=(",", ":")).encode()).decode("ascii")


def main(argv=None) -> int:
    from . import batch
    from .gradescope import grade_submission
    from .grade import machine_info
    p = argparse.ArgumentParser(prog="python -m kit classroom", description=__doc__.split("\n\n")[0])
    p.add_argument("path", nargs="?", default=".", help="the student's repository (default: here)")
    p.add_argument("--out", default="grade-report", help="folder for the full report set")
    p.add_argument("--output-name", default="result", help="name of the step output (default: result)")
    args, grade_args = p.parse_known_args(argv)
    grade_args += shlex.split(os.environ.get("KIT_GRADE_ARGS", ""))
    sel = argparse.ArgumentParser(add_help=False)
    sel.add_argument("--only", nargs="+")
    exercises = meta.select(sel.parse_known_args(grade_args)[0].only)
    started = time.monotonic()
    out = Path(args.out).resolve()
    with tempfile.TemporaryDirectory(prefix="kit-classroom-") as tmp:
        os.chmod(tmp, 0o700)
        prep = batch.prepare(batch.Entry("submission", Path(args.path).resolve()), Path(tmp) / "sub",
                             exercises, 50 * 2 ** 20)
        data, note = None, ""
        if prep.rejected:
            note = f"Your repository could not be graded: {prep.rejected}."
        else:
            if prep.status != "ok":
                note = f"Submission: {prep.status}."
            proc, _notes = grade_submission(prep.folder, out, [], grade_args, echo=lambda m: print(m, file=sys.stderr))
            if (out / "report.json").is_file():
                data = json.loads((out / "report.json").read_text())
                data["results"] = batch.relocate(data["results"], prep.folder, prep.where)
                data = report.build(data["results"], exercises, data["info"])
                data["info"]["submission"] = prep.where or "."
            else:
                note = f"The grader failed (exit {proc.returncode}): tell your teacher."
        if data is None:
            results = []
            for e in exercises:
                results += batch.not_graded(e, prep.rejected or "the grader failed")
            data = report.build(results, exercises, dict(machine_info(0, 0), submission=str(args.path),
                                                         seconds=round(time.monotonic() - started, 2),
                                                         grader_errors=[] if prep.rejected else ["grade failed"]))
    res = result(data)
    encoded = encode(res)
    summary = (f"> {note}\n\n" if note else "") + report.markdown(data)
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
    print(report.terminal(data))
    if note:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
