"""Picklable helpers for tests/test_process_basics.py (spawn children import this module by name)."""
import sys


def meet(barrier, timeout):
    """Wait until every party reached ``barrier``; exit 0 if they did, 9 if the wait timed out."""
    try:
        barrier.wait(timeout)
    except Exception:  # threading.BrokenBarrierError: not all children were running at once
        sys.exit(9)
