"""Picklable helpers for tests/test_choose_executor.py (spawn children import this module by name)."""
import os
import time
import uuid


def fail_after(delay, kind):
    """Sleep `delay` s, then raise ValueError or KeyError (named by `kind`)."""
    time.sleep(delay)
    raise {"ValueError": ValueError, "KeyError": KeyError}[kind]("raised after %s s" % delay)


def rendezvous(directory, parties, timeout):
    """Arrive (a file in directory), then wait until `parties` calls have arrived.
    Returns (pid, True) if they all did within `timeout` s, else (pid, False)."""
    open(os.path.join(directory, uuid.uuid4().hex), "w").close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(os.listdir(directory)) >= parties:
            return os.getpid(), True
        time.sleep(0.005)
    return os.getpid(), False
