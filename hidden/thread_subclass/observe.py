"""What the thread_subclass probes observe: declared once, for the probes and the checks."""
from typing import Any, Dict, List, Optional, TypedDict

from kit.sandbox.observe import Outcome


class Attr(TypedDict, total=False):
    """An attribute of the TaskThread after join(): what it is, or why it could not be read."""
    type: str
    repr: str
    none: bool
    missing: str                  # "AttributeError: ..." when reading it raised


class RunReport(TypedDict, total=False):
    """Construct, start and join one TaskThread from a helper thread (the caller)."""
    outcome: Outcome
    step: str                     # the step reached: "construct", "start", "join", "done"
    caller: Optional[int]         # the caller's thread ident


class Raised(TypedDict, total=False):
    """What threading.excepthook saw."""
    type: str
    message: str


class Result(TypedDict, total=False):
    run: RunReport
    calls: List[Dict[str, Any]]   # per func call: {"ident", "args", "kwargs"}
    hook: List[Raised]
    result: Attr
    error: Attr
    value: Any                    # t.result when it is a dict, else None
    ident: Optional[int]          # t.ident


class Error(TypedDict, total=False):
    run: RunReport
    hook: List[Raised]
    stderr: str                   # what was printed meanwhile (the last 2000 characters)
    called: int                   # how many times f was called
    result: Attr
    error: Attr
    same_error: bool              # t.error is the very exception f raised


class LazyStart(TypedDict, total=False):
    construct: Outcome
    calls_after_construct: int
    run: Outcome                  # t.start(); t.join()
    calls_after_join: int
    result_ok: bool


class Named(TypedDict, total=False):
    run: RunReport
    name: str
    name_error: str               # reading t.name raised


class Name(TypedDict, total=False):
    named: Named                  # TaskThread(f, args, name=given)
    unnamed: Named                # TaskThread(f, args, kwargs=None)
    seen: List[Dict[str, Any]]    # per func call: {"args", "kwargs"}


class Override(TypedDict, total=False):
    method: str                   # "start" or "join"
    cls: str
    where: Dict[str, Any]         # a frame: file, line, func, text


class ThreadApi(TypedDict, total=False):
    is_class: bool
    is_thread: bool
    construct: Outcome
    overrides: List[Override]


class PerInstance(TypedDict, total=False):
    run: Outcome
    results: List[str]            # repr of each t.result ("<missing>" if it could not be read)
    ok: List[bool]                # each t.result is its own value
    errors_none: List[bool]


class Overlap(TypedDict, total=False):
    run: Outcome                  # returned: [t.result for both threads]
    peak: int                     # the most calls of func the probe saw running at once (in the stacks)
