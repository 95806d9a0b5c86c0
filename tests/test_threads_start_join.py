"""Learner tests for exercise 1, threads_start_join: run_in_threads(func, args_list)."""
import operator
import threading
import time

import pytest

pytestmark = pytest.mark.timeout(10)


def test_results_come_back_in_argument_order(load):
    mod = load("threads_start_join")
    args_list = [(1, 2), (3, 4), (5, 6)]
    got = mod.run_in_threads(operator.mul, args_list)
    assert got == [2, 12, 30], (
        f"Called run_in_threads(operator.mul, {args_list}). Returned {got!r}, expected [2, 12, 30].")


def test_order_is_argument_order_not_finishing_order(load):
    mod = load("threads_start_join")

    def slow_identity(delay, value):
        time.sleep(delay)
        return value

    # The first call finishes last.
    args_list = [(0.3, "a"), (0.1, "b"), (0.0, "c")]
    got = mod.run_in_threads(slow_identity, args_list)
    assert got == ["a", "b", "c"], (
        f"Called run_in_threads(slow_identity, {args_list}). Returned {got!r}, expected ['a', 'b', 'c'].")


def test_empty_list_gives_empty_list(load):
    mod = load("threads_start_join")
    got = mod.run_in_threads(operator.mul, [])
    assert got == [], f"Called run_in_threads(operator.mul, []). Returned {got!r}, expected []."


def test_each_call_runs_in_its_own_thread_and_all_overlap(load):
    mod = load("threads_start_join")
    n = 6
    # Every call waits until all n calls have reached the barrier: this only
    # succeeds if all n threads were started before any was joined.
    barrier = threading.Barrier(n, timeout=5)

    def meet(i):
        barrier.wait()
        return threading.get_ident()

    idents = mod.run_in_threads(meet, [(i,) for i in range(n)])
    assert len(set(idents)) == n, (
        f"Called run_in_threads with {n} calls that wait for each other. "
        f"They ran in {len(set(idents))} distinct threads, expected {n}.")
    assert threading.get_ident() not in idents, (
        "Called run_in_threads: some call ran in the calling thread, expected each in a new Thread.")


def test_every_thread_is_joined_not_only_the_last(load):
    mod = load("threads_start_join")
    seen = []

    def work(delay):
        seen.append(threading.current_thread())
        time.sleep(delay)
        return delay

    # The last thread is the quickest: joining only the last one would return
    # while the others still run.
    mod.run_in_threads(work, [(0.3,), (0.3,), (0.0,)])
    still_running = [t.name for t in seen if t.is_alive()]
    assert still_running == [], (
        f"Called run_in_threads(work, [(0.3,), (0.3,), (0.0,)]). When it returned, "
        f"threads {still_running} were still running, expected every thread joined.")


def test_first_failing_call_in_argument_order_is_reraised(load):
    mod = load("threads_start_join")

    def check(delay, value):
        time.sleep(delay)
        if value < 0:
            raise ValueError(f"negative: {value}")
        return value

    # Call 1 fails late, call 3 fails early: the one to re-raise is call 1's.
    args_list = [(0.0, 1), (0.2, -1), (0.0, 2), (0.0, -2)]
    with pytest.raises(ValueError) as info:
        mod.run_in_threads(check, args_list)
    assert str(info.value) == "negative: -1", (
        f"Called run_in_threads(check, {args_list}). Raised ValueError({str(info.value)!r}), "
        f"expected ValueError('negative: -1') from the first failing call in argument order.")


def test_threads_are_joined_even_when_a_call_raises(load):
    mod = load("threads_start_join")
    seen = []

    def work(delay, fail):
        seen.append(threading.current_thread())
        time.sleep(delay)
        if fail:
            raise ValueError("boom")
        return delay

    with pytest.raises(ValueError):
        mod.run_in_threads(work, [(0.0, True), (0.3, False), (0.3, False)])
    still_running = [t.name for t in seen if t.is_alive()]
    assert still_running == [], (
        f"Called run_in_threads where the first call raised. When it raised, threads "
        f"{still_running} were still running, expected every thread joined first.")
