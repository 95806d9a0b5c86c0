"""The class page: class.md and class.html, from a class's records (``kit.teach.gradebook``).

Pass rate per check, the score histogram, the checks that hung most (the results whose
reason is a hang or a deadlock), submissions with a problem and tamper flags. Every figure
comes from the results' status and reason (``kit.core.results``), never from message text,
so the page is the same in every language.
"""
import html
import statistics
from pathlib import Path

from kit.core.results import STUCK, Reason, Status


def stats(records: list, state: dict) -> dict:
    """The figures of the class page, from the results' status and reason alone."""
    checks = [(ex["exercise"], cid) for ex in state["rubric"] for cid, _ in ex["checks"]]
    rates, hung = [], {}
    for ex, cid in checks:
        key = f"{ex}/{cid}"
        passed = counted = not_graded = 0
        for rec in records:
            x = rec.report.result(key)
            if x is None:
                continue
            if x.counted:
                counted += 1
                passed += x.status is Status.PASSED
            not_graded += x.reason is Reason.NOT_GRADED
            if x.reason in STUCK:
                hung[key] = hung.get(key, 0) + 1
        rates.append({"key": key, "passed": passed, "counted": counted, "not_graded": not_graded,
                      "rate": passed / counted if counted else None})
    percents = [rec.report.percent for rec in records]
    bins = [0] * 11
    for p in percents:
        bins[min(int(p // 10), 10)] += 1
    return {"students": len(records), "rates": rates, "bins": bins,
            "hung": sorted(hung.items(), key=lambda kv: (-kv[1], kv[0])),
            "mean": round(statistics.mean(percents), 1) if percents else 0.0,
            "median": round(statistics.median(percents), 1) if percents else 0.0,
            "full": sum(p >= 100 for p in percents), "zero": sum(p == 0 for p in percents),
            "problems": [(rec.student, rec.status) for rec in records if rec.status != "ok"],
            "tamper": [rec.student for rec in records if rec.report.tamper]}


def _bin_label(i: int) -> str:
    return "100" if i == 10 else f"{i * 10}–{i * 10 + 9}"


def _head(state: dict) -> str:
    return (f"seed {state['seed']} · kit {state.get('kit_version', '?')} · rubric {state['rubric_hash'][:12]} · "
            f"exercises: {', '.join(state['exercises'])}")


def class_md(s: dict, state: dict) -> str:
    out = [f"# Class report: {s['students']} students", "", _head(state), "",
           f"Mean {s['mean']:g}% · median {s['median']:g}% · full marks {s['full']} · zero {s['zero']}", "",
           "## Pass rate per check", "", "| check | passed | rate | |", "|---|---|---|---|"]
    for r in s["rates"]:
        if r["rate"] is None:
            out.append(f"| {r['key']} | — | inconclusive for everyone | |")
            continue
        bar = "█" * round(r["rate"] * 10) + "░" * (10 - round(r["rate"] * 10))
        extra = f" ({r['not_graded']} not graded)" if r["not_graded"] else ""
        out.append(f"| {r['key']} | {r['passed']}/{r['counted']}{extra} | {100 * r['rate']:.0f}% | {bar} |")
    out += ["", "## Scores", "", "| percent | students | |", "|---|---|---|"]
    for i, n in enumerate(s["bins"]):
        out.append(f"| {_bin_label(i)} | {n} | {'█' * n} |")
    out += ["", "## Checks that hung most", ""]
    if s["hung"]:
        out += ["| check | hung for |", "|---|---|"] + [f"| {k} | {n} students |" for k, n in s["hung"][:15]]
    else:
        out.append("No check hung.")
    if s["problems"]:
        out += ["", "## Submissions with a problem", "", "| student | status |", "|---|---|"]
        out += [f"| {name} | {status.replace('|', '/')} |" for name, status in s["problems"]]
    if s["tamper"]:
        out += ["", "## Tamper flags", "", ", ".join(s["tamper"])]
    return "\n".join(out) + "\n"


CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}table{border-collapse:collapse;width:100%}
td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #eee;vertical-align:middle}
td.n{text-align:right;white-space:nowrap;width:7em}.bar{background:#eee;height:14px;width:100%;min-width:10em}
.bar div{height:14px}.hi{background:#3a7}.mid{background:#db3}.lo{background:#c44}
.meta{color:#666}code{font-size:13px}"""


def class_html(s: dict, state: dict) -> str:
    e = html.escape
    rows = []
    for r in s["rates"]:
        if r["rate"] is None:
            rows.append(f"<tr><td><code>{e(r['key'])}</code></td><td class=n>—</td><td>inconclusive for everyone</td></tr>")
            continue
        pct = 100 * r["rate"]
        cls = "hi" if pct >= 80 else "mid" if pct >= 50 else "lo"
        rows.append(f"<tr><td><code>{e(r['key'])}</code></td><td class=n>{r['passed']}/{r['counted']} ({pct:.0f}%)</td>"
                    f"<td><div class=bar><div class={cls} style=\"width:{pct:.1f}%\"></div></div></td></tr>")
    top = max(s["bins"]) or 1
    w, h, bw = 440, 160, 40
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h + 40}" role="img" '
           f'aria-label="score histogram">']
    for i, n in enumerate(s["bins"]):
        bh = round(h * n / top)
        x = i * bw
        svg.append(f'<rect x="{x + 4}" y="{h - bh + 14}" width="{bw - 8}" height="{bh}" fill="#47a"/>')
        svg.append(f'<text x="{x + bw / 2}" y="{h - bh + 10}" font-size="11" text-anchor="middle">{n}</text>')
        svg.append(f'<text x="{x + bw / 2}" y="{h + 30}" font-size="10" text-anchor="middle">{e(_bin_label(i))}</text>')
    svg.append("</svg>")
    hung = ("<table><tr><th>check</th><th>hung for</th></tr>"
            + "".join(f"<tr><td><code>{e(k)}</code></td><td class=n>{n} students</td></tr>" for k, n in s["hung"][:15])
            + "</table>") if s["hung"] else "<p>No check hung.</p>"
    probs = ""
    if s["problems"]:
        probs = ("<h2>Submissions with a problem</h2><table><tr><th>student</th><th>status</th></tr>"
                 + "".join(f"<tr><td>{e(n)}</td><td>{e(st)}</td></tr>" for n, st in s["problems"]) + "</table>")
    tamper = f"<h2>Tamper flags</h2><p>{e(', '.join(s['tamper']))}</p>" if s["tamper"] else ""
    return (f"<!doctype html><html><head><meta charset=utf-8><title>Class report</title><style>{CSS}</style></head><body>"
            f"<h1>Class report: {s['students']} students</h1><p class=meta>{e(_head(state))}</p>"
            f"<p>Mean {s['mean']:g}% · median {s['median']:g}% · full marks {s['full']} · zero {s['zero']}</p>"
            f"<h2>Pass rate per check</h2><table>{''.join(rows)}</table>"
            f"<h2>Scores (percent)</h2>{''.join(svg)}<h2>Checks that hung most</h2>{hung}{probs}{tamper}"
            "</body></html>\n")




def write(out: Path, records: list, state: dict) -> None:
    s = stats(records, state)
    (Path(out) / "class.md").write_text(class_md(s, state), encoding="utf-8")
    (Path(out) / "class.html").write_text(class_html(s, state), encoding="utf-8")
