"""``python -m kit gradescope OUT.zip``: the Gradescope autograder, and what it runs there.

The zip holds, at its root (Gradescope unpacks it into /autograder/source):

- ``setup.sh``: run once as root when Gradescope builds the image: python3, pip and venv
  and util-linux (its ``unshare`` starts each sandbox in namespaces of its own) from apt
  where apt exists, then the test stack in a venv of its own (/autograder/kit-venv);
- ``run_autograder``: grades the submission under ``$AUTOGRADER_ROOT/submission``
  (default /autograder), in any layout ``batch`` reads (modules at the top, an exercises/
  folder, a repository, a zip), through the one-submission path (``kit.teach.submission``:
  a private copy, strict isolation, the submission and results folders out of every
  sandbox's view; if the container does not allow strict isolation, the basic level, and
  the output says so), and writes ``$AUTOGRADER_ROOT/results/results.json`` last, over
  anything a submission wrote there;
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
import stat
import sys
import time
import zipfile
from pathlib import Path

from kit import ROOT
from kit.engine import report

from . import submission
from .release import nox_free_deps

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
  # Strict isolation starts each sandbox with util-linux's unshare (namespaces of its own);
  # without it, grading says so and uses a distinct uid per sandbox alone.
  apt-get install -y --no-install-recommends util-linux \
    || echo "setup.sh: util-linux could not be installed; sandboxes get no namespaces of their own" >&2
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
exec "$PY" -m kit.teach.gradescope run --root "$ROOT"
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

def run(argv=None) -> int:
    """What run_autograder runs for each submission: grade it, write results.json last."""
    ap = argparse.ArgumentParser(prog="python -m kit.teach.gradescope run")
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
    started = time.monotonic()
    opts = submission.options(list(cfg.get("grade_args", [])) + shlex.split(os.environ.get("KIT_GRADE_ARGS", "")))
    outcome = submission.grade_one(root / "submission", hide=[results_dir], **opts)
    res = report.gradescope(outcome.report, visibility=cfg["visibility"], stdout_visibility=cfg["stdout_visibility"])
    if outcome.notes:
        res["output"] = "\n".join(outcome.notes + [res["output"]])
    res["execution_time"] = round(time.monotonic() - started, 2)
    tmp_out = results_dir / ".results.json.tmp"
    tmp_out.write_text(json.dumps(res, indent=2, ensure_ascii=False))
    os.replace(tmp_out, results_file)
    print(res["output"])
    print(report.terminal(outcome.report))
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
