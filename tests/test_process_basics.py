"""Learner tests for exercise 6, process_basics: run_in_processes and SquareProcess."""
import multiprocessing
import operator
import os
import queue
import sys

import pytest
from helpers import not_joined, start_method, within

import workers_process_basics as workers

pytestmark = pytest.mark.timeout(40)

def none_hint(got):
    """The likely mistake behind an exit code of None."""
    if isinstance(got, list) and None in got:
        return (" (None: that child had not been joined yet, so its exit code was unknown: join every "
                "process before reading exitcode, not only the last)")
    return ""


PICKLE_HINT = ("the target and its arguments travel to a spawn child by pickling: pass target itself "
               "(a module-level function) to multiprocessing.Process, never a lambda or a nested function")


def test_exit_codes_come_back_in_argument_order(load):
    mod = load("process_basics")
    args_list = [(0,), (3,), (7,)]
    got = within(15, f"run_in_processes(sys.exit, {args_list})", mod.run_in_processes, sys.exit, args_list)
    assert got == [0, 3, 7], (
        f"Called run_in_processes(sys.exit, {args_list}). Returned {got!r}, expected [0, 3, 7]{none_hint(got)}.")


def test_exit_codes_in_argument_order_not_finishing_order(load):
    mod = load("process_basics")
    second_done = multiprocessing.Event()
    # Child 0 waits until child 1 has finished, then exits 3; child 1 exits 7 at once.
    args_list = [(3, second_done, 0.3, None), (7, None, 0.0, second_done)]
    description = "run_in_processes(exit_after, [<exit 3, ends last>, <exit 7, ends first>])"
    got = within(15, description, mod.run_in_processes, workers.exit_after, args_list)
    assert got == [3, 7], (
        f"Called {description}. Returned {got!r}, expected [3, 7]" + (none_hint(got) or
        ": the exit codes in args_list order, not in the order the children finished") + ".")


def test_a_child_that_raises_exits_with_code_1(load):
    mod = load("process_basics")
    # operator.truediv(1, 0) raises ZeroDivisionError in the child (its traceback is printed there).
    args_list = [(1, 1), (1, 0)]
    got = within(15, f"run_in_processes(operator.truediv, {args_list})",
                 mod.run_in_processes, operator.truediv, args_list)
    assert got == [0, 1], (
        f"Called run_in_processes(operator.truediv, {args_list}). Returned {got!r}, expected [0, 1].")


def test_empty_list_gives_empty_list(load):
    mod = load("process_basics")
    got = within(5, "run_in_processes(sys.exit, [])", mod.run_in_processes, sys.exit, [])
    assert got == [], f"Called run_in_processes(sys.exit, []). Returned {got!r}, expected []."


def test_all_children_run_at_the_same_time_and_are_joined(load):
    mod = load("process_basics")
    n = 3
    # Each child waits until all n children reach the barrier (exit 0) or gives up after 2 s
    # (exit 9). Only a function that starts every process before joining any gets [0, 0, 0].
    barrier = multiprocessing.Barrier(n)
    description = f"run_in_processes(meet, ...) with {n} children that wait for each other at a barrier"
    got = within(20, description, mod.run_in_processes, workers.meet, [(barrier, 2)] * n)
    assert got == [0] * n, (
        f"Called {description}. Returned {got!r}, expected {[0] * n}" + (none_hint(got) or
        ": the children did not all run at the same time (exit code 9: a child waited 2 s for the others). "
        "Start every process before joining any") + ".")
    assert not_joined() == [], f"Called {description}. Not joined afterwards: {not_joined()}."


def test_every_child_is_joined_not_only_the_last(load):
    mod = load("process_basics")
    last_done = multiprocessing.Event()
    # The last child ends at once; the others end 0.5 s after it. Joining only the last one
    # returns while they still run.
    args_list = [(0, last_done, 0.5, None), (0, last_done, 0.5, None), (0, None, 0.0, last_done)]
    description = "run_in_processes(exit_after, [<ends late>, <ends late>, <ends at once>])"
    got = within(15, description, mod.run_in_processes, workers.exit_after, args_list)
    left = not_joined()
    assert left == [], (
        f"Called {description}. When it returned, {len(left)} of its children had not been joined "
        f"({left}): keep every Process in a list and join each one (the article's loop joins only the "
        f"last), or they run on -- and end as zombies -- after you have read their exit codes.")
    assert got == [0, 0, 0], f"Called {description}. Returned {got!r}, expected [0, 0, 0]{none_hint(got)}."


def test_run_in_processes_under_spawn(load):
    mod = load("process_basics")
    description = "run_in_processes(sys.exit, [(0,), (4,)]) under the spawn start method"
    error = None
    with start_method("spawn"):
        try:
            got = within(30, description, mod.run_in_processes, sys.exit, [(0,), (4,)])
        except Exception as exc:
            error = exc
    if error is not None:
        pytest.fail(f"Called {description}. It raised {type(error).__name__}: {error}. Likely: {PICKLE_HINT}.",
                    pytrace=False)
    assert got == [0, 4], f"Called {description}. Returned {got!r}, expected [0, 4]{none_hint(got)}."


def test_square_process_is_a_process_and_computes_nothing_before_start(load):
    mod = load("process_basics")
    q = multiprocessing.Queue()
    p = mod.SquareProcess([1, 2, 3], q)
    assert isinstance(p, multiprocessing.Process), "SquareProcess(...) is not a multiprocessing.Process."
    with pytest.raises(queue.Empty):
        q.get(timeout=0.2)
        pytest.fail("SquareProcess([1, 2, 3], q) put something on q before start(): do the work in run().")


def square_in_child(mod, numbers, ctx=multiprocessing):
    """Start SquareProcess(numbers, q), return (pid it reported, squares, the process)."""
    q = ctx.Queue()
    p = mod.SquareProcess(numbers, q)
    p.start()
    try:
        pid, squares = q.get(timeout=20)
    finally:
        p.join(10)
    return pid, squares, p


def test_square_process_reports_its_own_pid_and_the_squares(load):
    mod = load("process_basics")
    description = "SquareProcess([1, 2, 3, 10], q).start()"
    pid, squares, p = within(25, description, square_in_child, mod, [1, 2, 3, 10])
    assert squares == [1, 4, 9, 100], (
        f"Started {description}. It put squares {squares!r}, expected [1, 4, 9, 100].")
    assert pid == p.pid and pid != os.getpid(), (
        f"Started {description}. It reported pid {pid}, expected the child's pid {p.pid} "
        f"(the parent is {os.getpid()}): compute in run(), which runs in the child.")
    assert p.exitcode == 0, f"Started {description}. It ended with exit code {p.exitcode}, expected 0."


def test_square_process_squares_in_the_child(load):
    mod = load("process_basics")
    numbers = [workers.Traced(n) for n in (2, 5)]  # their squares remember where they were computed
    description = "SquareProcess([2, 5], q).start() with numbers that record where they are squared"
    pid, squares, p = within(25, description, square_in_child, mod, numbers)
    where = sorted({getattr(s, "pid", None) for s in squares}, key=str)
    assert squares == [4, 25] and where == [p.pid], (
        f"Started {description}. The squares {squares!r} were computed in process(es) {where}, expected "
        f"[4, 25] computed in the child {p.pid} (the parent is {os.getpid()}): __init__ runs in the parent, "
        f"so store the numbers there and square them in run().")


def test_square_process_with_no_numbers(load):
    mod = load("process_basics")
    pid, squares, p = within(25, "SquareProcess([], q).start()", square_in_child, mod, [])
    assert squares == [], f"Started SquareProcess([], q). It put squares {squares!r}, expected []."


def test_square_process_under_spawn(load):
    mod = load("process_basics")
    description = "SquareProcess([3, 4], q).start() under the spawn start method"
    with start_method("spawn"):
        try:
            pid, squares, p = within(30, description, square_in_child, mod, [3, 4])
        except queue.Empty:
            pid = squares = p = None
    if p is None:
        pytest.fail(f"Started {description}. Nothing arrived on q within 20 s: did run() fail in the child?",
                    pytrace=False)
    assert (squares, pid) == ([9, 16], p.pid), (
        f"Started {description}. It put {(pid, squares)!r}, expected ({p.pid}, [9, 16]).")
