"""Hidden checks for pipe_echo (docs/contract.md, section 8)."""
import hashlib
import random

from kit.core.i18n import _
from kit.engine.verdict import Shown, called

from . import probes

FORK_HINT = ("Under fork the child inherits a copy of the parent's end too, so closing the parent's "
             "end never gives it EOF: send None to tell echo_worker to stop, then join it.")
PICKLE_HINT = ("Under spawn the child imports its target by name: a lambda, a nested function or a "
               "closure only works under fork. Pass a module-level function (send_one, echo_worker) "
               "and the connection in args.")


def _value(rng, depth=0):
    kind = rng.choice(["int", "str", "list", "dict", "none", "float"] if depth < 2 else ["int", "str", "none"])
    if kind == "int":
        return rng.randint(-10 ** 6, 10 ** 6)
    if kind == "float":
        return rng.randint(-999, 999) / 8
    if kind == "str":
        return "".join(rng.choice("abcdefxyz 42") for _ in range(rng.randint(0, 8)))
    if kind == "none":
        return None
    if kind == "list":
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {f"k{i}": _value(rng, depth + 1) for i in range(rng.randint(0, 3))}


def _obj(rng):
    return [rng.randint(0, 99), None, "hello"] + [_value(rng) for _ in range(rng.randint(1, 3))]


def _messages(rng, n):
    out = []
    while len(out) < n:
        v = _value(rng)
        if v is not None:
            out.append(v)
    return out


def _left_msg(call, left):
    zombies = sum(1 for p in left if p["status"] == "zombie")
    return called(call, _("When it returned, {n} child process(es) were left ({running} running, {zombies} zombie), "
                          "expected none: join the child before returning.", n=len(left),
                          running=len(left) - zombies, zombies=zombies))


def test_correct_roundtrip(check):
    obj = _obj(check.rng)
    size, bseed = check.rng.randint(2_000_000, 3_000_000), check.rng.randrange(2 ** 31)
    obs = check.run(probes.roundtrip, obj=obj, big_size=size, big_seed=bseed, call=f"roundtrip({obj!r})",
                    hang_hint="Receive before you join, and close the parent's copy of the child's end.")
    call = f"roundtrip({obj!r})"
    got = check.returned(call, obs["small"]["call"])
    check.expect(got == obj, called(call, returned=got, expected=obj))
    check.expect(not obs["small"]["left"], _left_msg(call, obs["small"]["left"]))
    call = _("roundtrip(<{size} random bytes>)", size=size)
    big = obs["big"]
    check.returned(call, big["call"],
                   hang_hint="The pipe's buffer is bounded: the child cannot finish sending a bigger object "
                             "until the parent reads it, so recv() before join().")
    expected = hashlib.sha256(random.Random(bseed).randbytes(size)).hexdigest()
    if big["length"] is not None:
        got = _("a {type} of {length} bytes", type=big["type"], length=big["length"])
    else:
        got = _("a {type}", type=big["type"])
    check.expect(big["sha256"] == expected,
                 called(call, returned=Shown(got), expected=Shown(_("the same {size} bytes", size=size))))
    check.expect(not big["left"], _left_msg(call, big["left"]))


def test_correct_echo_worker(check):
    messages = _messages(check.rng, check.rng.randint(3, 6))
    call = _("echo_worker(conn) in a thread, sending {messages} one by one, then None", messages=repr(messages))
    obs = check.run(probes.echo_worker, messages=messages, call=call)
    w = obs.get("worker")
    if w is not None and w["raised"]:
        check.fail_raised(call, w["raised"])
    if "stuck_at" in obs or "eof_at" in obs:
        msg = obs.get("stuck_at", obs.get("eof_at"))
        sent = {"message": repr(msg), "echoes": repr(obs["echoes"])}
        if "stuck_at" in obs:
            text = _("Sent {message} and got no echo within 1.5 s; echoes so far: {echoes}.", **sent)
        else:
            text = _("Sent {message} and the worker closed its end instead of echoing it; echoes so far: {echoes}.",
                     **sent)
        check.fail(called(call, text, hint="Send each message back with conn.send(m)."))
    check.expect(obs["echoes"] == messages,
                 called(call, _("The echoes were {echoes}, expected {messages}.", echoes=repr(obs["echoes"]),
                                messages=repr(messages))))
    check.expect(obs["stopped"],
                 called(call, _("After None, echo_worker was still running 2 s later: stop when the message is None.")))
    check.expect(w is not None and not w["hung"], called(call, _("echo_worker did not return after None.")))
    after = obs["after_none"]
    if isinstance(after, dict):
        check.fail(called(call, _("After None, echo_worker sent back {value}: stop at None without echoing it.",
                                  value=repr(after["value"]))))
    check.expect(obs["closed"],
                 called(call, _("echo_worker returned without closing conn: call conn.close() when it stops.")))


def test_safe_eof(check):
    messages = _messages(check.rng, check.rng.randint(2, 4))
    call = _("echo_worker(conn) in a child process (spawn), sending {messages}, then closing the parent's end "
             "without sending None", messages=repr(messages))
    obs = check.run(probes.eof, messages=messages, start_method="spawn", timeout=12, call=call)
    if obs["raised"] and (obs["raised"]["type"] == "NotImplementedError" or obs["echoes"] != messages):
        check.fail_raised(call, obs["raised"])
    check.expect("stuck_at" not in obs and "eof_at" not in obs and obs["echoes"] == messages,
                 called(call, _("The echoes were {echoes}, expected {messages} before the end was closed.",
                                echoes=repr(obs["echoes"]), messages=repr(messages))))
    check.expect(not obs["alive"],
                 called(call, _("After the parent closed its end, the worker was still running 2 s later: "
                                "conn.recv() raises EOFError when the other end is closed; stop the loop then.")))
    if obs["raised"]:
        check.fail_raised(call, obs["raised"],
                          (" " + _("conn.recv() raises EOFError once the other end is closed: catch it, close conn "
                                   "and return normally (exit code 0).") if obs["raised"]["type"] == "EOFError" else ""))
    check.expect(obs["exitcode"] == 0,
                 called(call, _("After the parent closed its end, the worker exited with code {code}, expected 0: "
                                "return normally.", code=obs["exitcode"])))


def test_correct_ping_pong(check):
    messages = _messages(check.rng, check.rng.randint(3, 6))
    call = f"ping_pong({messages!r})"
    obs = check.run(probes.ping_pong, messages=messages, call=call, hang_hint=FORK_HINT)
    got = check.returned(call, obs["call"], hang_hint=FORK_HINT)
    check.expect(got == messages, called(call, returned=got, expected=messages))
    check.expect(not obs["left"], _left_msg(call, obs["left"]) + " " + _(FORK_HINT))


def test_correct_spawn(check):
    obj = _obj(check.rng)
    messages = _messages(check.rng, check.rng.randint(2, 4))
    obs = check.run(probes.spawn, obj=obj, messages=messages, start_method="spawn", timeout=15,
                    call=_("{first} and {second}", first=f"roundtrip({obj!r})", second=f"ping_pong({messages!r})"))
    for name, arg, expected in (("roundtrip", obj, obj), ("ping_pong", messages, messages)):
        call = f"{name}({arg!r})" + _(" under {method}", method="spawn")
        r = obs[name]
        if r["raised"] and r["raised"]["type"] != "NotImplementedError":
            check.fail_raised(call, r["raised"], " " + _(PICKLE_HINT))
        got = check.returned(call, r)
        check.expect(got == expected, called(call, returned=got, expected=expected))
