"""Probes for pipe_echo: roundtrip, echo_worker and ping_pong over real Pipes.

echo_worker's None path is driven from a thread of the probe (no fork involved); its
EOF path in a spawn child (the only start method where closing the parent's end is
enough). Every receive has a timeout, so a worker that never answers gives a precise
message instead of a hang; children left after a call are listed from the kernel's view.
"""
import hashlib
import random
import threading
import time

from kit.sandbox.calls import call, child_processes, jsonable, learner
from kit.sandbox.frames import describe_exception

from .observe import EchoWorker, Eof, PingPong, Roundtrip, Spawn

LIMIT = 2.0   # a call that takes longer is reported as hung
RECV = 1.5    # wait this long for an echo


def _big(size, seed):
    return random.Random(seed).randbytes(size) if hasattr(random.Random, "randbytes") else \
        bytes(random.Random(seed).getrandbits(8) for _ in range(size))


def roundtrip(obj, big_size, big_seed, seed) -> Roundtrip:
    m = learner("pipe_echo")
    out = {}
    small = call(m.roundtrip, obj, timeout=LIMIT)
    out["small"] = {"call": jsonable(small), "left": child_processes()}
    if small["raised"] or small["hung"]:
        return out
    big = call(m.roundtrip, _big(big_size, big_seed), timeout=LIMIT + 1)
    got = big["returned"]
    big = jsonable(big)
    big["returned"] = None
    out["big"] = {"call": big, "left": child_processes(),
                  "type": type(got).__name__,
                  "length": len(got) if isinstance(got, (bytes, bytearray)) else None,
                  "sha256": hashlib.sha256(got).hexdigest() if isinstance(got, (bytes, bytearray)) else None}
    return out


def echo_worker(messages, seed) -> EchoWorker:
    """Drive echo_worker(theirs) running in a thread of ours: echoes, then None."""
    import multiprocessing
    m = learner("pipe_echo")
    ours, theirs = multiprocessing.Pipe()
    box = {}

    def run():
        box["outcome"] = call(m.echo_worker, theirs, timeout=3 * LIMIT)
    worker = threading.Thread(target=run, name="kit-worker", daemon=True)
    worker.start()
    echoes = []
    out = {"echoes": echoes}
    for msg in messages:
        ours.send(msg)
        deadline = time.monotonic() + RECV
        while not ours.poll(0.01) and worker.is_alive() and time.monotonic() < deadline:
            pass
        if not ours.poll(0):
            out["stuck_at"] = msg
            break
        try:
            echoes.append(ours.recv())
        except EOFError:
            out["eof_at"] = msg
            break
    else:
        ours.send(None)
        worker.join(LIMIT)
        out["stopped"] = not worker.is_alive()
        out["closed"] = theirs.closed
        extra = "none"
        if ours.poll(0.2 if not theirs.closed else 0):
            try:
                extra = {"value": ours.recv()}
            except EOFError:
                extra = "eof"
        else:
            extra = "silent"
        out["after_none"] = extra
    worker.join(0.2 if "stopped" not in out else LIMIT)
    if "outcome" in box:
        out["worker"] = jsonable(box["outcome"])
    return out


def _run_echo_worker(conn, report):
    """Spawn child side of ``eof``: run the learner's echo_worker; report an exception on ``report``."""
    m = learner("pipe_echo")
    try:
        m.echo_worker(conn)
    except BaseException as exc:
        report.send(describe_exception(exc))
        report.close()
        raise
    report.close()


def eof(messages, seed) -> Eof:
    """echo_worker in a child (spawn: it holds no copy of our end); we close our end, no None."""
    import multiprocessing
    ours, theirs = multiprocessing.Pipe()
    report_r, report_w = multiprocessing.Pipe(duplex=False)
    p = multiprocessing.Process(target=_run_echo_worker, args=(theirs, report_w))
    p.start()
    theirs.close()
    report_w.close()
    out = {"method": multiprocessing.get_start_method(), "echoes": []}
    for msg in messages:
        try:
            ours.send(msg)
            if not ours.poll(RECV + 2):  # the first answer includes the child's start-up
                out["stuck_at"] = msg
                break
            out["echoes"].append(ours.recv())
        except (EOFError, OSError):
            out["eof_at"] = msg
            break
    ours.close()
    p.join(LIMIT)
    out["alive"] = p.is_alive()
    out["exitcode"] = p.exitcode
    if out["alive"]:
        p.kill()
        p.join(1)
    out["raised"] = None
    try:
        if report_r.poll(0.5):
            out["raised"] = report_r.recv()
    except (EOFError, OSError):
        pass
    return out


def ping_pong(messages, seed) -> PingPong:
    m = learner("pipe_echo")
    res = call(m.ping_pong, messages, timeout=LIMIT)
    return {"call": jsonable(res), "left": child_processes()}


def spawn(obj, messages, seed) -> Spawn:
    import multiprocessing
    m = learner("pipe_echo")
    out = {"method": multiprocessing.get_start_method()}
    out["roundtrip"] = jsonable(call(m.roundtrip, obj, timeout=LIMIT + 2))
    out["ping_pong"] = jsonable(call(m.ping_pong, messages, timeout=LIMIT + 2))
    return out
