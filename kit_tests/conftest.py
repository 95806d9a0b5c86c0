"""The kit's own tests: they drive the kit the way a learner, a teacher and CI do."""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The tests' own probes (kit_tests/probes) are staged into the sandbox view as ``kit_probes``
# (kit/engine/stage.py); grading never sets this, so the product has none of them.
os.environ["KIT_TEST_PROBES"] = str(ROOT / "kit_tests" / "probes")


STATE = tempfile.mkdtemp(prefix="kit-tests-state-")  # hints and progress of the tests, not of the learner


def kit(*args, timeout=600, cwd=ROOT, env=None):
    """Run ``python -m kit ARGS`` as a learner or teacher would; return the finished process."""
    return subprocess.run([sys.executable, "-m", "kit", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "KIT_STATE_DIR": STATE, **(env or {})})


@pytest.fixture
def run_kit():
    return kit


@pytest.fixture
def nothing_left():
    """Nothing a test started outlives it. A process that is still running 5 s after the
    test (or a dead one never reaped) fails the test; it is killed only after that is
    recorded, so the fixture detects leaks instead of cleaning them up. (A PID namespace's
    processes are reaped by the kernel after its init, not at once: hence the 5 s.)"""
    import time

    import psutil

    from kit.core import proc
    proc.become_subreaper()
    yield
    deadline = time.monotonic() + 5
    while True:
        proc.reap()
        left = psutil.Process().children(recursive=True)
        running = [p for p in left if _status(p) not in (psutil.STATUS_ZOMBIE, None)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    leaked = proc.describe(running) if running else ""
    proc.kill_strays()   # after the evidence is taken: the next test starts clean either way
    proc.reap()
    assert not running, f"left running 5 s after the test: {leaked}"
    assert not left, f"dead but never reaped (zombies) after 5 s: {left}"


def _status(p):
    import psutil
    try:
        return p.status()
    except psutil.Error:
        return None


def pytest_collection_modifyitems(items):
    # The kit's own tests grade whole submissions: they get their own limit, not the
    # learner tests' 30 s (pyproject.toml); a test may set a tighter one.
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(1200))
