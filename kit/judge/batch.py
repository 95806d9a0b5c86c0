"""``python -m kit batch SUBMISSIONS --out DIR``: a whole class graded in one pass.

SUBMISSIONS holds one entry per student: a folder or a .zip with the exercise modules,
directly or in an ``exercises/`` subfolder (a GitHub Classroom clone is such a folder; a
Gradescope "export submissions" folder or zip, with its ``submission_metadata.yml``, is
read as one entry per submission, named after its submitters). Every entry is first
copied or unpacked into a private work folder (only its ``.py`` files, no symlink
followed, a zip checked entry by entry before anything is written), then every student
is graded in ONE ``grade_many`` pass: one pytest session for the class, the same seed for
everyone (random once unless ``--seed``, recorded everywhere).

Writes ``DIR/gradebook.csv``, ``DIR/class.md``, ``DIR/class.html`` and, per student,
``DIR/STUDENT/`` with the report set of ``nox -s grade``. A student's reports are written
as soon as their last check is in, with ``DIR/batch-state.json``, so ``--resume``
continues an interrupted batch without regrading anyone who was finished.

Submissions that are byte for byte the same in every file (untouched stubs, the same
copied folder) are graded once and the verdicts shared; any difference in any file means
graded apart (``--no-share``: never shared). Each student's ``grader.log`` says what was
shared with whom.
"""
import argparse
import copy
import hashlib
import io
import json
import os
import random
import re
import shutil
import stat
import sys
import tempfile
import threading
import time
import tokenize
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from .. import meta
from . import gradebook, report

STATE = "batch-state.json"
RESERVED = {"gradebook.csv", "class.md", "class.html", "grader.log", STATE, ".work", ".units", ".lock"}
SKIP_DIRS = {".git", "__MACOSX", "__pycache__", ".nox", ".venv", "venv", "node_modules",
             ".github", ".idea", ".vscode", ".pytest_cache"}
MAX_FILES = 5000
HELP_SUBMISSIONS = ("folder (or zip) with one entry per student: a folder or a .zip each; or a "
                    "Gradescope export (submission_metadata.yml); or GitHub Classroom clones")
HELP_OUT = "folder for gradebook.csv, class.md, class.html and one report folder per student"
HELP_SEED = "seed for every student (default: random once, recorded in the state and every report)"
HELP_SHARD = "grade every N-th student starting at the K-th (1-based), e.g. 2/4; merge with `nox -s gradebook`"


class Rejected(Exception):
    """A submission that cannot be graded at all: the message is the student's status."""


@dataclass
class Entry:
    name: str                     # the gradebook's "student"
    source: Path                  # folder or zip as given
    slug: str = ""                # folder name under --out
    rejected: Optional[str] = None


@dataclass
class Prepared:
    entry: Entry
    folder: Optional[Path] = None          # module folder inside our private copy
    problems: Dict[str, str] = field(default_factory=dict)  # exercise -> why it is not graded
    notes: List[str] = field(default_factory=list)          # status items that cost nothing
    rejected: Optional[str] = None
    digest: str = ""
    where: str = ""                         # module folder relative to the submission

    @property
    def status(self) -> str:
        if self.rejected:
            return self.rejected
        items = list(dict.fromkeys(self.problems.values())) + self.notes
        return "; ".join(items) if items else "ok"


# ---------------------------------------------------------------------------- input

def safe_extract(zpath: Path, dst: Path, max_bytes: int, max_entries: int = 20000) -> None:
    """Unpack ``zpath`` into ``dst`` (created), refusing anything unsafe before writing a byte."""
    try:
        zf = zipfile.ZipFile(zpath)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Rejected(f"not a readable zip file ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > max_entries:
            raise Rejected(f"{len(infos)} entries (the limit is {max_entries})")
        total, plan = 0, []
        for info in infos:
            name = info.filename
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise Rejected(f"symlink entry: {name}")
            if info.flag_bits & 0x1:
                raise Rejected(f"encrypted entry: {name}")
            norm = name.replace("\\", "/")
            if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
                raise Rejected(f"absolute path: {name}")
            parts = [p for p in norm.split("/") if p not in ("", ".")]
            if ".." in parts:
                raise Rejected(f"entry outside the archive: {name}")
            if "\x00" in name or any(len(p) > 255 for p in parts):
                raise Rejected(f"invalid entry name: {name!r}")
            total += info.file_size
            if total > max_bytes:
                raise Rejected(f"larger than {max_bytes / 2 ** 20:g} MB uncompressed")
            if parts:
                plan.append((info, parts, norm.endswith("/")))
        dst.mkdir(parents=True, exist_ok=True)
        written = 0
        for info, parts, is_dir in plan:
            target = dst.joinpath(*parts)
            try:
                if is_dir:
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
                with os.fdopen(fd, "wb") as out, zf.open(info) as src:
                    while True:
                        chunk = src.read(1 << 16)
                        if not chunk:
                            break
                        written += len(chunk)
                        if written > max_bytes:  # the sizes in the headers lied
                            raise Rejected(f"larger than {max_bytes / 2 ** 20:g} MB uncompressed")
                        out.write(chunk)
            except FileExistsError:
                raise Rejected(f"duplicate entry: {info.filename}") from None
            except (OSError, zipfile.BadZipFile, RuntimeError, EOFError) as exc:
                raise Rejected(f"cannot extract {info.filename}: {exc}") from None


def _read_regular(path: Path) -> Optional[bytes]:
    """The bytes of a regular file, never through a symlink, never blocking on a FIFO."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        return f.read()


def safe_copy(src: Path, dst: Path, max_bytes: int) -> List[str]:
    """Copy the ``.py`` files of folder ``src`` into ``dst``; symlinks are listed, never followed."""
    notes, total, count = [], 0, 0
    dst.mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(src, followlinks=False):
        here = Path(dirpath)
        rel = here.relative_to(src)
        keep = []
        for d in sorted(dirnames):
            if (here / d).is_symlink():
                notes.append(f"symlink not followed: {(rel / d).as_posix()}")
            elif d not in SKIP_DIRS and not d.startswith("."):
                keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            p = here / f
            if p.is_symlink():
                notes.append(f"symlink not followed: {(rel / f).as_posix()}")
                continue
            if not f.endswith((".py", ".zip")):
                continue
            data = _read_regular(p)
            if data is None:
                continue
            count += 1
            total += len(data)
            if count > MAX_FILES or total > max_bytes:
                raise Rejected(f"more than {max_bytes / 2 ** 20:g} MB or {MAX_FILES} files of Python")
            (dst / rel).mkdir(parents=True, exist_ok=True)
            (dst / rel / f).write_bytes(data)
    return notes


def find_modules(root: Path, names: List[str]) -> Optional[Path]:
    """The folder that holds the exercise modules: the root, its exercises/, or the best match below."""
    def hits(d: Path) -> int:
        return sum((d / f"{n}.py").is_file() for n in names)
    if hits(root):
        return root
    if (root / "exercises").is_dir():
        return root / "exercises"
    best = None
    for dirpath, dirnames, filenames in os.walk(root):
        depth = len(Path(dirpath).relative_to(root).parts)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")) if depth < 4 else []
        n = hits(Path(dirpath))
        if n:
            key = (n, -depth, Path(dirpath).name == "exercises")
            if best is None or key > best[0]:
                best = (key, Path(dirpath))
    return best[1] if best else None


def _check_source(path: Path) -> Optional[str]:
    """Why a module cannot be imported at all (None when it compiles)."""
    data = path.read_bytes()
    name = path.name
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "unknown encoding" in str(exc):
            return f"{name}: {exc}"
        encoding = "utf-8"   # undecodable first lines: say which byte, below
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        return f"{name} is not {encoding.upper()} text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    except LookupError:
        return f"{name} declares an unknown encoding {encoding!r}"
    if "\x00" in text:
        return f"{name} is not Python source (it contains NUL bytes)"
    try:
        compile(text, name, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"syntax error in {name} line {exc.lineno}: {exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"{name} cannot be compiled: {exc}"
    return None


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def prepare(entry: Entry, into: Path, exercises: list, max_bytes: int) -> Prepared:
    """Copy or unpack one entry into ``into`` (private, new) and say what can be graded."""
    prep = Prepared(entry)
    names = [e.name for e in exercises]
    files = into / "files"
    try:
        if entry.rejected:
            raise Rejected(entry.rejected)
        src = entry.source
        if src.is_symlink():
            raise Rejected(f"{src.name} is a symlink: not followed")
        if src.is_file() and src.suffix.lower() == ".zip":
            try:
                safe_extract(src, files, max_bytes)
            except Rejected as exc:
                raise Rejected(f"zip rejected: {exc}") from None
        elif src.is_dir():
            prep.notes += safe_copy(src, files, max_bytes)
        elif src.is_file() and src.suffix == ".py":
            files.mkdir(parents=True)
            data = _read_regular(src)
            (files / src.name).write_bytes(data or b"")
        else:
            raise Rejected(f"{src.name}: not a folder, a .zip or a .py file")
        folder = find_modules(files, names)
        if folder is None:
            inner = [p for p in files.rglob("*.zip") if p.is_file()]
            if len(inner) == 1:  # a folder holding the zip the student uploaded
                try:
                    safe_extract(inner[0], files / "_unzipped", max_bytes)
                except Rejected as exc:
                    raise Rejected(f"zip rejected: {exc}") from None
                folder = find_modules(files / "_unzipped", names)
        if folder is None:
            linked = [n.split(": ", 1)[1].rsplit("/", 1)[-1] for n in prep.notes]
            linked = [f for f in linked if f.endswith(".py") and f[:-3] in names]
            if linked:
                raise Rejected("; ".join(f"{f} is a symlink (not followed)" for f in linked))
            if not any(p.is_file() for p in files.rglob("*")) and not prep.notes:
                raise Rejected("empty submission")
            raise Rejected("no exercise module found (expected " + ", ".join(f"{n}.py" for n in names[:3])
                           + (", ..." if len(names) > 3 else "") + " or an exercises/ folder)")
        prep.folder = folder
        prep.where = folder.relative_to(files).as_posix()
        symlinked = {n.split(": ", 1)[1].rsplit("/", 1)[-1] for n in prep.notes}
        for n in names:
            path = folder / f"{n}.py"
            if f"{n}.py" in symlinked and not path.is_file():
                prep.problems[n] = f"{n}.py is a symlink (not followed)"
            elif not path.is_file():
                prep.problems[n] = f"missing {n}.py"
            else:
                why = _check_source(path)
                if why:
                    prep.problems[n] = why
        prep.notes = [n for n in prep.notes if n.rsplit("/", 1)[-1].split(": ")[-1][:-3] not in prep.problems]
        prep.digest = _digest(folder)  # what the sandboxes read: the module folder, every file of it
    except Rejected as exc:
        prep.rejected = str(exc)
        prep.folder = None
    return prep


# ------------------------------------------------------------------ discovery

def _gradescope_root(folder: Path) -> Optional[Path]:
    if (folder / "submission_metadata.yml").is_file():
        return folder
    subs = [d for d in folder.iterdir() if d.is_dir() and not d.is_symlink() and not d.name.startswith(".")]
    if len(subs) == 1 and (subs[0] / "submission_metadata.yml").is_file():
        return subs[0]
    return None


def gradescope_names(text: str) -> Dict[str, List[str]]:
    """{submission folder: [submitter names]} from Gradescope's submission_metadata.yml.

    Read line by line (the file is Ruby-flavoured YAML: ``submission_123:`` then
    ``:submitters:`` with ``- :name: ...`` items), so no YAML library is needed.
    """
    out, current, in_submitters, indent = {}, None, False, 0
    for line in text.splitlines():
        m = re.match(r"^(\S[^:]*):\s*$", line)
        if m:
            current = m.group(1).strip().strip("'\"")
            out[current] = []
            in_submitters = False
            continue
        if current is None:
            continue
        m = re.match(r"^(\s*)(- )?:?submitters:\s*$", line)
        if m:
            in_submitters, indent = True, len(m.group(1))
            continue
        if in_submitters:
            m = re.match(r"^(\s*)(?:- )?:?name:\s*(.*)$", line)
            if m:
                name = m.group(2).strip()
                if len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"":
                    name = name[1:-1]
                out[current].append(name)
                continue
            m = re.match(r"^(\s*)(?:- )?:?\w+:", line)
            if m and len(m.group(1)) <= indent and not line.lstrip().startswith("-"):
                in_submitters = False
    return out


def printable(text: str) -> str:
    """A name as it can be written anywhere: bytes that were not UTF-8 (``os.listdir`` keeps
    them as surrogates: some LMS exports name folders in Latin-1 or CP-1252) become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._@+-]+", "_", name).strip("._") or "student"
    return s + "_" if s in RESERVED else s


def discover(path: Path, work: Path, max_bytes: int, keep_names: bool = False) -> List[Entry]:
    """One entry per student, sorted by name, each with a unique slug."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".zip":
        unpacked = work / "_input"
        try:
            safe_extract(path, unpacked, max_bytes * 200)
        except Rejected as exc:
            raise SystemExit(f"batch: {path}: {exc}")
        inner = [d for d in unpacked.iterdir() if not d.name.startswith((".", "__MACOSX"))]
        path = inner[0] if len(inner) == 1 and inner[0].is_dir() and not _gradescope_root(unpacked) else unpacked
    if not path.is_dir():
        raise SystemExit(f"batch: {path}: no such folder")
    entries = []
    gs = _gradescope_root(path)
    if gs is not None:
        names = gradescope_names((gs / "submission_metadata.yml").read_text(encoding="utf-8", errors="replace"))
        for child in sorted(gs.iterdir()):
            if child.name.startswith((".", "__MACOSX")) or child.name == "submission_metadata.yml":
                continue
            who = " + ".join(n for n in names.get(child.name, []) if n) or child.name
            entries.append(Entry(who, child))
        seen = {}
        for e in entries:
            seen.setdefault(e.name, []).append(e)
        for same in seen.values():
            if len(same) > 1:
                for e in same:
                    e.name = f"{e.name} ({e.source.name})"
    else:
        for child in sorted(path.iterdir()):
            if child.name.startswith((".", "__MACOSX")):
                continue
            if child.is_symlink():
                entries.append(Entry(child.name, child, rejected=f"{child.name} is a symlink: not followed"))
            elif child.is_dir():
                entries.append(Entry(child.name, child))
            elif child.suffix.lower() == ".zip":
                entries.append(Entry(child.name[:-4], child))
        # GitHub Classroom clones are ASSIGNMENT-USERNAME: keep the username.
        clones = [e for e in entries if (e.source / ".git").exists()]
        if not keep_names and len(entries) >= 2 and len(clones) == len(entries):
            prefix = os.path.commonprefix([e.name for e in entries])
            prefix = prefix[:prefix.rfind("-") + 1] if "-" in prefix else ""
            if prefix and all(len(e.name) > len(prefix) for e in entries):
                for e in entries:
                    e.name = e.name[len(prefix):]
    if not entries:
        names = [e.name for e in meta.load()]
        if find_modules(path, names) == path:
            raise SystemExit(f"batch: {path} holds exercise modules itself: that is one submission "
                             "(nox -s grade grades it); give the folder that holds one entry per student")
        raise SystemExit(f"batch: {path}: no submissions (expected one folder or .zip per student)")
    for e in entries:
        e.name = printable(e.name)
    entries.sort(key=lambda e: (e.name.casefold(), e.name))
    used = set()
    for e in entries:
        s, i = _slug(e.name), 2
        while s.casefold() in used:
            s, i = f"{_slug(e.name)}-{i}", i + 1
        used.add(s.casefold())
        e.slug = s
    return entries


def shard(entries: list, spec: Optional[str]) -> list:
    if not spec:
        return entries
    m = re.fullmatch(r"(\d+)/(\d+)", spec)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise SystemExit(f"batch: --shard {spec}: expected K/N with 1 <= K <= N, e.g. 2/4")
    k, n = int(m.group(1)), int(m.group(2))
    return entries[k - 1::n]


# ------------------------------------------------------------- sharing units

def relocate(results: list, folder, shown: str) -> list:
    """Results whose messages name ``shown`` (the student's own folder) instead of our private copy."""
    out = copy.deepcopy(results)
    prefix = str(folder).rstrip("/") + "/"
    to = "" if shown in ("", ".") else shown.rstrip("/") + "/"
    for r in out:
        if r.get("message"):
            r["message"] = r["message"].replace(prefix, to)
    return out


def not_graded(exercise, reason: str) -> list:
    """Every check of ``exercise`` failed with ``reason``: what can't be graded scores zero."""
    return [{"exercise": c.exercise, "check": c.id, "key": c.key, "points": c.points, "summary": c.summary,
             "timing": c.timing, "status": "failed", "message": f"not graded: {reason}", "figures": {},
             "stray_processes": []} for c in exercise.checks]


# --------------------------------------------------------------------- the run

class Progress:
    """The stderr line: n of N students, elapsed, estimated time left."""

    def __init__(self, students: int, checks: int, stream=sys.stderr):
        self.n, self.total, self.checks, self.done_checks = 0, students, max(checks, 1), 0
        self.started = time.monotonic()
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last = 0.0

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        text = f"batch: {self.n} of {self.total} students graded, {elapsed:.0f} s elapsed"
        if self.done_checks and self.n < self.total:
            left = elapsed * (self.checks - self.done_checks) / self.done_checks
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


class Batch:
    def __init__(self, out: Path, exercises: list, seed: int, workers: int, share: bool, log=print):
        self.out, self.exercises, self.seed, self.workers, self.share = out, exercises, seed, workers, share
        self.log = log
        self.lock = threading.Lock()
        self.state_path = out / STATE
        self.state = {}
        self.started = time.monotonic()

    # state ----------------------------------------------------------------
    def save_state(self):
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=1, ensure_ascii=False))
        os.replace(tmp, self.state_path)

    # reports --------------------------------------------------------------
    def data_for(self, prep: Prepared, unit_results: dict, extra_info: dict) -> dict:
        from .grade import machine_info
        results = []
        for e in self.exercises:
            if prep.rejected:
                results += not_graded(e, prep.rejected)
            elif e.name in prep.problems:
                results += not_graded(e, prep.problems[e.name])
            else:
                got, folder = unit_results[e.name]
                results += relocate(got, folder, prep.where)
        info = dict(machine_info(self.seed, self.workers), submission=prep.entry.name,
                    seconds=round(time.monotonic() - self.started, 2), grader_errors=[],
                    student=prep.entry.name, status=prep.status, input=printable(str(prep.entry.source)),
                    module_folder=prep.where, batch=True, tamper=False)
        info.update(extra_info)
        return report.build(results, self.exercises, info)

    def write_student(self, prep: Prepared, data: dict, shared_lines: list):
        d = self.out / prep.entry.slug
        d.mkdir(parents=True, exist_ok=True)
        report.write_all(data, d)
        lines = [f"batch {data['info']['date']}: student {prep.entry.name!r}, input {printable(str(prep.entry.source))}",
                 f"seed {self.seed}; status: {prep.status}",
                 f"module folder: {prep.where or '(none)'}; submission digest {prep.digest[:16]}"]
        lines += shared_lines
        lines.append("the grading session's own output (pytest, every student of this run): ../grader.log")
        (d / "grader.log").write_text("\n".join(lines) + "\n")
        with self.lock:
            st = self.state["students"].setdefault(prep.entry.slug, {})
            st.update(name=prep.entry.name, source=printable(str(prep.entry.source)), digest=prep.digest,
                      status=prep.status, done=True, score=data["score"], max=data["max"])
            self.save_state()


def _rotate_log(path: Path):
    if path.exists():
        i = 1
        while path.with_name(f"{path.name}.{i}").exists():
            i += 1
        path.rename(path.with_name(f"{path.name}.{i}"))


def run(submissions, out, *, seed=None, only=None, workers=None, shard_spec=None, resume=False,
        regrade=None, fresh=False, max_zip_mb=50.0, share=True, keep_names=False, echo=print,
        progress_stream=sys.stderr) -> dict:
    """Grade a class; return {"records": [...], "state": {...}}. See the module docstring."""
    out = Path(out)
    exercises = meta.select(only)
    names = [e.name for e in exercises]
    rubric = gradebook.rubric(exercises)
    rhash = gradebook.rubric_hash(exercises)
    version = gradebook.kit_version()
    max_bytes = int(max_zip_mb * 2 ** 20)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    lock = open(out / ".lock", "w")
    try:
        import fcntl
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise SystemExit(f"batch: another batch is running in {out}: wait for it, or stop it first")
    except ImportError:  # not POSIX: no lock
        pass
    try:
        return _run(out, submissions, exercises, names, rubric, rhash, version, max_bytes, seed=seed,
                    workers=workers, shard_spec=shard_spec, resume=resume, regrade=regrade, fresh=fresh,
                    share=share, keep_names=keep_names, echo=echo, progress_stream=progress_stream)
    finally:
        lock.close()
        if created and [p.name for p in out.iterdir()] == [".lock"]:  # refused before anything was written
            shutil.rmtree(out, ignore_errors=True)


def _run(out, submissions, exercises, names, rubric, rhash, version, max_bytes, *, seed, workers, shard_spec,
         resume, regrade, fresh, share, keep_names, echo, progress_stream) -> dict:
    from .grade import default_workers, grade_many
    state_path = out / STATE
    old = None
    if state_path.exists():
        old = json.loads(state_path.read_text())
        if not (resume or regrade or fresh):
            raise SystemExit(f"batch: {out} holds a batch already (seed {old['seed']}): --resume continues it, "
                             "--regrade STUDENT grades one again, --fresh starts over")
        if fresh:
            shutil.rmtree(out / ".units", ignore_errors=True)
            for slug in old.get("students", {}):
                if "/" not in slug and slug not in (".", "..") and (out / slug / "report.json").is_file():
                    shutil.rmtree(out / slug, ignore_errors=True)
            old = None
        else:
            for what, mine, theirs in (("exercises", names, old["exercises"]), ("rubric_hash", rhash, old["rubric_hash"]),
                                       ("shard", shard_spec or "", old.get("shard", ""))):
                if mine != theirs:
                    raise SystemExit(f"batch: {out} was graded with {what} {theirs!r}, not {mine!r}: "
                                     "resume with the same options (or --fresh)")
            if seed is not None and seed != old["seed"]:
                raise SystemExit(f"batch: {out} was graded with seed {old['seed']}; --seed {seed} would grade "
                                 "students on other inputs")
            seed = old["seed"]
    elif resume or regrade:
        raise SystemExit(f"batch: {out}: no batch to resume (no {STATE})")
    seed = random.randrange(10 ** 6) if seed is None else seed
    workers = workers or default_workers()
    out.mkdir(parents=True, exist_ok=True)
    # Per-student reports must not each land in the job summary: the class summary does.
    step_summary = os.environ.pop("GITHUB_STEP_SUMMARY", None)
    work = Path(tempfile.mkdtemp(prefix="kit-batch-"))
    os.chmod(work, 0o700)
    # Every sandbox of this batch: the class's originals and the reports are out of its view.
    hidden_before = os.environ.get("KIT_HIDE")
    os.environ["KIT_HIDE"] = os.pathsep.join(
        [h for h in (hidden_before, str(Path(submissions).resolve()), str(out.resolve())) if h])
    try:
        entries = shard(discover(Path(submissions), work, max_bytes, keep_names), shard_spec)
        batch = Batch(out, exercises, seed, workers, share, log=echo)
        batch.state = old or {"version": 1, "seed": seed, "rubric_hash": rhash, "rubric": rubric,
                              "kit_version": version, "exercises": names, "shard": shard_spec or "",
                              "submissions": printable(str(Path(submissions).resolve())), "students": {}}
        batch.state["order"] = [e.slug for e in entries]
        batch.state["kit_version"] = version
        batch.save_state()
        regrade = set(regrade or [])
        unknown = regrade - {e.slug for e in entries} - {e.name for e in entries}
        if unknown:
            raise SystemExit(f"batch: --regrade {' '.join(sorted(unknown))}: no such student here "
                             f"(students: {', '.join(e.name for e in entries[:10])}{' ...' if len(entries) > 10 else ''})")
        preps, todo = {}, []
        for i, e in enumerate(entries):
            prep = prepare(e, work / f"{i:05d}", exercises, max_bytes)
            preps[e.slug] = prep
            done = batch.state["students"].get(e.slug, {})
            again = e.slug in regrade or e.name in regrade
            if done.get("done") and not again and (out / e.slug / "report.json").exists():
                if done.get("digest") and prep.digest and done["digest"] != prep.digest:
                    echo(f"batch: {e.name}: the submission changed since it was graded; "
                         f"kept the earlier grade (--regrade {e.slug} grades the new one)")
                continue
            if regrade and not again and done.get("done"):
                continue
            batch.state["students"].pop(e.slug, None)
            todo.append(prep)
        if resume or regrade:
            echo(f"batch: {len(entries) - len(todo)} of {len(entries)} students already graded; grading {len(todo)}")
        # Units: one grading per (exercise, submission), shared only between submissions that
        # are byte for byte the same in every file (the digest of the whole private copy).
        units, student_units = {}, {}
        for prep in todo:
            student_units[prep.entry.slug] = {}
            if prep.rejected:
                continue
            for e in exercises:
                if e.name in prep.problems:
                    continue
                fp = prep.digest if share else None
                key = f"{e.name}:{fp}" if fp else f"{e.name}:own:{prep.entry.slug}:{prep.digest}"
                unit = units.setdefault(key, {"id": f"u{len(units)}", "key": key, "exercise": e,
                                              "folder": prep.folder, "students": [], "fingerprint": fp})
                unit["students"].append(prep.entry.slug)
                student_units[prep.entry.slug][e.name] = key
        by_id = {u["id"]: u for u in units.values()}
        # Units finished before an interruption are kept in DIR/.units: a resumed batch reuses them.
        cache = out / ".units"
        cache.mkdir(exist_ok=True)

        def cache_file(u):
            return cache / (hashlib.sha256(json.dumps([seed, rhash, u["key"]]).encode()).hexdigest()[:32] + ".json")

        unit_results = {}
        for key, u in units.items():
            if (resume or regrade) and not any(s in regrade or preps[s].entry.name in regrade for s in u["students"]):
                try:
                    unit_results[key] = json.loads(cache_file(u).read_text())["results"]
                except (OSError, ValueError, KeyError):
                    pass
        if unit_results:
            echo(f"batch: {len(unit_results)} of {len(units)} gradings kept from the interrupted run")
        left = {k: u for k, u in units.items() if k not in unit_results}
        total_checks = sum(len(u["exercise"].checks) for u in left.values())
        bar = Progress(len(todo), total_checks, progress_stream)
        written = set()

        def shared_lines(slug):
            lines = []
            for ex, key in student_units[slug].items():
                u = units[key]
                others = [preps[s].entry.name for s in u["students"] if s != slug]
                if others:
                    lines.append(f"{ex}: graded once for {len(u['students'])} students whose submissions are "
                                 f"identical in every file (sha256 {u['fingerprint'][:16]}): shared with "
                                 f"{', '.join(others)}")
            return lines

        def finish(slug, extra=None):
            prep = preps[slug]
            res = {ex: (unit_results[key], units[key]["folder"]) for ex, key in student_units[slug].items()}
            batch.write_student(prep, batch.data_for(prep, res, extra or {}), shared_lines(slug))

        def maybe_finish(slugs):
            for slug in slugs:
                if slug in written:
                    continue
                if all(key in unit_results for key in student_units[slug].values()):
                    written.add(slug)
                    finish(slug)
                    bar.n += 1
                    bar.show(force=True)

        def on_progress(uid, done, total, results):
            with batch.lock:
                bar.done_checks += 1
            if results is None:
                bar.show()
                return
            u = by_id[uid]
            unit_results[u["key"]] = results
            tmp = cache_file(u).with_suffix(".tmp")
            tmp.write_text(json.dumps({"key": u["key"], "results": results}))
            os.replace(tmp, cache_file(u))
            maybe_finish(u["students"])

        # Students with nothing (left) to grade are finished before grading starts.
        maybe_finish([p.entry.slug for p in todo])
        graded = {}
        if left:
            log_path = out / "grader.log"
            _rotate_log(log_path)
            subs = {u["id"]: (u["folder"], [u["exercise"].name]) for u in left.values()}
            try:
                graded = grade_many(subs, seed=seed, workers=workers, log_path=log_path, progress=on_progress)
            except BaseException:
                # Ctrl-C or SIGTERM: the grading session leads its own process group; stop it too.
                from .. import proc
                for child in proc.descendants():
                    proc.kill_group(child.pid)
                proc.kill_strays()
                done = sum(1 for s in batch.state["students"].values() if s.get("done"))
                echo(f"\nbatch: interrupted; {done} of {len(entries)} students finished, "
                     f"{len(unit_results)} of {len(units)} gradings kept: --resume continues")
                raise
            with open(log_path, "a") as log:
                log.write(f"\nbatch: {len(todo)} students, {len(left)} gradings of one exercise each, seed {seed}\n")
                for key, u in left.items():
                    if len(u["students"]) > 1:
                        log.write(f"shared: {u['exercise'].name} graded once (sha256 {u['fingerprint'][:16]}) "
                                  f"for {', '.join(preps[s].entry.name for s in u['students'])}\n")
        # The returned data is authoritative: rewrite everyone from it (tamper flags, grader errors).
        errors, iso, tampered = [], {}, set()
        for key, u in left.items():
            d = graded[u["id"]]
            unit_results[key] = d["results"]
            errors = d["info"].get("grader_errors", []) or errors
            iso = d["info"].get("isolation", iso)
            if d["info"].get("tamper", False):
                tampered.add(key)
        for prep in todo:
            slug = prep.entry.slug
            tamper = any(k in tampered or any(r.get("tamper") for r in unit_results[k])
                         for k in student_units[slug].values())
            finish(slug, dict({"tamper": bool(tamper), "grader_errors": errors}, **({"isolation": iso} if iso else {})))
            if slug not in written:
                written.add(slug)
                bar.n += 1
        if todo:
            bar.end()
        if not errors:
            shutil.rmtree(cache, ignore_errors=True)
        records = gradebook.load_records(out, batch.state)
        gradebook.write_all(out, records, batch.state)
        if step_summary:
            with open(step_summary, "a") as f:
                f.write((out / "class.md").read_text())
        return {"records": records, "state": batch.state, "graded": len(todo), "grader_errors": errors,
                "units": len(left)}
    finally:
        if step_summary is not None:
            os.environ["GITHUB_STEP_SUMMARY"] = step_summary
        if hidden_before is None:
            os.environ.pop("KIT_HIDE", None)
        else:
            os.environ["KIT_HIDE"] = hidden_before
        shutil.rmtree(work, ignore_errors=True)


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
    p.add_argument("--keep-names", action="store_true", help="keep GitHub Classroom folder names whole (default: the username after the assignment prefix)")
    return p


def _terminated(signum, frame):
    raise KeyboardInterrupt  # a reboot, a Slurm time limit: stop as cleanly as for Ctrl-C


def main(argv=None) -> int:
    import signal
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)
    try:
        res = run(args.submissions, args.out, seed=args.seed, only=args.only, workers=args.workers,
                  shard_spec=args.shard, resume=args.resume, regrade=args.regrade, fresh=args.fresh,
                  max_zip_mb=args.max_zip_mb, share=not args.no_share, keep_names=args.keep_names)
    except KeyboardInterrupt:
        return 130
    recs = res["records"]
    bad = [r for r in recs if r["status"] != "ok"]
    print(f"batch: {len(recs)} students in {args.out}/gradebook.csv (seed {res['state']['seed']}; "
          f"{res['graded']} graded now in {res['units']} gradings)" + (f"; {len(bad)} with a problem:" if bad else ""))
    for r in bad[:20]:
        print(f"  {r['student']}: {r['status']}")
    if len(bad) > 20:
        print(f"  ... and {len(bad) - 20} more (the status column of gradebook.csv)")
    print(f"class summary: {args.out}/class.md, {args.out}/class.html")
    return 3 if res["grader_errors"] else 0
