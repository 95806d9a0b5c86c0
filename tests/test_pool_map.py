"""Learner tests for exercise 9, pool_map: parallel_map(func, items, processes=None)."""
import math
import multiprocessing
import os
import sys
import time

import pytest
from helpers import not_joined, start_method, within

import workers_pool_map as workers

pytestmark = pytest.mark.timeout(60)

CLEANUP_HINT = "close() then join() the pool (or terminate() and join() it), on every path, before returning."


def test_results_come_back_in_item_order(load):
    mod = load("pool_map")
    # The first item takes longest, so it finishes last.
    items = [30000, 10, 100, 1000]
    got = within(20, f"parallel_map(count_primes, {items}, processes=2)",
                 mod.parallel_map, mod.count_primes, items, processes=2)
    expected = [3245, 4, 25, 168]
    assert got == expected, (
        f"Called parallel_map(count_primes, {items}, processes=2). Returned {got!r}, expected {expected}: "
        f"results in item order, not in the order the tasks finished.")


def test_results_in_item_order_not_finishing_order(load, tmp_path):
    mod = load("pool_map")
    # Item 0 finishes only after item 1 has finished.
    items = [(str(tmp_path), "late", "a"), (str(tmp_path), "early", "b")]
    description = "parallel_map(finish_in_turn, [<'a', finishes last>, <'b', finishes first>], processes=2)"
    got = within(20, description, mod.parallel_map, workers.finish_in_turn, items, processes=2)
    assert got == ["a", "b"], (
        f"Called {description}. Returned {got!r}, expected ['a', 'b']: results in item order, not in the order "
        f"the tasks finished (keep the AsyncResults in a list and get() them in order).")


def test_default_number_of_processes(load):
    mod = load("pool_map")
    got = within(20, "parallel_map(math.factorial, [5, 3, 0])", mod.parallel_map, math.factorial, [5, 3, 0])
    assert got == [120, 6, 1], f"Called parallel_map(math.factorial, [5, 3, 0]). Returned {got!r}, expected [120, 6, 1]."


def test_empty_items_give_empty_list(load):
    mod = load("pool_map")
    got = within(20, "parallel_map(math.factorial, [])", mod.parallel_map, math.factorial, [])
    assert got == [], f"Called parallel_map(math.factorial, []). Returned {got!r}, expected []."


def test_calls_run_in_at_most_processes_workers(load):
    mod = load("pool_map")
    pids = within(20, "parallel_map(pid_of, range(8), processes=2)", mod.parallel_map, workers.pid_of, range(8),
                  processes=2)
    assert len(pids) == 8 and os.getpid() not in pids, (
        f"Called parallel_map(pid_of, range(8), processes=2). Returned pids {pids}; expected 8 pids of "
        f"worker processes, none of them the caller's ({os.getpid()}).")
    assert len(set(pids)) <= 2, (
        f"Called parallel_map(pid_of, range(8), processes=2). The calls ran in {len(set(pids))} processes, "
        f"expected at most 2.")


def test_calls_overlap_in_the_pool(load, tmp_path):
    mod = load("pool_map")
    # Each call waits (up to 3 s) until both calls have started: True only if they ran at the same time.
    items = [(str(tmp_path), 2, 3.0)] * 2
    description = "parallel_map(rendezvous, <2 calls that wait for each other>, processes=2)"
    got = within(20, description, mod.parallel_map, workers.rendezvous, items, processes=2)
    assert got == [True, True], (
        f"Called {description}. Returned {got!r}, expected [True, True]: the calls did not run at the same "
        f"time. Queue every task with apply_async before waiting for any result (not apply, not get() in "
        f"the loop).")


def test_processes_is_the_number_of_workers(load, tmp_path):
    mod = load("pool_map")
    # With processes=1 two calls that wait for each other (0.5 s) never meet.
    items = [(str(tmp_path), 2, 0.5)] * 2
    description = "parallel_map(rendezvous, <2 calls that wait 0.5 s for each other>, processes=1)"
    got = within(20, description, mod.parallel_map, workers.rendezvous, items, processes=1)
    assert got == [False, False], (
        f"Called {description}. Returned {got!r}, expected [False, False]: the two calls ran at the same "
        f"time, so the pool had more than one worker. Pass processes on: multiprocessing.Pool(processes).")


def test_first_failing_item_is_reraised_in_item_order(load):
    mod = load("pool_map")
    # factorial(-1) raises ValueError, factorial("x") raises TypeError.
    with pytest.raises(ValueError):
        within(20, "parallel_map(math.factorial, [4, -1, 'x'], processes=2)",
               mod.parallel_map, math.factorial, [4, -1, "x"], processes=2, hint=CLEANUP_HINT)
        pytest.fail("Called parallel_map(math.factorial, [4, -1, 'x']). It returned, expected ValueError: "
                    "call get() on every AsyncResult, which re-raises the task's exception.")
    with pytest.raises(TypeError):
        within(20, "parallel_map(math.factorial, [4, 'x', -1], processes=2)",
               mod.parallel_map, math.factorial, [4, "x", -1], processes=2, hint=CLEANUP_HINT)
        pytest.fail("Called parallel_map(math.factorial, [4, 'x', -1]). It returned, expected TypeError.")
    left = not_joined()
    assert left == [], (
        f"parallel_map raised. Its pool workers had not been joined afterwards ({len(left)} left): "
        f"{CLEANUP_HINT}")


def test_first_failing_item_not_the_first_failure_in_time(load, tmp_path):
    mod = load("pool_map")
    # Item 0 fails (ValueError) only after item 1 has failed (KeyError).
    items = [(str(tmp_path), "late"), (str(tmp_path), "early")]
    description = "parallel_map(fail_in_turn, [<ValueError, raised last>, <KeyError, raised first>], processes=2)"
    with pytest.raises(Exception) as info:
        within(20, description, mod.parallel_map, workers.fail_in_turn, items, processes=2, hint=CLEANUP_HINT)
    assert isinstance(info.value, ValueError), (
        f"Called {description}. Raised {type(info.value).__name__}({info.value}), expected ValueError: the "
        f"exception of the first failing item in item order, not the first to fail in time (Pool.map and "
        f"error_callback report the first in time). Call get() on each result in item order.")
    assert not_joined() == [], f"Called {description}. Not joined afterwards: {not_joined()}. {CLEANUP_HINT}"


def test_no_worker_outlives_the_call(load):
    mod = load("pool_map")
    within(20, "parallel_map(math.factorial, [1, 2, 3], processes=2)",
           mod.parallel_map, math.factorial, [1, 2, 3], processes=2, hint=CLEANUP_HINT)
    left = not_joined()
    assert left == [], (
        f"Called parallel_map(math.factorial, [1, 2, 3], processes=2). When it returned, {len(left)} pool "
        f"worker(s) had not been joined: {CLEANUP_HINT}")


def test_parallel_map_under_spawn(load):
    mod = load("pool_map")
    description = "parallel_map(math.factorial, [3, 4, 5], processes=2) under the spawn start method"
    error = None
    with start_method("spawn"):
        try:
            got = within(30, description, mod.parallel_map, math.factorial, [3, 4, 5], processes=2,
                         hint=CLEANUP_HINT)
        except Exception as exc:
            error = exc
    if error is not None:
        pytest.fail(f"Called {description}. It raised {type(error).__name__}: {error}. A spawn worker imports "
                    f"your module afresh: pass func itself to apply_async, not through a global or a closure.",
                    pytrace=False)
    assert got == [6, 24, 120], f"Called {description}. Returned {got!r}, expected [6, 24, 120]."
    assert not_joined() == [], f"Called {description}. Not joined afterwards: {not_joined()}. {CLEANUP_HINT}"


# ---- the facts the docstring relies on (no learner code) -------------------------------------

def test_default_pool_size_on_this_python():
    if sys.version_info >= (3, 13):
        expected, name = os.process_cpu_count(), "os.process_cpu_count()"
    else:
        expected, name = os.cpu_count(), "os.cpu_count()"
    before = set(multiprocessing.active_children())
    pool = multiprocessing.Pool()
    try:
        size = len(set(multiprocessing.active_children()) - before)
    finally:
        pool.terminate()
        pool.join()
    assert size == expected, (
        f"Python {sys.version_info[0]}.{sys.version_info[1]}: multiprocessing.Pool() started {size} workers, "
        f"expected {name} = {expected}.")


def test_close_does_not_wait_join_does(tmp_path):
    # The article's table says close() waits for the workers; it does not, join() does.
    release = tmp_path / "release"
    pool = multiprocessing.Pool(1)
    result = pool.apply_async(workers.wait_for_file, ((str(release), 10),))
    started = time.monotonic()
    pool.close()
    close_took = time.monotonic() - started
    running_after_close = not result.ready()
    release.touch()  # now the task can finish
    pool.join()
    assert close_took < 2 and running_after_close, (
        f"Pool.close() took {close_took:.1f} s and the task was {'still running' if running_after_close else 'done'}: "
        f"expected close() to return at once, with the task still running.")
    assert result.ready() and result.get(timeout=1) is True, "After Pool.join(), the task had not finished."


def test_with_pool_terminates_unfinished_tasks(tmp_path):
    release = tmp_path / "release"
    with multiprocessing.Pool(1) as pool:
        result = pool.apply_async(workers.wait_for_file, ((str(release), 10),))
    release.touch()  # too late: leaving the block called terminate()
    with pytest.raises(multiprocessing.TimeoutError):
        result.get(timeout=1)
        pytest.fail("A task still running when a `with Pool()` block ended delivered its result afterwards, "
                    "expected it killed by the block's terminate().")
