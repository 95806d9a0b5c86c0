"""Learner tools: ``check`` (one line per exercise), ``hint`` (the next hint), ``list``.

``python -m kit check [NAME ...] [--impl DIR]`` runs the learner tests of each exercise
in a pytest of its own, with a time limit and a process-group kill, so a deadlock in one
exercise costs that exercise, never the others.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import ROOT, meta, proc

HELP_IMPL = "directory holding the ten modules (default: exercises/)"
HELP_LIMIT = "seconds one exercise's tests may take before they are stopped"
HELP_VERBOSE = "show pytest's own output for exercises that fail"
HINTS_FILE = ".kit-hints.json"  # how many hints the learner has seen, per exercise


def run_tests(name: str, impl: Path, limit: float, extra=()) -> dict:
    """Run tests/test_NAME.py against ``impl``; return counts, first failure, output."""
    with tempfile.TemporaryDirectory(prefix="kit-check-") as tmp:
        xml = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", str(ROOT / "tests" / f"test_{name}.py"),
               "--impl", str(impl), "-q", "--no-header", "-p", "no:xdist",
               f"--junitxml={xml}", "-o", "junit_family=xunit1", *extra]
        started = time.monotonic()
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True, env=dict(os.environ, PYTHONBREAKPOINT="0"))
        try:
            out, _ = p.communicate(timeout=limit)
            hung = False
        except subprocess.TimeoutExpired:
            proc.kill_group(p.pid)
            out, _ = p.communicate()
            hung = True
        proc.kill_group(p.pid)
        res = {"name": name, "hung": hung, "exit": p.returncode, "output": out.decode(errors="replace"),
               "seconds": time.monotonic() - started, "tests": 0, "failed": [], "not_done": 0}
        if xml.exists():
            for case in ET.parse(xml).iter("testcase"):
                res["tests"] += 1
                bad = case.find("failure")
                if bad is None:
                    bad = case.find("error")
                if bad is not None:
                    text = (bad.get("message") or "") + "\n" + (bad.text or "")
                    res["failed"].append((case.get("name"), (bad.get("message") or "").splitlines()[0:1]))
                    res["not_done"] += "NotImplementedError" in text
        return res


def line(ex, res) -> str:
    if res["hung"]:
        return f"✗ {ex.name:<20} stopped after {res['seconds']:.0f} s: a test hung (deadlock?). Run: nox -s check -- {ex.name} -v"
    if res["tests"] == 0:
        return f"✗ {ex.name:<20} no test ran (pytest exit {res['exit']}): does the module import? Run: nox -s check -- {ex.name} -v"
    n_bad = len(res["failed"])
    if n_bad == 0:
        return f"✓ {ex.name:<20} {ex.title} ({res['tests']} tests pass)"
    if res["not_done"] and n_bad == res["tests"]:
        return f"· {ex.name:<20} not started: {ex.title}"
    test, msg = res["failed"][0]
    first = (msg[0] if msg else "")[:110]
    return f"✗ {ex.name:<20} {n_bad} of {res['tests']} tests fail; first: {test}: {first}"


def check(argv) -> int:
    p = argparse.ArgumentParser(prog="nox -s check --", description="Run the learner tests, one line per exercise.")
    p.add_argument("names", nargs="*", metavar="EXERCISE", help="exercises to check (default: all, in order)")
    p.add_argument("--impl", default=str(ROOT / "exercises"), help=HELP_IMPL)
    p.add_argument("--limit", type=float, default=60.0, help=HELP_LIMIT)
    p.add_argument("-v", "--verbose", action="store_true", help=HELP_VERBOSE)
    args = p.parse_args(argv)
    exercises = meta.select(args.names)
    impl = Path(args.impl).resolve()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda e: run_tests(e.name, impl, args.limit), exercises))
    done = 0
    for ex, res in zip(exercises, results):
        ok = not res["hung"] and res["tests"] and not res["failed"]
        done += bool(ok)
        print(line(ex, res))
        if args.verbose and not ok:
            print(res["output"])
    print(f"\n{done} of {len(exercises)} done.", end=" ")
    todo = [ex for ex, res in zip(exercises, results)
            if res["hung"] or not res["tests"] or res["failed"]]
    if todo:
        print(f"Next: {todo[0].name} (exercises/{todo[0].name}.py). Stuck? nox -s hint -- {todo[0].name}")
        return 1
    print("Every exercise passes its learner tests. Now: nox -s grade")
    return 0


def hint(argv) -> int:
    p = argparse.ArgumentParser(prog="nox -s hint --", description="Show the next hint for an exercise.")
    p.add_argument("name", metavar="EXERCISE")
    p.add_argument("--all", action="store_true", help="show every hint at once")
    args = p.parse_args(argv)
    ex = meta.get(args.name)
    state_path = Path(HINTS_FILE)
    try:
        state = json.loads(state_path.read_text())
    except (OSError, ValueError):
        state = {}
    seen = len(ex.hints) if args.all else min(state.get(ex.name, 0) + 1, len(ex.hints))
    state[ex.name] = seen
    state_path.write_text(json.dumps(state, indent=1))
    print(f"{ex.name}: {ex.title}  (builds on the seed: {ex.seed})")
    for i, h in enumerate(ex.hints[:seen], 1):
        print(f"  hint {i}/{len(ex.hints)}: {h}")
    if seen < len(ex.hints):
        print("  (run again for the next hint)")
    return 0


def listing(argv) -> int:
    for i, ex in enumerate(meta.load(), 1):
        print(f"{i:>2}. {ex.name:<20} {ex.title}")
    return 0


def main(argv) -> int:
    command, rest = argv[0], argv[1:]
    return {"check": check, "hint": hint, "list": listing}[command](rest)
