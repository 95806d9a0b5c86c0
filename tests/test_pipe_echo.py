"""Learner tests for exercise 8, pipe_echo: send_one, roundtrip, echo_worker, ping_pong."""
import multiprocessing
import threading
import time

import pytest
from helpers import not_joined, start_method, within

pytestmark = pytest.mark.timeout(60)

STOP_HINT = ("Send None to stop the worker: under fork the child holds its own copy of your end, so closing "
             "yours never gives it EOF.")
RECV_HINT = "recv() before join(): a child cannot finish sending more than the pipe holds until you read."


def start_echo_worker_in_thread(mod, conn):
    """Run echo_worker(conn) in a thread of this process (no fork involved); return (thread, box)."""
    box = {}

    def run():
        try:
            box["returned"] = mod.echo_worker(conn)
        except BaseException as error:
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def receive(conn, thread, timeout=5.0):
    """The next object on conn, or "<nothing>" if none came within `timeout` s or the worker thread ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if conn.poll(0.05):
            return conn.recv()
        if not thread.is_alive():
            return conn.recv() if conn.poll() else "<nothing>"
    return "<nothing>"


def test_roundtrip_returns_the_seed_list(load):
    mod = load("pipe_echo")
    got = within(10, "roundtrip([42, None, 'hello'])", mod.roundtrip, [42, None, "hello"], hint=RECV_HINT)
    assert got == [42, None, "hello"], (
        f"Called roundtrip([42, None, 'hello']). Returned {got!r}, expected [42, None, 'hello'].")
    left = not_joined()
    assert left == [], (
        f"Called roundtrip([42, None, 'hello']). When it returned, its child had not been joined ({left}): "
        f"join the child after recv(), so it is neither left running nor left a zombie.")


def test_roundtrip_of_a_large_object_receives_before_joining(load):
    mod = load("pipe_echo")
    big = bytes(range(256)) * 4096  # 1 MiB: more than the pipe holds
    got = within(10, "roundtrip(<1 MiB of bytes>)", mod.roundtrip, big, hint=RECV_HINT)
    assert got == big, f"Called roundtrip(<1 MiB of bytes>). Returned {len(got)} bytes, expected the same 1 MiB."


def test_echo_worker_echoes_until_none_and_closes_its_end(load):
    mod = load("pipe_echo")
    ours, theirs = multiprocessing.Pipe()
    thread, box = start_echo_worker_in_thread(mod, theirs)
    echoes = []
    for message in ["ping", 7, [1, 2]]:
        ours.send(message)
        echoes.append(receive(ours, thread))
    ours.send(None)
    thread.join(5)
    stopped = not thread.is_alive()
    ours.close()
    if "error" in box:
        raise box["error"]
    assert echoes == ["ping", 7, [1, 2]], (
        f"Sent 'ping', 7, [1, 2] to echo_worker. Got back {echoes!r}, expected ['ping', 7, [1, 2]].")
    assert stopped, "Sent None to echo_worker. It was still running 5 s later, expected it to return."
    assert theirs.closed, "echo_worker(conn) returned without closing conn."


def test_echo_worker_stops_on_eof(load):
    mod = load("pipe_echo")
    ours, theirs = multiprocessing.Pipe()
    thread, box = start_echo_worker_in_thread(mod, theirs)
    ours.send("hi")
    echoed = receive(ours, thread)
    ours.close()  # the only other copy of the other end: echo_worker's recv() now raises EOFError
    thread.join(5)
    stopped = not thread.is_alive()
    if "error" in box:
        raise box["error"]
    assert echoed == "hi", f"Sent 'hi' to echo_worker. Got back {echoed!r}, expected 'hi'."
    assert stopped, ("Closed the other end of echo_worker's pipe. echo_worker was still running 5 s later, "
                     "expected it to catch EOFError and return.")
    assert theirs.closed, "echo_worker(conn) returned without closing conn."


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_echo_worker_in_a_spawned_child_stops_on_eof(load, method):
    mod = load("pipe_echo")
    # Under spawn and forkserver the child inherits only what it is passed: once we close our
    # end, it sees EOF.
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    ours, theirs = multiprocessing.Pipe()
    ours.send(None)
    within(5, "echo_worker(conn) with None waiting on conn", mod.echo_worker, theirs)  # errors show here, not in a child
    ours.close()
    ctx = multiprocessing.get_context(method)
    ours, theirs = ctx.Pipe()
    p = ctx.Process(target=mod.echo_worker, args=(theirs,))
    p.start()
    theirs.close()
    ours.close()
    p.join(10)
    if p.is_alive():
        p.kill()
        p.join()
        pytest.fail(f"Started echo_worker(conn) in a child ({method}) and closed the parent's end of its pipe. "
                    "The child was still running 10 s later, expected it to see EOFError and exit.")
    assert p.exitcode == 0, (
        f"Started echo_worker(conn) in a child ({method}) and closed the parent's end of its pipe. It ended "
        f"with exit code {p.exitcode}, expected 0: catch EOFError, close conn and return normally.")


def test_ping_pong_returns_the_echoes_in_order(load):
    mod = load("pipe_echo")
    messages = [1, "two", [3], {"four": (4, 4.0)}, 0, ""]
    got = within(10, f"ping_pong({messages!r})", mod.ping_pong, messages, hint=STOP_HINT)
    assert got == messages, f"Called ping_pong({messages!r}). Returned {got!r}, expected {messages!r}."
    left = not_joined()
    assert left == [], (
        f"Called ping_pong({messages!r}). When it returned, its child had not been joined ({left}): send None, "
        f"close your end, then join the child.")


def test_ping_pong_of_nothing_and_of_many(load):
    mod = load("pipe_echo")
    got = within(10, "ping_pong([])", mod.ping_pong, [], hint=STOP_HINT)
    assert got == [], f"Called ping_pong([]). Returned {got!r}, expected []."
    messages = [bytes([i]) * 100_000 for i in range(50)]  # 50 messages of ~100 KB
    got = within(10, "ping_pong(<50 messages of 100 KB>)", mod.ping_pong, messages, hint=STOP_HINT)
    assert got == messages, "Called ping_pong(<50 messages of 100 KB>). The echoes differ from the messages."


@pytest.mark.parametrize("call", ["roundtrip", "ping_pong"])
def test_roundtrip_and_ping_pong_under_spawn(load, call):
    mod = load("pipe_echo")
    description = (f"roundtrip([42, None, 'hello'])" if call == "roundtrip" else "ping_pong([1, 'two'])") + \
        " under the spawn start method"
    func, arg = (mod.roundtrip, [42, None, "hello"]) if call == "roundtrip" else (mod.ping_pong, [1, "two"])
    expected = [42, None, "hello"] if call == "roundtrip" else [1, "two"]
    error = None
    with start_method("spawn"):
        try:
            got = within(30, description, func, arg, hint=STOP_HINT if call == "ping_pong" else RECV_HINT)
        except Exception as exc:
            error = exc
    if error is not None:
        pytest.fail(f"Called {description}. It raised {type(error).__name__}: {error}. Under spawn the target "
                    f"and its arguments reach the child by pickling: run a module-level function "
                    f"(send_one, echo_worker) with the connection as an argument, never a nested function.",
                    pytrace=False)
    assert got == expected, f"Called {description}. Returned {got!r}, expected {expected!r}."
    assert not_joined() == [], f"Called {description}. Not joined afterwards: {not_joined()}."


def test_ping_pong_under_fork(load):
    # Under fork the child inherits a copy of the parent's end: only an explicit None stops it.
    mod = load("pipe_echo")
    description = "ping_pong([1, 'two']) under the fork start method"
    with start_method("fork"):
        got = within(10, description, mod.ping_pong, [1, "two"], hint=STOP_HINT)
    assert got == [1, "two"], f"Called {description}. Returned {got!r}, expected [1, 'two']."
    assert not_joined() == [], f"Called {description}. Not joined afterwards: {not_joined()}."


def test_a_duplex_pipe_is_a_socketpair():
    # Backs the docstring (no learner code): Pipe() is a socketpair, Pipe(duplex=False) an OS pipe.
    import os
    import stat
    import sys

    if sys.platform == "win32":
        pytest.skip("on Windows, Pipe() is a named pipe")
    duplex = multiprocessing.Pipe()
    oneway = multiprocessing.Pipe(duplex=False)
    try:
        kinds = [stat.S_ISSOCK(os.fstat(c.fileno()).st_mode) for c in duplex]
        fifo = [stat.S_ISFIFO(os.fstat(c.fileno()).st_mode) for c in oneway]
    finally:
        for c in duplex + oneway:
            c.close()
    assert kinds == [True, True], "multiprocessing.Pipe() did not give two sockets (socket.socketpair)."
    assert fifo == [True, True], "multiprocessing.Pipe(duplex=False) did not give the two ends of an OS pipe."
