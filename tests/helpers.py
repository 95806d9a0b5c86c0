"""Shared by the learner tests: call learner code with a deadline, so a deadlock fails one
test with a message instead of stopping the whole run; watch the processes a test starts;
turn a broken barrier into a sentence; run one test under another start method."""
import contextlib
import multiprocessing
import multiprocessing.pool
import multiprocessing.process
import os
import signal
import threading

import pytest

LOCK_HINT = ("A threading.Lock is not reentrant, so a method holding self.lock must not call "
             "another method that takes it again.")
START_ALL = "start every thread before joining any"

# ---- processes started during the current test ---------------------------------------------
# tests/conftest.py records every multiprocessing process a test starts (any start method, Pool
# and executor workers included) and kills what is left when the test ends, so a learner's
# process that never stops cannot hang the session at exit.
_started = []
_pools = []


@contextlib.contextmanager
def track_processes():
    """Record, in ``started()``, every process whose ``start()`` succeeds inside the block
    (and every multiprocessing Pool created there, so ``kill_leftovers`` can terminate it)."""
    original_start = multiprocessing.process.BaseProcess.start
    original_pool_init = multiprocessing.pool.Pool.__init__

    def start(self):
        original_start(self)
        _started.append(self)

    def pool_init(self, *args, **kwargs):
        _pools.append(self)
        original_pool_init(self, *args, **kwargs)

    del _started[:], _pools[:]
    multiprocessing.process.BaseProcess.start = start
    multiprocessing.pool.Pool.__init__ = pool_init
    try:
        yield _started
    finally:
        multiprocessing.process.BaseProcess.start = original_start
        multiprocessing.pool.Pool.__init__ = original_pool_init


def started():
    """The processes started so far in this test, in start order."""
    return list(_started)


def not_joined(processes=None):
    """The processes (default: all started in this test) whose end nobody has waited for.

    A process counts as joined once ``join()`` (or ``is_alive()``/``exitcode`` after it ended)
    has collected its exit status; until then it is still running, or a zombie.
    """
    return [p for p in (started() if processes is None else processes)
            if getattr(p, "_popen", None) is not None and p._popen.returncode is None]


def kill_leftovers():
    """Terminate the Pools this test left open; SIGKILL every other process it started that is
    still unreaped, then reap it.

    A Pool is terminated, not killed worker by worker: an idle worker holds the pool's task-queue
    lock, and killing it would leave the pool (and the interpreter's exit) waiting forever.
    os.kill, not Process.kill: a test may have replaced kill()/terminate() to catch their use.
    """
    for pool in _pools:
        with contextlib.suppress(Exception):
            pool.terminate()
            pool.join()
    for p in not_joined() + multiprocessing.active_children():
        with contextlib.suppress(OSError):
            os.kill(p.pid, signal.SIGKILL)
    for p in not_joined():
        with contextlib.suppress(Exception):
            p.join(5)
    multiprocessing.active_children()  # reaps what is left


# ---- deadlines -------------------------------------------------------------------------------
# A thread that ran learner code stays alive until the test ends: a lock it left held then keeps
# an owner no other thread can share (a new thread may otherwise reuse a dead thread's ident and
# "own" its RLock).
_linger = threading.Event()


def release_threads():
    """Called by tests/conftest.py after every test: lets the threads of `within` end."""
    global _linger
    _linger.set()
    _linger = threading.Event()


def within(seconds, description, func, *args, hint="", **kwargs):
    """Return ``func(*args, **kwargs)``, or fail if it has not returned after ``seconds``.

    On a time-out the child processes the test started are killed, so nothing is left running.
    """
    box = {}
    linger = _linger

    def call():
        try:
            box["value"] = func(*args, **kwargs)
        except BaseException as error:  # handed to the test below
            box["error"] = error
        finished.set()
        linger.wait(120)

    finished = threading.Event()
    thread = threading.Thread(target=call, daemon=True, name=f"within: {description}"[:60])
    thread.start()
    finished.wait(seconds)
    if not finished.is_set():
        kill_leftovers()
        pytest.fail(f"Called {description}. It had not returned after {seconds:g} s: a deadlock?"
                    + (f" {hint}" if hint else ""), pytrace=False)
    if "error" in box:
        raise box["error"]
    return box.get("value")


# ---- calls that must all run at once -----------------------------------------------------------
class Meeting:
    """A barrier for ``parties`` calls: ``wait()`` returns only once all of them are waiting.

    If they are not all running at once, the waiting ones give up after ``timeout`` s with
    ``threading.BrokenBarrierError``; ``together`` turns that into a sentence.
    """

    def __init__(self, parties, timeout=2.0):
        self.parties = parties
        self.timeout = timeout
        self.barrier = threading.Barrier(parties)
        self.broken = False

    def wait(self, *_args):
        try:
            return self.barrier.wait(self.timeout)
        except threading.BrokenBarrierError:
            self.broken = True
            raise

    def message(self, description, advice=START_ALL):
        return (f"Called {description}. The calls did not all run at the same time (each waited "
                f"{self.timeout:g} s for the others at a barrier of {self.parties}): {advice}.")


def together(meeting, seconds, description, func, *args, advice=START_ALL, hint="", **kwargs):
    """``within(seconds, ...)`` for calls that wait at ``meeting``: a broken barrier fails the
    test with ``meeting.message(...)`` instead of a bare BrokenBarrierError."""
    try:
        value = within(seconds, description, func, *args, hint=hint, **kwargs)
    except threading.BrokenBarrierError:
        value = None
        meeting.broken = True
    if meeting.broken:
        pytest.fail(meeting.message(description, advice), pytrace=False)
    return value


# ---- start methods ------------------------------------------------------------------------------
@contextlib.contextmanager
def start_method(name):
    """Make ``name`` the default start method inside the block (skip if the platform lacks it)."""
    if name not in multiprocessing.get_all_start_methods():
        pytest.skip(f"the {name} start method does not exist on this platform")
    before = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method(name, force=True)
    try:
        yield
    finally:
        multiprocessing.set_start_method(before, force=True)
