"""Learner tests for exercise 10, choose_executor: run_io_bound (threads) and run_cpu_bound (processes)."""
import multiprocessing
import operator
import os
import sys
import threading
import time

import pytest
from helpers import Meeting, not_joined, start_method, started, together, within

import workers_choose_executor as workers

pytestmark = pytest.mark.timeout(60)


# ---- run_io_bound: threads ----------------------------------------------------------------

def test_io_bound_results_in_order_and_empty(load):
    mod = load("choose_executor")
    got = within(10, "run_io_bound(operator.mul, [(2, 3), (4, 5), (6, 7)])",
                 mod.run_io_bound, operator.mul, [(2, 3), (4, 5), (6, 7)])
    assert got == [6, 20, 42], f"Called run_io_bound(operator.mul, [(2, 3), (4, 5), (6, 7)]). Returned {got!r}, expected [6, 20, 42]."
    got = within(10, "run_io_bound(operator.mul, [])", mod.run_io_bound, operator.mul, [])
    assert got == [], f"Called run_io_bound(operator.mul, []). Returned {got!r}, expected []."


def test_io_bound_results_in_argument_order_not_finishing_order(load):
    mod = load("choose_executor")
    # The first call finishes last.
    args_list = [(0.3, "a"), (0.1, "b"), (0.0, "c")]
    got = within(10, f"run_io_bound(sleep_then, {args_list})", mod.run_io_bound, workers.sleep_then, args_list)
    assert got == ["a", "b", "c"], (
        f"Called run_io_bound(sleep_then, {args_list}) where the first call finishes last. Returned {got!r}, "
        f"expected ['a', 'b', 'c']: results in args_list order, not in the order the calls finished.")


def test_io_bound_runs_in_threads_of_this_process(load):
    mod = load("choose_executor")
    pids = within(10, "run_io_bound(os.getpid, [()] * 3)", mod.run_io_bound, os.getpid, [()] * 3)
    assert pids == [os.getpid()] * 3, (
        f"Called run_io_bound(os.getpid, [()] * 3). Returned {pids}, expected [{os.getpid()}] * 3: "
        f"IO-bound calls run in threads of this process, not in child processes.")
    assert started() == [], f"Called run_io_bound(...). It started child processes: {started()}, expected none."
    caller = {}

    def call():
        caller["ident"] = threading.get_ident()
        return mod.run_io_bound(threading.get_ident, [()] * 3)

    idents = within(10, "run_io_bound(threading.get_ident, [()] * 3)", call)
    assert caller["ident"] not in idents, (
        "Called run_io_bound(threading.get_ident, [()] * 3). A call ran in the calling thread, expected worker threads.")


def test_io_bound_runs_32_calls_at_once(load):
    mod = load("choose_executor")
    # Each call waits until all 32 calls are waiting (or breaks the barrier after 2 s).
    meeting = Meeting(32, timeout=2)
    description = "run_io_bound(barrier.wait, [()] * 32) with a 32-party barrier"
    got = together(meeting, 20, description, mod.run_io_bound, meeting.wait, [()] * 32,
                   advice="run min(len(args_list), MAX_IO_THREADS) calls at once, in as many threads "
                          "(the default ThreadPoolExecutor() has fewer)")
    assert sorted(got) == list(range(32)), (
        f"Called {description}. Returned {got!r}, expected 32 distinct arrival indexes.")


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

    within(20, "run_io_bound(tracked_wait, [(0.05,)] * 48)", mod.run_io_bound, tracked_wait, [(0.05,)] * 48)
    assert 1 <= peak[0] <= 32, (
        f"Called run_io_bound(tracked_wait, [(0.05,)] * 48). Up to {peak[0]} calls ran at once, expected at most "
        f"32 (MAX_IO_THREADS).")


def test_io_bound_reraises_the_first_failing_call_in_argument_order(load):
    mod = load("choose_executor")
    # The first call fails last in time (after 0.2 s), the second fails at once.
    args_list = [(0.2, "ValueError"), (0.0, "KeyError"), (0.0, "KeyError")]
    with pytest.raises(Exception) as info:
        within(10, f"run_io_bound(fail_after, {args_list})", mod.run_io_bound, workers.fail_after, args_list)
    assert isinstance(info.value, ValueError), (
        f"Called run_io_bound(fail_after, {args_list}). Raised {type(info.value).__name__}({info.value}), expected "
        f"ValueError: the first failing call in argument order, not the first to fail in time.")


# ---- run_cpu_bound: processes -------------------------------------------------------------

def test_cpu_bound_results_in_order_and_empty(load):
    mod = load("choose_executor")
    got = within(20, "run_cpu_bound(operator.pow, [(2, 10), (3, 3), (10, 0)])",
                 mod.run_cpu_bound, operator.pow, [(2, 10), (3, 3), (10, 0)])
    assert got == [1024, 27, 1], f"Called run_cpu_bound(operator.pow, [(2, 10), (3, 3), (10, 0)]). Returned {got!r}, expected [1024, 27, 1]."
    got = within(20, "run_cpu_bound(operator.pow, [])", mod.run_cpu_bound, operator.pow, [])
    assert got == [], f"Called run_cpu_bound(operator.pow, []). Returned {got!r}, expected []."


def test_cpu_bound_runs_in_at_most_available_cpus_processes(load):
    mod = load("choose_executor")
    cpus = mod.available_cpus()
    pids = within(20, "run_cpu_bound(pid_of, [(0,), ..., (7,)])", mod.run_cpu_bound, workers.pid_of,
                  [(i,) for i in range(8)])
    assert len(pids) == 8 and os.getpid() not in pids, (
        f"Called run_cpu_bound(pid_of, [(0,), ..., (7,)]). Returned {pids}, expected 8 pids of worker processes, "
        f"none of them the caller's ({os.getpid()}): CPU-bound calls run in processes.")
    assert len(set(pids)) <= cpus, (
        f"Called run_cpu_bound(pid_of, [(0,), ..., (7,)]). The calls ran in {len(set(pids))} processes, "
        f"expected at most available_cpus() = {cpus}.")
    assert not_joined() == [], f"Called run_cpu_bound(...). Not joined afterwards: {not_joined()}."


def test_cpu_bound_runs_one_process_per_cpu_at_once(load, tmp_path):
    mod = load("choose_executor")
    parties = min(mod.available_cpus(), 4)
    # Each call waits (up to 3 s) until `parties` calls have started: True only if they overlap.
    description = f"run_cpu_bound(rendezvous, <{parties} calls that wait for each other>)"
    got = within(30, description, mod.run_cpu_bound, workers.rendezvous, [(str(tmp_path), parties, 3.0)] * parties)
    met = [ok for _, ok in got]
    assert met == [True] * parties, (
        f"Called {description}. Returned {got!r}, expected all {parties} calls running at once in {parties} "
        f"processes: available_cpus() worker processes, every call submitted before waiting for any.")


def test_cpu_bound_counts_the_cpus_available_to_this_process(load, tmp_path):
    mod = load("choose_executor")
    if not hasattr(os, "sched_setaffinity"):
        pytest.skip("os.sched_setaffinity does not exist on this platform")
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        pytest.skip("needs a machine with at least 2 CPUs available")
    if multiprocessing.get_start_method() == "forkserver":
        from multiprocessing import forkserver
        forkserver.ensure_running()  # started before the restriction, so not pinned by it
    description = (f"run_cpu_bound(rendezvous, <2 calls that wait 1 s for each other>) with this process "
                   f"restricted to 1 CPU (os.cpu_count() still says {os.cpu_count()})")
    os.sched_setaffinity(0, {min(allowed)})  # this thread, and what it starts from now on
    try:
        got = within(30, description, mod.run_cpu_bound, workers.rendezvous, [(str(tmp_path), 2, 1.0)] * 2)
    finally:
        os.sched_setaffinity(0, allowed)
    met = [ok for _, ok in got]
    assert met == [False, False], (
        f"Called {description}. The two calls ran at the same time, expected one at a time: use "
        f"available_cpus() worker processes (os.sched_getaffinity), not os.cpu_count().")


def test_cpu_bound_reraises_the_first_failing_call_in_argument_order(load):
    mod = load("choose_executor")
    with pytest.raises(ZeroDivisionError):
        within(20, "run_cpu_bound(operator.truediv, [(1, 1), (1, 0), (1, 'x')])",
               mod.run_cpu_bound, operator.truediv, [(1, 1), (1, 0), (1, "x")])
        pytest.fail("Called run_cpu_bound(operator.truediv, [(1, 1), (1, 0), (1, 'x')]). "
                    "It returned, expected ZeroDivisionError.")
    args_list = [(0.2, "ValueError"), (0.0, "KeyError")]
    with pytest.raises(Exception) as info:
        within(20, f"run_cpu_bound(fail_after, {args_list})", mod.run_cpu_bound, workers.fail_after, args_list)
    assert isinstance(info.value, ValueError), (
        f"Called run_cpu_bound(fail_after, {args_list}). Raised {type(info.value).__name__}({info.value}), expected "
        f"ValueError: the first failing call in argument order, not the first to fail in time.")
    assert not_joined() == [], f"run_cpu_bound raised. Not joined afterwards: {not_joined()}."


def test_cpu_bound_under_spawn(load):
    mod = load("choose_executor")
    description = "run_cpu_bound(operator.pow, [(2, 5), (3, 2)]) under the spawn start method"
    error = None
    with start_method("spawn"):
        try:
            got = within(30, description, mod.run_cpu_bound, operator.pow, [(2, 5), (3, 2)])
        except Exception as exc:
            error = exc
    if error is not None:
        pytest.fail(f"Called {description}. It raised {type(error).__name__}: {error}. A spawn worker imports "
                    f"your module afresh: submit func itself, never a closure, a lambda or a global set at run time.",
                    pytrace=False)
    assert got == [32, 9], f"Called {description}. Returned {got!r}, expected [32, 9]."


# ---- the fact the docstring relies on (no learner code) ------------------------------------

def test_cpu_bound_threads_take_turns_on_the_default_build():
    if not getattr(sys, "_is_gil_enabled", lambda: True)():
        pytest.skip("a free-threaded build without the GIL: threads do run Python code in parallel")

    def spin():
        n = 0
        for _ in range(400_000):
            n += 1

    threads = [threading.Thread(target=spin) for _ in range(2)]
    cpu, wall = time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert cpu / wall < 1.5, (
        f"Two CPU-bound threads used {cpu:.2f} s of CPU in {wall:.2f} s: more than one CPU at once, on a build "
        f"with the GIL.")
