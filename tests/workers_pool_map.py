"""Picklable helpers for tests/test_pool_map.py (spawn children import this module by name)."""
import os
import time
import uuid


def pid_of(_item):
    """The pid of the process this call runs in."""
    return os.getpid()


def rendezvous(item):
    """item = (directory, parties, timeout). Arrive (a file in directory), then wait until
    `parties` calls have arrived. Returns True if they all did within `timeout` s."""
    directory, parties, timeout = item
    open(os.path.join(directory, uuid.uuid4().hex), "w").close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(os.listdir(directory)) >= parties:
            return True
        time.sleep(0.005)
    return False
