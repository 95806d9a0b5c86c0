"""Intake: a submission as handed in (a folder, a .zip, a .py) made into a private copy
the grader can read, and what can be graded in it.

Used by every way in: a batch (``kit.teach.batch``), one submission on a platform
(``kit.teach.submission``). Only ``.py`` files are copied (and zips found inside), never
through a symlink, never blocking on a FIFO; a zip is checked entry by entry before a byte
is written. A module that is missing or cannot be compiled is a ``problem``: its exercise
is not graded (``kit.core.results.not_graded``), the others are.
"""
import hashlib
import io
import os
import re
import stat
import tokenize
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from kit.engine.stage import SKIP_DIRS, read_regular

MAX_FILES = 5000
MAX_BYTES = 50 * 2 ** 20   # uncompressed zip, or the Python files of a folder (``--max-zip-mb``)


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
            data = read_regular(p)
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


def check_source(path: Path) -> Optional[str]:
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


def digest(folder: Path) -> str:
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
            data = read_regular(src)
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
                why = check_source(path)
                if why:
                    prep.problems[n] = why
        prep.notes = [n for n in prep.notes if n.rsplit("/", 1)[-1].split(": ")[-1][:-3] not in prep.problems]
        prep.digest = digest(folder)  # what the sandboxes read: the module folder, every file of it
    except Rejected as exc:
        prep.rejected = str(exc)
        prep.folder = None
    return prep


def printable(text: str) -> str:
    """A name as it can be written anywhere: bytes that were not UTF-8 (``os.listdir`` keeps
    them as surrogates: some LMS exports name folders in Latin-1 or CP-1252) become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
