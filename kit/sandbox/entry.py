"""Entry point of a sandbox process: jail first, then the harness, then the learner's code.

The judge starts ``python -s -m kit.sandbox.entry`` (inside ``unshare`` when it is root), with
the staged view (``kit.engine.stage``) as its working folder and its only ``PYTHONPATH``
entry, writes one request line on stdin and reads authenticated lines
(``kit.sandbox.channel``) from the descriptor in ``KIT_RESULT_FD``. In this order:

1. read the request: the probe, its arguments, the channel's key and, as root, the jail;
2. enter the jail (``kit.sandbox.jail``: mounts, limits, the sandbox's uid) and make the
   process non-dumpable; then forget ``ctypes``;
3. open the channel; import the probe's module and with it every harness module and
   standard module the probe uses. Nothing of the submission can be imported yet: it is
   not on ``sys.path``, which holds only the staged view, the standard library and
   site-packages;
4. take the integrity baseline (``kit.sandbox.integrity``), install the audit hook
   (``kit.sandbox.audit``) and start the watchdog thread;
5. append the submission to the END of ``sys.path`` (a file in it can never shadow a
   standard or harness module), arm the hook, run the probe;
6. check the baseline once more, send the result, leave at once (``os._exit``).

The key, ``send``, the baseline and the probe's generator live only in this function's
frame, the hook's closure and the watchdog's frame: the main thread and the watchdog are
"private" threads whose frames the hook never lets learner code obtain.

A probe is a function returning its observation, or a generator: each value it yields is
sent to the judge as a ``yield`` event, and the judge's answer (one JSON line on stdin)
is what ``yield`` returns in the probe. That is how the judge drives timed rounds and
takes counts from outside the process (``kit.engine.runner.Session``).
"""
import importlib
import json
import os
import sys
import threading

EXIT_OK = 0


def _line_reader(fd, _read=os.read):
    """Lines from ``fd`` (stdin), read with ``os.read`` (never past the line the judge wrote)."""
    buf = [b""]

    def readline():
        while b"\n" not in buf[0]:
            chunk = _read(fd, 65536)
            if not chunk:
                return None
            buf[0] += chunk
        line, buf[0] = buf[0].split(b"\n", 1)
        return line
    return readline


def _plain(value):
    """Observations are dicts (TypedDicts) or dataclasses; the channel takes the former."""
    from dataclasses import asdict, is_dataclass
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


def _bottom(frame):
    while frame.f_back is not None:
        frame = frame.f_back
    return frame


def main() -> None:
    readline = _line_reader(0)
    raw = readline()
    request = json.loads(raw)
    raw = None
    key = bytes.fromhex(request.pop("key"))
    spec = request.pop("jail", None)

    # 2. The jail, before anything of the submission is reachable.
    from . import jail
    if spec:
        jail.enter(spec)
    jail.harden()
    del jail
    for name in [n for n in sys.modules if n == "ctypes" or n.startswith(("ctypes.", "_ctypes"))] + ["kit.sandbox.jail"]:
        sys.modules.pop(name, None)
    if hasattr(sys.modules["kit.sandbox"], "jail"):
        delattr(sys.modules["kit.sandbox"], "jail")

    # 3. The channel, then every module the probe needs.
    from . import audit, channel, frames, integrity
    fd = int(os.environ.pop("KIT_RESULT_FD"))
    high = os.dup2(fd, 1000, inheritable=False)  # out of the way of descriptors learner code reuses
    os.close(fd)
    own_pid = os.getpid()
    send = channel.open_channel(high, key, own_pid)
    key = None
    send("hello")
    if request.get("start_method"):
        import multiprocessing
        multiprocessing.set_start_method(request["start_method"], force=True)
    module_name, func_name = request["probe"].split(":")
    try:
        probe = getattr(importlib.import_module(module_name), func_name)
    except BaseException as exc:  # noqa: BLE001 - a probe that does not import is a grader bug: say so
        send("error", error=frames.describe_exception(exc))
        os._exit(EXIT_OK)
    is_generator = bool(getattr(probe, "__code__", None) and probe.__code__.co_flags & 0x20)  # CO_GENERATOR
    from . import calls
    calls.SLOW = float(request.get("slow", 1.0))
    os.environ["KIT_SLOW"] = str(calls.SLOW)
    from .lockset import Lockset

    # 4. Baseline, hook, watchdog.
    base = integrity.baseline()
    view = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    submission = request["submission"].rstrip("/") + "/"
    stdlib = os.path.dirname(os.__file__) + "/"
    site = tuple(p.rstrip("/") + "/" for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    prefixes = tuple({p.rstrip("/") + "/" for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
    trusted = (stdlib, view + "/", "<frozen") + site + prefixes
    main_root = _bottom(sys._getframe())
    arm, add_private = audit.install(
        send=send, learner_prefix=submission, trusted_prefixes=trusted, view_prefix=view + "/",
        main_ident=threading.get_ident(), main_root=main_root, primitives=frames.PRIMITIVES,
        class_writers=(Lockset.watch.__code__,), own_pid=own_pid, protected=request.get("protected", ()))
    stop = _watchdog(base, send, add_private)

    # 5. The submission, last on the path; the hook armed; the probe.
    sys.path.append(submission.rstrip("/"))
    sys.stdin = None  # the judge's commands are read from fd 0 here, never by learner code's input()
    arm()
    try:
        kwargs = request.get("kwargs", {})
        if is_generator:
            gen = probe(**kwargs)
            answer = None
            try:
                while True:
                    out = gen.send(answer)
                    send("yield", value=_plain(out))
                    line = readline()
                    if line is None:
                        gen.close()
                        os._exit(EXIT_OK)
                    answer = json.loads(line)
            except StopIteration as done:
                value = done.value
        else:
            value = probe(**kwargs)
        event, data = "result", {"value": _plain(value)}
    except BaseException as exc:  # noqa: BLE001 - a probe or learner code raised: report it, never hang
        event, data = "error", {"error": frames.describe_exception(exc)}

    # 6. The baseline once more, then the verdict's evidence.
    stop()
    for label in integrity.diff(base):
        send("tamper", what=f"changed {label} while your code ran", file=None, line=None)
    send(event, data)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - learner code may have replaced or closed them
        pass
    # Leave at once: learner threads or children still running must not keep us alive;
    # the judge kills the whole sandbox after every check anyway.
    os._exit(EXIT_OK)


def _watchdog(base, send, add_private):
    """Check the integrity baseline every ``WATCH_PERIOD`` s from a private thread; returns ``stop``."""
    import _thread
    import gc
    import time

    from .integrity import WATCH_PERIOD, diff
    running = [True]
    ready = _thread.allocate_lock()
    ready.acquire()

    def watch(_diff=diff, _sleep=time.sleep, _disable=gc.disable, _enable=gc.enable, _isenabled=gc.isenabled,
              _getframe=sys._getframe, _ident=_thread.get_ident):
        add_private(_ident(), _bottom(_getframe()))
        ready.release()
        reported = set()
        while running[0]:
            _sleep(WATCH_PERIOD)
            was = _isenabled()
            _disable()
            try:
                changed = _diff(base)
            finally:
                if was:
                    _enable()
            for label in changed:
                if label not in reported:
                    reported.add(label)
                    send("tamper", what=f"changed {label} while your code ran", file=None, line=None)

    _thread.start_new_thread(watch, ())
    ready.acquire()

    def stop():
        running[0] = False
    return stop


if __name__ == "__main__":
    # Run as ``kit.sandbox.entry``, not ``__main__``: one copy of this module.
    from kit.sandbox import entry
    entry.main()
