"""What the pool_map probes observe: declared once, for the probes and the checks."""
from typing import Any, Dict, List, TypedDict

from kit.sandbox.cpuwork import Ready, RoundOut
from kit.sandbox.observe import Outcome


class Results(TypedDict, total=False):
    main: Outcome                    # parallel_map(chained, items, processes=n), item 0 last
    empty: Outcome                   # parallel_map(chained, [], processes=2)


class FirstError(TypedDict, total=False):
    out: Outcome
    left: List[Dict[str, Any]]       # child_processes(recursive=True) when it returned
    pool_calls: List[str]            # Pool.close / join / terminate, in call order


class Cleanup(TypedDict, total=False):
    out: Outcome
    left: List[Dict[str, Any]]
    pool_calls: List[str]


class Processes(TypedDict, total=False):
    """The processes themselves are counted by the judge, at the yield (the run's first step)."""
    out: Outcome                     # returned [[pid, i], ...]
    arrived: int                     # tasks that reached the gate (files they left)


class Spawn(TypedDict, total=False):
    out: Outcome


class SpeedupStep(Ready, RoundOut, total=False):
    """What a speedup probe yields: ``Ready`` first (with the small first call), then one
    ``RoundOut`` per timed round the judge asks for (kit.sandbox.cpuwork.learner_rounds)."""
