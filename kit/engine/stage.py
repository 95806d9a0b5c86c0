"""The sandbox's view of the kit: the only code a sandbox can import besides the submission.

A folder of its own, built once per judging process, holding copies of:

- ``kit/sandbox/`` (the sandbox side) under a bare ``kit/__init__.py``;
- each exercise's ``probes.py`` and ``observe.py`` as ``hidden/EXERCISE/`` (never
  ``checks.py``, the judge side);
- ``sitecustomize.py`` (stacks on SIGUSR1);
- for the kit's own tests only, their probes (``KIT_TEST_PROBES``) as ``kit_probes/``.

Its path is the whole ``PYTHONPATH`` of a sandbox (and its working folder at start): not
the repository root, so ``import solutions`` or ``import kit.engine`` fails there. Copies,
not links: a link would give the sandbox the repository's real path.

Also here: ``submission_copy``, the private copy of a submission that one sandbox reads,
and ``refused_reason``, the intake rule for files named like a module the grader relies on.
"""
import atexit
import os
import shutil
import stat
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Optional

from kit import ROOT

HIDDEN = ROOT / "hidden"
SANDBOX = ROOT / "kit" / "sandbox"
SANDBOX_FILES = ("probes.py", "observe.py", "__init__.py")  # of each hidden/EXERCISE/
KIT_INIT = '"""The sandbox side of the kit (a staged copy: see kit/engine/stage.py)."""\n'


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def build(into: Path) -> Path:
    """Stage the sandbox view into ``into`` (created); return it."""
    into.mkdir(parents=True, exist_ok=True)
    (into / "kit").mkdir()
    (into / "kit" / "__init__.py").write_text(KIT_INIT)
    _copy_tree(SANDBOX, into / "kit" / "sandbox")
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
    # The kit's own tests stage their probes too (kit_tests/probes, as ``kit_probes``); grading
    # never sets KIT_TEST_PROBES, so no product sandbox has them.
    extra = os.environ.get("KIT_TEST_PROBES")
    if extra:
        _copy_tree(Path(extra), into / "kit_probes")
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
    return view() / "kit" / "sandbox" / "site"


# -- the sandbox's private copy of a submission -----------------------------------------
SKIP_DIRS = frozenset({".git", "__MACOSX", "__pycache__", ".nox", ".venv", "venv", "node_modules", ".github",
                       ".idea", ".vscode", ".pytest_cache", ".backup", "grade-report"})
COPY_MAX_BYTES = 50 * 2 ** 20
COPY_MAX_FILES = 2000
HARNESS_NAMES = frozenset({"kit", "hidden", "solutions", "sitecustomize", "usercustomize", "conftest"})


@lru_cache(maxsize=None)
def shadowing_names() -> frozenset:
    """Top-level module names a submission's file must not have: the standard library's,
    those of the installed packages (site-packages) and the harness's own."""
    names = set(HARNESS_NAMES) | set(sys.builtin_module_names)
    names |= set(getattr(sys, "stdlib_module_names", ()))
    stdlib = Path(os.__file__).parent
    folders = [stdlib, stdlib / "lib-dynload"] + [Path(p) for p in sys.path
                                                  if p.endswith(("site-packages", "dist-packages"))]
    for folder in folders:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for e in entries:
            name = e.name.split(".")[0]
            if name and name.isidentifier() and (e.suffix in (".py", ".so", ".pyd") or (e / "__init__.py").exists()):
                names.add(name)
    return frozenset(names)


def refused_reason(name: str) -> Optional[str]:
    """Why a top-level file or folder of a submission is not given to the sandbox (None: it is)."""
    stem = name[:-3] if name.endswith(".py") else name
    if stem in shadowing_names():
        kind = "the grader's" if stem in HARNESS_NAMES else "a standard or installed"
        return (f"{name} is named like {kind} module `{stem}`: it was left out (a file of yours may "
                "not take the place of a module the grader relies on; rename it)")
    return None


def submission_copy(src: Optional[Path], dst: Path) -> list:
    """Copy the ``.py`` files of ``src`` into ``dst`` (created): no symlink followed, no FIFO
    opened, caches and tool folders skipped, files named like a module the grader relies on
    left out. Nothing else is copied: a compiled extension (``.so``) would run native code
    that no audit event sees. Returns ``[(name, reason)]`` of what was left out."""
    dst.mkdir(parents=True)
    refused = []
    if src is None:
        return refused
    total = count = 0
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        here = Path(dirpath)
        rel = here.relative_to(src)
        top = rel == Path(".")
        keep = []
        for d in sorted(dirnames):
            if d in SKIP_DIRS or d.startswith(".") or (here / d).is_symlink():
                continue
            why = refused_reason(d) if top else None
            if why:
                refused.append((d, why))
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            if not f.endswith(".py"):
                if f.endswith((".so", ".pyd", ".dylib", ".dll")) and len(refused) < 50:
                    refused.append((str(rel / f), f"{f} is compiled native code: it was left out (the grader "
                                                  "runs Python source only)"))
                continue
            why = refused_reason(f) if top else None
            if why:
                refused.append((f, why))
                continue
            data = read_regular(here / f)
            if data is None:
                continue
            count += 1
            total += len(data)
            if count > COPY_MAX_FILES or total > COPY_MAX_BYTES:
                return refused + [(str(rel / f), "the submission is too large: the rest was left out")]
            target = dst / rel / f
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return refused


def read_regular(path: Path) -> Optional[bytes]:
    """The bytes of a regular file, never through a symlink, never blocking on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        return f.read()
