"""Learner tests for exercise 6, process_basics: run_in_processes and SquareProcess."""
import multiprocessing
import operator
import os
import queue
import sys

import pytest

import workers_process_basics as workers

pytestmark = pytest.mark.timeout(20)


def test_exit_codes_come_back_in_argument_order(load):
    mod = load("process_basics")
    args_list = [(0,), (3,), (7,)]
    got = mod.run_in_processes(sys.exit, args_list)
    assert got == [0, 3, 7], (
        f"Called run_in_processes(sys.exit, {args_list}). Returned {got!r}, expected [0, 3, 7].")


def test_a_child_that_raises_exits_with_code_1(load):
    mod = load("process_basics")
    # operator.truediv(1, 0) raises ZeroDivisionError in the child (its traceback is printed there).
    args_list = [(1, 1), (1, 0)]
    got = mod.run_in_processes(operator.truediv, args_list)
    assert got == [0, 1], (
        f"Called run_in_processes(operator.truediv, {args_list}). Returned {got!r}, expected [0, 1].")


def test_empty_list_gives_empty_list(load):
    mod = load("process_basics")
    got = mod.run_in_processes(sys.exit, [])
    assert got == [], f"Called run_in_processes(sys.exit, []). Returned {got!r}, expected []."


def test_all_children_run_at_the_same_time_and_are_joined(load):
    mod = load("process_basics")
    n = 3
    # Each child waits until all n children reach the barrier (exit 0) or gives up after 5 s
    # (exit 9). Only a function that starts every process before joining any gets [0, 0, 0].
    barrier = multiprocessing.Barrier(n)
    got = mod.run_in_processes(workers.meet, [(barrier, 5)] * n)
    assert got == [0] * n, (
        f"Called run_in_processes(meet, ...) with {n} children that wait for each other. "
        f"Returned {got!r}, expected {[0] * n}: start every process before joining any.")
    alive = multiprocessing.active_children()
    assert alive == [], f"Called run_in_processes(...). Still running afterwards: {alive}, expected none."


def test_square_process_is_a_process_and_computes_nothing_before_start(load):
    mod = load("process_basics")
    q = multiprocessing.Queue()
    p = mod.SquareProcess([1, 2, 3], q)
    assert isinstance(p, multiprocessing.Process), "SquareProcess(...) is not a multiprocessing.Process."
    with pytest.raises(queue.Empty):
        q.get(timeout=0.2)
        pytest.fail("SquareProcess([1, 2, 3], q) put something on q before start(): do the work in run().")


def test_square_process_reports_its_own_pid_and_the_squares(load):
    mod = load("process_basics")
    q = multiprocessing.Queue()
    p = mod.SquareProcess([1, 2, 3, 10], q)
    p.start()
    try:
        pid, squares = q.get(timeout=10)
    finally:
        p.join(10)
    assert squares == [1, 4, 9, 100], (
        f"Started SquareProcess([1, 2, 3, 10], q). It put squares {squares!r}, expected [1, 4, 9, 100].")
    assert pid == p.pid and pid != os.getpid(), (
        f"Started SquareProcess([1, 2, 3, 10], q). It reported pid {pid}, expected the child's pid {p.pid} "
        f"(the parent is {os.getpid()}): compute in run(), which runs in the child.")
    assert p.exitcode == 0, f"SquareProcess ended with exit code {p.exitcode}, expected 0."


def test_square_process_with_no_numbers(load):
    mod = load("process_basics")
    q = multiprocessing.Queue()
    p = mod.SquareProcess([], q)
    p.start()
    try:
        pid, squares = q.get(timeout=10)
    finally:
        p.join(10)
    assert squares == [], f"Started SquareProcess([], q). It put squares {squares!r}, expected []."
