"""Picklable helpers for tests/test_pool_map.py (spawn children import this module by name)."""
import os
import time
import uuid


def pid_of(_item):
    """The pid of the process this call runs in."""
    return os.getpid()


def rendezvous(item):
    """item = (directory, parties, timeout). Arrive (a file in directory), then wait until
    `parties` calls are there at once. Returns True if they met within `timeout` s; a call that
    gives up marks itself gone, so a later call does not count it."""
    directory, parties, timeout = item
    me = os.path.join(directory, uuid.uuid4().hex)
    met = os.path.join(directory, "met.mark")
    open(me, "w").close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(met):
            return True
        if len([f for f in os.listdir(directory) if "." not in f]) >= parties:
            open(met, "w").close()
            return True
        time.sleep(0.005)
    os.rename(me, me + ".gone")
    return False


def fail_in_turn(item):
    """item = (directory, role). "early" leaves a mark in directory, then raises KeyError at once;
    "late" waits (up to 5 s) for that mark, then 0.3 s more, then raises ValueError. So the
    "late" call fails after the "early" one, whatever their order in the items."""
    directory, role = item
    mark = os.path.join(directory, "early-failed")
    if role == "early":
        open(mark, "w").close()
        raise KeyError("the early failure")
    deadline = time.monotonic() + 5
    while not os.path.exists(mark) and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.3)
    raise ValueError("the late failure")


def wait_for_file(item):
    """item = (path, timeout). Wait until path exists; True if it did within timeout s."""
    path, timeout = item
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.005)
    return False


def finish_in_turn(item):
    """item = (directory, role, value). "early" leaves a mark and returns value at once; "late"
    waits (up to 5 s) for that mark, then 0.3 s more, then returns value. So the "late" call
    finishes after the "early" one, whatever their order in the items."""
    directory, role, value = item
    mark = os.path.join(directory, "early-finished")
    if role == "early":
        open(mark, "w").close()
        return value
    deadline = time.monotonic() + 5
    while not os.path.exists(mark) and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.3)
    return value
