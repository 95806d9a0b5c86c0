"""Run one exercise's learner tests, with a time limit and a process-group kill.

The one place that starts pytest for the learner tools: ``check`` runs every exercise
through it (two at a time), ``watch`` the current one (and cancels a run when a file is
saved again). Each run is a pytest of its own, leading its own process group (a job
object's worth on Windows: the whole tree), so a deadlock in one exercise costs that
exercise only, and nothing it started outlives the run.

What comes back is a ``Result``: the counts, every failing test with its message, and
whether the run was stopped, by the kit's limit or by pytest-timeout's per-test limit
(which ends pytest before it writes its report: the ``-v`` lines, timestamped as they
arrive, say which test hung and for how long).
"""
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

from kit import ROOT
from kit.core import proc
from kit.core.i18n import _

TESTS = ROOT / "tests"
_TIMEOUT_BANNER = re.compile(rb"^\++ Timeout \++\s*$", re.M)
_VERBOSE_LINE = re.compile(rb"^(?:\S*::)?(test_\w+(?:\[[^\]]*\])?)\s+(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b", re.M)
_TEST_START = re.compile(rb"^\S*test_\w+\.py::(test_\w+(?:\[[^\]]*\])?)[ \t]", re.M)
_MISSING_PLUGIN = ("No module named pytest", "unrecognized arguments: --timeout", "Unknown config option: timeout")


@dataclass
class Result:
    name: str
    tests: int = 0                                   # tests that ran (or started)
    failed: List[Tuple[str, str]] = field(default_factory=list)  # (test, full message)
    not_done: int = 0                                # failures that are a NotImplementedError
    hung: bool = False                               # stopped: the kit's limit or pytest-timeout's
    hung_test: Optional[str] = None                  # the test that was running when it stopped
    hung_seconds: float = 0.0                        # how long it ran before it was stopped
    cancelled: bool = False                          # watch started a newer run
    exit: Optional[int] = None
    output: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.hung and not self.cancelled and self.tests > 0 and not self.failed

    @property
    def state(self) -> str:
        """``done``, ``not started``, ``failing``, ``hung``, ``no tests`` or ``no pytest``."""
        if self.hung:
            return "hung"
        if self.tests == 0:
            return "no pytest" if any(m in self.output for m in _MISSING_PLUGIN) else "no tests"
        if not self.failed:
            return "done"
        # Every failure is the stub's NotImplementedError (tests that back a fact about
        # Python itself pass on a stub too): nothing has been written yet.
        if self.not_done and self.not_done == len(self.failed):
            return "not started"
        return "failing"


def explain(message: str) -> str:
    """A failure message as the learner should read it: a bare BrokenBarrierError means the
    calls the test waits for never all ran at once (one at a time, or not at all)."""
    if "BrokenBarrierError" in message and "\n" not in message.strip():
        return _("the calls did not all run at the same time (a barrier that waits for all of "
                 "them timed out: threading.BrokenBarrierError)")
    return message


def first_lines(message: str, n: int = 1, width: int = 0) -> List[str]:
    """The first ``n`` lines of a failure message: the test's own words, without the
    ``assert ...`` comparison pytest appends after them."""
    lines = [ln.rstrip() for ln in explain(message).strip().splitlines() if ln.strip()]
    cut = next((i for i, ln in enumerate(lines) if i and ln.startswith("assert ")), len(lines))
    lines = lines[:cut][:n]
    if width:
        lines = [ln if len(ln) <= width else ln[: width - 1] + "…" for ln in lines]
    return lines


def _popen_kwargs() -> dict:
    if os.name == "nt":  # no process groups: a new group for Ctrl-Break, killed as a tree
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
    return {"start_new_session": True}


def run_tests(name: str, impl: Path, limit: float = 60.0, extra=(),
              cancel: Optional[threading.Event] = None) -> Result:
    """Run tests/test_NAME.py against the modules in ``impl``; stop it after ``limit`` s
    (or as soon as ``cancel`` is set), killing its whole process group."""
    with tempfile.TemporaryDirectory(prefix="kit-check-") as tmp:
        xml = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", str(TESTS / f"test_{name}.py"),
               "--impl", str(impl), "-v", "--no-header", "-p", "no:xdist", "-p", "no:randomly",
               f"--junitxml={xml}", "-o", "junit_family=xunit1", "-o", "console_output_style=classic",
               *extra]
        env = dict(os.environ, PYTHONBREAKPOINT="0", PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
        started = time.monotonic()
        p = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, env=env, **_popen_kwargs())
        chunks: List[Tuple[float, bytes]] = []

        def drain():
            while True:
                try:
                    data = os.read(p.stdout.fileno(), 65536)
                except OSError:
                    return
                if not data:
                    return
                chunks.append((time.monotonic(), data))

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        res = Result(name)
        while True:
            try:
                p.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.is_set():
                    res.cancelled = True
                elif time.monotonic() - started > limit:
                    res.hung = True
                else:
                    continue
                proc.kill_group(p.pid)
                p.wait()
                break
        proc.kill_group(p.pid)  # whatever the tests started and left behind
        reader.join(timeout=2)
        p.stdout.close()
        res.exit = p.returncode
        res.seconds = time.monotonic() - started
        res.output = b"".join(c for _t, c in chunks).decode("utf-8", errors="replace")
        _read_junit(res, xml)
        _read_verbose(res, chunks, started)
        return res


def _read_junit(res: Result, xml: Path) -> None:
    if not xml.exists():
        return
    try:
        cases = list(ET.parse(xml).iter("testcase"))
    except ET.ParseError:
        return
    for case in cases:
        res.tests += 1
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is not None:
            message = bad.get("message") or ""
            text = message + "\n" + (bad.text or "")
            res.failed.append((case.get("name") or "?", message or (bad.text or "").strip()))
            res.not_done += "NotImplementedError" in text


def _read_verbose(res: Result, chunks, started: float) -> None:
    """Stopped runs: which test was running and for how long (from the timestamped ``-v``
    lines), and, without a junit report, the counts from those lines."""
    raw = b"".join(c for _t, c in chunks)
    banner = _TIMEOUT_BANNER.search(raw)
    if banner is None and not res.hung:
        return
    res.hung = True
    ends, pos = [], 0
    for t, data in chunks:
        pos += len(data)
        ends.append((pos, t))

    def time_at(offset: int) -> float:
        for end, t in ends:
            if end > offset:
                return t
        return started + res.seconds

    until = banner.start() if banner is not None else len(raw)
    stopped_at = time_at(until) if banner is not None else started + res.seconds
    finished = _VERBOSE_LINE.findall(raw[:until])
    if res.tests == 0:  # no junit report: count from the -v lines
        res.tests = len(finished)
        for test, status in finished:
            if status in (b"FAILED", b"ERROR"):
                res.failed.append((test.decode(), status.decode()))
    starts = list(_TEST_START.finditer(raw[:until]))
    done = {t for t, _s in finished}
    res.hung_seconds = res.seconds  # the kit's own limit stopped the whole run
    if starts and starts[-1].group(1) not in done:
        res.hung_test = starts[-1].group(1).decode()
        res.tests += 1
        if banner is not None:  # pytest-timeout stopped this test: how long it ran
            res.hung_seconds = max(0.0, stopped_at - time_at(starts[-1].end() - 1))
