"""Process-tree control for the judging side: subreaper, tree kill, reaping.

The learner tools use ``kill_group`` too, on every system: nothing here may fail at import
on Windows or macOS (no ``SIGKILL`` or ``os.killpg`` on Windows, psutil optional).

Facts this rests on (see the grading notes): killing descendants one by one races
against ``Pool`` re-forking workers, so a sandbox leads its own process group and the
group is killed whole; a learner can ``setsid`` out of that group, so the judging
process is also a child subreaper and kills whatever is re-parented to it; PID 1 in a
container does not reap, so the judge reaps.
"""
import ctypes
import os
import signal
import sys

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is in every kit venv
    psutil = None

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Orphaned descendants re-parent to this process instead of PID 1 (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def descendants(pid=None) -> list:
    """Live descendants of ``pid`` (default: this process), as psutil processes."""
    if psutil is None:
        return []
    try:
        return psutil.Process(pid or os.getpid()).children(recursive=True)
    except psutil.Error:
        return []


def children(pid: int) -> list:
    """Direct children of ``pid`` (pids), from /proc: each thread's ``children`` file (a
    process started from another thread than the main one is listed under that thread)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        tasks = None
    if tasks is not None:
        out = []
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                continue
        return out
    try:
        return [p.pid for p in (psutil.Process(pid).children() if psutil is not None else [])]
    except psutil.Error:
        return []


def describe(procs) -> list:
    out = []
    for p in procs:
        try:
            cmd = " ".join(p.cmdline())[:120] or p.name()
            out.append(f"pid {p.pid} ({p.status()}): {cmd}")
        except psutil.Error:
            continue
    return out


# Windows has neither SIGKILL nor process groups in the POSIX sense: nothing here may fail
# at import there (the learner tools import this module on every system).
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def kill_group(pgid: int, sig=None) -> None:
    """Kill the process group ``pgid`` (a process started with ``start_new_session=True``).

    Where there are no process groups (Windows), kill the process ``pgid`` and its
    descendants instead: psutil if present, else ``taskkill /T``.
    """
    if hasattr(os, "killpg"):
        try:
            os.killpg(pgid, KILL if sig is None else sig)
        except (ProcessLookupError, PermissionError, OSError):
            pass
        return
    kill_tree(pgid)


def kill_tree(pid: int) -> None:
    """Kill ``pid`` and every descendant, without process groups (the Windows way)."""
    if psutil is not None:
        try:
            root = psutil.Process(pid)
            procs = root.children(recursive=True) + [root]
        except psutil.Error:
            return
        kill_all(procs)
        return
    if os.name == "nt":  # pragma: no cover - Windows without psutil
        import subprocess
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(pid)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return
    try:
        os.kill(pid, KILL)
    except OSError:
        pass


def kill_all(procs) -> None:
    for p in procs:
        try:
            p.kill()
        except Exception:
            pass


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def stat(pid: int, path: str = ""):
    """CPU times (clock ticks), parent and state of ``pid`` from /proc/PID/stat (or ``path``), or None."""
    try:
        with open(path or f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()
    # fields[0] is field 3 of proc(5): state, ppid, ..., utime (14), stime, cutime, cstime (17)
    return {"state": fields[0].decode(), "ppid": int(fields[1]), "utime": int(fields[11]),
            "stime": int(fields[12]), "cutime": int(fields[13]), "cstime": int(fields[14])}


def nspid(pid: int):
    """``pid``'s id in its own (innermost) PID namespace, from /proc/PID/status (NSpid), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except (OSError, ValueError):
        pass
    return None


def reap() -> int:
    """Reap every exited child of this process (zombies included); return how many."""
    n = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return n
        if pid == 0:
            return n
        n += 1


def kill_strays(keep=()) -> list:
    """Kill every descendant of this process except ``keep`` pids; return what was killed.

    Run after a sandbox is gone: anything still below the judge was started by learner
    code (an orphan re-parented to us, a detached daemon) and must not outlive the check.
    """
    strays = []
    for p in descendants():
        try:
            if p.pid not in keep and p.status() != psutil.STATUS_ZOMBIE:
                strays.append(p)
        except psutil.Error:
            continue
    reap()  # zombies are already dead (a killed group re-parented to us): just reap them
    if not strays:
        return []
    names = describe(strays)
    for p in strays:
        kill_group(p.pid)  # it may lead a group of its own
    kill_all(strays)
    if psutil is not None:
        psutil.wait_procs(strays, timeout=2)
    reap()
    return names
