"""What the pipe_echo probes observe: declared once, for the probes and the checks."""
from typing import Any, Dict, List, Optional, TypedDict, Union

from kit.sandbox.observe import Outcome


class Roundtrip(TypedDict, total=False):
    small: Dict[str, Any]            # {"call": Outcome, "left": child_processes()}
    big: Dict[str, Any]              # {"call": Outcome (returned dropped), "left", "type", "length", "sha256"}


class EchoWorker(TypedDict, total=False):
    echoes: List[Any]
    stuck_at: Any                    # the message that got no echo in time
    eof_at: Any                      # the message answered by EOF
    stopped: bool                    # echo_worker's thread ended after None
    closed: bool                     # its end of the pipe was closed
    after_none: Union[str, Dict[str, Any]]  # "silent" | "eof" | {"value": what it sent after None}
    worker: Outcome


class Eof(TypedDict, total=False):
    method: str
    echoes: List[Any]
    stuck_at: Any
    eof_at: Any
    alive: bool                      # the child still ran after our end was closed
    exitcode: Optional[int]
    raised: Optional[Dict[str, Any]]  # describe_exception() of what echo_worker raised in the child


class PingPong(TypedDict, total=False):
    call: Outcome
    left: List[Dict[str, Any]]       # child_processes()


class Spawn(TypedDict, total=False):
    method: str
    roundtrip: Outcome
    ping_pong: Outcome
