"""Observation pieces that many probes share, declared once for both sides.

Each exercise's ``hidden/EXERCISE/observe.py`` declares what its probes return as
``TypedDict``s (``total=False``: a probe that stops early returns fewer keys); the probe
function is annotated with it, ``kit.engine.verdict.Check.run`` refuses undeclared keys, and
``kit_tests/test_layout.py`` checks statically that every key a check reads and every key
a probe writes is declared.
"""
from typing import Any, Dict, List, Optional

try:
    from typing import TypedDict
except ImportError:  # pragma: no cover - Python < 3.8
    from typing_extensions import TypedDict


class Outcome(TypedDict, total=False):
    """``kit.sandbox.calls.call``, made JSON by ``jsonable``."""
    returned: Any
    raised: Optional[Dict[str, Any]]   # describe_exception(): type, qualname, message, frames
    hung: bool
    stack: Optional[List[Dict[str, Any]]]
    seconds: float
    unfinished: List[int]              # JoinGate.call only


class Setup(TypedDict, total=False):
    """A probe that could not build what it tests (the learner's constructor failed)."""
    setup: Outcome
    setup_call: str


class Workers(TypedDict, total=False):
    """``scene.run_workers``: per-worker outcomes, hung threads, deadlocks found."""
    results: List[List[Dict[str, Any]]]
    hung: List[Dict[str, Any]]
    deadlocks: List[Dict[str, Any]]
