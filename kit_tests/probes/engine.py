"""Probes that exercise the engine itself (used by the kit's own tests, not by grading)."""
import os
import subprocess
import sys
import threading
import time



def echo(**kwargs):
    return kwargs


def hang_here(threads=2):
    """Block forever in several threads and a child process."""
    import multiprocessing
    ev = threading.Event()
    for _ in range(threads):
        threading.Thread(target=ev.wait, daemon=False).start()
    p = multiprocessing.Process(target=time.sleep, args=(3600,))
    p.start()
    ev.wait()


def exit_now(code=3):
    os._exit(code)


def raise_error():
    raise KeyError("boom")


def escape():
    """Start a process in a session of its own, out of the sandbox's group, and return."""
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"],
                         start_new_session=True)
    return p.pid


def patch_clock():
    """A hostile submission slows the clocks it can reach; the judge times the round itself
    (and the integrity watchdog reports the patch)."""
    real = time.perf_counter
    sleep = time.sleep
    time.perf_counter = lambda: real() / 4
    time.monotonic = lambda: 0.0
    yield {"ready": True}
    sleep(0.2)
    yield {"slept": "patched"}


def learner_value(module, attr):
    """What a learner module computed at import (a submission that reaches for the grader)."""
    import importlib
    return getattr(importlib.import_module(module), attr)


def flood(mb=200):
    """Print ``mb`` MiB on stdout and as much on stderr: the judge keeps only the tail."""
    import sys
    chunk = "x" * ((1 << 20) - 1) + "\n"  # one MiB per line
    for _ in range(mb):
        sys.stdout.write(chunk)
        sys.stderr.write(chunk)
    sys.stdout.flush()
    return "flooded"


def fork_storm(n=1500):
    """Fork until ``n`` children or the cap stops it; the children sleep."""
    started, error = 0, None
    for _ in range(n):
        try:
            pid = os.fork()
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
            break
        if pid == 0:
            time.sleep(3600)
            os._exit(0)
        started += 1
    return {"started": started, "error": error}


def connect(port):
    """Try to reach the judge's machine over the network."""
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return "connected"
    except OSError as exc:
        return f"refused: {exc}"


def whoami():
    import getpass
    return {"uid": os.getuid(), "pid": os.getpid(), "cwd": os.getcwd(), "user": getpass.getuser() if os.getuid() == 0 else None}


def environment():
    """The sandbox's environment (the judge's own must not leak in)."""
    return dict(os.environ)


def forge_result():
    """Write a result line of our own on the channel's descriptor, as a submission could."""
    line = b"0" * 32 + b' {"pid": 1, "seq": 1, "event": "result", "value": {"forged": true}}\n'
    for fd in (1000, 3, 4, 5):
        try:
            os.write(fd, line)
        except OSError:
            pass
    return {"forged": False}


def reach(read, write):
    """Read a file of the kit and write one outside the sandbox, from a program the audit hook
    does not watch (a shell): only the jail can stop these."""
    out = {}
    for key, cmd in (("read", ["cat", read]), ("write", ["sh", "-c", f"echo planted > '{write}'"])):
        p = subprocess.run(cmd, capture_output=True, text=True)
        out[key] = "done" if p.returncode == 0 else "refused: " + p.stderr.strip()[:200]
    return out


def slow_call(seconds, limit):
    """call() a function that takes ``seconds`` with a time limit of ``limit``: hung or not."""
    import time
    from kit.sandbox.calls import SLOW, call
    out = call(time.sleep, seconds, timeout=limit)
    return {"hung": out["hung"], "slow": SLOW}
