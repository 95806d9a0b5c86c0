"""Learner tests for exercise 10, choose_executor: run_io_bound (threads) and run_cpu_bound (processes)."""
import operator
import os
import threading
import time

import pytest

import workers_choose_executor as workers

pytestmark = pytest.mark.timeout(20)


# ---- run_io_bound: threads ----------------------------------------------------------------

def test_io_bound_results_in_order_and_empty(load):
    mod = load("choose_executor")
    got = mod.run_io_bound(operator.mul, [(2, 3), (4, 5), (6, 7)])
    assert got == [6, 20, 42], f"Called run_io_bound(operator.mul, [(2, 3), (4, 5), (6, 7)]). Returned {got!r}, expected [6, 20, 42]."
    got = mod.run_io_bound(operator.mul, [])
    assert got == [], f"Called run_io_bound(operator.mul, []). Returned {got!r}, expected []."


def test_io_bound_runs_in_threads_of_this_process(load):
    mod = load("choose_executor")
    pids = mod.run_io_bound(os.getpid, [()] * 3)
    assert pids == [os.getpid()] * 3, (
        f"Called run_io_bound(os.getpid, [()] * 3). Returned {pids}, expected [{os.getpid()}] * 3: "
        f"IO-bound calls run in threads of this process, not in child processes.")
    idents = mod.run_io_bound(threading.get_ident, [()] * 3)
    assert threading.get_ident() not in idents, (
        "Called run_io_bound(threading.get_ident, [()] * 3). A call ran in the calling thread, expected worker threads.")


def test_io_bound_runs_32_calls_at_once(load):
    mod = load("choose_executor")
    # Each call waits until all 32 calls are waiting (or breaks the barrier after 5 s).
    barrier = threading.Barrier(32, timeout=5)
    got = mod.run_io_bound(barrier.wait, [()] * 32)
    assert sorted(got) == list(range(32)), (
        f"Called run_io_bound(barrier.wait, [()] * 32) with a 32-party barrier. Returned {got!r}, "
        f"expected 32 distinct arrival indexes: all 32 calls must wait at the same time.")


def test_io_bound_runs_at_most_32_calls_at_once(load):
    mod = load("choose_executor")
    lock = threading.Lock()
    running = [0]
    peak = [0]

    def tracked_wait(delay):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(delay)
        with lock:
            running[0] -= 1

    mod.run_io_bound(tracked_wait, [(0.05,)] * 48)
    assert 1 <= peak[0] <= 32, (
        f"Called run_io_bound(tracked_wait, [(0.05,)] * 48). Up to {peak[0]} calls ran at once, expected at most 32.")


def test_io_bound_reraises_the_first_failing_call_in_argument_order(load):
    mod = load("choose_executor")
    # The first call fails last in time (after 0.2 s), the second fails at once.
    with pytest.raises(ValueError):
        mod.run_io_bound(workers.fail_after, [(0.2, "ValueError"), (0.0, "KeyError"), (0.0, "KeyError")])
        pytest.fail("Called run_io_bound(fail_after, [(0.2, 'ValueError'), (0.0, 'KeyError'), ...]). "
                    "It returned, expected ValueError.")


# ---- run_cpu_bound: processes -------------------------------------------------------------

def test_cpu_bound_results_in_order_and_empty(load):
    mod = load("choose_executor")
    got = mod.run_cpu_bound(operator.pow, [(2, 10), (3, 3), (10, 0)])
    assert got == [1024, 27, 1], f"Called run_cpu_bound(operator.pow, [(2, 10), (3, 3), (10, 0)]). Returned {got!r}, expected [1024, 27, 1]."
    got = mod.run_cpu_bound(operator.pow, [])
    assert got == [], f"Called run_cpu_bound(operator.pow, []). Returned {got!r}, expected []."


def test_cpu_bound_runs_in_at_most_available_cpus_processes(load):
    mod = load("choose_executor")
    cpus = mod.available_cpus()
    pids = mod.run_cpu_bound(os.getpid, [()] * 8)
    assert len(pids) == 8 and os.getpid() not in pids, (
        f"Called run_cpu_bound(os.getpid, [()] * 8). Returned {pids}, expected 8 pids of worker processes, "
        f"none of them the caller's ({os.getpid()}).")
    assert len(set(pids)) <= cpus, (
        f"Called run_cpu_bound(os.getpid, [()] * 8). The calls ran in {len(set(pids))} processes, "
        f"expected at most available_cpus() = {cpus}.")


def test_cpu_bound_runs_one_process_per_cpu_at_once(load, tmp_path):
    mod = load("choose_executor")
    parties = min(mod.available_cpus(), 4)
    # Each call waits (up to 5 s) until `parties` calls have started: True only if they overlap.
    got = mod.run_cpu_bound(workers.rendezvous, [(str(tmp_path), parties, 5.0)] * parties)
    met = [ok for _, ok in got]
    assert met == [True] * parties, (
        f"Called run_cpu_bound(rendezvous, <{parties} calls that wait for each other>). Returned {got!r}, "
        f"expected all {parties} calls running at once in {parties} processes.")


def test_cpu_bound_reraises_the_first_failing_call_in_argument_order(load):
    mod = load("choose_executor")
    with pytest.raises(ZeroDivisionError):
        mod.run_cpu_bound(operator.truediv, [(1, 1), (1, 0), (1, "x")])
        pytest.fail("Called run_cpu_bound(operator.truediv, [(1, 1), (1, 0), (1, 'x')]). "
                    "It returned, expected ZeroDivisionError.")
    with pytest.raises(ValueError):
        mod.run_cpu_bound(workers.fail_after, [(0.2, "ValueError"), (0.0, "KeyError")])
        pytest.fail("Called run_cpu_bound(fail_after, [(0.2, 'ValueError'), (0.0, 'KeyError')]). "
                    "It returned, expected ValueError.")
