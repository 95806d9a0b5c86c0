"""Run one probe in a child process that the judge starts, limits and kills.

The judging process never imports learner code. A probe (a function in
``hidden/kit_probes``) runs in a fresh interpreter that leads its own session and
process group; it reports observations as JSON, and ``mark`` events that the judge
timestamps with its own clock. On time-out the judge asks every process in the group
for its stacks (SIGUSR1, see ``kit/site/sitecustomize.py``), then kills the group,
kills anything that escaped it, and reaps.
"""
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import ROOT, proc

SITE_DIR = ROOT / "kit" / "site"
PROBES_DIR = ROOT / "hidden"
STACK_GRACE = 0.4  # seconds given to processes to write their stacks after SIGUSR1
EXIT_GRACE = 1.0   # after its result, a child has this long to leave before it is killed


@dataclass
class Run:
    """What one sandboxed probe did, as seen from the judging side."""
    probe: str
    status: str                      # "ok" | "error" | "timeout" | "crashed"
    value: Any = None                # the probe's return value (JSON)
    error: Optional[dict] = None     # the exception the probe raised
    marks: list = field(default_factory=list)   # (name, judge-side monotonic time)
    elapsed: float = 0.0
    exitcode: Optional[int] = None
    stacks: list = field(default_factory=list)  # per thread: {"pid", "thread", "frames"}
    stdout: str = ""
    stderr: str = ""
    strays: list = field(default_factory=list)  # processes found and killed afterwards

    def span(self, start: str, end: str) -> float:
        """Judge-side seconds between two marks the probe sent."""
        times = dict(self.marks)
        return times[end] - times[start]


def _env(submission: Path, dump_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "KIT_", "COV_", "PYTHON"))}
    env.update({
        # sitecustomize first, then the harness, the submission, the probes.
        "PYTHONPATH": os.pathsep.join(map(str, [SITE_DIR, ROOT, submission, PROBES_DIR])),
        "PYTHONBREAKPOINT": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONFAULTHANDLER": "1",
        "KIT_DUMP_DIR": dump_dir,
        "KIT_SUBMISSION": str(submission),
    })
    return env


def _limits() -> None:  # runs in the child between fork and exec
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        soft = 4 * 1024 ** 3
        resource.setrlimit(resource.RLIMIT_AS, (soft, soft))
    except (ImportError, ValueError, OSError):
        pass


def run(probe: str, *, submission, timeout: float, start_method: Optional[str] = None,
        **kwargs) -> Run:
    """Run ``probe`` ("module:function" under hidden/) with ``kwargs`` against ``submission``."""
    submission = Path(submission).resolve()
    started = time.monotonic()
    deadline = started + timeout
    result = Run(probe=probe, status="crashed")
    with tempfile.TemporaryDirectory(prefix="kit-") as tmp:
        dump_dir = os.path.join(tmp, "stacks")
        os.mkdir(dump_dir)
        out_path, err_path = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        read_fd, write_fd = os.pipe()
        env = _env(submission, dump_dir)
        env["KIT_RESULT_FD"] = str(write_fd)
        request = json.dumps({"probe": probe, "kwargs": kwargs, "start_method": start_method})
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            child = subprocess.Popen(
                [sys.executable, "-X", "faulthandler", "-m", "kit.child"],
                stdin=subprocess.PIPE, stdout=out, stderr=err, env=env, cwd=tmp,
                pass_fds=(write_fd,), start_new_session=True, preexec_fn=_limits)
        os.close(write_fd)
        try:
            child.stdin.write(request.encode())
            child.stdin.close()
        except BrokenPipeError:
            pass
        buf = b""
        done = False
        eof = False
        while not done:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([read_fd], [], [], min(left, 0.5))
            if not ready:
                if child.poll() is not None and eof:
                    break
                continue
            chunk = os.read(read_fd, 1 << 16)
            now = time.monotonic()
            if not chunk:
                eof = True
                if child.poll() is not None:
                    break
                # Learner's forked children may still hold the pipe; wait for exit.
                try:
                    child.wait(timeout=max(0.0, min(deadline - time.monotonic(), 0.5)))
                except subprocess.TimeoutExpired:
                    pass
                if child.poll() is not None:
                    break
                continue
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # learner code wrote junk on our descriptor
                kind = event.get("event")
                if kind == "mark":
                    result.marks.append((event.get("name"), now))
                elif kind == "result":
                    result.status, result.value, done = "ok", event.get("value"), True
                elif kind == "error":
                    result.status, result.error, done = "error", event.get("error"), True
        result.elapsed = time.monotonic() - started
        if done:
            try:
                child.wait(timeout=EXIT_GRACE)
            except subprocess.TimeoutExpired:
                pass
        elif child.poll() is None:
            result.status = "timeout"
            result.stacks = _collect_stacks(child.pid, dump_dir)
        # Always: nothing the check started outlives it.
        tree = proc.descendants(child.pid)
        proc.kill_group(child.pid)
        proc.kill_all(tree)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        result.exitcode = child.returncode
        result.strays = proc.kill_strays()
        os.close(read_fd)
        result.stdout = _tail(out_path)
        result.stderr = _tail(err_path)
    return result


def _tail(path: str, limit: int = 4000) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    text = data.decode("utf-8", "replace")
    return text if len(text) <= limit else "…" + text[-limit:]


_THREAD = re.compile(r"^(Current thread|Thread) (0x[0-9a-f]+)")
_FRAME = re.compile(r'^\s+File "(.*)", line (\d+) in (.*)$')


def _collect_stacks(pgid: int, dump_dir: str) -> list:
    """Ask every process of the group for its stacks; parse faulthandler's dumps."""
    procs = [pgid] + [p.pid for p in proc.descendants(pgid)]
    for pid in procs:
        try:
            os.kill(pid, signal.SIGUSR1)
        except (ProcessLookupError, PermissionError):
            pass
    time.sleep(STACK_GRACE)
    threads = []
    for name in sorted(os.listdir(dump_dir)):
        pid = int(name.split(".")[0])
        with open(os.path.join(dump_dir, name), errors="replace") as f:
            current = None
            for line in f:
                m = _THREAD.match(line)
                if m:
                    current = {"pid": pid, "main": pid == pgid, "thread": m.group(2), "frames": []}
                    threads.append(current)
                    continue
                m = _FRAME.match(line)
                if m and current is not None:
                    # faulthandler lists the innermost frame first
                    current["frames"].append({"file": m.group(1), "line": int(m.group(2)),
                                              "func": m.group(3)})
    return threads
