"""The report files of one grade, all written from one ``Report`` (``kit.core.results``):
terminal, Gradescope's results.json, JUnit, Markdown (summary.md) and report.json; and,
when asked (``write_all(formats=...)``, ``grade --format``), Exercism's and PrairieLearn's
results.json. ``WRITERS`` is the one table of them: each is a pure function of the Report.

Scoring is the model's (``kit.core.results``): passed checks earn their points, an
inconclusive check is left out of the score and the maximum.

Exercism test-runner results.json, version 3 (exercism/docs building/tooling/test-runners/
interface.md, https://exercism.org/docs/building/tooling/test-runners/interface): one test
per check in rubric order, named ``exercise: check``; ``test_code`` is the check's summary
(the hidden test itself is not shown); ``task_id`` is the exercise's position among the
exercises of the Report (1-based, exercises.toml order), so a grade of every exercise
numbers them as the table does and a grade of one exercise (``--only``) is task 1. Status:
passed → pass; failed → fail, or error when the intake could not give the module to the
grader (``Reason.NOT_GRADED``: the test could not run); error → error; inconclusive → pass
with a message saying it is left out of the score (it is not held against the learner),
unless no check reached a verdict at all. Top level: error when no check reached a verdict
(everything not graded, errored or inconclusive; ``message`` says why), else fail when a
test is not pass, else pass. ``output`` is left out: the spec reserves it for what the
learner's own code printed, which the grader does not capture per check.

PrairieLearn external grader results.json (PrairieLearn docs/externalGrading.md, "Grading
results", https://prairielearn.readthedocs.io/en/latest/externalGrading/): ``score`` =
score / max in [0, 1]; one test per check with ``points`` earned and ``max_points`` (0 for
an inconclusive check, as in Gradescope's file), ``description`` its summary, ``message``
and ``output`` (the measured figures). ``gradable`` is false when no check reached a
verdict: with ``format_errors`` when the intake refused the modules (the docs' own case: a
syntax error; no points, no attempt charged), with a message when the grader failed or
the machine could show nothing.
"""
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

from kit.core import meta
from kit.core.i18n import _, summary, title
from kit.core.results import Reason, Report, Result, Status

MARK = {Status.PASSED: "✓", Status.FAILED: "✗", Status.INCONCLUSIVE: "?", Status.ERROR: "!"}


def _figures(r: Result) -> str:
    f = {k: v for k, v in r.figures.items() if k != "seconds"}
    return ", ".join(f"{k} {v}" for k, v in f.items())


def _table():
    """The metadata table's exercises by name ({} for a report read without it: the English
    the report carries will do)."""
    try:
        return {e.name: e for e in meta.load()}
    except Exception:  # noqa: BLE001 - a report is still shown without the table
        return {}


def terminal(rep: Report, quiet: bool = False) -> str:
    """The grade as the learner reads it: an exercise not started yet is one line; a started
    one shows its failing checks (summary and the message's first lines); then the score
    and what to do next. ``quiet``: the score line only."""
    info = rep.info
    head = _("Score: {score}/{max} ({percent}%) for {submission}  [seed {seed}, Python {python}, "
             "start method {method}, {available} of {cpus} CPUs, {seconds} s]",
             score=f"{rep.score:g}", max=f"{rep.max:g}", percent=f"{rep.percent:g}",
             submission=info["submission"], seed=info["seed"], python=info["python"],
             method=info["start_method"], available=info["cpus_available"], cpus=info["cpus"],
             seconds=info["seconds"])
    if quiet:
        return head
    known = _table()
    checks = {c.key: c for e in known.values() for c in e.checks}
    lines, first = [], None
    for ex in rep.exercises:
        shown = title(known[ex.name]) if ex.name in known else ex.title
        score = f"{ex.score:>4g}/{ex.max:<3g} {ex.name:<20}"
        if first is None and ex.score < ex.max:
            first = (ex.name, shown)
        if ex.untouched:
            lines.append(f"{score} · " + _("not started: {title}", title=shown))
            continue
        lines.append(f"{score} {'✓' if ex.score >= ex.max else '✗'} {shown}")
        for r in ex.checks:
            figures = _figures(r)
            if r.status is Status.PASSED and not figures:
                continue
            text = summary(checks[r.key]) if r.key in checks else r.summary
            lines.append(f"    {MARK[r.status]} {r.check} ({r.points:g}): {text}")
            if figures:
                lines.append("        " + _("measured: {figures}", figures=figures))
            if r.status is not Status.PASSED and r.message:
                message = [ln for ln in r.message.splitlines() if ln.strip()]
                lines += ["        " + ln for ln in message[:3]]
                if len(message) > 3:
                    lines.append("        " + _("… ({n} more lines in summary.md and report.json)",
                                                n=len(message) - 3))
    for f in info.get("refused_files", []):
        lines.append("  " + _("left out: {why}", why=f["why"]))
    lines += ["", head]
    if first is not None:
        lines.append(_("Next: {name}: {title}. Stuck? nox -s hint -- {name}", name=first[0], title=first[1]))
    elif rep.max:
        lines.append(_("Full marks on every exercise graded."))
    return "\n".join(lines)


def gradescope(rep: Report, visibility: str = "visible", stdout_visibility: str = "hidden") -> dict:
    """Gradescope's results.json; ``visibility`` applies to every test and to the whole result."""
    info = rep.info
    tests = []
    for r in rep.results:
        inconclusive = r.status is Status.INCONCLUSIVE
        out = r.message or ("" if r.status is Status.PASSED else r.status.value)
        if _figures(r):
            out = (out + "\n" if out else "") + "measured: " + _figures(r)
        tests.append({
            "name": f"{r.exercise}: {r.check}",
            "name_format": "text",
            "score": r.earned,
            "max_score": 0 if inconclusive else r.points,
            "status": "passed" if r.status in (Status.PASSED, Status.INCONCLUSIVE) else "failed",
            "output": ("inconclusive (left out of the total): " + out) if inconclusive else out,
            "output_format": "text",
            "tags": [r.exercise, r.check.split(".")[0]],
            "visibility": visibility,
            "extra_data": {"key": r.key, "verdict": r.status.value, "reason": r.reason.value, "figures": r.figures},
        })
    return {"score": rep.score, "execution_time": info["seconds"],
            "output": terminal(rep, quiet=True), "output_format": "text",
            "visibility": visibility, "stdout_visibility": stdout_visibility,
            "extra_data": dict({k: info[k] for k in ("seed", "python", "start_method", "cpus",
                                                     "cpus_available", "submission")},
                               tamper=rep.tamper, isolation=info.get("isolation", {}).get("level")),
            "tests": tests}


def junit(rep: Report) -> bytes:
    suites = ET.Element("testsuites", name="concurrency-kit", tests=str(len(rep.results)))
    info = rep.info
    for ex in rep.exercises:
        rs = ex.checks
        suite = ET.SubElement(
            suites, "testsuite", name=ex.name, tests=str(len(rs)),
            failures=str(sum(r.status is Status.FAILED for r in rs)),
            errors=str(sum(r.status is Status.ERROR for r in rs)),
            skipped=str(sum(r.status is Status.INCONCLUSIVE for r in rs)),
            time=str(sum(r.figures.get("seconds", 0) for r in rs)))
        props = ET.SubElement(suite, "properties")
        for k in ("seed", "python", "start_method", "cpus", "cpus_available"):
            ET.SubElement(props, "property", name=k, value=str(info[k]))
        for r in rs:
            case = ET.SubElement(suite, "testcase", classname=ex.name, name=r.check,
                                 time=str(r.figures.get("seconds", 0)))
            cprops = ET.SubElement(case, "properties")
            ET.SubElement(cprops, "property", name="points", value=f"{r.points:g}")
            if r.reason.value:
                ET.SubElement(cprops, "property", name="reason", value=r.reason.value)
            for k, v in r.figures.items():
                ET.SubElement(cprops, "property", name=k, value=str(v))
            first = r.message.splitlines()[0] if r.message else ""
            if r.status is Status.FAILED:
                ET.SubElement(case, "failure", message=first or "failed").text = r.message
            elif r.status is Status.ERROR:
                ET.SubElement(case, "error", message=first or "error").text = r.message
            elif r.status is Status.INCONCLUSIVE:
                ET.SubElement(case, "skipped", message="inconclusive: " + first).text = r.message
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def _summaries() -> dict:
    """Each check's summary in the learner's language, by key ({} without the table: the
    English each result carries will do)."""
    return {c.key: summary(c) for e in _table().values() for c in e.checks}


def _decided(rep: Report) -> bool:
    """Some check reached a verdict on the learner's code: it passed, or failed on its merits."""
    return any(r.status is Status.PASSED or (r.status is Status.FAILED and r.reason is not Reason.NOT_GRADED)
               for r in rep.results)


def _undecided_why(rep: Report) -> str:
    """Why no check reached a verdict: the results' own messages (the intake's refusal, the
    grader's failure, what the machine could not show), each once."""
    seen = []
    for r in rep.results:
        if r.message and r.message not in seen:
            seen.append(r.message)
    return "\n".join(seen) or _("No check reached a verdict on this submission.")


def _explained(r: Result, figures: bool = True) -> str:
    """A check's message for a platform's test entry, with the figures measured (unless the
    entry has a place of its own for them); an inconclusive check says it is left out of the score."""
    text = r.message
    if figures and _figures(r):
        text = (text + "\n" if text else "") + _("measured: {figures}", figures=_figures(r))
    if r.status is Status.INCONCLUSIVE:
        note = _("Inconclusive: this machine could not show what this check measures; "
                 "it is left out of the score and the maximum.")
        text = note + ("\n" + text if text else "")
    return text


def _in_order(rep: Report):
    """(task number, result) in rubric order: exercises as the Report lists them, 1-based."""
    for i, ex in enumerate(rep.exercises, 1):
        for r in ex.checks:
            yield i, r


EXERCISM = {Status.PASSED: "pass", Status.FAILED: "fail", Status.ERROR: "error", Status.INCONCLUSIVE: "pass"}


def exercism(rep: Report) -> dict:
    """Exercism's test-runner results.json, version 3 (see the module docstring)."""
    decided = _decided(rep)
    summaries = _summaries()
    tests = []
    for task, r in _in_order(rep):
        status = EXERCISM[r.status]
        if r.reason is Reason.NOT_GRADED or (r.status is Status.INCONCLUSIVE and not decided):
            status = "error"
        tests.append({"name": f"{r.exercise}: {r.check}", "status": status,
                      "message": None if r.status is Status.PASSED else (_explained(r) or r.status.value),
                      "test_code": summaries.get(r.key, r.summary), "task_id": task})
    if not decided:
        return {"version": 3, "status": "error", "message": _undecided_why(rep), "tests": tests}
    return {"version": 3, "status": "pass" if all(t["status"] == "pass" for t in tests) else "fail",
            "message": None, "tests": tests}


def prairielearn(rep: Report) -> dict:
    """PrairieLearn's external grader results.json (see the module docstring)."""
    summaries = _summaries()
    tests = []
    for _task, r in _in_order(rep):
        test = {"name": f"{r.exercise}: {r.check}", "description": summaries.get(r.key, r.summary),
                "points": r.earned, "max_points": r.points if r.counted else 0,
                "message": _explained(r, figures=False) if r.status is not Status.PASSED else ""}
        if _figures(r):
            test["output"] = _("measured: {figures}", figures=_figures(r))
        tests.append(test)
    if not _decided(rep):
        res = {"gradable": False, "score": 0.0, "message": _undecided_why(rep), "tests": tests}
        refused = []
        for r in rep.results:
            if r.reason is Reason.NOT_GRADED and r.message and r.message not in refused:
                refused.append(r.message)
        if refused:
            res["format_errors"] = refused
        return res
    return {"gradable": True, "score": round(rep.score / rep.max, 6) if rep.max else 0.0,
            "message": terminal(rep, quiet=True), "tests": tests}


def markdown(rep: Report) -> str:
    """summary.md: what the learner reads on a platform (and a teacher in a step summary)."""
    info = rep.info
    out = [_("## Grade: {score} / {max} ({percent}%)", score=f"{rep.score:g}", max=f"{rep.max:g}",
             percent=f"{rep.percent:g}"), "",
           _("Submission `{submission}` · seed {seed} · Python {python} · start method {method} · {available} of "
             "{cpus} CPUs · {seconds} s · isolation {level}", submission=info["submission"], seed=info["seed"],
             python=info["python"], method=info["start_method"], available=info["cpus_available"], cpus=info["cpus"],
             seconds=info["seconds"], level=info.get("isolation", {}).get("level", "?")), ""]
    if rep.tamper:
        out += [_("**Tamper flag: the submission reached into the grader** (see the checks marked below)."), ""]
    out += [_("| exercise | points | failed checks |"), "|---|---|---|"]
    for ex in rep.exercises:
        bad = [r.check + (_(" (inconclusive)") if r.status is Status.INCONCLUSIVE else "")
               for r in ex.checks if r.status is not Status.PASSED]
        out.append(f"| {ex.name} | {ex.score:g} / {ex.max:g} | {', '.join(bad) or '—'} |")
    speed = [r for r in rep.results if r.timing]
    if speed:
        out += ["", _("Measured speedups:"), ""]
        out += [f"- {r.key}: {_status_word(r.status)}; {_figures(r)}" for r in speed]
    fails = [r for r in rep.results if r.status in (Status.FAILED, Status.ERROR)]
    if fails:
        out += ["", "<details><summary>" + _("Messages") + "</summary>", ""]
        for r in fails:
            out += [f"**{r.key}**", "", "```", r.message, "```", ""]
        out.append("</details>")
    return "\n".join(out) + "\n"


def _status_word(status: Status) -> str:
    return {Status.PASSED: _("passed"), Status.FAILED: _("failed"), Status.INCONCLUSIVE: _("inconclusive"),
            Status.ERROR: _("error")}[status]


def _json(obj) -> bytes:
    return json.dumps(obj, indent=2, ensure_ascii=False).encode("utf-8")


# Every file of one grade: name -> (path in the report folder, writer of its bytes). The
# DEFAULT ones are always written; the others when asked (``formats``, ``grade --format``).
WRITERS = {
    "gradescope": ("results.json", lambda rep: _json(gradescope(rep))),
    "junit": ("junit.xml", junit),
    "markdown": ("summary.md", lambda rep: markdown(rep).encode("utf-8")),
    "json": ("report.json", lambda rep: _json(rep.to_dict())),
    "exercism": ("exercism/results.json", lambda rep: _json(exercism(rep))),
    "prairielearn": ("prairielearn/results.json", lambda rep: _json(prairielearn(rep))),
}
DEFAULT = ("gradescope", "junit", "markdown", "json")
EXTRA = tuple(name for name in WRITERS if name not in DEFAULT)
FILES = {name: path for name, (path, _) in WRITERS.items()}


def write_all(rep: Report, out: Path, step_summary: bool = False, formats=()) -> None:
    """Every report file into ``out`` (``DEFAULT``, plus the ``formats`` named, from
    ``EXTRA``); ``step_summary``: summary.md is also appended to ``$GITHUB_STEP_SUMMARY``
    when that is set (only the caller knows if it should be)."""
    out = Path(out)
    unknown = [f for f in formats if f not in WRITERS]
    if unknown:
        raise ValueError(f"no such report format: {', '.join(unknown)} (known: {', '.join(WRITERS)})")
    for name in list(DEFAULT) + [f for f in formats if f not in DEFAULT]:
        path, writer = WRITERS[name]
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(writer(rep))
    path = os.environ.get("GITHUB_STEP_SUMMARY") if step_summary else None
    if path:
        with open(path, "a") as f:
            f.write(markdown(rep))


def read(path: Path) -> Report:
    """A report.json back as the model."""
    return Report.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
