"""Learner tests for exercise 1, threads_start_join: run_in_threads(func, args_list)."""
import operator
import subprocess
import sys
import threading
import time

import pytest
from helpers import Meeting, together, within

pytestmark = pytest.mark.timeout(20)


def test_results_come_back_in_argument_order(load):
    mod = load("threads_start_join")
    args_list = [(1, 2), (3, 4), (5, 6)]
    got = within(5, f"run_in_threads(operator.mul, {args_list})", mod.run_in_threads, operator.mul, args_list)
    assert got == [2, 12, 30], (
        f"Called run_in_threads(operator.mul, {args_list}). Returned {got!r}, expected [2, 12, 30].")


def test_order_is_argument_order_not_finishing_order(load):
    mod = load("threads_start_join")

    def slow_identity(delay, value):
        time.sleep(delay)
        return value

    # The first call finishes last.
    args_list = [(0.3, "a"), (0.1, "b"), (0.0, "c")]
    got = within(5, f"run_in_threads(slow_identity, {args_list})", mod.run_in_threads, slow_identity, args_list)
    assert got == ["a", "b", "c"], (
        f"Called run_in_threads(slow_identity, {args_list}) where the first call finishes last. "
        f"Returned {got!r}, expected ['a', 'b', 'c']: put each result in its call's slot, "
        f"not in the order the threads finish.")


def test_empty_list_gives_empty_list(load):
    mod = load("threads_start_join")
    got = within(5, "run_in_threads(operator.mul, [])", mod.run_in_threads, operator.mul, [])
    assert got == [], f"Called run_in_threads(operator.mul, []). Returned {got!r}, expected []."


def test_each_call_runs_in_its_own_thread_and_all_overlap(load):
    mod = load("threads_start_join")
    n = 6
    # Every call waits until all n calls have reached the barrier: this only
    # succeeds if all n threads were started before any was joined.
    meeting = Meeting(n, timeout=2)
    caller = {}

    def meet(i):
        meeting.wait()
        return threading.get_ident()

    def call():
        caller["ident"] = threading.get_ident()
        return mod.run_in_threads(meet, [(i,) for i in range(n)])

    description = f"run_in_threads(meet, [(0,), ..., ({n - 1},)]) with {n} calls that wait for each other"
    idents = together(meeting, 8, description, call)
    assert caller["ident"] not in idents, (
        f"Called {description}. Call {idents.index(caller['ident'])} ran in the calling thread, "
        f"expected every call in a new Thread of its own.")
    assert len(set(idents)) == n, (
        f"Called {description}. They ran in {len(set(idents))} distinct threads, expected {n}: "
        f"one new Thread per call.")


def test_every_thread_is_joined_not_only_the_last(load):
    mod = load("threads_start_join")
    seen = []

    def work(delay):
        seen.append(threading.current_thread())
        time.sleep(delay)
        return delay

    # The last thread is the quickest: joining only the last one would return
    # while the others still run.
    within(5, "run_in_threads(work, [(0.3,), (0.3,), (0.0,)])", mod.run_in_threads, work, [(0.3,), (0.3,), (0.0,)])
    still_running = [t.name for t in seen if t.is_alive()]
    assert still_running == [], (
        f"Called run_in_threads(work, [(0.3,), (0.3,), (0.0,)]). When it returned, "
        f"threads {still_running} were still running, expected every thread joined: keep every "
        f"Thread in a list and join each one (the article's loop joins only the last).")


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
        within(5, f"run_in_threads(check, {args_list})", mod.run_in_threads, check, args_list)
        pytest.fail(f"Called run_in_threads(check, {args_list}). It returned, expected ValueError "
                    f"from the failing calls: catch each call's exception in its thread and re-raise it.")
    assert str(info.value) == "negative: -1", (
        f"Called run_in_threads(check, {args_list}). Raised ValueError({str(info.value)!r}), "
        f"expected ValueError('negative: -1') from the first failing call in argument order "
        f"(not the first to fail in time).")


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
        within(5, "run_in_threads(work, [(0.0, True), (0.3, False), (0.3, False)])",
               mod.run_in_threads, work, [(0.0, True), (0.3, False), (0.3, False)])
    still_running = [t.name for t in seen if t.is_alive()]
    assert still_running == [], (
        f"Called run_in_threads where the first call raised. When it raised, threads "
        f"{still_running} were still running, expected every thread joined first.")


def test_join_only_waits_and_the_interpreter_waits_for_unjoined_threads():
    # Backs the docstring (no learner code): join() only waits -- nothing is "added" to the
    # main thread -- and a thread nobody joins is still waited for when the interpreter exits;
    # what goes wrong is what runs before it has finished.
    script = (
        "import threading, time\n"
        "done = []\n"
        "t = threading.Thread(target=lambda: (time.sleep(0.3), done.append(1), print('thread done')))\n"
        "t.start()\n"
        "print('main sees', len(done))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=15)
    assert out.stdout.split("\n")[:2] == ["main sees 0", "thread done"], (
        f"A script that starts a thread and never joins it printed {out.stdout!r}: expected the main "
        f"thread to read the result too early ('main sees 0'), and the interpreter to wait for the "
        f"thread at exit ('thread done').")
