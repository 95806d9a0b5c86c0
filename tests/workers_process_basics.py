"""Picklable helpers for tests/test_process_basics.py (spawn children import this module by name)."""
import os
import sys
import time


def meet(barrier, timeout):
    """Wait until every party reached ``barrier``; exit 0 if they did, 9 if the wait timed out."""
    try:
        barrier.wait(timeout)
    except Exception:  # threading.BrokenBarrierError: not all children were running at once
        sys.exit(9)


def exit_after(code, wait_for, then_sleep, set_when_done):
    """Wait for the event ``wait_for`` (if any, at most 3 s), sleep ``then_sleep`` s, set the
    event ``set_when_done`` (if any) and exit with ``code``. Lets a test choose the order in
    which children end."""
    if wait_for is not None:
        wait_for.wait(3)
    time.sleep(then_sleep)
    if set_when_done is not None:
        set_when_done.set()
    sys.exit(code)


class Traced(int):
    """An int whose square remembers the pid of the process that computed it."""

    def __mul__(self, other):
        return Square(int(self) * int(other))

    __rmul__ = __mul__

    def __pow__(self, other, modulo=None):
        return Square(pow(int(self), int(other), modulo))


class Square(int):
    """The result of squaring a Traced: ``.pid`` is where the multiplication happened."""

    def __new__(cls, value, pid=None):
        self = super().__new__(cls, value)
        self.pid = os.getpid() if pid is None else pid
        return self

    def __reduce__(self):
        return (Square, (int(self), self.pid))
