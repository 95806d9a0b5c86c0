"""What the queue_reader_writer probes observe: declared once, for the probes and the checks."""
from typing import Any, Dict, List, Optional, TypedDict

from kit.sandbox.observe import Outcome


class Writer(TypedDict, total=False):
    out: Outcome                     # writer(q, items, n_readers)
    puts: List[Any]                  # what it put on q, in order
    default: Outcome                 # writer(q, items)
    default_puts: List[Any]


class Reader(TypedDict, total=False):
    out: Outcome                     # reader(q, out)
    puts: List[Any]                  # what it put on out, in order
    left: List[Any]                  # what was still on q (or not yet released) afterwards
    calls: List[str]                 # how it found q empty: "empty()", "qsize()", "get(timeout)", ...
    saw_empty: Optional[bool]        # it found q empty within the wait (the late items were released)
    q_puts: List[Any]                # what it put back on q


class Pipeline(TypedDict, total=False):
    """The processes each call started are counted by the judge (the run's steps)."""
    single: Outcome                  # run_pipeline(items)
    many: Outcome                    # run_pipeline(items, n_readers)


class Large(TypedDict, total=False):
    out: Outcome                     # run_pipeline(big items), its value left out ("returned": None)
    type: str                        # type name of what it returned
    count: int                       # list results only: how many items,
    complete: bool                   # the same items,
    in_order: bool                   # in input order


class NoTerminate(TypedDict, total=False):
    """The signals it sent (terminate(), kill()) reach the judge from the audit hook (the run's signals)."""
    out: Outcome
    left: List[Dict[str, Any]]       # its processes still there when it returned (kit.sandbox.calls.child_processes)


class Spawn(TypedDict, total=False):
    out: Outcome                     # run_pipeline(items) under the spawn start method
