"""What the lock_ordering probes observe: declared once, for the probes and the checks.

The probes bring their own accounts, so no probe has a setup to fail. A transfer run by a
worker is reported as ``{"returned", "raised", "insufficient"}`` (``insufficient``: what it
raised is ``lock_balance.InsufficientFunds``).
"""
from typing import Any, Dict, List, TypedDict

from kit.sandbox.observe import Outcome, Workers


class TransferCase(TypedDict, total=False):
    """One transfer called alone, on fresh accounts."""
    out: Outcome
    after: Any                       # the balances afterwards: [src, dst], or a's for a self-transfer
    insufficient: bool
    lock: Dict[str, Any]             # self-transfer only: TrackedLock.state() of a.lock afterwards
    deadlocks: List[Dict[str, Any]]


class Round(Workers, total=False):
    """One transfer per worker, all at once, rendezvous armed."""
    final: List[Any]


class MovesMoney(TypedDict, total=False):
    cases: List[TransferCase]


class LocksHeld(Workers, total=False):
    final: List[Any]                 # the balances, in account order
    n_accesses: int
    bad: List[Dict[str, Any]]        # lockset records without both locks of their transfer, + "needed"


class NoDeadlock(TypedDict, total=False):
    rounds: List[Round]


class SelfTransfer(TypedDict, total=False):
    cases: List[TransferCase]


class Stress(Workers, total=False):
    final: List[Any]
    locks: List[Dict[str, Any]]      # TrackedLock.state() of every account's lock
