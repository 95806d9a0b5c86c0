"""Issue 8: a hostile submission never costs another exercise or another student a point,
the judge keeps its memory, nothing is left running, and tampering is flagged.

Every test that can signal -1 runs the whole grade inside a PID namespace that the test
itself creates (``unshare --pid --fork --mount-proc``), never against the host.
"""
import base64
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kit.engine import isolation, runner

pytestmark = pytest.mark.once  # the machine's isolation and tools, not the interpreter: one Python

ROOT = Path(__file__).resolve().parents[1]
STRICT = isolation.detect().level == "strict" and isolation.detect().namespaces
needs_strict = pytest.mark.skipif(not STRICT, reason="the strict level needs root and namespaces "
                                                      "(CI runs as root: these run there)")


@pytest.fixture(autouse=True)
def _nothing_left(nothing_left):
    """Every test here: nothing it started outlives it (kit_tests/conftest.py)."""


def submission(tmp_path, exercise, text, whole=False):
    """The reference solutions with one module rewritten (appended to, or replaced)."""
    sub = tmp_path / "sub"
    sub.mkdir()
    for f in (ROOT / "solutions").glob("*.py"):
        shutil.copy(f, sub / f.name)
    target = sub / f"{exercise}.py"
    target.write_text(text if whole else target.read_text() + "\n\n" + text)
    return sub


def grade(sub, out, *only, ns=False, timeout=600):
    cmd = [sys.executable, "-m", "kit", "grade", str(sub), "--out", str(out), "--only", *only]
    if ns:
        cmd = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"] + cmd
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    data = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else None
    return p, data


def by_exercise(data):
    return {e["name"]: (e["score"], e["max"]) for e in data["exercises"]}


@needs_strict
def test_kill_minus_one_costs_only_its_own_checks(tmp_path):
    # Through ctypes, so neither the static scan nor the audit hook's refusal stops the
    # signal itself: only the sandbox's PID namespace does.
    sub = submission(tmp_path, "lock_ordering", (
        "import ctypes as _c\n"
        "_transfer = transfer\n"
        "def transfer(src, dst, amount):\n"
        "    _c.CDLL(None).kill(-1, 9)\n"
        "    return _transfer(src, dst, amount)\n"))
    p, data = grade(sub, tmp_path / "out", "lock_ordering", "lock_balance", ns=True)
    assert data is not None, f"no report: the grade was killed\n{p.stdout[-2000:]}{p.stderr[-2000:]}"
    scores = by_exercise(data)
    assert scores["lock_balance"] == (10, 10), scores
    assert scores["lock_ordering"][0] == 0, scores
    assert data["tamper"]
    assert any(r["reason"] == "tamper" and "reached into the grader" in r["message"]
               for r in data["results"] if r["exercise"] == "lock_ordering")


def test_answer_key_import_is_refused_and_flagged(tmp_path):
    sub = submission(tmp_path, "pool_map", "from solutions.pool_map import *\n", whole=True)
    p, data = grade(sub, tmp_path / "out", "pool_map")
    assert data["score"] == 0 and data["tamper"], p.stdout[-2000:]


@needs_strict
def test_answer_key_on_disk_cannot_be_read(tmp_path):
    # The path is hidden from the static scan; the file itself must be out of reach.
    path = base64.b64encode(str(ROOT / "solutions" / "queue_reader_writer.py").encode()).decode()
    sub = submission(tmp_path, "queue_reader_writer", (
        "import base64 as _b\n"
        f"exec(open(_b.b64decode('{path}').decode()).read())\n"), whole=True)
    p, data = grade(sub, tmp_path / "out", "queue_reader_writer")
    assert data["score"] == 0, [(r["check"], r["status"], r["message"][:200]) for r in data["results"]]


def test_patched_instrumentation_is_flagged_not_rewarded(tmp_path):
    # No lock at all, and the lockset told the lock is held: the patch is seen, the points go.
    sub = submission(tmp_path, "lock_balance", (
        "import sys as _s\n"
        "_m = _s.__dict__['mod' + 'ules']\n"
        "for _k, _v in list(_m.items()):\n"
        "    if _k.endswith('lockset'):\n"
        "        _orig = _v.Lockset._access\n"
        "        def _fake(self, obj, attr, kind):\n"
        "            return None\n"
        "        setattr(_v.Lockset, '_access', _fake)\n"
        "class Account:\n"
        "    def __init__(self, balance=0):\n"
        "        self.balance = balance\n"
        "        self.lock = __import__('threading').Lock()\n"
        "    def deposit(self, amount):\n"
        "        self.balance = self.balance + amount\n"
        "    def withdraw(self, amount):\n"
        "        if amount > self.balance:\n"
        "            raise InsufficientFunds(amount)\n"
        "        self.balance = self.balance - amount\n"
        "    def change_it(self, n):\n"
        "        self.deposit(n)\n"
        "        self.withdraw(n)\n"))
    p, data = grade(sub, tmp_path / "out", "lock_balance")
    safe = [r for r in data["results"] if r["check"].startswith("safe.")]
    assert all(r["status"] == "failed" for r in safe), [(r["check"], r["status"]) for r in safe]
    assert data["tamper"]


def test_forged_channel_is_flagged(tmp_path):
    # Serial threads, plus a rewrite of what the probe sends: there is no module-level send
    # to wrap, and reaching for the channel is itself flagged.
    sub = submission(tmp_path, "threads_start_join", (
        "def run_in_threads(func, args_list):\n"
        "    import threading\n"
        "    out = []\n"
        "    for a in args_list:\n"
        "        box = []\n"
        "        t = threading.Thread(target=lambda a=a: box.append(func(*a)))\n"
        "        t.start(); t.join(); out.append(box[0] if box else None)\n"
        "    return out\n"
        "import gc as _gc\n"
        "for _o in _gc.get_objects():\n"
        "    if getattr(_o, '__name__', '') == 'send' and 'kit' in getattr(_o, '__module__', ''):\n"
        "        _o.__code__ = (lambda *a, **k: None).__code__\n"))
    p, data = grade(sub, tmp_path / "out", "threads_start_join")
    assert data["tamper"]
    overlap = next(r for r in data["results"] if r["check"] == "parallel.overlap")
    assert overlap["status"] == "failed"


def test_output_flood_keeps_judge_memory_small(tmp_path):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = runner.run("kit_probes.engine:flood", submission=ROOT / "solutions", timeout=120, mb=200)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert r.status == "ok", (r.status, r.error)
    assert len(r.stdout) <= 4100 and len(r.stderr) <= 4100
    grew_mb = (after - before) / 1024
    assert grew_mb < 50, f"the judge grew by {grew_mb:.0f} MB while the sandbox printed 400 MiB (200 on each stream)"


@needs_strict
def test_fork_storm_is_capped_and_cleaned_up(tmp_path):
    r = runner.run("kit_probes.engine:fork_storm", submission=ROOT / "solutions", timeout=60, n=1500)
    assert r.status == "ok", (r.status, r.error, r.stderr[-500:])
    assert r.value["error"] and r.value["started"] < isolation.NPROC, r.value


@needs_strict
def test_sandbox_runs_unprivileged_in_its_own_pid_namespace_without_network(tmp_path):
    r = runner.run("kit_probes.engine:whoami", submission=ROOT / "solutions", timeout=20)
    assert r.status == "ok", (r.status, r.error, r.stderr)
    assert r.value["uid"] >= isolation.UID_BASE and r.value["pid"] == 1, r.value
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        r = runner.run("kit_probes.engine:connect", submission=ROOT / "solutions", timeout=20,
                       port=s.getsockname()[1])
    assert r.value.startswith("refused"), r.value


def test_symlinked_submission_is_refused(tmp_path, run_kit):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    p = run_kit("grade", tmp_path / "link", "--out", tmp_path / "out")
    assert p.returncode != 0 and "symbolic link" in (p.stdout + p.stderr)
    sub = tmp_path / "sub"
    sub.mkdir()
    os.symlink(ROOT / "solutions" / "pool_map.py", sub / "pool_map.py")
    p = run_kit("grade", sub, "--out", tmp_path / "out")
    assert p.returncode != 0 and "outside the submission" in (p.stdout + p.stderr)


def test_strict_is_refused_below_strict(tmp_path, run_kit):
    p = run_kit("grade", ROOT / "solutions", "--only", "lock_balance", "--out", tmp_path, "--isolation", "strict",
                env={"KIT_ISOLATION": "basic"})
    assert p.returncode != 0 and "strict" in (p.stdout + p.stderr)
