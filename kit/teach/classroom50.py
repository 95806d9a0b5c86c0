"""``python -m kit classroom50 OUT``: the Classroom 50 autograder bundle, and what it runs there.

Classroom 50 (foundation50/classroom50) grades a student repository with a folder of the
organisation's ``classroom50`` repository, ``<classroom>/autograders/<slug>/``: its
publish workflow tars the folder for the organisation's Pages site, and on every
submission the runner (``.github/scripts/runner.py``) fetches that tarball (10 MB at
most), unpacks it under ``$RUNNER_TEMP/classroom50-runtime/<slug>/`` and runs
``python3 autograder.py`` from there with the student's checkout as the working directory.
The contract (the runner's ``validate_result``, ``derive_status_and_summary`` and its
error path):

- ``./result.json``, schema ``classroom50/result/v1``: ``classroom``, ``assignment``,
  ``submission``, ``commit``, ``release``, ``review`` from ``$CLASSROOM``, ``$ASSIGNMENT``,
  ``$SUBMISSION_TAG``, ``$COMMIT_URL``, ``$RELEASE_URL``, ``$REVIEW_URL``; integer
  ``score`` <= ``max-score``; ``tests``, each with a ``test-name``, ``passed`` (a bool)
  and integer ``score`` <= ``max-score`` (more fields are kept as they are). The runner
  stamps ``owner``, ``assignment_type``, ``datetime`` and ``submitted_by`` itself;
- ``./release-body.md``: the notes of the submission's Release (here the kit's Markdown
  summary), and ``status=`` / ``summary=`` lines appended to ``$GITHUB_OUTPUT`` (the
  commit status and its one-line description);
- exit 0 for every grade, a submission that cannot be graded included (0 points, and
  why); non-zero only when the grader itself failed: the runner then records an error
  and publishes no Release.

OUT holds ``autograder.py`` (standard library only: it installs what is missing of the
test stack into its Python, quietly; takes root through ``sudo -n`` where the runner
allows it, as GitHub's hosted runners do, so that the sandboxes get the strict isolation
level as on Gradescope, and otherwise grades at the basic level and says so; then calls
``run`` below in process), ``classroom50.json`` (the grade options chosen here:
``--isolation strict``, ``--only``) and ``concurrency-kit/``: the kit without .git,
reports, ``solutions/`` and ``selftest/``. Nothing of it enters the student's repository.

``run`` grades the checkout through the one-submission path (``kit.teach.submission``:
a private copy; the checkout and the bundle are covered in every sandbox), then writes
release-body.md, result.json last (over anything a submission wrote) and the two output
lines (anything appended to ``$GITHUB_OUTPUT`` while learner code ran is cut off first).

Points: result.json wants integers and a rubric may give fractions of a point, so every
point is multiplied by the smallest power of ten that makes each graded check's points
whole: 1 for the rubric as shipped (Classroom 50 then shows the kit's own points); the
scale is recorded (``concurrency-kit.points-scale``) and stated in the Release's notes
when it is not 1. An inconclusive check is in ``tests`` with 0 of 0 points (left out of
the score and the maximum, as everywhere in the kit), ``passed`` true, and its
``message`` says so.
"""
import argparse
import io
import json
import os
import re
import secrets
import shlex
import shutil
import sys
import tarfile
from decimal import Decimal
from pathlib import Path

from kit import ROOT
from kit.core import meta
from kit.core.i18n import _
from kit.core.results import Report, Status
from kit.engine import report

from . import submission
from .gradescope import kit_files
from .release import nox_free_deps

SCHEMA = "classroom50/result/v1"
RESULT, BODY = "result.json", "release-body.md"
CONFIG = "classroom50.json"
KIT_DIR = "concurrency-kit"
REPORT_DIR = "grade-report"
# Besides what the Gradescope zip leaves out (solutions/, selftest/, .git, reports): the kit's own
# tests; the bundle is served from the organisation's Pages site.
LEFT_OUT = {"kit_tests"}
MAX_TARBALL = 10 * 1024 * 1024   # runner.py's MAX_FETCH_BYTES: the bundle's tarball as it fetches it
MAX_BODY = 100_000               # characters of release-body.md (a Release's notes must stay readable)
MESSAGE_LIMIT = 2000             # characters per test message in result.json
STRICT = ["--isolation", "strict"]
# What each requirement of the test stack is imported as, when that is not its name.
MODULES = {"pytest-timeout": "pytest_timeout", "pytest-xdist": "xdist"}
IDENTITY = {"classroom": "CLASSROOM", "assignment": "ASSIGNMENT", "submission": "SUBMISSION_TAG",
            "commit": "COMMIT_URL", "release": "RELEASE_URL", "review": "REVIEW_URL"}
LOCAL = {"classroom": "local", "assignment": "local", "submission": "submit/local",
         "commit": "local", "release": "local", "review": "local"}

AUTOGRADER = r'''#!/usr/bin/env python3
"""Classroom 50 autograder: the concurrency kit's hidden suite grades this checkout.

Written by ``python -m kit classroom50`` (kit @VERSION@); the kit it runs is
./concurrency-kit/, next to this file, and ./classroom50.json holds the grade options.
The Classroom 50 runner starts it as ``python3 autograder.py`` with the student's checkout
as the working directory. It writes ./result.json and ./release-body.md there and the
status/summary lines of $GITHUB_OUTPUT, and exits 0 whatever the grade; non-zero only
when the grader itself failed (the runner then records an error, no Release).

1. The test stack: what is missing is installed into this Python with pip, quietly.
2. Root, through ``sudo -n`` where this runner allows it (GitHub's hosted runners do): the
   sandboxes then get the strict isolation level (namespaces of their own, an
   unprivileged uid, the checkout and this bundle out of view); otherwise the basic
   level, and the Release's notes say so. KIT_CLASSROOM50_SUDO=0 turns this off.
3. ``kit.teach.classroom50.run``, in this process.
"""
import os
import subprocess
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
KIT = HERE / "concurrency-kit"
# (pip requirement, distribution, module, least version or "", only before this Python or "")
REQUIREMENTS = @REQUIREMENTS@
INSTALLED = "KIT_CLASSROOM50_INSTALLED"   # pip already ran as this uid: don't loop
ELEVATED = "KIT_CLASSROOM50_ELEVATED"     # sudo already tried: don't loop


def say(text):
    print("autograder: " + text, flush=True)


def numeric(version):
    out = []
    for part in version.split("."):
        digits = ""
        for c in part:
            if not c.isdigit():
                break
            digits += c
        if not digits:
            break
        out.append(int(digits))
    return tuple(out)


def needed():
    """The requirements this Python lacks (or has too old)."""
    from importlib import metadata, util
    out = []
    for req, dist, module, least, before in REQUIREMENTS:
        if before and sys.version_info[:2] >= numeric(before):
            continue
        ok = util.find_spec(module) is not None
        if ok and least:
            try:
                ok = numeric(metadata.version(dist)) >= numeric(least)
            except Exception:  # noqa: BLE001 - no metadata: take the module as it is
                pass
        if not ok:
            out.append(req)
    return out


def install(reqs):
    say("installing " + " ".join(reqs))
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_ROOT_USER_ACTION="ignore")
    cmd = [sys.executable, "-m", "pip", "install", "--quiet"]
    tail = ""
    for extra in ([[]] if os.geteuid() == 0 else [[], ["--user"]]):
        p = subprocess.run(cmd + extra + reqs, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=600)
        if p.returncode == 0:
            return True
        tail = p.stdout[-3000:]
    say("pip could not install the test stack:\n" + tail)
    return False


def root_through_sudo():
    """Run again as root when ``sudo -n`` allows it (the environment kept)."""
    if os.geteuid() == 0 or os.environ.get(ELEVATED) or os.environ.get("KIT_CLASSROOM50_SUDO") == "0":
        return
    os.environ[ELEVATED] = "1"
    try:
        probe = subprocess.run(["sudo", "-n", "-E", sys.executable, "-c", "import os; raise SystemExit(os.geteuid())"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               timeout=60)
    except (OSError, subprocess.SubprocessError):
        return
    if probe.returncode == 0:
        say("running as root through sudo (strict isolation for the student's code)")
        sys.stdout.flush()
        os.execvp("sudo", ["sudo", "-n", "-E", sys.executable, str(Path(__file__).resolve())])


def main():
    # The student's checkout (the working directory) is never a place to import from.
    cwd = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".", cwd)]
    todo = needed()
    if todo:
        if os.environ.get(INSTALLED) == str(os.geteuid()):
            say("still missing after pip: " + " ".join(todo))
            return 2
        if not install(todo):
            return 2
        os.environ[INSTALLED] = str(os.geteuid())
        os.execv(sys.executable, [sys.executable, str(Path(__file__).resolve())])   # a fresh sys.path
    root_through_sudo()
    sys.path.insert(0, str(KIT))
    import kit
    if Path(kit.__file__).resolve().parent.parent != KIT:
        say("kit was imported from %s, not from this bundle" % kit.__file__)
        return 2
    from kit.teach import classroom50
    return classroom50.main(["run", "--bundle", str(HERE)])


if __name__ == "__main__":
    try:
        status = main()
    except BaseException:  # noqa: BLE001 - the grader failed: the runner must record an error
        traceback.print_exc()
        status = 2
    sys.exit(status)
'''

_REQ = re.compile(r"""^\s*([A-Za-z0-9_.-]+)\s*(?:>=\s*([0-9][0-9.]*))?\s*"""
                  r"""(?:;\s*python_version\s*<\s*['"]([0-9.]+)['"])?\s*$""")


def requirements() -> list:
    """(requirement, distribution, module, least version, only before Python) for the test stack."""
    out = []
    for req in nox_free_deps():
        m = _REQ.match(req)
        name, least, before = (m.group(1), m.group(2) or "", m.group(3) or "") if m else \
            (re.split(r"[^A-Za-z0-9_.-]", req.strip(), 1)[0], "", "")
        out.append((req, name, MODULES.get(name.lower(), name.replace("-", "_").lower()), least, before))
    return out


def autograder_text() -> str:
    reqs = "[\n" + "".join(f"    {tuple(r)!r},\n" for r in requirements()) + "]"
    return AUTOGRADER.replace("@REQUIREMENTS@", reqs).replace("@VERSION@", meta.kit_version())


def tarball_size(out: Path) -> int:
    """Bytes of the tarball Classroom 50's publish step makes of OUT (``tar -czf SLUG.tar.gz -C PARENT SLUG``)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(str(out), arcname=out.name)
    return len(buf.getvalue())


def build(out, only=None, force=False, echo=print) -> dict:
    out = Path(out).resolve()
    if out == ROOT or ROOT in out.parents:
        raise SystemExit(f"classroom50: {out} is inside the kit: write the bundle elsewhere "
                         "(your classroom50 checkout's CLASSROOM/autograders/SLUG/)")
    grade_args = STRICT + (["--only", *only] if only else [])
    submission.options(grade_args)   # an unknown exercise: one line, before anything is written
    if out.exists() and any(out.iterdir()):
        if not (force and (out / "autograder.py").is_file() and (out / CONFIG).is_file()):
            raise SystemExit(f"classroom50: {out} is not empty" + (
                " (--force replaces an earlier bundle)" if (out / CONFIG).is_file() else ""))
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    n = unpacked = 0
    for p, rel in kit_files():
        if rel.split("/", 1)[0] in LEFT_OUT:
            continue
        dst = out / KIT_DIR / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, dst)
        n += 1
        unpacked += dst.stat().st_size
    (out / "autograder.py").write_text(autograder_text(), encoding="utf-8")
    os.chmod(out / "autograder.py", 0o755)
    config = {"grade_args": grade_args, "kit_version": meta.kit_version()}
    (out / CONFIG).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    size = tarball_size(out)
    mb = 1024 * 1024
    echo(f"classroom50: {out}: autograder.py, {CONFIG} and {n} kit files in {KIT_DIR}/ "
         f"({unpacked / mb:.1f} MB; {size / mb:.2f} MB as the tarball the runner fetches, limit 10 MB); "
         f"grades {' '.join(only) if only else 'every exercise'}; solutions/, selftest/ and kit_tests/ left out")
    if size > MAX_TARBALL:
        raise SystemExit(f"classroom50: the bundle's tarball is {size} bytes, over the runner's limit of {MAX_TARBALL}")
    return {"out": out, "files": n, "bytes": unpacked, "tarball": size}


# ------------------------------------------------------------------ the result

def points_scale(points) -> int:
    """The smallest power of ten that makes every one of ``points`` whole (at most 1000)."""
    for scale in (1, 10, 100, 1000):
        if all((Decimal(str(p)) * scale) % 1 == 0 for p in points):
            return scale
    return 1000


def _whole(x, scale: int) -> int:
    return int((Decimal(str(x)) * scale).to_integral_value())


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit - 60] + "\n" + _("… ({n} more characters not shown)", n=len(text) - limit + 60)


def identity(environ=None):
    """result.json's identity fields from the runner's environment, and the variables missing
    (a local rehearsal: placeholders then)."""
    environ = os.environ if environ is None else environ
    values, missing = {}, []
    for key, var in IDENTITY.items():
        values[key] = environ.get(var, "")
        if not values[key]:
            missing.append(var)
            # the runner's own fallback for the review link is the commit's
            values[key] = values["commit"] if key == "review" and "COMMIT_URL" not in missing else LOCAL[key]
    return values, missing


def result(rep: Report, ident: dict) -> dict:
    """result.json (schema classroom50/result/v1): one test per rubric check."""
    scale = points_scale([r.points for r in rep.results])
    tests = []
    for r in rep.results:
        counted = r.status is not Status.INCONCLUSIVE
        message = r.message or ("" if r.status is Status.PASSED else r.status.value)
        if not counted:
            message = _("inconclusive (left out of the total): {message}", message=message)
        tests.append({"test-name": f"{r.exercise}: {r.check}",
                      "passed": r.status in (Status.PASSED, Status.INCONCLUSIVE),
                      "score": _whole(r.earned, scale) if counted else 0,
                      "max-score": _whole(r.points, scale) if counted else 0,
                      "verdict": r.status.value, "reason": r.reason.value, "points": r.points,
                      "summary": r.summary, "message": _cut(message, MESSAGE_LIMIT)})
    info = rep.info
    return {"schema": SCHEMA, **ident,
            "score": sum(t["score"] for t in tests), "max-score": sum(t["max-score"] for t in tests),
            "tests": tests,
            "concurrency-kit": {"points-scale": scale, "points": rep.score, "max-points": rep.max,
                                "percent": rep.percent, "seed": info.get("seed"), "tamper": rep.tamper,
                                "isolation": info.get("isolation", {}).get("level"),
                                "python": info.get("python"), "version": meta.kit_version()}}


def status_and_summary(res: dict) -> tuple:
    """The commit status (success: every counted check passed) and its one-line description."""
    tests = res["tests"]
    passed = sum(1 for t in tests if t["passed"])
    status = "success" if tests and passed == len(tests) else "failure"
    kit = res["concurrency-kit"]
    summary = _("concurrency-kit: {score}/{max} points ({percent}%), {passed} of {total} checks passed",
                score=f"{kit['points']:g}", max=f"{kit['max-points']:g}", percent=f"{kit['percent']:g}",
                passed=passed, total=len(tests))
    if kit["isolation"] not in (None, "strict"):
        summary += "; " + _("graded at the basic isolation level")
    if kit["tamper"]:
        summary += "; " + _("tamper flag")
    return status, " ".join(summary.split())


def release_body(rep: Report, res: dict, notes) -> str:
    head = [f"> {n}" for n in notes]
    scale = res["concurrency-kit"]["points-scale"]
    if scale != 1:
        head.append("> " + _("Classroom 50 records whole points: its scores are the points here ×{scale}.", scale=scale))
    body = ("\n>\n".join(head) + "\n\n" if head else "") + report.markdown(rep)
    return _cut(body, MAX_BODY)


def _give_back(paths, like: Path) -> None:
    """As root (through sudo): what we wrote goes to the owner of ``like`` (the runner's user)."""
    if os.geteuid() != 0:
        return
    st = like.stat()
    for p in paths:
        for q in ([p] + sorted(p.rglob("*")) if p.is_dir() else [p]):
            try:
                os.lchown(q, st.st_uid, st.st_gid)
            except OSError:
                pass


def run(argv=None) -> int:
    """What autograder.py runs: grade the checkout (the working directory), write the answers."""
    ap = argparse.ArgumentParser(prog="python -m kit classroom50 run")
    ap.add_argument("--bundle", default=str(ROOT.parent), help="the bundle folder (autograder.py's)")
    args = ap.parse_args(argv)
    bundle = Path(args.bundle).resolve()
    workspace = Path.cwd()
    for name in (RESULT, BODY):
        if (workspace / name).is_file() or (workspace / name).is_symlink():
            (workspace / name).unlink()
    ident, missing = identity()
    if missing:
        print("classroom50: not started by the Classroom 50 runner (" + ", ".join(missing) + " unset): "
              "placeholders in result.json")
    cfg = {"grade_args": STRICT}
    if (bundle / CONFIG).is_file():
        cfg.update(json.loads((bundle / CONFIG).read_text(encoding="utf-8")))
    opts = submission.options(list(cfg["grade_args"]) + shlex.split(os.environ.get("KIT_GRADE_ARGS", "")))
    gh_out = os.environ.get("GITHUB_OUTPUT")
    before = Path(gh_out).read_bytes() if gh_out and os.path.isfile(gh_out) else None
    reports = bundle / REPORT_DIR
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir(parents=True)
    shown = os.environ.get("GITHUB_REPOSITORY", "").rsplit("/", 1)[-1] or workspace.name
    outcome = submission.grade_one(workspace, shown=shown, hide=[bundle], log_path=reports / "grader.log", **opts)
    rep = outcome.report
    report.write_all(rep, reports)
    res = result(rep, ident)
    status, summary = status_and_summary(res)
    body = release_body(rep, res, outcome.notes)
    token = secrets.token_hex(16)
    actions = os.environ.get("GITHUB_ACTIONS") == "true"
    if actions:   # learner text below: no workflow command in it is obeyed
        print(f"::stop-commands::{token}")
    for note in outcome.notes:
        print(note)
    print(report.terminal(rep))
    if actions:
        print(f"::{token}::")
    if before is not None and Path(gh_out).read_bytes() != before:   # written while learner code ran
        Path(gh_out).write_bytes(before)
        print(f"classroom50: {gh_out} changed while the submission ran: put back as it was before")
    _give_back([reports], bundle)
    if not outcome.graded:
        print("classroom50: the grader failed (not the student's doing): no result.json; "
              f"the runner records an error. Reports: {reports}", file=sys.stderr)
        return 1
    # Each through a new file renamed into place (never through a link a checkout may hold); result.json last.
    for name, text in ((BODY, body), (RESULT, json.dumps(res, indent=2, ensure_ascii=False) + "\n")):
        tmp = workspace / f".{name}.{token}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, workspace / name)
    _give_back([workspace / BODY, workspace / RESULT], workspace)
    if gh_out:
        lead = b"\n" if before and not before.endswith(b"\n") else b""
        with open(gh_out, "ab") as f:
            f.write(lead + f"status={status}\nsummary={summary}\n".encode("utf-8"))
    print(f"classroom50: {res['score']}/{res['max-score']} in {RESULT}; status {status}: {summary}")
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:
        return run(argv[1:])
    p = argparse.ArgumentParser(prog="python -m kit classroom50", description=__doc__.split("\n\n")[0])
    p.add_argument("out", metavar="OUT", help="the bundle folder to write: CLASSROOM/autograders/SLUG/ "
                                              "in your organisation's classroom50 repository")
    p.add_argument("--only", nargs="+", metavar="EXERCISE", help="grade these exercises only (the assignment's)")
    p.add_argument("--force", action="store_true", help="replace an earlier bundle in OUT")
    args = p.parse_args(argv)
    build(args.out, only=args.only, force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
