"""Picklable helpers for tests/test_choose_executor.py (spawn children import this module by name)."""
import os
import time
import uuid


def fail_after(delay, kind):
    """Sleep `delay` s, then raise ValueError or KeyError (named by `kind`)."""
    time.sleep(delay)
    raise {"ValueError": ValueError, "KeyError": KeyError}[kind]("raised after %s s" % delay)


def pid_of(_item):
    """The pid of the process this call runs in."""
    return os.getpid()


def sleep_then(delay, value):
    """Sleep `delay` s, then return `value`."""
    time.sleep(delay)
    return value


def rendezvous(directory, parties, timeout):
    """Arrive (a file in directory), then wait until `parties` calls are there at once.
    Returns (pid, True) if they met within `timeout` s, else (pid, False); a call that gives up
    marks itself gone, so a later call does not count it."""
    me = os.path.join(directory, uuid.uuid4().hex)
    met = os.path.join(directory, "met.mark")
    open(me, "w").close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(met):
            return os.getpid(), True
        if len([f for f in os.listdir(directory) if "." not in f]) >= parties:
            open(met, "w").close()
            return os.getpid(), True
        time.sleep(0.005)
    os.rename(me, me + ".gone")
    return os.getpid(), False
