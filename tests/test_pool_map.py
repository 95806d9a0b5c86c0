"""Learner tests for exercise 9, pool_map: parallel_map(func, items, processes=None)."""
import math
import multiprocessing
import os

import pytest

import workers_pool_map as workers

pytestmark = pytest.mark.timeout(20)


def test_results_come_back_in_item_order(load):
    mod = load("pool_map")
    # The first item takes longest, so it finishes last.
    items = [30000, 10, 100, 1000]
    got = mod.parallel_map(mod.count_primes, items, processes=2)
    expected = [3245, 4, 25, 168]
    assert got == expected, (
        f"Called parallel_map(count_primes, {items}, processes=2). Returned {got!r}, expected {expected}.")


def test_default_number_of_processes(load):
    mod = load("pool_map")
    got = mod.parallel_map(math.factorial, [5, 3, 0])
    assert got == [120, 6, 1], f"Called parallel_map(math.factorial, [5, 3, 0]). Returned {got!r}, expected [120, 6, 1]."


def test_empty_items_give_empty_list(load):
    mod = load("pool_map")
    got = mod.parallel_map(math.factorial, [])
    assert got == [], f"Called parallel_map(math.factorial, []). Returned {got!r}, expected []."


def test_calls_run_in_at_most_processes_workers(load):
    mod = load("pool_map")
    pids = mod.parallel_map(workers.pid_of, range(8), processes=2)
    assert len(pids) == 8 and os.getpid() not in pids, (
        f"Called parallel_map(pid_of, range(8), processes=2). Returned pids {pids}; expected 8 pids of "
        f"worker processes, none of them the caller's ({os.getpid()}).")
    assert len(set(pids)) <= 2, (
        f"Called parallel_map(pid_of, range(8), processes=2). The calls ran in {len(set(pids))} processes, "
        f"expected at most 2.")


def test_calls_overlap_in_the_pool(load, tmp_path):
    mod = load("pool_map")
    # Each call waits (up to 5 s) until both calls have started: True only if they ran at the same time.
    items = [(str(tmp_path), 2, 5.0)] * 2
    got = mod.parallel_map(workers.rendezvous, items, processes=2)
    assert got == [True, True], (
        f"Called parallel_map(rendezvous, <2 calls that wait for each other>, processes=2). Returned {got!r}, "
        f"expected [True, True]: queue every task with apply_async before waiting for any result.")


def test_first_failing_item_is_reraised_in_item_order(load):
    mod = load("pool_map")
    # factorial(-1) raises ValueError, factorial("x") raises TypeError.
    with pytest.raises(ValueError):
        mod.parallel_map(math.factorial, [4, -1, "x"], processes=2)
        pytest.fail("Called parallel_map(math.factorial, [4, -1, 'x']). It returned, expected ValueError.")
    with pytest.raises(TypeError):
        mod.parallel_map(math.factorial, [4, "x", -1], processes=2)
        pytest.fail("Called parallel_map(math.factorial, [4, 'x', -1]). It returned, expected TypeError.")
    alive = multiprocessing.active_children()
    assert alive == [], (
        f"parallel_map raised. Still running afterwards: {alive}, expected every pool worker joined.")


def test_no_worker_outlives_the_call(load):
    mod = load("pool_map")
    mod.parallel_map(math.factorial, [1, 2, 3], processes=2)
    alive = multiprocessing.active_children()
    assert alive == [], (
        f"Called parallel_map(math.factorial, [1, 2, 3], processes=2). Still running afterwards: {alive}, "
        f"expected none: close() and join() the pool.")
