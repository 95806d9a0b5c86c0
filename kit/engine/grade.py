"""``python -m kit grade [PATH]``: grade one submission with the hidden suite.

The driver never imports learner code. It runs the hidden checks with pytest in two
phases, the ordinary checks in parallel (pytest-xdist) and then the timing checks alone
so that nothing else loads the machine while they measure; it reads one verdict per
check from a private pipe, compares them with the checks the rubric lists (a check that
never reported is an error, never a pass), kills anything still running, and writes
every report from that one set of verdicts.
"""
import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Dict, List

from kit import ROOT
from kit.core import meta, proc
from kit.core.i18n import _
from kit.core.results import Reason, Report, Result, Status, for_check

from . import isolation, report, scan, stage

HIDDEN = ROOT / "hidden"

HELP_PATH = "directory holding the exercise modules (default: exercises/)"
HELP_OUT = "folder for the reports: results.json, junit.xml, summary.md, report.json, grader.log"
HELP_SEED = "seed for the generated inputs (default: random, printed in every report)"
HELP_ONLY = "grade only these exercises (the others are left out of the total)"
HELP_WORKERS = ("parallel pytest workers for the checks that do not measure time (default: 4 per CPU, 4 to 8: a check that waits on a hang uses no CPU)")
HELP_FAIL_UNDER = "exit with status 1 when the score (percent) is below this; for CI"
HELP_QUIET = "print only the score line"
HELP_FORMAT = ("also write these platforms' result files: exercism (OUT/exercism/results.json, test-runner "
               "version 3), prairielearn (OUT/prairielearn/results.json, external grader)")
HELP_ISOLATION = ("how far learner code is shut off: strict (root: a uid and namespaces per sandbox) or "
                  "basic; auto takes the best this machine allows; strict refuses to grade below it")


def parser(prog="python -m kit grade") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    p.add_argument("path", nargs="?", default=str(ROOT / "exercises"), help=HELP_PATH)
    p.add_argument("--out", default="grade-report", help=HELP_OUT)
    p.add_argument("--seed", type=int, default=None, help=HELP_SEED)
    p.add_argument("--only", nargs="+", metavar="EXERCISE", help=HELP_ONLY)
    p.add_argument("--workers", type=int, default=None, help=HELP_WORKERS)
    p.add_argument("--fail-under", type=float, default=None, metavar="PERCENT", help=HELP_FAIL_UNDER)
    p.add_argument("--quiet", action="store_true", help=HELP_QUIET)
    p.add_argument("--isolation", choices=["auto", "basic", "strict"], default="auto", help=HELP_ISOLATION)
    p.add_argument("--format", nargs="+", choices=report.EXTRA, default=[], metavar="FORMAT", help=HELP_FORMAT)
    return p


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _pytest(nodeids, *, plan_file: str, seed: int, workers: int, log, on_verdict=None) -> list:
    """Run these hidden checks; return the verdicts they reported (``on_verdict(v)`` as each arrives)."""
    if not nodeids:
        return []
    read_fd, write_fd = os.pipe()
    env = dict(os.environ, KIT_RESULT_FD=str(write_fd), KIT_PLAN=plan_file,
               KIT_SEED=str(seed), KIT_CWD=os.getcwd(), PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-c", str(HIDDEN / "pytest.ini"),
           "--rootdir", str(HIDDEN), "-q", "-rN", "--no-header", "-p", "no:randomly"]
    cmd += ["-n", str(min(workers, len(nodeids)))] if workers > 1 and len(nodeids) > 1 else ["-p", "no:xdist"]
    cmd += list(nodeids)
    lines = []
    buf = [b""]

    def pump():
        while True:
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                return
            buf[0] += chunk
            while b"\n" in buf[0]:
                line, buf[0] = buf[0].split(b"\n", 1)
                lines.append(json.loads(line))
                if on_verdict is not None:
                    try:
                        on_verdict(lines[-1])
                    except Exception as exc:  # a progress reporter must never stop the pipe
                        print(f"kit: progress callback failed: {exc!r}", file=sys.stderr)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    log.write(f"$ pytest ... {len(nodeids)} checks\n")
    log.flush()
    p = subprocess.Popen(cmd, cwd=HIDDEN, env=env, stdout=log, stderr=subprocess.STDOUT,
                         pass_fds=(write_fd,), start_new_session=True)
    os.close(write_fd)
    p.wait()
    # Anything the run left (it shouldn't) keeps our pipe open: kill it, then finish reading.
    proc.kill_group(p.pid)
    proc.kill_strays()
    reader.join(timeout=10)
    os.close(read_fd)
    log.write(f"(pytest exit status {p.returncode})\n")
    if p.returncode not in (0, 1):
        lines.append({"grader_exit": p.returncode})
    return lines


def run_plan(plan: dict, *, seed: int, workers: int, log, progress=None) -> tuple:
    """Grade several submissions in one pass: ``plan`` maps an id to (folder, checks).

    Returns ({(id, check key): verdict}, [grader exit statuses]). Ordinary checks run in
    parallel; timing checks run afterwards, one at a time, with nothing else of ours
    on the machine. ``progress(verdict)``, when given, sees each verdict as it arrives.
    """
    with tempfile.TemporaryDirectory(prefix="kit-plan-") as tmp:
        plan_file = os.path.join(tmp, "plan.json")
        with open(plan_file, "w") as f:
            json.dump({sid: {"path": str(Path(path).resolve()), "checks": [c.key for c in checks]}
                       for sid, (path, checks) in plan.items()}, f)
        raw = []
        for timing in (False, True):
            nodeids = [f"{c.nodeid}[{sid}]" for sid, (_, checks) in plan.items()
                       for c in checks if c.timing == timing]
            raw += _pytest(nodeids, plan_file=plan_file, seed=seed,
                           workers=1 if timing else workers, log=log, on_verdict=progress)
    verdicts = {(r.get("submission"), r["check"]): r for r in raw if "check" in r}
    return verdicts, [r["grader_exit"] for r in raw if "grader_exit" in r]


def results_of(checks, verdicts: dict, sid: str, findings=None) -> List[Result]:
    """One result per rubric check; a check that never reported is an error, never a pass.

    ``findings`` (the static scan, per exercise) flag every check of that exercise: 0 points.
    """
    out = []
    for c in checks:
        v = verdicts.get((sid, c.key))
        if v is None:
            r = for_check(c, Status.ERROR, Reason.GRADER, _(
                "this check was collected but never reported (a grader worker died?): it is counted as an "
                "error, not a pass"))
        else:
            r = for_check(c, Status(v["status"]), Reason(v.get("reason", "")), v.get("message", ""),
                          figures=v.get("figures", {}), stray_processes=v.get("stray_processes", []),
                          tamper=v.get("tamper", []))
        static = (findings or {}).get(c.exercise)
        if static:
            f = static[0]
            more = _(" (and {n} more)", n=len(static) - 1) if len(static) > 1 else ""
            r.status, r.reason, r.tamper = Status.FAILED, Reason.TAMPER, r.tamper + static
            r.message = _("Your code reached into the grader at {where} ({what}){more}. This check scores 0 and "
                          "your teacher sees the flag.", where=f"{Path(f['file']).name}:{f['line']}",
                          what=f["what"], more=more)
        out.append(r)
    return out


def default_workers() -> int:
    return max(4, min(8, 4 * available_cpus()))


def machine_info(seed: int, workers: int) -> dict:
    return {"seed": seed, "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": sys.platform,
            "start_method": _default_start_method(), "cpus": os.cpu_count(),
            "cpus_available": available_cpus(), "workers": workers,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def grade_many(subs: dict, *, seed=None, workers=None, log_path=None, timing=True, progress=None,
               timing_only=False) -> Dict[str, Report]:
    """Grade several submissions together: ``subs`` maps a name to (folder, exercise names or None).

    Returns {name: Report}, as ``grade`` builds it for one. The selftest and batch
    grading use this: one pytest session for all, instead of one per submission.
    ``progress(name, done, total, results, timing)`` is called (from a reader thread) as
    each verdict arrives; ``results`` is that submission's full result list once all its
    checks are in, else None; ``timing`` says whether the verdict was a timing check's.
    """
    seed = random.randrange(10 ** 6) if seed is None else seed
    workers = workers or default_workers()
    proc.become_subreaper()
    started = time.monotonic()
    plan, names, findings = {}, {}, {}
    for i, (name, (path, only)) in enumerate(subs.items()):
        sid = f"s{i}"
        names[sid] = name
        plan[sid] = (path, [c for e in meta.select(only) for c in e.checks
                            if (timing or not c.timing) and (c.timing or not timing_only)])
        findings[sid] = scan.scan(path, [e.name for e in meta.select(only)])
    got = {}

    def on_verdict(v):
        sid = v.get("submission")
        if sid not in plan or "check" not in v:
            return
        got.setdefault(sid, {})[(sid, v["check"])] = v
        checks = plan[sid][1]
        done = sum((sid, c.key) in got[sid] for c in checks)
        progress(names[sid], done, len(checks),
                 results_of(checks, got[sid], sid, findings[sid]) if done == len(checks) else None,
                 any(c.timing for c in checks if c.key == v["check"]))

    with open(log_path or os.devnull, "w") as log:
        verdicts, grader_errors = run_plan(plan, seed=seed, workers=workers, log=log,
                                           progress=on_verdict if progress else None)
    proc.kill_strays()
    seconds = round(time.monotonic() - started, 2)
    out = {}
    for sid, (path, checks) in plan.items():
        results = results_of(checks, verdicts, sid, findings[sid])
        info = dict(machine_info(seed, workers), submission=str(path), seconds=seconds,
                    grader_errors=grader_errors, isolation=isolation.detect().describe(),
                    refused_files=refused_files(path))
        out[names[sid]] = Report.build(results, meta.select(subs[names[sid]][1]), info)
    return out


def refused_files(path) -> list:
    """Top-level files of a submission that no sandbox is given (named like a module the
    grader relies on), with why: ``[{"file", "why"}]``."""
    out = []
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return out
    for name in names:
        if name.endswith(".py") or os.path.isdir(os.path.join(path, name)):
            why = stage.refused_reason(name)
            if why:
                out.append({"file": name, "why": why})
        elif name.endswith((".so", ".pyd", ".dylib", ".dll")):
            out.append({"file": name, "why": f"{name} is compiled native code: it was left out (the grader runs "
                                               "Python source only)"})
    return out


def refuse_links(path) -> None:
    """A submission that is a symlink, or holds one pointing outside itself, is refused."""
    p = Path(path)
    if p.is_symlink():
        raise SystemExit(f"grade: {path}: refused: the submission is a symbolic link ({p.resolve()}); "
                         "give the folder itself")
    root = p.resolve()
    for f in p.rglob("*"):
        if f.is_symlink():
            target = f.resolve()
            if target != root and root not in target.parents:
                raise SystemExit(f"grade: {path}: refused: {f.relative_to(p)} is a symbolic link to {target}, "
                                 "outside the submission")


def grade(path, *, out="grade-report", seed=None, only=None, workers=None, step_summary=False, formats=()) -> Report:
    """Grade the submission at ``path``; write the reports into ``out``; return the report.
    ``step_summary``: also append summary.md to ``$GITHUB_STEP_SUMMARY`` (the command line does);
    ``formats``: the extra report files to write too (``report.EXTRA``)."""
    refuse_links(path)
    submission = Path(path).resolve()
    if not submission.is_dir():
        raise SystemExit(f"grade: {path}: no such directory")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rep = grade_many({"submission": (submission, only)}, seed=seed, workers=workers,
                     log_path=out / "grader.log")["submission"]
    rep.info["submission"] = str(path)
    rep.info["strays_after_grading"] = proc.kill_strays()
    report.write_all(rep, out, step_summary=step_summary, formats=formats)
    return rep


def _default_start_method() -> str:
    import multiprocessing
    return multiprocessing.get_start_method()


def require_isolation(wanted: str) -> None:
    """``--isolation``: basic asks for basic even as root; strict refuses to grade below strict."""
    if wanted == "basic":
        os.environ["KIT_ISOLATION"] = "basic"
        isolation.detect.cache_clear()
    iso = isolation.detect()
    if wanted == "strict" and iso.level != "strict":
        raise SystemExit("grade: --isolation strict: this machine allows only the basic level ("
                         + "; ".join(iso.not_covered) + "). Run the grader as root (or in a container).")


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    require_isolation(args.isolation)
    rep = grade(args.path, out=args.out, seed=args.seed, only=args.only, workers=args.workers, step_summary=True,
                formats=args.format)
    print(report.terminal(rep, quiet=args.quiet))
    if rep.errors:
        return 3
    if args.fail_under is not None and rep.percent < args.fail_under:
        return 1
    return 0
