"""What the rlock_ledger probes observe: declared once, for the probes and the checks."""
from typing import Any, Dict, List, Optional

from kit.sandbox.observe import Outcome, Setup, Workers


class RecordSnapshot(Setup, total=False):
    initial: Dict[str, Any]          # {"total", "entries"} of a fresh Ledger()
    steps: List[Dict[str, Any]]      # {"call", "out": Outcome, "fields": {"total", "entries"}}


class Reentrant(Setup, total=False):
    info: Dict[str, Any]             # {"original_reentrant", "original_type"} of the learner's lock
    out: Outcome
    calls: List[Dict[str, Any]]      # each self.record call: {"amount", "count"} (hold count then)
    fields: Dict[str, Any]
    lock: Dict[str, Any]             # TrackedLock.state() after the call
    deadlocks: List[Dict[str, Any]]


class BatchAtomic(Setup, total=False):
    out: Outcome
    snap: Optional[List[int]]        # [total, len(entries)] as the other thread saw them
    epochs: List[Optional[int]]      # hold of self.lock at each write of total by the batch
    sites: List[Optional[Dict[str, Any]]]
    fields: Dict[str, Any]
    observer_done: bool
    deadlocks: List[Dict[str, Any]]


class ErrorMidway(Setup, total=False):
    out: Outcome
    fields: Dict[str, Any]
    lock: Dict[str, Any]
    other_got_it: bool
    calls: List[Any]                 # the amounts self.record was called with


class Concurrent(Setup, Workers, total=False):
    fields: Dict[str, Any]
    unguarded: List[Dict[str, Any]]  # lockset records made without self.lock held
    n_accesses: int
    lock: Dict[str, Any]
