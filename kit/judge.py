"""The judge-side API of a hidden check: run probes, compare, fail with a message.

A hidden check (``hidden/test_EXERCISE.py``) takes the ``check`` fixture, runs one or
more probes in sandboxes and decides from what they observed. It fails through
``check.fail`` / ``check.expect`` with a message for people: what was called, what was
observed, what was expected and the likely mistake.
"""
import os
import random
from pathlib import Path
from typing import Optional

from . import sandbox
from .meta import Check as CheckSpec


class CheckFailed(AssertionError):
    """The learner's code failed this check; the message is the verdict."""


class Inconclusive(Exception):
    """The machine could not show what this check measures; left out of the total."""


def display(path: str, submission: Path) -> str:
    """A learner file as the learner knows it: relative to the working directory if inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path(os.environ.get("KIT_CWD") or os.getcwd())))
    except ValueError:
        return str(p)


class Check:
    def __init__(self, spec: CheckSpec, submission: Path, seed: int):
        self.spec = spec
        self.submission = Path(submission).resolve()
        self.seed = seed
        # Per-check stream: the same seed gives the same inputs whatever ran before.
        self.rng = random.Random(f"{seed}:{spec.key}")
        self.figures = {}
        self.runs = []

    # -- running learner code ------------------------------------------------------------
    def run(self, probe: str, *, call: str, timeout: Optional[float] = None,
            start_method: Optional[str] = None, hang_hint: str = "", **kwargs):
        """Run a probe of this exercise (``"func"`` or ``"module:func"``) and return its value.

        ``call`` says in words what the probe calls ("run_in_threads(sleepy, 5 calls)"),
        for messages. A hang, a crash, or an exception escaping the probe fails the check
        with that call, where each thread was blocked, and ``hang_hint``.
        """
        if ":" not in probe:
            probe = f"kit_probes.{self.spec.exercise}:{probe}"
        limit = timeout or self.spec.timeout
        r = sandbox.run(probe, submission=self.submission, timeout=limit,
                        start_method=start_method, seed=self.rng.randrange(2 ** 31), **kwargs)
        self.runs.append(r)
        method = f" under {start_method}" if start_method else ""
        if r.status == "timeout":
            self.fail(f"Called {call}{method}. It did not finish within {limit:g} s."
                      + (f" {hang_hint}" if hang_hint else "")
                      + "\nWhere each thread was blocked:\n" + self.stacks(r.stacks))
        if r.status == "crashed":
            self.fail(f"Called {call}{method}. The process running your code exited with code "
                      f"{r.exitcode} before the call returned (os._exit? a crash?)."
                      + self.output_tail(r))
        if r.status == "error":
            self.fail(self.raised(call + method, r.error) + self.output_tail(r))
        return r.value

    def returned(self, call: str, outcome: dict, hang_hint: str = ""):
        """The value of an in-probe ``kit.probe.call`` outcome, or fail saying why there is none."""
        if outcome["hung"]:
            where = self.where(outcome.get("stack"))
            self.fail(f"Called {call}. It did not return within {outcome['seconds']:.1f} s"
                      + (f"; it was blocked at {where}" if where else "") + "."
                      + (f" {hang_hint}" if hang_hint else ""))
        if outcome["raised"]:
            self.fail(self.raised(call, outcome["raised"]))
        return outcome["returned"]

    # -- verdicts ------------------------------------------------------------------------
    def fail(self, message: str):
        raise CheckFailed(message)

    def expect(self, condition, message: str) -> None:
        if not condition:
            self.fail(message)

    def inconclusive(self, message: str):
        raise Inconclusive(message)

    def figure(self, name: str, value) -> None:
        """A measured figure shown in every report (speedups, timings)."""
        self.figures[name] = value

    # -- message pieces ------------------------------------------------------------------
    def where(self, frames) -> str:
        """``exercises/lock_balance.py:31 (self.balance = b + n)``: the innermost learner frame."""
        for f in reversed(frames or []):
            if self.is_learner(f["file"]):
                text = f.get("text") or self.line_text(f["file"], f["line"])
                return f"{display(f['file'], self.submission)}:{f['line']}" + (f" ({text.strip()})" if text else "")
        return ""

    def sites(self, records, limit: int = 3) -> str:
        """The distinct learner lines of up to ``limit`` recorded accesses ({"site": frame})."""
        out = []
        for r in records:
            w = self.where([r["site"]]) if r.get("site") else ""
            if w and w not in out:
                out.append(w)
            if len(out) == limit:
                break
        return ", ".join(out) or "(no line of yours was found)"

    def is_learner(self, path: str) -> bool:
        return os.path.abspath(path).startswith(str(self.submission) + os.sep)

    @staticmethod
    def line_text(path: str, line: int) -> str:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for i, text in enumerate(f, 1):
                    if i == line:
                        return text.strip()
        except OSError:
            pass
        return ""

    def raised(self, call: str, error: dict) -> str:
        """Message for an exception that escaped: NotImplementedError reads as 'not done'."""
        if error is None:
            return f"Called {call}. It raised nothing."
        where = self.where(error.get("frames"))
        if error["type"] == "NotImplementedError":
            return f"Called {call}. Not done yet: it raised NotImplementedError" + (f" at {where}" if where else "") + "."
        return (f"Called {call}. It raised {error['type']}: {error['message']}"
                + (f" at {where}" if where else "") + ".")

    def stacks(self, threads) -> str:
        if not threads:
            return "  (no stack could be read: the process did not answer)"
        lines = []
        for t in threads:
            who = "main process" if t["main"] else f"child process {t['pid']}"
            frames = t["frames"]  # innermost first
            learner = next((f for f in frames if self.is_learner(f["file"])), None)
            top = frames[0] if frames else None
            if learner is None and top is None:
                continue
            if learner is None and all("kit" in f["file"] or "threading.py" in f["file"] or
                                       "multiprocessing" in f["file"] for f in frames):
                # harness or interpreter plumbing: only show if nothing else is there
                loc = f"{Path(top['file']).name}:{top['line']} in {top['func']}"
            elif learner is not None:
                loc = f"{display(learner['file'], self.submission)}:{learner['line']} in {learner['func']}"
                text = self.line_text(learner["file"], learner["line"])
                if text:
                    loc += f" ({text})"
                if top is not learner:
                    loc += f", waiting in {Path(top['file']).name}:{top['line']} {top['func']}"
            else:
                loc = f"{Path(top['file']).name}:{top['line']} in {top['func']}"
            lines.append(f"  {who}, thread {t['thread']}: {loc}")
        return "\n".join(lines) or "  (no thread was inside your code)"

    @staticmethod
    def output_tail(r) -> str:
        tail = (r.stderr or "").strip().splitlines()[-6:]
        return ("\nIts last output:\n  " + "\n  ".join(tail)) if tail else ""
