"""Discovery: the entries of a class folder or zip, one per student, each with a unique,
printable name and a slug for its report folder.

Reads plain folders (one folder, .zip or .py per student), clones of the students'
repositories (``CLASSROOM-ASSIGNMENT-USERNAME`` from Classroom 50's ``gh teacher download``,
or ``ASSIGNMENT-USERNAME`` from older GitHub Classroom clones: the username is kept) and Gradescope's "export submissions"
(``submission_metadata.yml``: named after the submitters).
"""
import os
import re
from pathlib import Path
from typing import Dict, List, Optional

from kit.core import meta

from .intake import Entry, Rejected, find_modules, printable, safe_extract

# Names of the batch's own files in its output folder: no student's slug may take one.
RESERVED = {"gradebook.csv", "class.md", "class.html", "grader.log", "batch-state.json", ".work", ".units", ".lock"}


def gradescope_root(folder: Path) -> Optional[Path]:
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


def slug(name: str) -> str:
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
        path = inner[0] if len(inner) == 1 and inner[0].is_dir() and not gradescope_root(unpacked) else unpacked
    if not path.is_dir():
        raise SystemExit(f"batch: {path}: no such folder")
    entries = []
    gs = gradescope_root(path)
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
        # Clones named PREFIX-USERNAME (Classroom 50: CLASSROOM-ASSIGNMENT-USERNAME): keep the username.
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
        s, i = slug(e.name), 2
        while s.casefold() in used:
            s, i = f"{slug(e.name)}-{i}", i + 1
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
