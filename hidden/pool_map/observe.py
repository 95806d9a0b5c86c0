"""What the pool_map probes observe: declared once, for the probes and the checks."""
from typing import Any, Dict, List, TypedDict

from kit.box.cpuwork import Speedup
from kit.box.observe import Outcome


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
    out: Outcome                     # returned [[pid, i], ...]
    caller: int                      # the probe's own pid
    arrived: int                     # tasks waiting at the gate at once
    workers: List[int]               # pids of the live pool workers then


class Spawn(TypedDict, total=False):
    out: Outcome


class SpeedupProbe(Speedup, total=False):
    first: Outcome                   # the small first call, when it went wrong
    expected_first: List[List[Any]]
    skipped: bool                    # fewer than 2 CPUs: nothing timed
