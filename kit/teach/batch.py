"""``python -m kit batch SUBMISSIONS --out DIR``: a whole class graded in one pass.

SUBMISSIONS holds one entry per student (``kit.teach.discover``: folders, zips, clones of
the students' repositories, a Gradescope export). Every entry is first copied or unpacked into a
private work folder (``kit.teach.intake``), then every student is graded in ONE
``grade_many`` pass: one pytest session for the class, the same seed for everyone (random
once unless ``--seed``, recorded everywhere).

Writes ``DIR/gradebook.csv``, ``DIR/class.md``, ``DIR/class.html`` and, per student,
``DIR/STUDENT/`` with the report set of ``nox -s grade``, once, when the grading is over.
``--format canvas moodle`` (with ``--roster``, ``--assignment``, ``--points``: ``kit.teach.lms``)
also writes ``DIR/canvas.csv`` and ``DIR/moodle.csv``. They are asked for, not always
written: without a roster they need the teacher's attention (the warnings say what), so a
class that uploads to Gradescope or reads gradebook.csv gets no such files and no warnings.
The batch remembers them in its state, so ``--resume`` and ``--regrade`` rewrite them with
gradebook.csv and they never fall behind it (``--format csv``: no LMS files from then on).
Each grading of one exercise is kept in ``DIR/.units`` as soon as its last check is in, so
``--resume`` continues an interrupted batch without grading anything twice.

Submissions that are byte for byte the same in every file (untouched stubs, the same
copied folder) are graded once and the verdicts shared; any difference in any file means
graded apart (``--no-share``: never shared). Each student's ``grader.log`` says what was
shared with whom.
"""
import argparse
import fcntl
import hashlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from kit.core import meta, proc
from kit.core.results import Report, Result, not_graded
from kit.engine import isolation, report
from kit.engine.grade import default_workers, grade_many, machine_info

from . import gradebook, lms
from .discover import discover, shard
from .intake import MAX_BYTES, Prepared, prepare, printable
from .submission import relocate

STATE = gradebook.STATE
HELP_SUBMISSIONS = ("folder (or zip) with one entry per student: a folder or a .zip each; or a "
                    "Gradescope export (submission_metadata.yml); or clones of the students' repositories")
HELP_OUT = "folder for gradebook.csv, class.md, class.html and one report folder per student"
HELP_SEED = "seed for every student (default: random once, recorded in the state and every report)"
HELP_SHARD = "grade every N-th student starting at the K-th (1-based), e.g. 2/4; merge with `nox -s gradebook`"


class Progress:
    """The stderr line: n of N students, elapsed, estimated time left.

    The estimate counts the two phases apart: ordinary checks run in parallel and cost
    little each; timing checks run one at a time afterwards and cost seconds each. Until a
    timing check has finished, its cost is taken as TIMING_PRIOR.
    """
    TIMING_PRIOR = 2.5  # s per timing check: bench, 2 cores (4.7 s for the two of one student)

    def __init__(self, students: int, checks: int, stream=sys.stderr, timing_checks: int = 0):
        self.n, self.total = 0, students
        self.ordinary, self.timing = max(checks - timing_checks, 0), timing_checks
        self.done_checks = self.done_timing = 0
        self.started = time.monotonic()
        self.timing_started: Optional[float] = None
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last = 0.0

    def verdict(self, timing: bool) -> None:
        """One more check finished."""
        if timing:
            if self.timing_started is None:
                self.timing_started = time.monotonic()
            self.done_timing += 1
        else:
            self.done_checks += 1

    def left(self) -> Optional[float]:
        """Seconds left, or None while nothing has finished to measure a rate from."""
        now = time.monotonic()
        ordinary_end = self.timing_started or now
        if self.done_timing == 0 and not self.done_checks:
            return None
        if self.timing_started is None:
            per = (ordinary_end - self.started) / self.done_checks
            return per * (self.ordinary - self.done_checks) + self.TIMING_PRIOR * self.timing
        # The first timing verdict marks the end of the ordinary phase; the rate of the timing
        # phase is measured from it on (the first one's own time is taken as the prior).
        spent = now - self.timing_started + self.TIMING_PRIOR
        per = spent / self.done_timing
        return per * (self.timing - self.done_timing)

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        text = f"batch: {self.n} of {self.total} students graded, {elapsed:.0f} s elapsed"
        left = self.left()
        if left is not None and self.n < self.total:
            text += f", about {left:.0f} s left"
        return text

    def show(self, force=False):
        now = time.monotonic()
        if now - self.last < (0.2 if force and self.tty else 5):  # a log file gets a line every 5 s
            return
        self.last = now
        if self.tty:
            self.stream.write("\r" + self.line().ljust(79))
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def end(self):
        if self.tty:
            self.stream.write("\r" + self.line().ljust(79) + "\n")
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()


@dataclass
class Options:
    seed: Optional[int] = None
    only: Optional[List[str]] = None
    workers: Optional[int] = None
    shard: Optional[str] = None
    resume: bool = False
    regrade: frozenset = frozenset()
    fresh: bool = False
    max_bytes: int = MAX_BYTES
    share: bool = True
    keep_names: bool = False
    lms: Optional[dict] = None    # the LMS files to write (kit.teach.lms.options); None: as the state says


@dataclass
class Unit:
    """One grading of one exercise: for one student, or for several whose submissions are
    byte for byte the same in every file (``fingerprint``: the digest of the module folder)."""
    unit_id: str
    key: str
    exercise: meta.Exercise
    folder: Path
    fingerprint: Optional[str]
    students: List[str] = field(default_factory=list)   # slugs


def _rotate_log(path: Path):
    if path.exists():
        i = 1
        while path.with_name(f"{path.name}.{i}").exists():
            i += 1
        path.rename(path.with_name(f"{path.name}.{i}"))


class Batch:
    """One run of ``python -m kit batch``: state, intake, units, grading, reports."""

    def __init__(self, submissions, out: Path, opts: Options, echo=print, progress_stream=sys.stderr):
        self.submissions, self.out, self.opts = Path(submissions), Path(out), opts
        self.echo, self.progress_stream = echo, progress_stream
        self.exercises = meta.select(opts.only)
        self.names = [e.name for e in self.exercises]
        self.rhash = gradebook.rubric_hash(self.exercises)
        self.state_path = self.out / STATE
        self.state: dict = {}
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.preps: Dict[str, Prepared] = {}
        self.units: Dict[str, Unit] = {}
        self.student_units: Dict[str, Dict[str, str]] = {}   # slug -> {exercise: unit key}
        self.unit_results: Dict[str, list] = {}              # unit key -> [Result]
        self.left: Dict[str, Unit] = {}                      # the units graded in this run
        self.isolation: dict = {}                            # as the grading session reported it

    # -- state ---------------------------------------------------------------------------
    def save_state(self):
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=1, ensure_ascii=False))
        os.replace(tmp, self.state_path)

    def open_state(self) -> Optional[dict]:
        """The state of a batch already in ``out`` (to resume or regrade), after checking that
        this run grades the same way; None for a new batch. Sets the seed."""
        o = self.opts
        old = None
        if self.state_path.exists():
            old = json.loads(self.state_path.read_text())
            if not (o.resume or o.regrade or o.fresh):
                raise SystemExit(f"batch: {self.out} holds a batch already (seed {old['seed']}): --resume continues "
                                 "it, --regrade STUDENT grades one again, --fresh starts over")
            if o.fresh:
                shutil.rmtree(self.out / ".units", ignore_errors=True)
                for slug in old.get("students", {}):
                    if "/" not in slug and slug not in (".", "..") and (self.out / slug / "report.json").is_file():
                        shutil.rmtree(self.out / slug, ignore_errors=True)
                old = None
            else:
                for what, mine, theirs in (("exercises", self.names, old["exercises"]),
                                           ("rubric_hash", self.rhash, old["rubric_hash"]),
                                           ("shard", o.shard or "", old.get("shard", ""))):
                    if mine != theirs:
                        raise SystemExit(f"batch: {self.out} was graded with {what} {theirs!r}, not {mine!r}: "
                                         "resume with the same options (or --fresh)")
                if o.seed is not None and o.seed != old["seed"]:
                    raise SystemExit(f"batch: {self.out} was graded with seed {old['seed']}; --seed {o.seed} would "
                                     "grade students on other inputs")
                o.seed = old["seed"]
        elif o.resume or o.regrade:
            raise SystemExit(f"batch: {self.out}: no batch to resume (no {STATE})")
        o.seed = random.randrange(10 ** 6) if o.seed is None else o.seed
        o.workers = o.workers or default_workers()
        return old

    # -- intake and units ----------------------------------------------------------------
    def intake(self, entries, work: Path) -> List[Prepared]:
        """Prepare every entry; return those to grade now (not finished before, or regraded)."""
        regrade = self.opts.regrade
        unknown = regrade - {e.slug for e in entries} - {e.name for e in entries}
        if unknown:
            raise SystemExit(f"batch: --regrade {' '.join(sorted(unknown))}: no such student here "
                             f"(students: {', '.join(e.name for e in entries[:10])}{' ...' if len(entries) > 10 else ''})")
        todo = []
        for i, e in enumerate(entries):
            prep = prepare(e, work / f"{i:05d}", self.exercises, self.opts.max_bytes)
            self.preps[e.slug] = prep
            done = self.state["students"].get(e.slug, {})
            again = e.slug in regrade or e.name in regrade
            if done.get("done") and not again and (self.out / e.slug / "report.json").exists():
                if done.get("digest") and prep.digest and done["digest"] != prep.digest:
                    self.echo(f"batch: {e.name}: the submission changed since it was graded; "
                              f"kept the earlier grade (--regrade {e.slug} grades the new one)")
                continue
            if regrade and not again and done.get("done"):
                continue
            self.state["students"].pop(e.slug, None)
            todo.append(prep)
        if self.opts.resume or regrade:
            self.echo(f"batch: {len(entries) - len(todo)} of {len(entries)} students already graded; "
                      f"grading {len(todo)}")
        return todo

    def plan_units(self, todo: List[Prepared]) -> None:
        """One unit per (exercise, submission), shared only between submissions that are byte
        for byte the same in every file (the digest of the whole private copy)."""
        for prep in todo:
            slug = prep.entry.slug
            self.student_units[slug] = {}
            if prep.rejected:
                continue
            for e in self.exercises:
                if e.name in prep.problems:
                    continue
                fp = prep.digest if self.opts.share else None
                key = f"{e.name}:{fp}" if fp else f"{e.name}:own:{slug}:{prep.digest}"
                if key not in self.units:
                    self.units[key] = Unit(f"u{len(self.units)}", key, e, prep.folder, fp)
                self.units[key].students.append(slug)
                self.student_units[slug][e.name] = key

    def cache_file(self, u: Unit) -> Path:
        """Where a finished unit is kept until the batch ends (a resumed batch reuses it)."""
        name = hashlib.sha256(json.dumps([self.opts.seed, self.rhash, u.key]).encode()).hexdigest()[:32]
        return self.out / ".units" / (name + ".json")

    def load_cached_units(self) -> None:
        o = self.opts
        if not (o.resume or o.regrade):
            return
        for key, u in self.units.items():
            if any(s in o.regrade or self.preps[s].entry.name in o.regrade for s in u.students):
                continue
            try:
                data = json.loads(self.cache_file(u).read_text())["results"]
            except (OSError, ValueError, KeyError):
                continue
            self.unit_results[key] = [Result.from_dict(r) for r in data]
        if self.unit_results:
            self.echo(f"batch: {len(self.unit_results)} of {len(self.units)} gradings kept from the interrupted run")

    # -- grading -------------------------------------------------------------------------
    def grade(self, todo: List[Prepared]) -> List[str]:
        """Grade every unit not kept from before, in one session; return the grader errors."""
        left = {k: u for k, u in self.units.items() if k not in self.unit_results}
        self.left = left
        by_id = {u.unit_id: u for u in left.values()}
        bar = Progress(len(todo), sum(len(u.exercise.checks) for u in left.values()), self.progress_stream,
                       timing_checks=sum(c.timing for u in left.values() for c in u.exercise.checks))
        finished = set()

        def count_finished():
            for prep in todo:
                slug = prep.entry.slug
                if slug not in finished and all(k in self.unit_results for k in self.student_units[slug].values()):
                    finished.add(slug)
                    bar.n += 1
                    bar.show(force=True)

        def on_progress(unit_id, done, total, results, timing):
            with self.lock:
                bar.verdict(timing)
                if results is None:
                    bar.show()
                    return
                u = by_id[unit_id]
                self.unit_results[u.key] = results
                tmp = self.cache_file(u).with_suffix(".tmp")
                tmp.write_text(json.dumps({"key": u.key, "results": [r.to_dict() for r in results]}))
                os.replace(tmp, self.cache_file(u))
                count_finished()

        count_finished()
        errors = []
        if left:
            log_path = self.out / "grader.log"
            _rotate_log(log_path)
            subs = {u.unit_id: (u.folder, [u.exercise.name]) for u in left.values()}
            try:
                graded = grade_many(subs, seed=self.opts.seed, workers=self.opts.workers, log_path=log_path,
                                    progress=on_progress)
            except BaseException:
                # Ctrl-C or SIGTERM: the grading session leads its own process group; stop it too.
                for child in proc.descendants():
                    proc.kill_group(child.pid)
                proc.kill_strays()
                done = sum(1 for s in self.state["students"].values() if s.get("done"))
                self.echo(f"\nbatch: interrupted; {done} of {len(self.state['order'])} students finished, "
                          f"{len(self.unit_results)} of {len(self.units)} gradings kept: --resume continues")
                raise
            # The returned reports are authoritative (grader errors are known only now).
            for key, u in left.items():
                rep = graded[u.unit_id]
                self.unit_results[key] = rep.results
                errors = rep.info.get("grader_errors", []) or errors
                self.isolation = rep.info.get("isolation", {})
            with open(log_path, "a") as log:
                log.write(f"\nbatch: {len(todo)} students, {len(left)} gradings of one exercise each, "
                          f"seed {self.opts.seed}\n")
                for u in left.values():
                    if len(u.students) > 1:
                        log.write(f"shared: {u.exercise.name} graded once (sha256 {u.fingerprint[:16]}) for "
                                  f"{', '.join(self.preps[s].entry.name for s in u.students)}\n")
        count_finished()
        if todo:
            bar.end()
        return errors

    # -- reports -------------------------------------------------------------------------
    def report_of(self, prep: Prepared, errors: list) -> Report:
        results = []
        for e in self.exercises:
            if prep.rejected:
                results += not_graded(e, prep.rejected)
            elif e.name in prep.problems:
                results += not_graded(e, prep.problems[e.name])
            else:
                u = self.units[self.student_units[prep.entry.slug][e.name]]
                results += relocate(self.unit_results[u.key], u.folder, prep.where)
        info = dict(machine_info(self.opts.seed, self.opts.workers), submission=prep.entry.name,
                    seconds=round(time.monotonic() - self.started, 2), grader_errors=errors,
                    student=prep.entry.name, status=prep.status, input=printable(str(prep.entry.source)),
                    module_folder=prep.where, batch=True)
        if self.isolation:
            info["isolation"] = self.isolation
        return Report.build(results, self.exercises, info)

    def shared_lines(self, slug: str) -> List[str]:
        lines = []
        for ex, key in self.student_units[slug].items():
            u = self.units[key]
            others = [self.preps[s].entry.name for s in u.students if s != slug]
            if others:
                lines.append(f"{ex}: graded once for {len(u.students)} students whose submissions are "
                             f"identical in every file (sha256 {u.fingerprint[:16]}): shared with {', '.join(others)}")
        return lines

    def write_student(self, prep: Prepared, rep: Report) -> gradebook.Record:
        d = self.out / prep.entry.slug
        d.mkdir(parents=True, exist_ok=True)
        report.write_all(rep, d)
        lines = [f"batch {rep.info['date']}: student {prep.entry.name!r}, input {printable(str(prep.entry.source))}",
                 f"seed {self.opts.seed}; status: {prep.status}",
                 f"module folder: {prep.where or '(none)'}; submission digest {prep.digest[:16]}"]
        lines += self.shared_lines(prep.entry.slug)
        lines.append("the grading session's own output (pytest, every student of this run): ../grader.log")
        (d / "grader.log").write_text("\n".join(lines) + "\n")
        st = self.state["students"].setdefault(prep.entry.slug, {})
        st.update(name=prep.entry.name, source=printable(str(prep.entry.source)), digest=prep.digest,
                  status=prep.status, done=True, score=rep.score, max=rep.max)
        return gradebook.Record(prep.entry.name, prep.entry.slug, prep.status, rep)

    # -- the run -------------------------------------------------------------------------
    def run(self) -> dict:
        old = self.open_state()
        self.out.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="kit-batch-"))
        os.chmod(work, 0o700)
        try:
            # Every sandbox of this batch: the class's originals and the reports are out of its view.
            with isolation.hidden_from_sandboxes(self.submissions.resolve(), self.out.resolve()):
                entries = shard(discover(self.submissions, work, self.opts.max_bytes, self.opts.keep_names),
                                self.opts.shard)
                self.state = old or {"version": 1, "seed": self.opts.seed, "rubric_hash": self.rhash,
                                     "rubric": gradebook.rubric(self.exercises), "exercises": self.names,
                                     "shard": self.opts.shard or "", "students": {},
                                     "submissions": printable(str(self.submissions.resolve()))}
                self.state["order"] = [e.slug for e in entries]
                if self.opts.lms is not None:
                    self.state["lms"] = self.opts.lms
                self.state["kit_version"] = meta.kit_version()
                self.save_state()
                todo = self.intake(entries, work)
                self.plan_units(todo)
                (self.out / ".units").mkdir(exist_ok=True)
                self.load_cached_units()
                errors = self.grade(todo)
            fresh = {prep.entry.slug: self.write_student(prep, self.report_of(prep, errors)) for prep in todo}
            self.save_state()
            if not errors:
                shutil.rmtree(self.out / ".units", ignore_errors=True)
            kept = {r.slug: r for r in gradebook.load_records(self.out, self.state) if r.slug not in fresh}
            records = [fresh.get(s) or kept[s] for s in self.state["order"] if s in fresh or s in kept]
            gradebook.write_all(self.out, records, self.state, self.state.get("lms"),
                                warn=lambda m: self.echo(f"batch: warning: {m}"))
            return {"records": records, "state": self.state, "graded": len(todo), "grader_errors": errors,
                    "units": len(self.left)}
        finally:
            shutil.rmtree(work, ignore_errors=True)


def run(submissions, out, *, seed=None, only=None, workers=None, shard_spec=None, resume=False,
        regrade=None, fresh=False, max_zip_mb=50.0, share=True, keep_names=False, echo=print,
        progress_stream=sys.stderr, step_summary=False, lms_options=None) -> dict:
    """Grade a class; return {"records": [gradebook.Record], "state": {...}, ...}. See the module
    docstring. ``step_summary``: append class.md to ``$GITHUB_STEP_SUMMARY`` when that is set."""
    out = Path(out)
    opts = Options(seed=seed, only=only, workers=workers, shard=shard_spec, resume=resume,
                   regrade=frozenset(regrade or ()), fresh=fresh, max_bytes=int(max_zip_mb * 2 ** 20),
                   share=share, keep_names=keep_names, lms=lms_options)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    lock = open(out / ".lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise SystemExit(f"batch: another batch is running in {out}: wait for it, or stop it first")
    try:
        res = Batch(submissions, out, opts, echo, progress_stream).run()
        path = os.environ.get("GITHUB_STEP_SUMMARY") if step_summary else None
        if path:
            with open(path, "a") as f:
                f.write((out / "class.md").read_text())
        return res
    finally:
        lock.close()
        if created and [p.name for p in out.iterdir()] == [".lock"]:  # refused before anything was written
            shutil.rmtree(out, ignore_errors=True)


def parser(prog="python -m kit batch") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    p.add_argument("submissions", help=HELP_SUBMISSIONS)
    p.add_argument("--out", required=True, help=HELP_OUT)
    p.add_argument("--seed", type=int, default=None, help=HELP_SEED)
    p.add_argument("--only", nargs="+", metavar="EXERCISE", help="grade only these exercises")
    p.add_argument("--workers", type=int, default=None, help="parallel pytest workers (default: as grade)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted batch in --out; finished students are kept")
    p.add_argument("--regrade", nargs="+", metavar="STUDENT", help="grade these students again (same seed); the others are kept")
    p.add_argument("--fresh", action="store_true", help="discard the batch already in --out and grade everyone")
    p.add_argument("--shard", default=None, metavar="K/N", help=HELP_SHARD)
    p.add_argument("--max-zip-mb", type=float, default=50.0, help="largest uncompressed zip (or Python files of a folder) accepted, MB")
    p.add_argument("--no-share", action="store_true", help="grade every student's every module, even identical ones")
    p.add_argument("--keep-names", action="store_true", help="keep repository clones' folder names whole (default: the username after the common prefix)")
    lms.add_options(p)
    return p


def _terminated(signum, frame):
    raise KeyboardInterrupt  # a reboot, a Slurm time limit: stop as cleanly as for Ctrl-C


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    lms_options = lms.options(args)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        res = run(args.submissions, args.out, seed=args.seed, only=args.only, workers=args.workers,
                  shard_spec=args.shard, resume=args.resume, regrade=args.regrade, fresh=args.fresh,
                  max_zip_mb=args.max_zip_mb, share=not args.no_share, keep_names=args.keep_names,
                  step_summary=True, lms_options=lms_options)
    except KeyboardInterrupt:
        return 130
    recs = res["records"]
    bad = [r for r in recs if r.status != "ok"]
    print(f"batch: {len(recs)} students in {args.out}/gradebook.csv (seed {res['state']['seed']}; "
          f"{res['graded']} graded now in {res['units']} gradings)" + (f"; {len(bad)} with a problem:" if bad else ""))
    for r in bad[:20]:
        print(f"  {r.student}: {r.status}")
    if len(bad) > 20:
        print(f"  ... and {len(bad) - 20} more (the status column of gradebook.csv)")
    print(f"class summary: {args.out}/class.md, {args.out}/class.html")
    extra = [lms.FILES[f] for f in (res["state"].get("lms") or {}).get("formats", []) if f in lms.FILES]
    if extra:
        print("LMS import: " + ", ".join(f"{args.out}/{name}" for name in extra))
    return 3 if res["grader_errors"] else 0
