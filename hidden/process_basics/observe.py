"""What the process_basics probes observe: declared once, for the probes and the checks."""
from typing import Any, Dict, List, Optional, TypedDict

from kit.sandbox.observe import Outcome


class ExitCodes(TypedDict, total=False):
    main: Outcome                 # run_in_processes(held_exit, ...): child 0 finishes last
    empty: Outcome                # run_in_processes(held_exit, [])


class AllJoined(TypedDict, total=False):
    out: Outcome
    left: List[Dict[str, Any]]    # child processes left when it returned: {"pid", "status"}
    pids: List[int]               # the children's pids (0: never started)


class Overlap(TypedDict, total=False):
    """Which children ran at once is the judge's census at the yield (the run's first step)."""
    out: Outcome


class Got(TypedDict, total=False):
    """What q.get() gave: (pid, squares), or why it was not that."""
    pid: Any
    squares: List[int]
    where: List[Optional[int]]    # pid of the process that computed each square (None: unknown)
    bad: str                      # "TypeError: ..." when it was not (pid, squares)


class SquareRun(TypedDict, total=False):
    """One SquareProcess constructed, started, drained and joined."""
    parent: int                   # the probe's pid
    construct: Outcome            # SquareProcess(numbers, q)
    computed_in_init: int         # squares computed in the parent during __init__
    start: Outcome                # p.start()
    got: Optional[Got]            # None: nothing arrived on q in time
    child: Optional[int]          # p.pid
    exitcode: Optional[int]       # p.exitcode after p.join()
    computed_in_parent: int       # squares computed in the parent in all


class Spawn(TypedDict, total=False):
    method: str                   # the start method in force ("spawn")
    run: Outcome                  # run_in_processes(exit_after_previous, ...)
    square: SquareRun
