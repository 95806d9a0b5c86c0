"""Entry point of a sandbox process: runs one probe beside the learner's code.

The judge starts ``python -m kit.box.child`` in a new session, writes the request (JSON)
on stdin and reads events (JSON lines) from a pipe whose descriptor number is in
``KIT_RESULT_FD``. Only JSON crosses back: the judge never unpickles anything a
submission could have shaped.

The channel is built in ``main`` before any learner module is imported, from references
taken at import time (``json.dumps``, ``os.write``): a learner module that patches
``json``, ``os`` or this module's attributes later does not change what is sent. The
only name probes import from here is ``mark``, set once, before learner code runs.
"""
import importlib
import json
import multiprocessing
import os
import sys
import threading
import traceback
from dataclasses import asdict, is_dataclass

_dumps = json.dumps
_write = os.write
_exit = os._exit


def _channel(fd: int):
    """``send`` and ``mark`` as closures over private references: nothing a learner can
    patch by attribute (no class, no module-level ``send``) changes what they write."""
    lock = threading.Lock()

    def send(event: str, **data) -> None:
        line = (_dumps(dict(data, event=event), default=repr) + "\n").encode()
        with lock:
            view = memoryview(line)
            while view:
                view = view[_write(fd, view):]

    def mark(name: str) -> None:
        """Ask the judge to note the time now; timing is measured on the judge's clock."""
        send("mark", name=name)

    return send, mark


def mark(name: str) -> None:  # replaced by the channel's closure in main(), before learner code runs
    raise RuntimeError("kit.box.child.mark is only available inside a sandbox")


def describe_exception(exc: BaseException) -> dict:
    frames = [{"file": f.filename, "line": f.lineno, "func": f.name, "text": f.line or ""}
              for f in traceback.extract_tb(exc.__traceback__)]
    return {"type": type(exc).__name__,
            "qualname": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "message": str(exc)[:2000],
            "frames": frames[-30:]}


def _plain(value):
    """Observations are dicts (TypedDicts) or dataclasses; JSON takes the former."""
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else value


def main() -> None:
    global mark
    jail = os.environ.pop("KIT_JAIL", None)
    if jail:
        from . import jail as _jail
        _jail.enter(json.loads(jail))
    fd = int(os.environ.pop("KIT_RESULT_FD"))
    os.set_inheritable(fd, False)  # not for the learner's subprocess children
    send, mark = _channel(fd)
    request = json.loads(sys.stdin.read())
    sys.stdin.close()
    from . import audit
    from .calls import is_learner_file
    audit.install(lambda finding: send("tamper", **finding), is_learner_file,
                  [os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))]
                  + request.get("protected", []))
    if request.get("start_method"):
        multiprocessing.set_start_method(request["start_method"], force=True)
    module_name, func_name = request["probe"].split(":")
    try:
        probe = getattr(importlib.import_module(module_name), func_name)
        before = audit.snapshot()
        try:
            value = probe(**request.get("kwargs", {}))
        finally:
            for name in audit.changed(before):
                send("tamper", what=f"patched {name}", file=None, line=None)
        send("result", value=_plain(value))
    except BaseException as exc:  # a probe or learner code raised: report it, never hang
        send("error", error=describe_exception(exc))
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave at once: learner threads or children still running must not keep us alive;
    # the judge kills the whole group after every check anyway.
    _exit(0)


if __name__ == "__main__":
    # Run as ``kit.box.child``, not ``__main__``: probes import ``mark`` from it.
    from kit.box import child
    child.main()
