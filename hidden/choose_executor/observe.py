"""What the choose_executor probes observe: declared once, for the probes and the checks."""
from typing import Any, Dict, List, TypedDict

from kit.sandbox.cpuwork import Ready, RoundOut
from kit.sandbox.observe import Outcome


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
    left: List[Dict[str, Any]]       # child_processes(recursive=True) afterwards


class CpuProcesses(TypedDict, total=False):
    """The worker processes are counted by the judge at each yield (the run's steps)."""
    runs: List[Dict[str, Any]]       # {"out": Outcome, "cpus", "cpu_count", "restricted"}
    arrived: int                     # at a yield: calls that reached the gate (files they left)


class Spawn(TypedDict, total=False):
    out: Outcome


class SpeedupStep(Ready, RoundOut, total=False):
    """What a speedup probe yields: ``Ready`` first (with the small first call), then one
    ``RoundOut`` per timed round the judge asks for (kit.sandbox.cpuwork.learner_rounds)."""
