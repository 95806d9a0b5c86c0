"""The judge-side API of a hidden check: run probes, compare, fail with a message for people.

A hidden check (``hidden/EXERCISE/checks.py``) takes the ``check`` fixture, runs the
probes of its exercise in sandboxes (``check.run(probes.NAME, call=..., **inputs)``, the
probe referenced by object, not by a string), and decides from what they observed. The
observation a probe returns is declared once, in its exercise's ``observe.py`` (the
probe's return annotation); ``run`` refuses keys that are not declared there.

Messages come from one builder, ``called``: "Called X. Returned Y, expected Z." plus what
was observed and the likely mistake; the repeated verdicts (every worker finished, results
in order, the first error in argument order) are methods here, written once.
"""
import collections.abc
import os
import random
import time
import typing
from pathlib import Path
from typing import Optional

from kit.core.i18n import _
from kit.core.meta import Check as CheckSpec
from kit.core.results import Reason
from kit.sandbox.calls import is_helper

from . import runner


class CheckFailed(AssertionError):
    """The learner's code failed this check: ``reason`` (a ``Reason``) says why in data, the
    message says it to people."""

    def __init__(self, message: str, reason: Reason = Reason.NONE):
        super().__init__(message)
        self.reason = reason


class Inconclusive(Exception):
    """The machine could not show what this check measures; left out of the total."""
    reason = Reason.MACHINE


class ProbeMismatch(Exception):
    """A probe returned keys its exercise's observe.py does not declare: a grader bug."""


class Shown(str):
    """A value already written for people: shown as it is, not ``repr()``'d."""


_NOTHING = object()


def show(value) -> str:
    return str(value) if isinstance(value, Shown) else repr(value)


def called(call: str, *observed: str, returned=_NOTHING, expected=_NOTHING, hint: str = "") -> str:
    """"Called X. Returned Y, expected Z. <what was observed> <the likely mistake>"."""
    parts = [_("Called {call}.", call=call)]
    if returned is not _NOTHING and expected is not _NOTHING:
        parts.append(_("Returned {got}, expected {expected}.", got=show(returned), expected=show(expected)))
    elif returned is not _NOTHING:
        parts.append(_("Returned {got}.", got=show(returned)))
    parts += [o.strip() for o in observed if o and o.strip()]
    if hint and hint.strip():
        parts.append(_(hint.strip()))
    return " ".join(parts)


def display(path: str, submission: Path) -> str:
    """A learner file as the learner knows it: relative to the working directory if inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path(os.environ.get("KIT_CWD") or os.getcwd())))
    except ValueError:
        return str(p)


def declared_keys(probe) -> Optional[frozenset]:
    """The keys a probe's observation may have (its return annotation, a TypedDict; for a
    generator probe, ``Iterator[TypedDict]``: what each step yields), or None."""
    try:
        hint = typing.get_type_hints(probe).get("return")
    except Exception:  # noqa: BLE001 - an unresolvable annotation is a mismatch the kit test reports
        return None
    if typing.get_origin(hint) in (collections.abc.Iterator, collections.abc.Generator):
        hint = typing.get_args(hint)[0]
    keys = getattr(hint, "__annotations__", None)
    return frozenset(keys) if hint is not None and isinstance(keys, dict) and hasattr(hint, "__total__") else None


class Check:
    def __init__(self, spec: CheckSpec, submission: Path, seed: int):
        self.spec = spec
        self.submission = Path(submission).resolve()
        self.seed = seed
        # Per-check stream: the same seed gives the same inputs whatever ran before.
        self.rng = random.Random(f"{seed}:{spec.key}")
        self.figures = {}
        self.runs = []
        self.tamper = []   # what the submission did to reach into the grader: {"what", "file", "line"}

    # -- running learner code ------------------------------------------------------------
    def run(self, probe, *, call: str, timeout: Optional[float] = None,
            start_method: Optional[str] = None, hang_hint: str = "", **kwargs):
        """Run ``probe`` (a function of ``hidden/EXERCISE/probes.py``) in a sandbox; return its observation.

        ``call`` says in words what the probe calls ("run_in_threads(sleepy, 5 calls)"),
        for messages. A hang, a crash, or an exception escaping the probe fails the check
        with that call, where each thread was blocked, and ``hang_hint``.
        """
        name = f"{probe.__module__}:{probe.__name__}"
        limit = timeout or self.spec.timeout
        r = runner.run(name, submission=self.submission, timeout=limit,
                       start_method=start_method, seed=self.rng.randrange(2 ** 31), **kwargs)
        self._record(r)
        self.settle()
        self._fail_unless_ok(r, call, limit, start_method, hang_hint)
        keys = declared_keys(probe)
        if keys is not None and isinstance(r.value, dict) and not set(r.value) <= keys:
            raise ProbeMismatch(f"{name} returned {sorted(set(r.value) - keys)}, not declared in its observe.py")
        return r.value

    def _record(self, r) -> None:
        self.runs.append(r)
        for t in r.tamper:
            if t not in self.tamper:
                self.tamper.append(t)

    def _fail_unless_ok(self, r, call, limit, start_method=None, hang_hint="") -> None:
        method = _(" under {method}", method=start_method) if start_method else ""
        if r.status == "timeout":
            self.fail(called(call + method, _("It did not finish within {seconds} s.", seconds=f"{limit * r.slow:g}"), hint=hang_hint)
                      + "\n" + _("Where each thread was blocked:") + "\n" + self.stacks(r.stacks), Reason.HANG)
        if r.status == "crashed":
            self.fail(called(call + method, _("The process running your code exited with code {code} before the "
                                              "call returned (os._exit? a crash?).", code=r.exitcode))
                      + self.output_tail(r), Reason.CRASH)
        if r.status == "error":
            self.fail_raised(call + method, r.error, self.output_tail(r))

    # -- a sandbox the check talks to (the judge drives it step by step) ----------------
    def session(self, probe, *, clean: bool = False, start_method: Optional[str] = None, **kwargs):
        """Start ``probe`` (a generator probe) in a sandbox of its own; ``clean``: without the
        submission (nothing of the learner's is ever imported there). Answer it with ``ask``;
        ``end`` it (always, in a ``finally``), then ``settle``."""
        name = f"{probe.__module__}:{probe.__name__}"
        s = runner.Session(name, submission=None if clean else self.submission, start_method=start_method,
                           seed=self.rng.randrange(2 ** 31), **kwargs)
        s.timeout = self.spec.timeout
        return s

    def ask(self, session, answer, *, call: str, timeout: float, hang_hint: str = "") -> dict:
        """Send ``answer`` (None: nothing, the first step) and return what the probe yields next."""
        if answer is not None:
            session.command(answer)
        return self.answer_of(session, session.next_event(time.monotonic() + timeout * session.result.slow), call=call,
                              timeout=timeout, hang_hint=hang_hint)

    def answer_of(self, session, event, *, call: str, timeout: float = 0.0, hang_hint: str = "") -> dict:
        """The value a sandbox yielded or returned; else end it and fail saying what happened."""
        if event is not None and event["event"] in ("yield", "result"):
            return event.get("value") or {}
        timed_out = event is None and session.child.poll() is None
        if event is not None and event["event"] == "error":
            session.result.status, session.result.error = "error", event.get("error")
        elif timed_out:
            session.result.status = "timeout"
        r = self.end(session, timed_out=timed_out)
        self.settle()
        self._fail_unless_ok(r, call, timeout, None, hang_hint)
        self.fail(called(call, _("The process running your code stopped answering.")))

    def end(self, session, timed_out: bool = False):
        """Kill a session's sandbox (if it still runs) and keep what it did; never raises."""
        if not session.finished:
            self._record(session.finish(timed_out=timed_out))
        return session.result

    def settle(self) -> None:
        """Fail with the tamper finding if any run of this check was flagged."""
        if self.tamper:
            self.tampered([])

    def returned(self, call: str, outcome: dict, hang_hint: str = ""):
        """The value of an in-probe ``kit.sandbox.calls.call`` outcome, or fail saying why there is none."""
        if outcome["hung"]:
            where = self.where(outcome.get("stack"))
            self.fail(called(call, _("It did not return within {seconds} s", seconds=f"{outcome['seconds']:.1f}")
                             + (_("; it was blocked at {where}", where=where) if where else "") + ".", hint=hang_hint),
                      Reason.HANG)
        if outcome["raised"]:
            self.fail_raised(call, outcome["raised"])
        return outcome["returned"]

    # -- verdicts ------------------------------------------------------------------------
    def fail(self, message: str, reason: Reason = Reason.NONE):
        raise CheckFailed(message, reason)

    def fail_raised(self, call: str, error: Optional[dict], extra: str = ""):
        """Fail because ``call`` raised ``error`` (an outcome's ``raised``): "not done" for
        NotImplementedError (the stub), else the exception, where, and ``extra``."""
        not_done = error is not None and error["type"] == "NotImplementedError"
        self.fail(self.raised(call, error) + extra, Reason.NOT_DONE if not_done else Reason.NONE)

    def expect(self, condition, message: str) -> None:
        if not condition:
            self.fail(message)

    def tampered(self, findings) -> None:
        """The submission reached into the grader: this check scores 0, and the report is flagged."""
        for t in findings:
            if t not in self.tamper:
                self.tamper.append(t)
        findings = self.tamper
        f = next((t for t in findings if t.get("file")), findings[0])
        more = _(" (and {n} more)", n=len(findings) - 1) if len(findings) > 1 else ""
        if f.get("file"):
            where = f"{display(f['file'], self.submission)}:{f['line']}"
            self.fail(_("Your code reached into the grader at {where} ({what}){more}. This check scores 0 and "
                        "your teacher sees the flag.", where=where, what=f["what"], more=more), Reason.TAMPER)
        self.fail(_("Your code reached into the grader ({what}){more}. This check scores 0 and your teacher "
                    "sees the flag.", what=f["what"], more=more), Reason.TAMPER)

    def inconclusive(self, message: str):
        raise Inconclusive(message)

    def figure(self, name: str, value) -> None:
        """A measured figure shown in every report (speedups, timings)."""
        self.figures[name] = value

    @staticmethod
    def processes(step: dict, token: str = "token") -> dict:
        """A step's census (the judge's reading of /proc, ``runner.Session.census``): the worker
        processes (alive, not the sandbox's own, not multiprocessing's resource tracker or fork
        server), which of them hold task tokens (``kit.sandbox.cpuwork.gate``), and whether the
        sandbox's own process holds one (a task ran in the caller)."""
        census = step.get("census", {})
        workers = [pid for pid, p in census.items() if not p["root"] and p["state"] != "Z"
                   and not is_helper(p["cmd"], census.get(p["ppid"], {}).get("cmd", ""))]
        runners = {pid: sorted(f for f in p["files"] if f.startswith(token)) for pid, p in census.items()}
        runners = {pid: t for pid, t in runners.items() if t}
        holders = {t: census[pid].get("nspid") for pid, ts in runners.items() for t in ts}
        return {"workers": workers, "runners": runners, "holders": holders,
                "caller_runs": any(census[pid]["root"] for pid in runners)}

    def same_processes(self, call: str, seen: dict, got, token: str = "token") -> None:
        """Each task's result came from the process that held its token at the census: the
        processes counted are the ones that did the work (idle processes holding the tokens,
        with the work done elsewhere later, are no pool). ``got``: ``[[pid, i], ...]``."""
        for g in got if isinstance(got, list) else []:
            if not (isinstance(g, list) and len(g) == 2):
                continue
            holder = seen["holders"].get(f"{token}{g[1]}")
            self.expect(holder is None or holder == g[0],
                        called(call, f"Task {g[1]} returned from process {g[0]}, but while the tasks waited its "
                               f"token was held by process {holder}: the processes that ran at once were not the "
                               "ones that did the work."))

    # -- the repeated verdicts -----------------------------------------------------------
    def no_deadlock(self, call: str, deadlocks, hint: str = "") -> None:
        """Fail on the first deadlock the wait-for graph found: the cycle, and where each thread was."""
        if not deadlocks:
            return
        d = deadlocks[0]
        sites = []
        for t in d["threads"]:
            w = self.where([t["site"]]) if t.get("site") else ""
            if w and w not in sites:
                sites.append(w)
        self.fail(called(call, _("Deadlock: {text}", text=d["text"])
                         + (_(" (at {sites})", sites=", ".join(sites)) if sites else "") + ".", hint=hint), Reason.DEADLOCK)

    def finished(self, call: str, obs: dict, *, limit: float = 3, deadlock_hint: str = "",
                 hang_hint: str = "", allowed=None) -> None:
        """Every worker call of a ``run_workers`` observation finished: no deadlock, no hang, nothing raised.

        ``obs`` has ``deadlocks``, ``hung`` and ``results`` (per worker, outcomes);
        ``allowed(outcome)`` says which exceptions are part of the expected behaviour.
        """
        self.no_deadlock(call, obs.get("deadlocks"), deadlock_hint)
        if obs.get("hung"):
            h = obs["hung"][0]
            self.fail(called(call, _("Thread {thread} did not finish within {seconds} s; it was blocked at {where}.",
                                     thread=h["thread"], seconds=f"{limit:g}",
                                     where=self.where(h["stack"]) or _("an unknown place")), hint=hang_hint),
                      Reason.HANG)
        for worker in obs.get("results", []):
            for o in worker:
                if o["raised"] and not (allowed and allowed(o)):
                    self.fail_raised(call, o["raised"])

    def in_order(self, call: str, got, expected, *, order_hint: str, unfinished_hint: str = "") -> None:
        """Results in argument order: name the mistake when they are the right values in the wrong order."""
        hint = ""
        if unfinished_hint and isinstance(got, list) and None in got:
            hint = unfinished_hint
        elif isinstance(got, list) and sorted(map(repr, got)) == sorted(map(repr, expected)):
            hint = order_hint
        self.expect(got == expected, called(call, returned=Shown(got), expected=Shown(expected), hint=hint))

    def first_error(self, call: str, outcome: dict, *, error: str, missing_hint: str, order_hint: str) -> None:
        """The exception re-raised is ``error`` ("TaskError('item 2 failed')"): the first in argument order."""
        if outcome["hung"]:
            self.returned(call, outcome)
        raised = outcome["raised"]
        if raised is not None and raised["type"] == "NotImplementedError":
            self.fail_raised(call, raised)
        self.expect(raised is not None, called(call, returned=Shown(outcome["returned"]),
                                               expected=Shown(_("{error} to be re-raised", error=error)),
                                               hint=missing_hint))
        got = f"{raised['type']}({raised['message']!r})"
        self.expect(got == error, called(call, _("Raised {got}, expected {error}:", got=got, error=error), hint=order_hint))

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
        return ", ".join(out) or _("(no line of yours was found)")

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
            return called(call, _("It raised nothing."))
        where = self.where(error.get("frames"))
        at = _(" at {where}", where=where) if where else ""
        if error["type"] == "NotImplementedError":
            return called(call, _("Not done yet: it raised NotImplementedError") + at + ".")
        if error["type"] == "BlockingIOError":
            # The sandbox's process cap makes fork fail with EAGAIN; said as a likelihood,
            # since the type alone does not prove that is what happened.
            return called(call, _("It raised {type}: {message}", type=error["type"], message=error["message"]) + at
                          + ". " + _("If your code started many processes, the sandbox's process cap stopped it "
                                     "(a fork storm)."))
        return called(call, _("It raised {type}: {message}", type=error["type"], message=error["message"]) + at + ".")

    def stacks(self, threads) -> str:
        if not threads:
            return "  " + _("(no stack could be read: the process did not answer)")
        lines = []
        for t in threads:
            who = _("main process") if t["main"] else _("child process {pid}", pid=t["pid"])
            frames = t["frames"]  # innermost first
            learner = next((f for f in frames if self.is_learner(f["file"])), None)
            top = frames[0] if frames else None
            if learner is None and top is None:
                continue
            if learner is not None:
                loc = f"{display(learner['file'], self.submission)}:{learner['line']} in {learner['func']}"
                text = self.line_text(learner["file"], learner["line"])
                if text:
                    loc += f" ({text})"
                if top is not learner:
                    loc += _(", waiting in {where}", where=f"{Path(top['file']).name}:{top['line']} {top['func']}")
            else:
                loc = f"{Path(top['file']).name}:{top['line']} in {top['func']}"
            lines.append(f"  {who}, " + _("thread {thread}", thread=t["thread"]) + f": {loc}")
        return "\n".join(lines) or "  " + _("(no thread was inside your code)")

    @staticmethod
    def output_tail(r) -> str:
        tail = (r.stderr or "").strip().splitlines()[-6:]
        return ("\n" + _("Its last output:") + "\n  " + "\n  ".join(tail)) if tail else ""
