"""Learner tests for exercise 8, pipe_echo: send_one, roundtrip, echo_worker, ping_pong."""
import multiprocessing
import threading
import time

import pytest
from helpers import within

pytestmark = pytest.mark.timeout(20)


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
    got = within(10, "roundtrip([42, None, 'hello'])", mod.roundtrip, [42, None, "hello"])
    assert got == [42, None, "hello"], (
        f"Called roundtrip([42, None, 'hello']). Returned {got!r}, expected [42, None, 'hello'].")
    alive = multiprocessing.active_children()
    assert alive == [], f"Called roundtrip(...). Still running afterwards: {alive}, expected none (join the child)."


def test_roundtrip_of_a_large_object_receives_before_joining(load):
    mod = load("pipe_echo")
    big = bytes(range(256)) * 4096  # 1 MiB: more than the pipe holds
    got = within(10, "roundtrip(<1 MiB of bytes>)", mod.roundtrip, big)
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


def test_echo_worker_in_a_spawned_child_stops_on_eof(load):
    mod = load("pipe_echo")
    # Under spawn, the child inherits nothing: once we close our end, it sees EOF.
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    p = ctx.Process(target=mod.echo_worker, args=(theirs,))
    p.start()
    theirs.close()
    ours.close()
    p.join(10)
    if p.is_alive():
        p.kill()
        p.join()
        pytest.fail("Closed the parent's end of echo_worker's pipe (spawn). "
                    "The child was still running 10 s later, expected it to see EOFError and exit.")
    assert p.exitcode == 0, f"echo_worker in a child stopped on EOF with exit code {p.exitcode}, expected 0."


def test_ping_pong_returns_the_echoes_in_order(load):
    mod = load("pipe_echo")
    messages = [1, "two", [3], {"four": (4, 4.0)}, 0, ""]
    got = within(10, f"ping_pong({messages!r})", mod.ping_pong, messages)
    assert got == messages, f"Called ping_pong({messages!r}). Returned {got!r}, expected {messages!r}."
    alive = multiprocessing.active_children()
    assert alive == [], f"Called ping_pong(...). Still running afterwards: {alive}, expected none."


def test_ping_pong_of_nothing_and_of_many(load):
    mod = load("pipe_echo")
    got = within(10, "ping_pong([])", mod.ping_pong, [])
    assert got == [], f"Called ping_pong([]). Returned {got!r}, expected []."
    messages = [bytes([i]) * 100_000 for i in range(50)]  # 50 messages of ~100 KB
    got = within(10, "ping_pong(<50 messages of 100 KB>)", mod.ping_pong, messages)
    assert got == messages, "Called ping_pong(<50 messages of 100 KB>). The echoes differ from the messages."
