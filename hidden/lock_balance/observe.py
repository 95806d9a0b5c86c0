"""What the lock_balance probes observe: declared once, for the probes and the checks."""
from typing import Any, Dict, List

from kit.sandbox.observe import Outcome, Setup, Workers


class DepositWithdraw(Setup, total=False):
    is_value_error: bool
    default_balance: Any
    steps: List[Dict[str, Any]]      # {"call", "out": Outcome, "balance"}
    short: List[Dict[str, Any]]      # {"balance", "amount", "out", "after", "is_insufficient"}


class RunThreads(Setup, total=False):
    change_it: Outcome
    after_change_it: Any
    run: Outcome
    alive: List[str]
    per_thread: List[List[int]]
    in_caller: bool
    together: bool


class LockHeld(Setup, Workers, total=False):
    final: Any
    accesses: List[Dict[str, Any]]


class NoLostUpdate(Setup, Workers, total=False):
    final: Any
    split: List[Dict[str, Any]]
    n_split: int
    unseen: int                      # deposit calls in which no access of the account's state was seen


class AtomicChange(Setup, Workers, total=False):
    final: Any
    accesses: List[Dict[str, Any]]


class ReleasedOnError(Setup, total=False):
    out: Outcome
    after: Any
    lock: Dict[str, Any]
    is_insufficient: bool
    other_got_it: bool
