"""Reports, all from one set of verdicts: terminal, Gradescope, JUnit, Markdown, JSON.

Scoring: a check's points count when it passed; an inconclusive check (the machine could
not show what it measures) is left out of both the score and the maximum; a failed or
errored check scores 0.
"""
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

FILES = {"gradescope": "results.json", "junit": "junit.xml", "markdown": "summary.md",
         "json": "report.json"}
MARK = {"passed": "✓", "failed": "✗", "inconclusive": "?", "error": "!"}


def build(results: list, exercises: list, info: dict) -> dict:
    per = []
    for e in exercises:
        rs = [r for r in results if r["exercise"] == e.name]
        counted = [r for r in rs if r["status"] != "inconclusive"]
        per.append({"name": e.name, "title": e.title,
                    "score": sum(r["points"] for r in counted if r["status"] == "passed"),
                    "max": sum(r["points"] for r in counted),
                    "checks": rs})
    score = sum(x["score"] for x in per)
    maximum = sum(x["max"] for x in per)
    return {"score": score, "max": maximum,
            "percent": round(100.0 * score / maximum, 1) if maximum else 0.0,
            "tamper": any(r.get("tamper") for r in results),
            "exercises": per, "results": results, "info": info}


def _figures(r) -> str:
    f = {k: v for k, v in r.get("figures", {}).items() if k != "seconds"}
    return ", ".join(f"{k} {v}" for k, v in f.items())


def terminal(data: dict, quiet: bool = False) -> str:
    """The grade as the learner reads it: an exercise not started yet is one line; a started
    one shows its failing checks (summary and the message's first lines); then the score
    and what to do next. ``quiet``: the score line only."""
    from .. import meta
    from ..i18n import _, summary, title

    info = data["info"]
    head = _("Score: {score}/{max} ({percent}%) for {submission}  [seed {seed}, Python {python}, "
             "start method {method}, {available} of {cpus} CPUs, {seconds} s]",
             score=f"{data['score']:g}", max=f"{data['max']:g}", percent=f"{data['percent']:g}",
             submission=info["submission"], seed=info["seed"], python=info["python"],
             method=info["start_method"], available=info["cpus_available"], cpus=info["cpus"],
             seconds=info["seconds"])
    if quiet:
        return head
    known = {}
    try:
        known = {e.name: e for e in meta.load()}
    except Exception:  # a report read without the table: the English it carries will do
        pass
    checks = {c.key: c for e in known.values() for c in e.checks}
    not_done = ("NotImplementedError", "Not done yet", _("Not done yet"))

    def untouched(ex) -> bool:
        counted = [r for r in ex["checks"] if r["status"] != "inconclusive"]
        return bool(counted) and all(r["status"] == "failed" and any(m in (r["message"] or "") for m in not_done)
                                     for r in counted)

    lines, first = [], None
    for ex in data["exercises"]:
        name = ex["name"]
        shown = title(known[name]) if name in known else ex.get("title", "")
        score = f"{ex['score']:>4g}/{ex['max']:<3g} {name:<20}"
        if first is None and ex["score"] < ex["max"]:
            first = (name, shown)
        if untouched(ex):
            lines.append(f"{score} · " + _("not started: {title}", title=shown))
            continue
        full = ex["score"] >= ex["max"]
        lines.append(f"{score} {'✓' if full else '✗'} {shown}")
        for r in ex["checks"]:
            figures = _figures(r)
            if r["status"] == "passed" and not figures:
                continue
            text = summary(checks[r["key"]]) if r.get("key") in checks else r["summary"]
            lines.append(f"    {MARK[r['status']]} {r['check']} ({r['points']:g}): {text}")
            if figures:
                lines.append("        " + _("measured: {figures}", figures=figures))
            if r["status"] != "passed" and r["message"]:
                message = [ln for ln in r["message"].splitlines() if ln.strip()]
                lines += ["        " + ln for ln in message[:3]]
                if len(message) > 3:
                    lines.append("        " + _("… ({n} more lines in summary.md and report.json)",
                                                n=len(message) - 3))
    for f in info.get("refused_files", []):
        lines.append("  " + _("left out: {why}", why=f["why"]))
    lines += ["", head]
    if first is not None:
        lines.append(_("Next: {name}: {title}. Stuck? nox -s hint -- {name}", name=first[0], title=first[1]))
    elif data["max"]:
        lines.append(_("Full marks on every exercise graded."))
    return "\n".join(lines)


def gradescope(data: dict, visibility: str = "visible", stdout_visibility: str = "hidden") -> dict:
    """Gradescope's results.json; ``visibility`` applies to every test and to the whole result."""
    info = data["info"]
    tests = []
    for r in data["results"]:
        inconclusive = r["status"] == "inconclusive"
        out = r["message"] or ("" if r["status"] == "passed" else r["status"])
        if r.get("figures"):
            out = (out + "\n" if out else "") + "measured: " + _figures(r) if _figures(r) else out
        tests.append({
            "name": f"{r['exercise']}: {r['check']}",
            "name_format": "text",
            "score": r["points"] if r["status"] == "passed" else 0,
            "max_score": 0 if inconclusive else r["points"],
            "status": "passed" if r["status"] in ("passed", "inconclusive") else "failed",
            "output": ("inconclusive (left out of the total): " + out) if inconclusive else out,
            "output_format": "text",
            "tags": [r["exercise"], r["check"].split(".")[0]],
            "visibility": visibility,
            "extra_data": {"key": r["key"], "verdict": r["status"], "figures": r.get("figures", {})},
        })
    return {"score": data["score"], "execution_time": info["seconds"],
            "output": terminal(data, quiet=True), "output_format": "text",
            "visibility": visibility, "stdout_visibility": stdout_visibility,
            "extra_data": dict({k: info[k] for k in ("seed", "python", "start_method", "cpus",
                                                     "cpus_available", "submission")},
                               tamper=data.get("tamper", False),
                               isolation=info.get("isolation", {}).get("level")),
            "tests": tests}


def junit(data: dict) -> bytes:
    suites = ET.Element("testsuites", name="concurrency-kit", tests=str(len(data["results"])))
    info = data["info"]
    for ex in data["exercises"]:
        rs = ex["checks"]
        suite = ET.SubElement(
            suites, "testsuite", name=ex["name"], tests=str(len(rs)),
            failures=str(sum(r["status"] == "failed" for r in rs)),
            errors=str(sum(r["status"] == "error" for r in rs)),
            skipped=str(sum(r["status"] == "inconclusive" for r in rs)),
            time=str(sum(r.get("figures", {}).get("seconds", 0) for r in rs)))
        props = ET.SubElement(suite, "properties")
        for k in ("seed", "python", "start_method", "cpus", "cpus_available"):
            ET.SubElement(props, "property", name=k, value=str(info[k]))
        for r in rs:
            case = ET.SubElement(suite, "testcase", classname=ex["name"], name=r["check"],
                                 time=str(r.get("figures", {}).get("seconds", 0)))
            cprops = ET.SubElement(case, "properties")
            ET.SubElement(cprops, "property", name="points", value=f"{r['points']:g}")
            for k, v in r.get("figures", {}).items():
                ET.SubElement(cprops, "property", name=k, value=str(v))
            if r["status"] == "failed":
                ET.SubElement(case, "failure", message=r["message"].splitlines()[0] if r["message"] else "failed").text = r["message"]
            elif r["status"] == "error":
                ET.SubElement(case, "error", message=r["message"].splitlines()[0] if r["message"] else "error").text = r["message"]
            elif r["status"] == "inconclusive":
                ET.SubElement(case, "skipped", message="inconclusive: " + (r["message"].splitlines()[0] if r["message"] else "")).text = r["message"]
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def markdown(data: dict) -> str:
    info = data["info"]
    out = [f"## Grade: {data['score']:g} / {data['max']:g} ({data['percent']:g}%)", "",
           f"Submission `{info['submission']}` · seed {info['seed']} · Python {info['python']} · "
           f"start method {info['start_method']} · {info['cpus_available']} of {info['cpus']} CPUs · "
           f"{info['seconds']} s · isolation {info.get('isolation', {}).get('level', '?')}", ""]
    if data.get("tamper"):
        out += ["**Tamper flag: the submission reached into the grader** (see the checks marked below).", ""]
    out += ["| exercise | points | failed checks |", "|---|---|---|"]
    for ex in data["exercises"]:
        bad = [r["check"] + (" (inconclusive)" if r["status"] == "inconclusive" else "")
               for r in ex["checks"] if r["status"] != "passed"]
        out.append(f"| {ex['name']} | {ex['score']:g} / {ex['max']:g} | {', '.join(bad) or '—'} |")
    speed = [r for r in data["results"] if r.get("timing")]
    if speed:
        out += ["", "Measured speedups:", ""]
        out += [f"- {r['key']}: {r['status']}; {_figures(r)}" for r in speed]
    fails = [r for r in data["results"] if r["status"] in ("failed", "error")]
    if fails:
        out += ["", "<details><summary>Messages</summary>", ""]
        for r in fails:
            out += [f"**{r['key']}**", "", "```", r["message"], "```", ""]
        out.append("</details>")
    return "\n".join(out) + "\n"


def write_all(data: dict, out: Path) -> None:
    out = Path(out)
    (out / FILES["gradescope"]).write_text(json.dumps(gradescope(data), indent=2, ensure_ascii=False))
    (out / FILES["junit"]).write_bytes(junit(data))
    md = markdown(data)
    (out / FILES["markdown"]).write_text(md)
    (out / FILES["json"]).write_text(json.dumps(data, indent=2, ensure_ascii=False))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a") as f:
            f.write(md)
