"""Probes that exercise the engine itself (used by the kit's own tests, not by grading)."""
import os
import subprocess
import sys
import threading
import time

from kit.child import mark


def echo(**kwargs):
    mark("start")
    time.sleep(kwargs.get("sleep", 0))
    mark("end")
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
    """A hostile submission slows the clock it can reach; judge-side marks don't care."""
    real = time.perf_counter
    time.perf_counter = lambda: real() / 4
    time.monotonic = lambda: 0.0
    mark("start")
    time.sleep(0.2)
    mark("end")
    return "patched"
