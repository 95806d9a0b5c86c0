"""Entry point of a sandbox process: runs one probe beside the learner's code.

The judge starts ``python -m kit.child`` in a new session, writes the request (JSON)
on stdin and reads events (JSON lines) from a pipe whose descriptor number is in
``KIT_RESULT_FD``. Only JSON crosses back: the judge never unpickles anything a
submission could have shaped.
"""
import importlib
import json
import multiprocessing
import os
import sys
import threading
import traceback

_fd = None
_send_lock = threading.Lock()


def send(event: str, **data) -> None:
    line = (json.dumps(dict(data, event=event), default=repr) + "\n").encode()
    with _send_lock:
        view = memoryview(line)
        while view:
            view = view[os.write(_fd, view):]


def mark(name: str) -> None:
    """Ask the judge to note the time now; timing is measured on the judge's clock."""
    send("mark", name=name)


def describe_exception(exc: BaseException) -> dict:
    frames = [{"file": f.filename, "line": f.lineno, "func": f.name, "text": f.line or ""}
              for f in traceback.extract_tb(exc.__traceback__)]
    return {"type": type(exc).__name__,
            "qualname": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "message": str(exc)[:2000],
            "frames": frames[-30:]}


def main() -> None:
    global _fd
    _fd = int(os.environ.pop("KIT_RESULT_FD"))
    os.set_inheritable(_fd, False)  # not for the learner's subprocess children
    request = json.loads(sys.stdin.read())
    sys.stdin.close()
    if request.get("start_method"):
        multiprocessing.set_start_method(request["start_method"], force=True)
    module_name, func_name = request["probe"].split(":")
    try:
        probe = getattr(importlib.import_module(module_name), func_name)
        value = probe(**request.get("kwargs", {}))
        send("result", value=value)
    except BaseException as exc:  # a probe or learner code raised: report it, never hang
        send("error", error=describe_exception(exc))
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave at once: learner threads or children still running must not keep us alive;
    # the judge kills the whole group after every check anyway.
    os._exit(0)


if __name__ == "__main__":
    # Run as ``kit.child``, not ``__main__``: probes import ``kit.child`` for ``mark``
    # and must share this module's descriptor.
    from kit import child
    child.main()
