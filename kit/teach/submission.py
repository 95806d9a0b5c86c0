"""One submission graded for a platform (Gradescope, Classroom 50, a CI step): the one path.

``grade_one(source)``: intake (a private copy, in any layout a batch reads), then the
engine in this process, then one ``Report`` whose messages name the student's own files.
The platform modules only turn that report into their format. Nothing here writes a file
but the grader's log: where the reports go, and whether a step summary is written, is the
caller's choice.

An ``Outcome`` keeps apart what the platforms must keep apart: a grade (any score, even
0 for a refused upload, with the reason in ``notes``) and an infrastructure failure (the
grader itself failed: ``graded`` is False, and the platform says "tell your teacher").
"""
import argparse
import copy
import os
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from kit.core import meta
from kit.core.i18n import _
from kit.core.results import Report, Result, not_graded
from kit.engine import isolation
from kit.engine.grade import grade_many, machine_info, require_isolation

from .intake import MAX_BYTES, Entry, prepare


@dataclass
class Outcome:
    report: Report
    notes: List[str] = field(default_factory=list)  # for the student, before the report: in their language
    graded: bool = True                             # False: the grader failed (not the student's doing)


def relocate(results: List[Result], folder, shown: str) -> List[Result]:
    """Results whose messages name ``shown`` (the folder as the student knows it) instead of
    the private copy ``folder`` they were graded from."""
    out = copy.deepcopy(results)
    prefix = str(folder).rstrip("/") + "/"
    to = "" if shown in ("", ".") else shown.rstrip("/") + "/"
    for r in out:
        r.message = r.message.replace(prefix, to)
    return out


def grade_one(source, *, only: Optional[List[str]] = None, isolation_level: str = "strict",
              seed: Optional[int] = None, workers: Optional[int] = None, log_path=None, hide=(),
              shown: str = "submission") -> Outcome:
    """Grade the submission at ``source`` (a folder, a .zip or a .py).

    ``isolation_level``: "strict" grades at the strict level when this machine allows it (as
    root) and otherwise at the basic level, saying so in ``notes``; "auto" takes the best
    level without a note; "basic" asks for basic even as root. ``hide``: more
    folders every sandbox must not see (the platform's own submission and results folders).
    ``shown``: how the report names the submission.
    """
    exercises = meta.select(only)
    started = time.monotonic()
    notes: List[str] = []
    if isolation_level == "basic":
        require_isolation("basic")
    elif isolation_level == "strict" and isolation.detect().level != "strict":
        notes.append(_("Graded at the basic isolation level: this machine does not allow the strict level ({why}).",
                       why="; ".join(isolation.detect().not_covered)))
    source = Path(source).resolve()
    with tempfile.TemporaryDirectory(prefix="kit-submission-") as tmp:
        os.chmod(tmp, 0o700)
        prep = prepare(Entry(shown, source), Path(tmp) / "sub", exercises, MAX_BYTES)
        if prep.rejected:
            notes.append(_("Your submission could not be graded: {why}.", why=prep.rejected))
            results = [r for e in exercises for r in not_graded(e, prep.rejected)]
            info = dict(machine_info(0, 0), submission=shown, seconds=round(time.monotonic() - started, 2),
                        grader_errors=[], status=prep.status)
            return Outcome(Report.build(results, exercises, info), notes)
        if prep.status != "ok":
            notes.append(_("Submission: {status}.", status=prep.status))
        todo = [e.name for e in exercises if e.name not in prep.problems]
        try:
            with isolation.hidden_from_sandboxes(source, *hide):
                rep = grade_many({shown: (prep.folder, todo)}, seed=seed, workers=workers,
                                 log_path=log_path)[shown] if todo else None
        except Exception as exc:  # noqa: BLE001 - a grader bug must still give the platform an answer
            notes.append(_("The grader failed ({error}); this is not your fault: tell your teacher.",
                           error=f"{type(exc).__name__}: {exc}"))
            results = [r for e in exercises for r in not_graded(e, "the grader failed")]
            info = dict(machine_info(0, 0), submission=shown, seconds=round(time.monotonic() - started, 2),
                        grader_errors=[traceback.format_exc(limit=5)])
            return Outcome(Report.build(results, exercises, info), notes, graded=False)
        results = []
        for e in exercises:
            if e.name in prep.problems:
                results += not_graded(e, prep.problems[e.name])
            else:
                results += relocate([r for r in rep.results if r.exercise == e.name], prep.folder, prep.where)
        info = dict(rep.info) if rep else dict(machine_info(0, 0), grader_errors=[])
        info.update(submission=shown + (f" ({prep.where}/)" if prep.where not in ("", ".") else ""),
                    seconds=round(time.monotonic() - started, 2), status=prep.status, module_folder=prep.where)
        outcome = Outcome(Report.build(results, exercises, info), notes)
        if outcome.report.errors:
            outcome.graded = False
            notes.append(_("The grader failed on some checks; this is not your fault: tell your teacher."))
        return outcome


def options(args: List[str], default_level: str = "strict") -> dict:
    """``grade_one``'s keyword arguments from grade's own options (``--only``, ``--seed``,
    ``--workers``, ``--isolation``), as a platform passes them (``KIT_GRADE_ARGS``, or the
    options after a command's path). An unknown option is an error: a teacher's typo must
    not grade with defaults in silence. ``default_level``: the isolation level when none is given."""
    p = argparse.ArgumentParser(prog="KIT_GRADE_ARGS", add_help=False)
    p.add_argument("--only", nargs="+", metavar="EXERCISE")
    p.add_argument("--seed", type=int)
    p.add_argument("--workers", type=int)
    p.add_argument("--isolation", choices=["auto", "basic", "strict"], default=default_level)
    a = p.parse_args(args)
    if a.only:
        meta.select(a.only)  # an unknown exercise name: KitError, said in one line
    return {"only": a.only, "seed": a.seed, "workers": a.workers, "isolation_level": a.isolation}
