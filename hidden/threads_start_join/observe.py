"""What the threads_start_join probes observe: declared once, for the probes and the checks."""
from typing import List, TypedDict

from kit.sandbox.observe import Outcome


class Results(TypedDict, total=False):
    main: Outcome                 # JoinGate.call outcome (with ``unfinished``)
    empty: Outcome                # run_in_threads(f, []); missing when ``main`` hung


class FirstError(TypedDict, total=False):
    out: Outcome                  # JoinGate.call outcome (with ``unfinished``)
    alive: List[str]              # names of the threads still alive when it returned
    unfinished: List[int]         # indices of the calls not finished when it returned


class Exit(TypedDict, total=False):
    """One way out of run_in_threads (returned, or raised) and what was left running."""
    out: Outcome
    alive: List[str]
    unfinished: List[int]


class AllJoined(TypedDict, total=False):
    returned: Exit                # no call raises
    raised: Exit                  # call 0 raises RuntimeError; missing when the first run hung


class Overlap(TypedDict, total=False):
    out: Outcome
    peak: int                     # the most calls the probe saw running at once (in the stacks)


class OwnThreads(TypedDict, total=False):
    out: Outcome
    ran: int                      # calls that ran
    in_caller: int                # calls that ran in the calling thread itself
    distinct: int                 # distinct Thread objects that ran them
