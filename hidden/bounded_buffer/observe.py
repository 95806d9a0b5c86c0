"""What the bounded_buffer probes observe: declared once, for the probes and the checks.

An *actor* is one learner call in a thread of its own (``kit.sandbox.conditions.Actor.json``):
``{"name": "C1", "call": "get()", "done", "returned", "raised", "closed", "cpu", "seconds"}``,
``closed`` meaning it raised the learner's ``Closed``. A *cond* is
``ControlledCondition.state()``: who waits (``waiting``), who was woken and not yet
running again (``ready``), and the log (``events``: wait, notify, notify_all, woke, ...).
"""
from typing import Any, Dict, List, Optional

from kit.sandbox.observe import Outcome, Setup

Actor = Dict[str, Any]
Cond = Dict[str, Any]


class FifoCapacity(Setup, total=False):
    attrs: Dict[str, Any]          # items_type, items_len, capacity, closed, cond_type, cond_is_condition
    puts: List[Actor]              # the puts that fill the buffer, one at a time
    full: int                      # items held once they returned
    extra: Actor                   # one more put, on the full buffer
    extra_waited: bool             # it did not return while the buffer was full
    extra_in_wait: bool            # ... and it slept in cond.wait()
    size_with_extra: int           # items held while the extra put was blocked (or after it returned)
    gets: List[Actor]              # then every item taken back, one at a time
    peak: int                      # most items seen at any release of cond (every put releases it)
    cond: Cond


class Scenario(Setup, total=False):
    """One forced schedule of the while_loop or notify probes."""
    applies: bool                  # the learner's code reached the state the schedule needs
    why_not: str
    actors: List[Actor]
    woken: str                     # the thread woken, whose item or slot was then taken
    thief: str                     # the thread that took it
    sleepers: List[str]            # notify, producers side: the two puts asleep on the full buffer
    full: int                      # items in the buffer when it was full (the learner's own limit)
    after_steal: Actor             # that thread once let go, the item or slot taken
    size_after_steal: int
    after_spurious: Actor          # once woken again with nobody notifying it
    spurious_tried: bool
    size_after_spurious: int
    result: str                    # notify: done | stuck | timeout
    items: Any
    capacity: int
    cond: Cond


class WhileLoop(Setup, total=False):
    get_side: Scenario
    put_side: Scenario


class Notify(Setup, total=False):
    consumers: Scenario            # two consumers asleep, a producer waiting for room
    producers: Scenario            # two producers asleep, a consumer waiting for an item


class ClosePart(Setup, total=False):
    actors: List[Actor]
    result: str                    # done | stuck | timeout
    filled: List[Any]              # items in the buffer when it was closed
    full: bool                     # a put blocked (the buffer was full)
    items_after: Any
    put_after: Actor               # put on the closed buffer
    size_after_put: int
    items_after_put: Any
    drain: List[Actor]             # gets on the closed buffer, until one raises
    cond: Cond


class Close(Setup, total=False):
    closed_is_exception: bool
    consumers: ClosePart           # consumers blocked on an empty buffer, then close()
    producers: ClosePart           # producers blocked on a full buffer, then close()


class OneRun(Setup, total=False):
    call: str
    out: Outcome                   # run_producers_consumers(...) (returned: item labels)
    returned: Optional[List[Any]]  # what it returned, items as given (others as repr)
    returned_type: str
    alive: List[str]               # threads alive the moment it returned
    buffers: List[Dict[str, Any]]  # every BoundedBuffer it made: {"capacity"}
    putters: List[List[str]]       # per producer: the threads that put its items (names)
    put_order: List[List[int]]     # per producer: positions of its items, in the order put
    foreign_puts: List[str]        # put() arguments that hold none of our items
    consumer_threads: int          # distinct threads that called get()
    closes: List[Dict[str, Any]]   # each close(): {"producers_done": [put count per producer]}
    turns: Dict[str, Any]          # the forced alternation: timeouts, if any
    conds: List[Cond]


class RunProducersConsumers(Setup, total=False):
    runs: List[OneRun]


class Blocked(Setup, total=False):
    """One thread blocked for the whole window."""
    actor: Actor
    blocked: bool                  # it had not returned when the window ended
    waits: int                     # cond.wait() calls during the window
    wakeups: int                   # cond.wait() returns and time-outs during the window
    accesses: int                  # reads and writes of items/closed during the window
    waits_before: int              # cond.wait() calls before the window
    applies: bool
    why_not: str


class NoBusyWait(Setup, total=False):
    window: float
    threads: Dict[str, int]        # "C", "P" -> the blocked thread's native id (the judge reads its counters)
    consumer: Blocked              # get() on an empty buffer
    producer: Blocked              # put() on a full buffer


class LockHeld(Setup, total=False):
    actors: List[Actor]
    accesses: List[Dict[str, Any]]  # lockset records: kind, attr, thread, held, guarded, site
    n_accesses: int
    hung: List[str]
