"""Run one probe in a sandbox process that the judge starts, limits and kills.

The judging process never imports learner code. A probe (a function in
``hidden/EXERCISE/probes.py``) runs in a fresh interpreter that leads its own session and
process group, with only the staged sandbox view (``stage``) and the submission on its
path; it reports observations as JSON, and ``mark`` events that the judge timestamps with
its own clock. On time-out the judge asks every process in the group for its stacks
(SIGUSR1, see ``kit/box/site/sitecustomize.py``), then kills the group, kills anything
that escaped it, and reaps.

What the sandbox prints is read through pipes as it comes and only the last
``OUTPUT_KEEP`` bytes of each stream are kept: a submission that prints gigabytes costs
the judge no memory.
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

from .. import proc
from . import isolation, stage

OUTPUT_KEEP = 1 << 20  # bytes of stdout and of stderr kept per sandbox (the last ones)
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
    tamper: list = field(default_factory=list)  # audit-hook findings: {"what", "file", "line"}
    processes: int = 0                          # processes of the sandbox alive when it was killed
    jailed: bool = False

    def span(self, start: str, end: str) -> float:
        """Judge-side seconds between two marks the probe sent."""
        times = dict(self.marks)
        return times[end] - times[start]


def _env(submission: Path, dump_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "KIT_", "COV_", "PYTHON"))}
    env.update({
        # sitecustomize first, then the staged sandbox side and probes, then the submission.
        "PYTHONPATH": os.pathsep.join(map(str, [stage.site_dir(), stage.view(), submission])),
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
        resource.setrlimit(resource.RLIMIT_FSIZE, (isolation.FSIZE, isolation.FSIZE))
    except (ImportError, ValueError, OSError):
        pass


class _Tail:
    """The last ``keep`` bytes of a stream, however much comes."""

    def __init__(self, keep: int = OUTPUT_KEEP):
        self.keep = keep
        self.data = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.data += chunk
        if len(self.data) > 2 * self.keep:
            del self.data[:-self.keep]

    def text(self, limit: int = 4000) -> str:
        text = bytes(self.data[-self.keep:]).decode("utf-8", "replace")
        cut = self.total > len(text) or len(text) > limit
        return ("…" + text[-limit:]) if cut else text


def run(probe: str, *, submission, timeout: float, start_method: Optional[str] = None,
        hide=(), **kwargs) -> Run:
    """Run ``probe`` ("hidden.EXERCISE.probes:function") with ``kwargs`` against ``submission``."""
    submission = Path(submission).resolve()
    started = time.monotonic()
    deadline = started + timeout
    result = Run(probe=probe, status="crashed")
    with tempfile.TemporaryDirectory(prefix="kit-") as tmp:
        dump_dir = os.path.join(tmp, "stacks")
        os.mkdir(dump_dir)
        read_fd, write_fd = os.pipe()
        env = _env(submission, dump_dir)
        env["KIT_RESULT_FD"] = str(write_fd)
        request = json.dumps({"probe": probe, "kwargs": kwargs, "start_method": start_method,
                              "protected": [str(stage.ROOT)]})
        cmd = [sys.executable, "-X", "faulthandler", "-m", "kit.box.child"]
        jail = isolation.prepare(isolation.detect(), submission=submission, view=stage.view(), tmp=tmp,
                                 dump_dir=dump_dir, hide_more=hide)
        lease = None
        if jail is not None:
            prefix, extra, lease = jail
            cmd = prefix + cmd
            env.update(extra)
            result.jailed = bool(prefix)
        child = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp,
            pass_fds=(write_fd,), start_new_session=True, preexec_fn=_limits)
        os.close(write_fd)
        try:
            child.stdin.write(request.encode())
            child.stdin.close()
        except BrokenPipeError:
            pass
        out_tail, err_tail = _Tail(), _Tail()
        tails = {child.stdout.fileno(): out_tail, child.stderr.fileno(): err_tail}
        open_fds = set(tails)
        buf = b""
        done = False
        eof = False

        def pump(ready):
            for fd in ready:
                if fd in tails:
                    chunk = os.read(fd, 1 << 16)
                    if chunk:
                        tails[fd].add(chunk)
                    else:
                        open_fds.discard(fd)

        while not done:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([read_fd, *open_fds], [], [], min(left, 0.5))
            pump(ready)
            if read_fd not in ready:
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
            if len(buf) > 64 * OUTPUT_KEEP:  # no probe says this much: junk on our descriptor
                buf = b""
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
                elif kind == "tamper" and len(result.tamper) < 20:
                    result.tamper.append({k: event.get(k) for k in ("what", "file", "line")})
        result.elapsed = time.monotonic() - started
        if done:
            grace = time.monotonic() + EXIT_GRACE
            while child.poll() is None and time.monotonic() < grace:
                if open_fds:
                    pump(select.select(list(open_fds), [], [], 0.05)[0])
                else:
                    time.sleep(0.05)
        elif child.poll() is None:
            result.status = "timeout"
            result.stacks = _collect_stacks(child.pid, dump_dir, result.jailed)
        # Always: nothing the check started outlives it.
        tree = proc.descendants(child.pid)
        result.processes = len(tree)
        proc.kill_group(child.pid)
        proc.kill_all(tree)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        result.exitcode = child.returncode
        result.strays = proc.kill_strays()
        # What is still buffered in the pipes (nobody writes any more: the group is dead).
        while open_fds:
            ready, _, _ = select.select(list(open_fds), [], [], 0)
            if not ready:
                break
            pump(ready)
        os.close(read_fd)
        child.stdout.close()
        child.stderr.close()
        result.stdout = out_tail.text()
        result.stderr = err_tail.text()
        if lease is not None:
            lease.release()
    return result


_THREAD = re.compile(r"^(Current thread|Thread) (0x[0-9a-f]+)")
_FRAME = re.compile(r'^\s+File "(.*)", line (\d+) in (.*)$')


def _collect_stacks(pgid: int, dump_dir: str, jailed: bool = False) -> list:
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
                    # In a PID namespace the sandbox's first process is pid 1 there.
                    main = pid == (1 if jailed else pgid)
                    current = {"pid": pid, "main": main, "thread": m.group(2), "frames": []}
                    threads.append(current)
                    continue
                m = _FRAME.match(line)
                if m and current is not None:
                    # faulthandler lists the innermost frame first
                    current["frames"].append({"file": m.group(1), "line": int(m.group(2)),
                                              "func": m.group(3)})
    return threads
