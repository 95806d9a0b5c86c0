"""Run probes in sandbox processes that the judge starts, talks to, limits and kills.

The judging process never imports learner code. A probe (a function in
``hidden/EXERCISE/probes.py``) runs in a fresh interpreter (``kit.sandbox.entry``) that
leads its own session and process group, as root inside ``unshare`` at the strict level,
where it enters its jail before it can import anything of the submission. Each sandbox
reads a private copy of the submission (``stage.submission_copy``: regular files only,
readable by that sandbox's uid alone, so a folder only its owner can read grades as
well as any other) and gets a minimal environment (no token of the judge's leaks in).

The judge writes one request line on the sandbox's stdin, with a fresh 256-bit key, and
reads JSON lines from a pipe. Every line must carry that key's MAC and the next sequence
number of its sender (``kit.sandbox.channel``); the judge, not the sandbox, decides that a
line it could not authenticate, a gap or a replay, a second result, or a sandbox that
killed itself because its channel was tampered with (``EXIT_CHANNEL``) is tampering.

A ``Session`` can be driven: a probe that is a generator yields observations, and the
judge answers each (``command``), measures the sandbox from outside (its process tree,
CPU time and open files, from /proc) and can freeze it while something else is timed.
``run`` is the one-shot form. On time-out the judge asks every process for its stacks
(SIGUSR1, ``kit/sandbox/site/sitecustomize.py``), then kills the group, anything that
escaped it, and reaps.

What the sandbox prints is read through pipes as it comes and only the last
``OUTPUT_KEEP`` bytes of each stream are kept: a submission that prints gigabytes costs
the judge no memory.
"""
import json
import os
import re
import select
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Optional

from kit.core import proc
from kit.sandbox.channel import EXIT_CHANNEL, verify
from . import isolation, stage

OUTPUT_KEEP = 1 << 20  # bytes of stdout and of stderr kept per sandbox (the last ones)
STACK_GRACE = 0.4  # seconds given to processes to write their stacks after SIGUSR1
EXIT_GRACE = 1.0   # after its result, a sandbox has this long to leave before it is killed
MAX_LINE = 64 * OUTPUT_KEEP  # no probe says this much in one line: past it, the channel is junk
LOOK = 0.02       # seconds between the judge's looks at a sandbox's processes while it waits
ENV_KEEP = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")  # the judge's env that a sandbox sees

FORGED = "a line on the grader's channel that the grader did not write (forged, or corrupted)"
SEQUENCE = "a message on the grader's channel out of sequence (replayed, or one was suppressed)"
CHANNEL_KILLED = "interfered with the grader's channel (closed or replaced its descriptor)"
FOREIGN_RESULT = "a result sent from a process other than the grader's own"

_live = set()  # root pids of this process's sandboxes that are running (kill_strays spares them)


@dataclass
class Run:
    """What one sandboxed probe did, as seen from the judging side."""
    probe: str
    status: str                      # "ok" | "error" | "timeout" | "crashed"
    value: Any = None                # the probe's return value (JSON)
    error: Optional[dict] = None     # the exception the probe raised
    elapsed: float = 0.0
    exitcode: Optional[int] = None
    stacks: list = field(default_factory=list)  # per thread: {"pid", "thread", "frames"}
    stdout: str = ""
    stderr: str = ""
    strays: list = field(default_factory=list)  # processes found and killed afterwards
    tamper: list = field(default_factory=list)  # findings: {"what", "file", "line"}
    processes: int = 0                          # processes of the sandbox alive when it was killed
    started: int = 0                            # processes the probe's code started (seen from outside, or forks)
    signals: list = field(default_factory=list)  # signals learner code sent: {"pid", "sig", "file", "line"}
    steps: list = field(default_factory=list)    # per yield of a generator probe, then at its end: counts()
    jailed: bool = False
    slow: float = 1.0                           # the load factor its time limits were stretched by


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


def _env(dump_dir: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k in ENV_KEEP}
    env.update({
        # sitecustomize (stacks on SIGUSR1) and the staged view: never the submission,
        # which the entry point appends to sys.path itself, last, once it is jailed.
        "PYTHONPATH": os.pathsep.join(map(str, [stage.site_dir(), stage.view()])),
        "PYTHONBREAKPOINT": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONFAULTHANDLER": "1",
        "KIT_DUMP_DIR": dump_dir,
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


def relocate(value, old: str, new: str):
    """``value`` with every occurrence of the path ``old`` in its strings replaced by ``new``."""
    if isinstance(value, str):
        return value.replace(old, new) if old in value else value
    if isinstance(value, list):
        return [relocate(v, old, new) for v in value]
    if isinstance(value, dict):
        return {relocate(k, old, new): relocate(v, old, new) for k, v in value.items()}
    return value


# A loaded machine (other jobs, a CI runner shared with others) slows correct code down; a
# time limit must not turn that into a "hang". Limits stretch with the load beyond
# CALM_LOAD runnable tasks per CPU, up to MAX_SLOW: a real hang then costs at most MAX_SLOW
# times its limit, and only on a loaded machine. The grader's own two workers, with the
# threads and pools of the probes, keep a 2-core machine at a load of 8 to 10 (measured
# during a CI run, 2026-12-03): that is calm, not loaded.
CALM_LOAD = 5.0
MAX_SLOW = 4.0


def load_factor() -> float:
    """How much to stretch time limits now: 1.0 on a machine that is not overloaded."""
    try:
        load = os.getloadavg()[0]
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    except OSError:
        return 1.0
    return round(min(MAX_SLOW, max(1.0, load / (CALM_LOAD * max(cpus, 1)))), 2)


class Session:
    """One sandbox running one probe; see the module docstring."""

    def __init__(self, probe: str, *, submission, start_method: Optional[str] = None, hide=(), **kwargs):
        self.probe = probe
        self.submission = Path(submission).resolve() if submission is not None else None
        self.result = Run(probe=probe, status="crashed")
        self.key = os.urandom(32)
        self.started = time.monotonic()
        self._events = []           # authenticated events not yet taken (yield, result, error)
        self._seq = {}              # sender pid -> next sequence number
        self._buf = b""
        self._tmp = tempfile.TemporaryDirectory(prefix="kit-")
        tmp = self._tmp.name
        self.dump_dir = os.path.join(tmp, "stacks")
        os.mkdir(self.dump_dir)
        iso = isolation.detect()
        # The sandbox's copy of the submission (or an empty folder for a probe that needs none).
        self.inside = os.path.join(tmp, "submission")
        self.refused = stage.submission_copy(self.submission, Path(self.inside))
        read_fd, write_fd = os.pipe()
        self._read_fd = read_fd
        env = _env(self.dump_dir)
        env["KIT_RESULT_FD"] = str(write_fd)
        self.result.slow = load_factor()
        request = {"probe": probe, "kwargs": kwargs, "start_method": start_method, "key": self.key.hex(),
                   "submission": self.inside, "protected": [str(stage.ROOT)], "slow": self.result.slow}
        cmd = [sys.executable, "-s", "-X", "faulthandler", "-m", "kit.sandbox.entry"]
        hidden = [str(self.submission)] if self.submission is not None else []
        jail = isolation.prepare(iso, tmp=tmp, dump_dir=self.dump_dir, private=self.inside, view=stage.view(),
                                 hide_more=list(hide) + hidden)
        self.lease = None
        if jail is not None:
            prefix, spec, self.lease = jail
            cmd = prefix + cmd
            request["jail"] = spec
            self.result.jailed = bool(prefix)
        self.child = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            cwd=str(stage.view()), pass_fds=(write_fd,), start_new_session=True, preexec_fn=_limits)
        _live.add(self.child.pid)
        os.close(write_fd)
        self._out, self._err = _Tail(), _Tail()
        self._tails = {self.child.stdout.fileno(): self._out, self.child.stderr.fileno(): self._err}
        self._open = set(self._tails)
        self._eof = False
        self.root_pid = None
        self.finished = False
        self._spawned = 0            # fork/subprocess events the sandbox's hook reported
        self._seen = set()           # pids of the sandbox's processes seen while waiting for it
        self._last_look = 0.0
        self._root = None            # the sandbox's own process, once seen
        self._counted, self._spawned_counted, self._signals_counted = set(), 0, 0  # for counts()
        self.namespaced = bool(jail is not None and jail[0])
        self.ticks = proc.CLOCK_TICKS
        self._write(request)

    # -- talking to the sandbox ----------------------------------------------------------
    def _write(self, obj) -> bool:
        try:
            self.child.stdin.write((json.dumps(obj) + "\n").encode())
            self.child.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def command(self, obj) -> bool:
        """Answer the probe's last ``yield`` (one JSON line on its stdin)."""
        return self._write(obj)

    def _tamper(self, what: str) -> None:
        if len(self.result.tamper) < 20:
            self.result.tamper.append({"what": what, "file": None, "line": None})

    def _take(self, line: bytes) -> None:
        body = verify(line, self.key)
        if body is None:
            self._tamper(FORGED)
            return
        pid, seq = body.get("pid"), body.get("seq")
        if seq != self._seq.get(pid, 0):
            self._tamper(SEQUENCE)
        self._seq[pid] = seq + 1 if isinstance(seq, int) else 0
        event = body.get("event")
        if event == "hello" and self.root_pid is None:
            self.root_pid = pid
            return
        if event == "spawned":
            self._spawned += 1
            return
        if event == "signalled":
            if len(self.result.signals) < 100:
                self.result.signals.append({k: body.get(k) for k in ("pid", "sig", "file", "line")})
            return
        if event == "tamper":
            if len(self.result.tamper) < 20:
                self.result.tamper.append({k: body.get(k) for k in ("what", "file", "line")})
            return
        if event in ("yield", "result", "error"):
            if pid != self.root_pid:
                self._tamper(FOREIGN_RESULT)
                return
            self._events.append(body)

    def _pump(self, timeout: float) -> None:
        """Read what is ready (or wait up to ``timeout``): output tails and channel lines."""
        fds = list(self._open) + ([] if self._eof else [self._read_fd])
        if not fds:
            time.sleep(min(timeout, 0.05))
            return
        ready, _, _ = select.select(fds, [], [], max(0.0, timeout))
        for fd in ready:
            if fd in self._tails:
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    self._tails[fd].add(chunk)
                else:
                    self._open.discard(fd)
            else:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    self._eof = True
                    continue
                self._buf += chunk
                while b"\n" in self._buf:
                    line, self._buf = self._buf.split(b"\n", 1)
                    self._take(line)
                if len(self._buf) > MAX_LINE:
                    self._tamper(FORGED)
                    self._buf = b""

    def counts(self) -> dict:
        """Since the last call: processes started (seen from outside, or forks the hook reported)
        and signals learner code sent. The probe's yields mark the steps."""
        self._look(force=True)
        own = {self.child.pid, self._root}
        started = max(len(self._seen - own - self._counted), self._spawned - self._spawned_counted)
        self._counted |= self._seen - own
        self._spawned_counted = self._spawned
        signals = self.result.signals[self._signals_counted:]
        self._signals_counted = len(self.result.signals)
        if self.submission is not None:
            signals = relocate(signals, self.inside, str(self.submission))
        return {"started": started, "signals": signals, "threads": self.threads(), "census": self.census()}

    def census(self) -> dict:
        """{pid: {"root", "state", "cmd", "files"}} for every process of the sandbox (its ``unshare``
        left out): what the judge reads in /proc, the files being the names of what each holds open."""
        root = self._root or self.root()
        out = {}
        for pid in self.tree():
            if self.namespaced and pid == self.child.pid:
                continue
            st = proc.stat(pid)
            if st is None:
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            except OSError:
                cmd = ""
            files = []
            for paths in self.open_files(pid).values():
                files += [os.path.basename(p) for p in paths]
            out[pid] = {"root": pid == root, "state": st["state"], "ppid": st["ppid"], "cmd": cmd[:200],
                        "files": files, "nspid": proc.nspid(pid)}
        return out

    def threads(self) -> dict:
        """{thread id as the sandbox knows it (threading.get_native_id()): {"cpu": seconds, "voluntary",
        "involuntary": context switches}} for every thread of the sandbox's own process."""
        root = self._root or self.root()
        out = {}
        if root is None:
            return out
        try:
            tids = os.listdir(f"/proc/{root}/task")
        except OSError:
            return out
        for tid in tids:
            try:
                with open(f"/proc/{root}/task/{tid}/status") as f:
                    status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
            except OSError:
                continue
            st = proc.stat(int(tid), f"/proc/{root}/task/{tid}/stat")
            ns = status.get("NSpid", tid).split()[-1]
            out[int(ns)] = {"cpu": (st["utime"] + st["stime"]) / self.ticks if st else 0.0,
                            "voluntary": int(status.get("voluntary_ctxt_switches", 0)),
                            "involuntary": int(status.get("nonvoluntary_ctxt_switches", 0))}
        return out

    def _look(self, force: bool = False) -> None:
        """Note the sandbox's processes (every LOOK seconds while the judge waits for it)."""
        now = time.monotonic()
        if force or now - self._last_look >= LOOK:
            self._last_look = now
            if self._root is None:
                self._root = self.root()
            self._seen.update(self.tree())

    def next_event(self, deadline: float, look: bool = True) -> Optional[dict]:
        """The next ``yield``/``result``/``error`` event, or None (deadline, or the sandbox ended).
        ``look``: meanwhile, note the sandbox's processes (``counts``)."""
        while not self._events:
            if look:
                self._look()
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if self._eof and self.child.poll() is not None:
                return None
            if self._eof:
                # Learner children may still hold the pipe: wait for the sandbox itself to exit.
                self._pump(min(left, 0.05))
                continue
            self._pump(min(left, LOOK if look else 0.5))
        return self._events.pop(0)

    def request(self, obj, limit: float, sample=None, every: float = 0.025):
        """Send ``obj`` and wait for the answer: ``(seconds on the judge's clock, event or None)``.

        The clock runs from just before the write to the moment the answer is read;
        ``sample()``, when given, is called every ``every`` seconds meanwhile (and nothing
        else of the judge's runs: a timed round is not slowed by the judge's own looks).
        """
        started = time.monotonic()
        deadline = started + limit
        self.command(obj)
        while True:
            step = deadline if sample is None else min(deadline, time.monotonic() + every)
            event = self.next_event(step, look=False)
            if event is not None:
                return time.monotonic() - started, event
            if time.monotonic() >= deadline or (self._eof and self.child.poll() is not None):
                return time.monotonic() - started, None
            sample()

    # -- the sandbox seen from outside (judge side: nothing in it can change these) -------
    def root(self) -> Optional[int]:
        """The sandbox's own process (its entry point) as the judge sees it."""
        if not self.namespaced:
            return self.child.pid
        kids = proc.children(self.child.pid)
        return kids[0] if kids else None

    def own_ticks(self) -> dict:
        """{pid: CPU clock ticks it has used itself (not its children)} for every process of the sandbox."""
        out = {}
        for pid in self.tree():
            st = proc.stat(pid)
            if st is not None:
                out[pid] = st["utime"] + st["stime"]
        return out

    def tree(self) -> List[int]:
        """Pids (as the judge sees them) of every process of the sandbox, zombies included.

        Read from each process's own ``children`` file: a few small reads, where scanning all
        of /proc (psutil) costs milliseconds of a CPU the sandbox may be being timed on."""
        out, todo = [], [self.child.pid]
        while todo and len(out) < 4096:
            pid = todo.pop()
            out.append(pid)
            todo += proc.children(pid)
        return out

    def cpu_seconds(self) -> float:
        """CPU time consumed so far by the sandbox's processes: each one's own time and that of
        the children it reaped (so a child reaped later is never counted twice)."""
        total = 0
        for pid in self.tree():
            st = proc.stat(pid)
            if st is not None:
                total += st["utime"] + st["stime"] + st["cutime"] + st["cstime"]
        return total / proc.CLOCK_TICKS

    def freeze(self) -> None:
        """SIGSTOP every process of the sandbox (repeated until no new one appears)."""
        stopped = set()
        for _ in range(50):
            todo = [p for p in self.tree() if p not in stopped]
            if not todo:
                return
            for pid in todo:
                try:
                    os.kill(pid, signal.SIGSTOP)
                except OSError:
                    pass
                stopped.add(pid)

    def thaw(self) -> None:
        for pid in self.tree():
            try:
                os.kill(pid, signal.SIGCONT)
            except OSError:
                pass

    def open_files(self, only: Optional[int] = None) -> dict:
        """{pid as the judge sees it: [paths of its open descriptors, as the sandbox sees them]}."""
        out = {}
        for pid in ([only] if only is not None else self.tree()):
            try:
                names = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            paths = []
            for n in names:
                try:
                    paths.append(os.readlink(f"/proc/{pid}/fd/{n}"))
                except OSError:
                    continue
            out[pid] = paths
        return out

    # -- the end ---------------------------------------------------------------------------
    def finish(self, timed_out: bool = False) -> Run:
        """Kill the sandbox and everything it started; return what it did."""
        if self.finished:
            return self.result
        self.finished = True
        result = self.result
        child = self.child
        if not timed_out:
            grace = time.monotonic() + EXIT_GRACE
            while child.poll() is None and time.monotonic() < grace:
                self._pump(0.05)
        elif child.poll() is None:
            result.stacks = _collect_stacks(child.pid, self.dump_dir, result.jailed)
        tree = proc.descendants(child.pid)
        result.processes = len(tree)
        own = {child.pid, self._root}
        result.started = max(len(self._seen - own), self._spawned)
        proc.kill_group(child.pid)
        proc.kill_all(tree)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        _live.discard(child.pid)
        result.exitcode = child.returncode
        result.strays = proc.kill_strays(keep=_live)
        # What is still buffered in the pipes (nobody writes any more: the sandbox is dead).
        while self._open or not self._eof:
            before = (len(self._open), self._eof)
            self._pump(0)
            if (len(self._open), self._eof) == before:
                break
        if result.exitcode == EXIT_CHANNEL:
            self._tamper(CHANNEL_KILLED)
        os.close(self._read_fd)
        for f in (child.stdin, child.stdout, child.stderr):
            try:
                f.close()
            except OSError:
                pass
        result.stdout = self._out.text()
        result.stderr = self._err.text()
        result.elapsed = time.monotonic() - self.started
        if self.lease is not None:
            self.lease.release()
        if self.submission is not None:
            for name in ("value", "error", "stacks", "tamper", "signals", "stdout", "stderr"):
                setattr(result, name, relocate(getattr(result, name), self.inside, str(self.submission)))
        self._tmp.cleanup()
        return result


def run(probe: str, *, submission, timeout: float, start_method: Optional[str] = None, hide=(), **kwargs) -> Run:
    """Run ``probe`` ("hidden.EXERCISE.probes:function") with ``kwargs`` against ``submission``."""
    s = Session(probe, submission=submission, start_method=start_method, hide=hide, **kwargs)
    deadline = s.started + timeout * s.result.slow
    event = s.next_event(deadline)
    while event is not None and event["event"] == "yield":
        # A generator probe run in one shot: each yield marks a step the judge measures
        # (processes started, signals sent, the threads' CPU and wake-ups), then it goes on.
        s.result.steps.append(s.counts())
        s.command({})
        event = s.next_event(deadline)
    if event is not None:
        s.result.steps.append(s.counts())
    timed_out = event is None and s.child.poll() is None
    if event is not None and event["event"] == "result":
        s.result.status, s.result.value = "ok", event.get("value")
    elif event is not None and event["event"] == "error":
        s.result.status, s.result.error = "error", event.get("error")
    elif timed_out:
        s.result.status = "timeout"
    return s.finish(timed_out=timed_out)


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
    for name in sorted(os.listdir(dump_dir))[:256]:
        try:
            pid = int(name.split(".")[0])
        except ValueError:
            continue  # not a dump of ours (the sandbox can write this folder)
        # The sandbox can write this folder: never through a symlink, never a FIFO, at most 1 MB.
        try:
            fd = os.open(os.path.join(dump_dir, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        with os.fdopen(fd, "rb") as raw:
            if not stat.S_ISREG(os.fstat(raw.fileno()).st_mode):
                continue
            text = raw.read(1 << 20).decode("utf-8", "replace")
        current = None
        for line in text.splitlines():
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
                current["frames"].append({"file": m.group(1), "line": int(m.group(2)), "func": m.group(3)})
    return threads
