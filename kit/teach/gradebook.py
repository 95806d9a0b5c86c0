"""``python -m kit gradebook DIR... [--out OUT] [--format csv canvas moodle]``: one gradebook from batch outputs (e.g. shards).

Each DIR is the ``--out`` of a ``python -m kit batch`` run (its ``batch-state.json`` and
one report folder per student). Shards graded with another seed or another rubric are
refused, with a message: their grades are not comparable. Writes ``gradebook.csv``,
``class.md`` and ``class.html`` into OUT; ``batch`` writes the same files for one run.
``--format canvas moodle`` also writes ``canvas.csv`` and ``moodle.csv``, the LMS imports
(``kit.teach.lms``: ``--roster``, ``--assignment``, ``--points``).

gradebook.csv: ``student,score,max_score,percent``, one column per exercise (its points),
one per check named ``exercise/check`` (points earned; empty when the check was
inconclusive and left out of the total), then ``status,tamper,seed,kit_version,rubric_hash``.
"""
import argparse
import csv
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from kit.core import meta
from kit.core.results import Report
from kit.engine import report

from . import classpage, lms
from .lms import cell as _cell, num as _num

STATE = "batch-state.json"
HEAD = ["student", "score", "max_score", "percent"]
TAIL = ["status", "tamper", "seed", "kit_version", "rubric_hash"]


def rubric(exercises=None) -> list:
    """The graded rubric: exercise names, check ids and points, in order."""
    return [{"exercise": e.name, "checks": [[c.id, c.points] for c in e.checks]}
            for e in (meta.load() if exercises is None else exercises)]


def rubric_hash(exercises=None) -> str:
    """sha256 of the rubric (of the graded exercises): equal hashes, comparable grades."""
    return hashlib.sha256(json.dumps(rubric(exercises), sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def columns(rub: list) -> List[str]:
    return (HEAD + [r["exercise"] for r in rub]
            + [f"{r['exercise']}/{cid}" for r in rub for cid, _ in r["checks"]] + TAIL)


def load_state(d: Path) -> dict:
    path = Path(d) / STATE
    if not path.is_file():
        raise SystemExit(f"gradebook: {d}: not a batch output (no {STATE})")
    return json.loads(path.read_text())


@dataclass
class Record:
    """One student's line of the gradebook: who, their batch status, their report."""
    student: str
    slug: str
    status: str        # the intake's status: "ok", or what was wrong with the upload
    report: Report


def load_records(d: Path, state: dict) -> List[Record]:
    """Every finished student of a batch output, in the batch's order."""
    out = []
    for slug in state.get("order", []):
        st = state["students"].get(slug, {})
        path = Path(d) / slug / "report.json"
        if "/" in slug or slug in (".", "..") or not st.get("done") or not path.is_file():
            continue
        rep = report.read(path)
        out.append(Record(st.get("name", slug), slug, rep.info.get("status", st.get("status", "ok")), rep))
    return out


def pending(state: dict) -> list:
    return [s for s in state.get("order", []) if not state["students"].get(s, {}).get("done")]


def row(rec: Record, state: dict) -> dict:
    rep = rec.report
    r = {"student": _cell(rec.student), "score": _num(rep.score), "max_score": _num(rep.max),
         "percent": _num(rep.percent)}
    per_ex = {e.name: e for e in rep.exercises}
    for ex in state["rubric"]:
        e = per_ex.get(ex["exercise"])
        r[ex["exercise"]] = _num(e.score) if e else ""
        for cid, _ in ex["checks"]:
            key = f"{ex['exercise']}/{cid}"
            x = rep.result(key)
            r[key] = "" if x is None or not x.counted else _num(x.earned)
    r.update(status=_cell(rec.status), tamper="yes" if rep.tamper else "no", seed=_num(rep.info.get("seed", state["seed"])),
             kit_version=state.get("kit_version", ""), rubric_hash=state["rubric_hash"])
    return r


def write_csv(path: Path, records: list, state: dict) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns(state["rubric"]))
        w.writeheader()
        for rec in records:
            w.writerow(row(rec, state))


def write_all(out: Path, records: List[Record], state: dict, lms_options: Optional[dict] = None,
              warn=print) -> None:
    """gradebook.csv and the class page (class.md, class.html) of these records; and the LMS
    files ``lms_options`` asks for (``kit.teach.lms.write``), warnings through ``warn``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "gradebook.csv", records, state)
    classpage.write(out, records, state)
    written = lms.write(out, records, state, lms_options, warn) if lms_options else []
    for name in lms.FILES.values():
        if (out / name).exists() and out / name not in written:
            warn(f"{out / name} was not rewritten (no --format {name[:-4]} this time): its grades may be out of date")


def merge(dirs: list, out: Path, partial: bool = False, echo=print, lms_options: Optional[dict] = None) -> list:
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
            if rec.student in seen:
                raise SystemExit(f"gradebook: {rec.student} is in both {seen[rec.student]} and {d}")
            seen[rec.student] = d
            records.append(rec)
    records.sort(key=lambda r: (r.student.casefold(), r.student))
    merged = dict(first, shard="", shards=shards, sources=[str(d) for d, _ in states],
                  order=[r.slug for r in records])
    write_all(out, records, merged, lms_options, warn=lambda m: echo(f"gradebook: warning: {m}"))
    return records


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m kit gradebook", description=__doc__.split("\n\n")[0])
    p.add_argument("dirs", nargs="+", metavar="DIR", help="batch outputs (the --out of each shard)")
    p.add_argument("--out", default="merged-gradebook", help="folder for gradebook.csv, class.md, class.html")
    p.add_argument("--partial", action="store_true", help="merge even when a shard has students not graded yet")
    lms.add_options(p)
    args = p.parse_args(argv)
    opts = lms.options(args)
    records = merge(args.dirs, Path(args.out), args.partial, echo=lambda m: print(m, file=sys.stderr),
                    lms_options=opts)
    extra = [lms.FILES[f] for f in (opts or {}).get("formats", []) if f in lms.FILES]
    print(f"gradebook: {len(records)} students from {len(args.dirs)} folders in {args.out}/gradebook.csv"
          + "".join(f", {args.out}/{name}" for name in extra))
    return 0
