"""How far a sandbox is shut off from the judge, other sandboxes and the answer key.

Two levels, detected once per judging process and stated in every report:

- **strict** (the kit runs as root: Gradescope, containers, CI): each sandbox runs as a
  uid of its own, reserved for it while it runs (so a process cap is a real cap and one
  sandbox cannot signal another), with process, file-size and output caps. Where the
  kernel allows namespaces (``unshare``, util-linux) it also gets a PID namespace
  (``kill(-1)`` reaches only the sandbox), no network, and a mount namespace in which the
  kit's repository, the judge's folders and other submissions are covered by empty tmpfs
  (``kit.sandbox.jail``). Where namespaces are refused (a container without CAP_SYS_ADMIN),
  strict still holds through the distinct uids, and the answer key must not be readable
  by other users (the report says whether it is).
- **basic** (a learner at home, not root): process groups, resource limits, output caps,
  the audit hook (which refuses ``os.kill`` of processes the sandbox did not start); the
  sandbox runs as the learner, so it can read what the learner can.

``--isolation strict`` refuses to grade below strict: the teacher's setting.
"""
import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import List, Optional

from kit import ROOT

UID_BASE = 61000        # sandbox uids: UID_BASE .. UID_BASE + UID_COUNT - 1 (no passwd entry needed)
UID_COUNT = 64
NPROC = 256             # processes and threads per sandbox (RLIMIT_NPROC of its own uid)
FSIZE = 64 * 1024 ** 2  # largest file a sandbox may write
TMP_MB = 256            # size of each private tmpfs (/tmp, /dev/shm, the working folder)
UID_DIR = Path("/tmp/kit-uids")
UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc", "--net", "--mount", "--kill-child"]


@dataclass
class Isolation:
    level: str                         # "strict" | "basic"
    mechanisms: List[str] = field(default_factory=list)
    not_covered: List[str] = field(default_factory=list)
    namespaces: bool = False
    uids: bool = False

    def describe(self) -> dict:
        return {"level": self.level, "mechanisms": self.mechanisms, "not_covered": self.not_covered}


_COMMON = ["own session and process group per sandbox, killed whole", "child subreaper",
           "output kept to the last 1 MB per stream", "address-space limit",
           f"file size cap {FSIZE // 1024 ** 2} MB",
           "audit hook (imports of the harness, frame and gc access, ctypes, kit files, foreign kill)",
           "static scan of the submission"]


def _basic() -> Isolation:
    return Isolation("basic", list(_COMMON), [
        "the sandbox runs as you: it can read any file you can (the answer key included)",
        "no PID namespace: a kill that gets past the audit hook (ctypes) can reach your processes",
        "no process cap per sandbox (RLIMIT_NPROC counts all of your processes)",
        "network stays on"])


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    try:
        return subprocess.run(UNSHARE + ["true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@lru_cache(maxsize=None)
def detect() -> Isolation:
    """What this machine allows; ``KIT_ISOLATION=basic`` asks for basic even as root."""
    if os.environ.get("KIT_ISOLATION") == "basic":
        return _basic()
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return _basic()
    mech = _COMMON + [f"a uid of its own per sandbox ({UID_BASE}+), no groups, no new privileges",
                     f"process cap {NPROC}"]
    if _unshare_works():
        return Isolation("strict", mech + ["PID namespace", "network namespace (no network)",
                                           "mount namespace: the kit, the judge's folders and other "
                                           "submissions covered; private /tmp and /dev/shm"],
                         [], namespaces=True, uids=True)
    missing = ["no PID namespace (the kernel refused): signals are stopped by the distinct uids",
               "network stays on (no network namespace)"]
    if os.stat(ROOT / "solutions").st_mode & 0o004 if (ROOT / "solutions").exists() else False:
        missing.append("the answer key is readable by other users here (chmod o-rwx solutions hidden selftest)")
    return Isolation("strict", mech, missing, namespaces=False, uids=True)


class UidLease:
    """A sandbox uid held while one sandbox runs (an flock shared by every judging process)."""

    def __init__(self):
        UID_DIR.mkdir(mode=0o700, exist_ok=True)
        for uid in range(UID_BASE, UID_BASE + UID_COUNT):
            fd = os.open(UID_DIR / str(uid), os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return
        raise RuntimeError(f"all {UID_COUNT} sandbox uids are in use")

    def release(self):
        os.close(self._fd)


def _untraversable_ancestors(path: str) -> List[str]:
    """Ancestors of ``path`` that other users cannot enter (e.g. /root): they are covered, and
    ``path`` bound back, so the sandbox user can reach ``path`` and nothing else there."""
    out = []
    p = Path(path)
    for a in list(p.parents)[:-1]:
        try:
            if not os.stat(a).st_mode & 0o001:
                out.append(str(a))
        except OSError:
            pass
    return out


def prepare(iso: Isolation, *, tmp: str, dump_dir: str, private: str, view: Path,
            hide_more=()) -> Optional[tuple]:
    """The command prefix, the jail spec (sent on the sandbox's stdin) and the uid lease of one
    sandbox (None at the basic level).

    ``private`` is the sandbox's own copy of the submission: it becomes readable by the
    leased uid alone. At the strict level with namespaces, everything in ``hide_more``
    (the original submission, other submissions) and the kit's repository are covered.
    """
    if not iso.uids:
        return None
    lease = UidLease()
    work = os.path.join(tmp, "work")
    os.makedirs(work, exist_ok=True)
    for d in (tmp, dump_dir, work):
        os.chown(d, lease.uid, lease.uid)
    os.chmod(tmp, 0o755)
    _own(private, lease.uid)
    keep = [sys.base_prefix, sys.prefix, str(view), private]
    # The kit, the judge's working folder, what the caller names (the original submission),
    # and what a batch names in KIT_HIDE (every student's original, the reports folder).
    extra = [h for h in os.environ.get("KIT_HIDE", "").split(os.pathsep) if h]
    hide = [str(ROOT), os.environ.get("KIT_CWD") or os.getcwd(), *hide_more, *extra]
    for k in keep + [dump_dir]:
        hide += _untraversable_ancestors(k)
    hide = [h for h in hide if h and h != "/"]
    spec = {"uid": lease.uid, "gid": lease.uid, "hide": hide, "keep": keep, "write": [dump_dir],
            "noexec": [private], "work": work, "nproc": NPROC, "fsize": FSIZE, "tmp_mb": TMP_MB}
    # Without a mount namespace nothing can be covered: the distinct uid does the work.
    spec["mounts"] = iso.namespaces
    return (UNSHARE if iso.namespaces else []), spec, lease


@contextlib.contextmanager
def hidden_from_sandboxes(*paths):
    """Every sandbox started meanwhile (by this process and the grading sessions it starts)
    also has ``paths`` covered: a class's originals, a platform's submission and results
    folders, a batch's reports. Carried in ``KIT_HIDE`` because the sandboxes are started
    by the pytest session, a process of its own."""
    before = os.environ.get("KIT_HIDE")
    os.environ["KIT_HIDE"] = os.pathsep.join([h for h in (before, *map(str, paths)) if h])
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("KIT_HIDE", None)
        else:
            os.environ["KIT_HIDE"] = before


def _own(folder: str, uid: int) -> None:
    """``folder`` and everything in it: owned by ``uid``, readable by it alone, writable by nobody."""
    for dirpath, dirnames, filenames in os.walk(folder):
        for f in filenames:
            path = os.path.join(dirpath, f)
            os.chown(path, uid, uid)
            os.chmod(path, 0o400)
        os.chown(dirpath, uid, uid)
        os.chmod(dirpath, 0o500)
