"""Learner tests for exercise 2, thread_subclass: class TaskThread(threading.Thread)."""
import operator
import threading

import pytest
from helpers import Meeting

pytestmark = pytest.mark.timeout(10)


def run(thread):
    try:
        thread.start()
    except RuntimeError as exc:
        if "__init__" not in str(exc):
            raise
        pytest.fail(f"Called start() on a TaskThread. It raised RuntimeError({exc}): call "
                    f"super().__init__(name=name) first in __init__.", pytrace=False)
    thread.join(timeout=5)
    assert not thread.is_alive(), "Called start() on a TaskThread. It had not finished 5 s later: does run() return?"
    return thread


def test_is_a_thread_with_the_inherited_start_and_join(load):
    mod = load("thread_subclass")
    t = mod.TaskThread(operator.add, (1, 2))
    assert isinstance(t, threading.Thread), "TaskThread(...) is not a threading.Thread instance."
    assert mod.TaskThread.start is threading.Thread.start, "TaskThread overrides start(); expected the inherited one."
    assert mod.TaskThread.join is threading.Thread.join, "TaskThread overrides join(); expected the inherited one."
    assert (t.result, t.error) == (None, None), (
        f"Created TaskThread(operator.add, (1, 2)). Before start(), (result, error) was "
        f"{(t.result, t.error)!r}, expected (None, None).")


def test_result_is_kept_after_join(load):
    mod = load("thread_subclass")
    t = run(mod.TaskThread(operator.add, (2, 3)))
    assert (t.result, t.error) == (5, None), (
        f"Ran TaskThread(operator.add, (2, 3)). After join(), (result, error) was "
        f"{(t.result, t.error)!r}, expected (5, None): run() keeps func's return value in self.result.")


def test_keyword_arguments_are_passed(load):
    mod = load("thread_subclass")
    t = run(mod.TaskThread(int, ("ff",), {"base": 16}))
    assert t.result == 255, (
        f"Ran TaskThread(int, ('ff',), {{'base': 16}}). After join(), result was {t.result!r}, expected 255.")
    t = run(mod.TaskThread(dict, kwargs=None))
    assert t.result == {}, (
        f"Ran TaskThread(dict, kwargs=None). After join(), result was {t.result!r}, expected {{}}: kwargs=None "
        f"means no keyword arguments.")


def test_exception_is_captured_not_printed(load, monkeypatch):
    mod = load("thread_subclass")
    printed = []
    monkeypatch.setattr(threading, "excepthook", printed.append)
    error = KeyError("missing")

    def fail():
        raise error

    t = run(mod.TaskThread(fail))
    assert t.error is error, (
        f"Ran TaskThread(fail) where fail raises KeyError('missing'). After join(), "
        f"error was {t.error!r}, expected that KeyError: catch the Exception in run() and keep it in self.error.")
    assert t.result is None, f"After a failing call, result was {t.result!r}, expected None."
    assert printed == [], "The exception escaped run() and reached threading.excepthook; expected it captured."


def test_func_runs_only_after_start_and_in_the_new_thread(load):
    mod = load("thread_subclass")
    calls = []
    t = mod.TaskThread(lambda: calls.append(threading.current_thread()))
    assert calls == [], "TaskThread(...) called func in __init__; expected it called only after start()."
    run(t)
    assert calls == [t], (
        f"After start() and join(), func ran in {calls!r}, expected exactly once in the TaskThread itself.")


def test_name_reaches_thread_name(load):
    mod = load("thread_subclass")
    t = mod.TaskThread(operator.add, (1, 1), name="worker-7")
    assert t.name == "worker-7", (
        f"Created TaskThread(..., name='worker-7'). Its .name was {t.name!r}, expected 'worker-7': pass name on "
        f"to super().__init__(name=name).")
    default = mod.TaskThread(operator.add, (1, 1))
    assert default.name.startswith("Thread-"), (
        f"Created TaskThread(...) without a name. Its .name was {default.name!r}, expected the default 'Thread-N'.")


def test_state_is_per_instance_and_threads_overlap(load):
    mod = load("thread_subclass")
    meeting = Meeting(3, timeout=2)

    def meet(value):
        meeting.wait()  # all three must be running at once
        return value * 10

    threads = [mod.TaskThread(meet, (i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)
    assert not meeting.broken, meeting.message(
        "start() on three TaskThread(meet, (i,)) then join() on each",
        advice="run() must run in the new thread and not wait for anything else")
    got = [(t.result, t.error) for t in threads]
    assert got == [(0, None), (10, None), (20, None)], (
        f"Ran three TaskThreads together. (result, error) were {got!r}, "
        f"expected [(0, None), (10, None), (20, None)]: keep result and error on self, not on the class.")
