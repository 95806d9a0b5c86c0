"""The one results model: a verdict per rubric check, and the grade they add up to.

Every verdict is made once, where the evidence is (``kit.engine.verdict`` for a check,
``kit.engine.grade`` for a check that never reported or that the static scan flagged,
``not_graded`` for a module the intake refused), as a ``Status`` and a ``Reason``.
Every writer (terminal, summary.md, report.json, Gradescope, JUnit, the gradebook, the
class page, the platform formats) reads this model. The message is for people, in the
learner's language; nothing decides anything from its text.

Scoring: a check's points count when it passed; an inconclusive check (the machine could
not show what it measures) is left out of both the score and the maximum; a failed or
errored check scores 0.
"""
from dataclasses import dataclass, field
from enum import Enum
from typing import List, Optional

from .i18n import _


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"              # the learner's code is wrong here (reason: why, when known)
    INCONCLUSIVE = "inconclusive"  # the machine could not show it: out of the score and the maximum
    ERROR = "error"                # the grader failed: not a verdict on the learner

    def __str__(self) -> str:  # the same on every Python (3.11 changed str() of mixed-in enums)
        return self.value


class Reason(str, Enum):
    """Why a check did not simply pass or fail on its merits."""
    NONE = ""                  # an ordinary verdict
    NOT_DONE = "not_done"      # the learner's function still raises NotImplementedError (the stub)
    HANG = "hang"              # a call did not finish in time; the message says where each thread was
    DEADLOCK = "deadlock"      # threads waited on each other in a cycle (the wait-for graph)
    CRASH = "crash"            # the process running the learner's code exited before answering
    TAMPER = "tamper"          # the submission reached into the grader: 0 points, flagged
    NOT_GRADED = "not_graded"  # the intake could not give this module to the grader (missing, broken)
    MACHINE = "machine"        # inconclusive: this machine could not show what the check measures
    GRADER = "grader"          # the grader itself failed on this check

    def __str__(self) -> str:
        return self.value


STUCK = (Reason.HANG, Reason.DEADLOCK)  # what the class page counts as "hung"


@dataclass
class Result:
    """One rubric check's verdict for one submission."""
    exercise: str
    check: str                      # "safe.lock_held"
    points: float                   # what the rubric gives it
    summary: str                    # the rubric's one line (English; writers translate)
    status: Status
    reason: Reason = Reason.NONE
    message: str = ""               # for people: what was called, observed and expected
    timing: bool = False            # a speedup check (measured on its own, after the others)
    figures: dict = field(default_factory=dict)
    stray_processes: list = field(default_factory=list)
    tamper: list = field(default_factory=list)   # [{"what", "file", "line"}]: the evidence of a flag

    @property
    def key(self) -> str:
        return f"{self.exercise}/{self.check}"

    @property
    def counted(self) -> bool:
        return self.status is not Status.INCONCLUSIVE

    @property
    def earned(self) -> float:
        return self.points if self.status is Status.PASSED else 0

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "check": self.check, "key": self.key, "points": self.points,
                "summary": self.summary, "timing": self.timing, "status": self.status.value,
                "reason": self.reason.value, "message": self.message, "figures": self.figures,
                "stray_processes": self.stray_processes, "tamper": self.tamper}

    @classmethod
    def from_dict(cls, d: dict) -> "Result":
        return cls(exercise=d["exercise"], check=d["check"], points=d["points"], summary=d.get("summary", ""),
                   status=Status(d["status"]), reason=Reason(d.get("reason", "")), message=d.get("message", ""),
                   timing=d.get("timing", False), figures=dict(d.get("figures", {})),
                   stray_processes=list(d.get("stray_processes", [])), tamper=list(d.get("tamper", [])))


def for_check(spec, status: Status, reason: Reason = Reason.NONE, message: str = "", **more) -> Result:
    """A result for ``spec`` (a ``kit.core.meta.Check``, the rubric's entry)."""
    return Result(exercise=spec.exercise, check=spec.id, points=spec.points, summary=spec.summary,
                  timing=spec.timing, status=status, reason=reason, message=message, **more)


def not_graded(exercise, why: str) -> List[Result]:
    """Every check of ``exercise`` (a ``kit.core.meta.Exercise``) failed because the intake
    could not give its module to the grader: what can't be graded scores zero."""
    return [for_check(c, Status.FAILED, Reason.NOT_GRADED, _("not graded: {why}", why=why))
            for c in exercise.checks]


@dataclass
class ExerciseScore:
    name: str
    title: str
    score: float
    max: float
    checks: List[Result]

    @property
    def untouched(self) -> bool:
        """Every counted check failed because the stub is still there: "not started"."""
        counted = [r for r in self.checks if r.counted]
        return bool(counted) and all(r.reason is Reason.NOT_DONE for r in counted)

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "score": self.score, "max": self.max,
                "checks": [r.to_dict() for r in self.checks]}


@dataclass
class Report:
    """The grade of one submission: its results, per exercise, and how it was graded (``info``:
    seed, Python, CPUs, isolation, seconds, submission, ... as ``kit.engine.grade`` records it)."""
    results: List[Result]
    exercises: List[ExerciseScore]
    info: dict
    score: float
    max: float

    @classmethod
    def build(cls, results: List[Result], exercises, info: dict) -> "Report":
        """``exercises``: the graded ``kit.core.meta.Exercise`` entries, in order."""
        per = []
        for e in exercises:
            rs = [r for r in results if r.exercise == e.name]
            per.append(ExerciseScore(e.name, e.title, sum(r.earned for r in rs if r.counted),
                                     sum(r.points for r in rs if r.counted), rs))
        return cls(results=list(results), exercises=per, info=info,
                   score=sum(x.score for x in per), max=sum(x.max for x in per))

    @property
    def percent(self) -> float:
        return round(100.0 * self.score / self.max, 1) if self.max else 0.0

    @property
    def tamper(self) -> bool:
        return any(r.tamper or r.reason is Reason.TAMPER for r in self.results) or bool(self.info.get("tamper"))

    @property
    def errors(self) -> bool:
        """The grader failed somewhere: a check errored, or a grading session ended badly."""
        return bool(self.info.get("grader_errors")) or any(r.status is Status.ERROR for r in self.results)

    def result(self, key: str) -> Optional[Result]:
        return next((r for r in self.results if r.key == key), None)

    def to_dict(self) -> dict:
        """report.json: the model as it is, plus the totals (for readers without this module)."""
        return {"score": self.score, "max": self.max, "percent": self.percent, "tamper": self.tamper,
                "exercises": [e.to_dict() for e in self.exercises],
                "results": [r.to_dict() for r in self.results], "info": self.info}

    @classmethod
    def from_dict(cls, d: dict) -> "Report":
        results = [Result.from_dict(r) for r in d["results"]]
        by_key = {r.key: r for r in results}
        per = [ExerciseScore(e["name"], e.get("title", ""), e["score"], e["max"],
                             [by_key.get(f"{c['exercise']}/{c['check']}") or Result.from_dict(c) for c in e["checks"]])
               for e in d.get("exercises", [])]
        return cls(results=results, exercises=per, info=dict(d.get("info", {})), score=d["score"], max=d["max"])
