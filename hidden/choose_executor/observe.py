"""What the choose_executor probes observe: declared once, for the probes and the checks."""
from typing import Any, Dict, List, TypedDict

from kit.box.cpuwork import Speedup
from kit.box.observe import Outcome


class Results(TypedDict, total=False):
    main: Outcome                    # fn(_chained_call, args): the first call finishes last
    empty: Outcome                   # fn(_chained_call, [])
    error: Outcome                   # fn(_failing_call, args): two calls raise TaskError


class IoResults(Results, total=False):
    """``Results`` of run_io_bound."""


class CpuResults(Results, total=False):
    """``Results`` of run_cpu_bound."""


class IoOverlap(TypedDict, total=False):
    first: Outcome                   # run_io_bound(_together, n calls): "together" | "alone" per call
    second: Outcome                  # run_io_bound(_crowd, m calls): the peak each call saw


class IoNoProcesses(TypedDict, total=False):
    out: Outcome                     # returned [[pid, child processes], ...]
    caller: int                      # the probe's own pid
    started: List[str]               # multiprocessing processes started meanwhile (class names)
    left: List[Dict[str, Any]]       # child_processes(recursive=True) afterwards


class CpuProcesses(TypedDict, total=False):
    runs: List[Dict[str, Any]]       # {"out": Outcome, "arrived", "workers", "cpus", "cpu_count", "restricted"}
    caller: int


class Spawn(TypedDict, total=False):
    out: Outcome


class SpeedupProbe(Speedup, total=False):
    first: Outcome                   # the small first call, when it went wrong
    expected_first: List[List[Any]]
    skipped: bool                    # fewer than 2 CPUs: nothing timed
