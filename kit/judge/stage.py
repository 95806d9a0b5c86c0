"""The sandbox's view of the kit: the only code a sandbox can import besides the submission.

A folder of its own, built once per judging process, holding copies of:

- ``kit/box/`` (the sandbox side) under a bare ``kit/__init__.py``;
- each exercise's ``probes.py`` and ``observe.py`` as ``hidden/EXERCISE/`` (never
  ``checks.py``, the judge side);
- ``sitecustomize.py`` (stacks on SIGUSR1).

Its path, with the submission's, is the whole ``PYTHONPATH`` of a sandbox: not the
repository root, so ``import solutions`` or ``import kit.judge`` fails there. Copies, not
links: a link would give the sandbox the repository's real path.
"""
import atexit
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from .. import ROOT

HIDDEN = ROOT / "hidden"
BOX = ROOT / "kit" / "box"
SANDBOX_FILES = ("probes.py", "observe.py", "__init__.py")  # of each hidden/EXERCISE/
KIT_INIT = '"""The sandbox side of the kit (a staged copy: see kit/judge/stage.py)."""\n'


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def build(into: Path) -> Path:
    """Stage the sandbox view into ``into`` (created); return it."""
    into.mkdir(parents=True, exist_ok=True)
    (into / "kit").mkdir()
    (into / "kit" / "__init__.py").write_text(KIT_INIT)
    _copy_tree(BOX, into / "kit" / "box")
    (into / "hidden").mkdir()
    (into / "hidden" / "__init__.py").write_text("")
    for folder in sorted(HIDDEN.iterdir()):
        if not (folder / "probes.py").is_file():
            continue
        dst = into / "hidden" / folder.name
        dst.mkdir()
        for name in SANDBOX_FILES:
            if (folder / name).is_file():
                shutil.copy(folder / name, dst / name)
    # Readable by an unprivileged sandbox user; writable by nobody but us.
    for dirpath, dirnames, filenames in os.walk(into):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
    return into


@lru_cache(maxsize=None)
def view() -> Path:
    """This process's staged view (built on first use, removed at exit)."""
    tmp = Path(tempfile.mkdtemp(prefix="kit-view-"))
    os.chmod(tmp, 0o755)
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    return build(tmp / "view")


def site_dir() -> Path:
    return view() / "kit" / "box" / "site"
