"""``python -m kit gradescope OUT.zip``: the Gradescope autograder, and what it runs there.

The zip holds, at its root (Gradescope unpacks it into /autograder/source):

- ``setup.sh``: run once as root when Gradescope builds the image: python3, pip and venv
  (and bubblewrap, for strict isolation) from apt where apt exists, then the test stack
  in a venv of its own (/autograder/kit-venv);
- ``run_autograder``: finds the submission under ``$AUTOGRADER_ROOT/submission``
  (default /autograder) in any layout ``batch`` reads (modules at the top, an exercises/
  folder, a repository, a zip), copies it into a private folder, grades it with
  ``python -m kit grade --isolation strict`` (without the option, and saying so in the
  output, if this kit's grade does not have it) and writes
  ``$AUTOGRADER_ROOT/results/results.json`` last, over anything a submission wrote there;
- ``gradescope.json``: the visibility settings chosen here;
- the kit itself, without .git, .nox and reports; without ``solutions/`` and
  ``selftest/`` too (grading never reads them, and learner code runs in that container)
  unless ``--include-solutions``.

``KIT_GRADE_ARGS`` (environment) adds options to the grade, e.g. ``--only lock_balance``
for a quick local run; ``KIT_PYTHON`` names the interpreter.
"""
import argparse
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from .. import ROOT, meta
from . import report

VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")
SKIP_DIRS = {".git", ".nox", "__pycache__", ".pytest_cache", ".venv", "venv", "node_modules",
             "grade-report", "selftest-report", "reports", ".ci"}
SECRET_DIRS = {"solutions", "selftest"}
CONFIG = "gradescope.json"
STRICT = ["--isolation", "strict"]

SETUP = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euxo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
if command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends python3 python3-pip python3-venv
  # Strict isolation runs each sandbox in its own namespaces with bubblewrap.
  apt-get install -y --no-install-recommends bubblewrap util-linux \
    || echo "setup.sh: bubblewrap could not be installed; grading falls back to the basic isolation" >&2
fi
python3 -m venv "$ROOT/kit-venv"
"$ROOT/kit-venv/bin/python" -m pip install --disable-pip-version-check --upgrade pip
"$ROOT/kit-venv/bin/python" -m pip install --disable-pip-version-check @DEPS@
"$ROOT/kit-venv/bin/python" -c "import pytest, xdist, pytest_timeout, psutil"
"""

RUN = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission, from /autograder ($AUTOGRADER_ROOT for a local run).
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="${KIT_SOURCE:-$ROOT/source}"
PY="${KIT_PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x "$ROOT/kit-venv/bin/python" ]; then PY="$ROOT/kit-venv/bin/python"; else PY="$(command -v python3)"; fi
fi
cd "$SOURCE" || exit 1
export PYTHONPATH="$SOURCE"
exec "$PY" -m kit.judge.gradescope run --root "$ROOT"
"""


def kit_files(include_solutions: bool = False):
    """(path, relative name) of every file of the kit that goes into the zip."""
    skip = SKIP_DIRS | (set() if include_solutions else SECRET_DIRS)
    for dirpath, dirnames, filenames in os.walk(ROOT):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in skip and not d.endswith("-report")
                             and not d.startswith(".") and not (here / d).is_symlink())
        for f in sorted(filenames):
            p = here / f
            if p.is_symlink() or f.endswith((".pyc", ".zip")) or not p.is_file():
                continue
            rel = p.relative_to(ROOT).as_posix()
            if rel.startswith(".") and rel != ".gitignore":
                continue
            yield p, rel


def _add(zf: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build(out_zip, visibility="visible", stdout_visibility="hidden", include_solutions=False) -> Path:
    from .release import nox_free_deps
    out_zip = Path(out_zip).resolve()
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    deps = " ".join(shlex.quote(d) for d in nox_free_deps())
    config = {"visibility": visibility, "stdout_visibility": stdout_visibility, "grade_args": STRICT}
    with zipfile.ZipFile(out_zip, "w") as zf:
        _add(zf, "setup.sh", SETUP.replace("@DEPS@", deps).encode(), 0o755)
        _add(zf, "run_autograder", RUN.encode(), 0o755)
        _add(zf, CONFIG, (json.dumps(config, indent=1) + "\n").encode())
        n = 0
        for p, rel in kit_files(include_solutions):
            if p == out_zip or rel in ("setup.sh", "run_autograder", CONFIG):
                continue
            _add(zf, rel, p.read_bytes(), 0o755 if os.access(p, os.X_OK) else 0o644)
            n += 1
    print(f"gradescope: {out_zip}: setup.sh, run_autograder and {n} kit files; tests {visibility}, "
          f"stdout {stdout_visibility}" + ("" if include_solutions else "; solutions/ and selftest/ left out"))
    return out_zip


# ------------------------------------------------------------------ on Gradescope

def _grade(folder: Path, out: Path, args: list) -> tuple:
    cmd = [sys.executable, "-m", "kit", "grade", str(folder), "--out", str(out), "--quiet", *args]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("GITHUB_STEP_SUMMARY", None)
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    return p, cmd


def grade_submission(folder: Path, out: Path, strict: list, extra: list, echo=print) -> tuple:
    """Grade with ``strict`` options, falling back without them if grade does not know them."""
    notes = []
    if (out / "report.json").exists():
        (out / "report.json").unlink()
    p, cmd = _grade(folder, out, strict + extra)
    # Rejected: an unknown option (an older grade), or strict isolation refused on this machine.
    if strict and p.returncode != 0 and not (out / "report.json").exists() and any(
            a in p.stderr for a in strict if a.startswith("--")):
        notes.append(f"note: this grader's `kit grade` rejected {' '.join(strict)}; graded without it "
                     f"({p.stderr.strip().splitlines()[-1] if p.stderr.strip() else 'no message'})")
        echo(notes[-1])
        p, cmd = _grade(folder, out, extra)
    echo("$ " + " ".join(shlex.quote(c) for c in cmd) + f"  (exit {p.returncode})")
    if p.stdout.strip():
        echo(p.stdout.strip())
    if p.stderr.strip():
        echo(p.stderr.strip()[-4000:])
    return p, notes


def run(argv=None) -> int:
    from . import batch
    from .grade import machine_info
    ap = argparse.ArgumentParser(prog="python -m kit.judge.gradescope run")
    ap.add_argument("--root", default=os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    args = ap.parse_args(argv)
    root = Path(args.root)
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    results_file = results_dir / "results.json"
    if results_file.exists():
        results_file.unlink()
    cfg = {"visibility": "visible", "stdout_visibility": "hidden", "grade_args": STRICT}
    if (ROOT / CONFIG).is_file():
        cfg.update(json.loads((ROOT / CONFIG).read_text()))
    extra = shlex.split(os.environ.get("KIT_GRADE_ARGS", ""))
    sel = argparse.ArgumentParser(add_help=False)
    sel.add_argument("--only", nargs="+")
    exercises = meta.select(sel.parse_known_args(extra)[0].only)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kit-gradescope-") as tmp:
        os.chmod(tmp, 0o700)
        entry = batch.Entry("submission", root / "submission")
        prep = batch.prepare(entry, Path(tmp) / "sub", exercises, 50 * 2 ** 20)
        notes = []
        data = None
        if prep.rejected:
            notes.append(f"Your submission could not be graded: {prep.rejected}.")
        else:
            if prep.status != "ok":
                notes.append(f"Submission: {prep.status}.")
            out = Path(tmp) / "report"
            p, more = grade_submission(prep.folder, out, cfg.get("grade_args", []), extra)
            notes += more
            if (out / "report.json").is_file():
                data = json.loads((out / "report.json").read_text())
                data["results"] = batch.relocate(data["results"], prep.folder, prep.where)
                data = report.build(data["results"], exercises, data["info"])
                data["info"]["submission"] = "submission" + (f" ({prep.where}/)" if prep.where not in ("", ".") else "")
            else:
                notes.append(f"The grader failed (exit {p.returncode}); this is not your fault: tell your teacher.")
        if data is None:
            results = []
            for e in exercises:
                results += batch.not_graded(e, prep.rejected or "the grader failed")
            info = dict(machine_info(0, 0), submission="submission", seconds=round(time.monotonic() - started, 2),
                        grader_errors=[])
            data = report.build(results, exercises, info)
        res = report.gradescope(data, visibility=cfg["visibility"], stdout_visibility=cfg["stdout_visibility"])
        if notes:
            res["output"] = "\n".join(notes + [res["output"]])
        res["execution_time"] = round(time.monotonic() - started, 2)
        tmp_out = results_dir / ".results.json.tmp"
        tmp_out.write_text(json.dumps(res, indent=2, ensure_ascii=False))
        os.replace(tmp_out, results_file)
    print(res["output"])
    return 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:
        return run(argv[1:])
    p = argparse.ArgumentParser(prog="python -m kit gradescope", description=__doc__.split("\n\n")[0])
    p.add_argument("out", metavar="OUT.zip", help="the autograder zip to write")
    p.add_argument("--visibility", choices=VISIBILITY, default="visible",
                   help="when students see the tests and the score (Gradescope's visibility)")
    p.add_argument("--stdout-visibility", choices=VISIBILITY, default="hidden",
                   help="when students see run_autograder's own output")
    p.add_argument("--include-solutions", action="store_true",
                   help="ship solutions/ and selftest/ too (to run the selftest in the image)")
    args = p.parse_args(argv)
    if not args.out.endswith(".zip"):
        p.error("OUT must end in .zip")
    build(args.out, args.visibility, args.stdout_visibility, args.include_solutions)
    return 0


if __name__ == "__main__":
    sys.exit(main())
