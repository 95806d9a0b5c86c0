"""``python -m kit gradebook DIR... [--out OUT]``: one gradebook from batch outputs (e.g. shards).

Each DIR is the ``--out`` of a ``python -m kit batch`` run (its ``batch-state.json`` and
one report folder per student). Shards graded with another seed or another rubric are
refused, with a message: their grades are not comparable. Writes ``gradebook.csv``,
``class.md`` and ``class.html`` into OUT; ``batch`` writes the same files for one run.

gradebook.csv: ``student,score,max_score,percent``, one column per exercise (its points),
one per check named ``exercise/check`` (points earned; empty when the check was
inconclusive and left out of the total), then ``status,tamper,seed,kit_version,rubric_hash``.
"""
import argparse
import csv
import hashlib
import html
import json
import statistics
import sys
from pathlib import Path
from typing import List

from .. import ROOT, meta

STATE = "batch-state.json"
HUNG = ("did not finish within", "did not return within")
HEAD = ["student", "score", "max_score", "percent"]
TAIL = ["status", "tamper", "seed", "kit_version", "rubric_hash"]


def rubric(exercises=None) -> list:
    """The graded rubric: exercise names, check ids and points, in order."""
    return [{"exercise": e.name, "checks": [[c.id, c.points] for c in e.checks]}
            for e in (meta.load() if exercises is None else exercises)]


def rubric_hash(exercises=None) -> str:
    """sha256 of the rubric (of the graded exercises): equal hashes, comparable grades."""
    return hashlib.sha256(json.dumps(rubric(exercises), sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def kit_version() -> str:
    try:
        text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
        data = meta.tomllib.loads(text)
        return str(data["project"]["version"])
    except Exception:  # noqa: BLE001 - a version string is informative, never fatal
        return "unknown"


def _cell(text) -> str:
    """A spreadsheet must not run a formula a student put in a name or a message."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def columns(rub: list) -> List[str]:
    return (HEAD + [r["exercise"] for r in rub]
            + [f"{r['exercise']}/{cid}" for r in rub for cid, _ in r["checks"]] + TAIL)


def load_state(d: Path) -> dict:
    path = Path(d) / STATE
    if not path.is_file():
        raise SystemExit(f"gradebook: {d}: not a batch output (no {STATE})")
    return json.loads(path.read_text())


def load_records(d: Path, state: dict) -> list:
    """Every finished student of a batch output, in the batch's order."""
    out = []
    for slug in state.get("order", []):
        st = state["students"].get(slug, {})
        path = Path(d) / slug / "report.json"
        if "/" in slug or slug in (".", "..") or not st.get("done") or not path.is_file():
            continue
        data = json.loads(path.read_text())
        out.append({"student": st.get("name", slug), "slug": slug, "status": data["info"].get("status", st.get("status", "ok")),
                    "data": data})
    return out


def pending(state: dict) -> list:
    return [s for s in state.get("order", []) if not state["students"].get(s, {}).get("done")]


def row(rec: dict, state: dict) -> dict:
    data = rec["data"]
    r = {"student": _cell(rec["student"]), "score": _num(data["score"]), "max_score": _num(data["max"]),
         "percent": _num(data["percent"])}
    per_ex = {e["name"]: e for e in data["exercises"]}
    per_check = {x["key"]: x for x in data["results"]}
    for ex in state["rubric"]:
        e = per_ex.get(ex["exercise"])
        r[ex["exercise"]] = _num(e["score"]) if e else ""
        for cid, _ in ex["checks"]:
            x = per_check.get(f"{ex['exercise']}/{cid}")
            key = f"{ex['exercise']}/{cid}"
            if x is None or x["status"] == "inconclusive":
                r[key] = ""
            else:
                r[key] = _num(x["points"] if x["status"] == "passed" else 0)
    info = data["info"]
    tamper = info.get("tamper", False) or data.get("tamper", False)
    r.update(status=_cell(rec["status"]), tamper="yes" if tamper else "no", seed=_num(info.get("seed", state["seed"])),
             kit_version=state.get("kit_version", ""), rubric_hash=state["rubric_hash"])
    return r


def write_csv(path: Path, records: list, state: dict) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns(state["rubric"]))
        w.writeheader()
        for rec in records:
            w.writerow(row(rec, state))


def stats(records: list, state: dict) -> dict:
    checks = [(ex["exercise"], cid) for ex in state["rubric"] for cid, _ in ex["checks"]]
    rates, hung = [], {}
    for ex, cid in checks:
        key = f"{ex}/{cid}"
        passed = counted = not_graded = 0
        for rec in records:
            for x in rec["data"]["results"]:
                if x["key"] != key:
                    continue
                if x["status"] != "inconclusive":
                    counted += 1
                    passed += x["status"] == "passed"
                not_graded += x["message"].startswith("not graded:")
                if any(h in (x.get("message") or "") for h in HUNG):
                    hung[key] = hung.get(key, 0) + 1
        rates.append({"key": key, "passed": passed, "counted": counted, "not_graded": not_graded,
                      "rate": passed / counted if counted else None})
    percents = [rec["data"]["percent"] for rec in records]
    bins = [0] * 11
    for p in percents:
        bins[min(int(p // 10), 10)] += 1
    return {"students": len(records), "rates": rates, "bins": bins,
            "hung": sorted(hung.items(), key=lambda kv: (-kv[1], kv[0])),
            "mean": round(statistics.mean(percents), 1) if percents else 0.0,
            "median": round(statistics.median(percents), 1) if percents else 0.0,
            "full": sum(p >= 100 for p in percents), "zero": sum(p == 0 for p in percents),
            "problems": [(rec["student"], rec["status"]) for rec in records if rec["status"] != "ok"],
            "tamper": [rec["student"] for rec in records
                       if rec["data"]["info"].get("tamper") or rec["data"].get("tamper")]}


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


def write_all(out: Path, records: list, state: dict) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "gradebook.csv", records, state)
    s = stats(records, state)
    (out / "class.md").write_text(class_md(s, state), encoding="utf-8")
    (out / "class.html").write_text(class_html(s, state), encoding="utf-8")


def merge(dirs: list, out: Path, partial: bool = False, echo=print) -> list:
    states = [(Path(d), load_state(d)) for d in dirs]
    first_dir, first = states[0]
    for d, st in states[1:]:
        for what in ("seed", "rubric_hash"):
            if st[what] != first[what]:
                raise SystemExit(f"gradebook: {d} was graded with {what} {st[what]}, {first_dir} with {first[what]}: "
                                 f"refusing to merge grades that are not comparable (regrade that shard with "
                                 f"--seed {first['seed']} and the same exercises.toml)")
        if st["exercises"] != first["exercises"]:
            raise SystemExit(f"gradebook: {d} graded {st['exercises']}, {first_dir} {first['exercises']}: refusing to merge")
        if st.get("kit_version") != first.get("kit_version"):
            echo(f"gradebook: warning: {d} was graded by kit {st.get('kit_version')}, {first_dir} by {first.get('kit_version')}")
    shards = [st.get("shard") or "" for _, st in states]
    named = [s for s in shards if s]
    if len(set(named)) != len(named):
        raise SystemExit(f"gradebook: the same shard appears twice: {', '.join(named)}")
    if named:
        n = {int(s.split("/")[1]) for s in named}
        if len(n) > 1:
            raise SystemExit(f"gradebook: shards of different splits: {', '.join(named)}")
        missing = sorted(set(range(1, n.pop() + 1)) - {int(s.split("/")[0]) for s in named})
        if missing:
            echo(f"gradebook: warning: shards {', '.join(map(str, missing))} of {named[0].split('/')[1]} are not among these folders")
    records, seen = [], {}
    for d, st in states:
        left = pending(st)
        if left and not partial:
            raise SystemExit(f"gradebook: {d}: {len(left)} students not graded yet ({', '.join(left[:5])}"
                             f"{' ...' if len(left) > 5 else ''}): `batch --resume` that folder, or --partial")
        for rec in load_records(d, st):
            if rec["student"] in seen:
                raise SystemExit(f"gradebook: {rec['student']} is in both {seen[rec['student']]} and {d}")
            seen[rec["student"]] = d
            records.append(rec)
    records.sort(key=lambda r: (r["student"].casefold(), r["student"]))
    merged = dict(first, shard="", shards=shards, sources=[str(d) for d, _ in states],
                  order=[r["slug"] for r in records])
    write_all(out, records, merged)
    return records


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m kit gradebook", description=__doc__.split("\n\n")[0])
    p.add_argument("dirs", nargs="+", metavar="DIR", help="batch outputs (the --out of each shard)")
    p.add_argument("--out", default="merged-gradebook", help="folder for gradebook.csv, class.md, class.html")
    p.add_argument("--partial", action="store_true", help="merge even when a shard has students not graded yet")
    args = p.parse_args(argv)
    records = merge(args.dirs, Path(args.out), args.partial, echo=lambda m: print(m, file=sys.stderr))
    print(f"gradebook: {len(records)} students from {len(args.dirs)} folders in {args.out}/gradebook.csv")
    return 0
