"""A static scan of a submission's source for code that reaches into the grader.

Judge side, before any sandbox runs: it reads every ``.py`` file of the submission (never
imports one) and lists the lines that import the harness, the answer key or ctypes, walk
frames, gc's object graph or sys.modules, hook tracing or auditing, name the kit's files
or report files, or signal every process. A finding in an exercise module flags every
check of that exercise; a finding in any other file (a helper any module could import,
by name or dynamically) flags every exercise. A flagged check scores 0 with "your code
reached into the grader at FILE:LINE (what it did)", and the report's tamper flag tells
the teacher. The curriculum needs none of these.

The scan is the first of three layers: the audit hook refuses the same routes at run
time (``kit.sandbox.audit``), and the jail makes the grader's files absent.
"""
import ast
import os
from pathlib import Path
from typing import Dict, List

MODULES = {"kit", "hidden", "solutions", "ctypes", "_ctypes", "_testcapi", "_testinternalcapi"}
ATTRS = {"_getframe", "_current_frames", "get_referrers", "get_referents", "get_objects", "f_back",
         "f_globals", "f_locals", "settrace", "setprofile", "addaudithook", "__subclasses__"}
TEXTS = ("solutions/", "solutions.", "hidden/", "hidden.", "kit/", "kit.", "kit_probes", "results.json",
         "report.json", "junit.xml", "grade-report", "KIT_RESULT_FD")


def scan_source(text: str) -> List[dict]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []  # the grade reports a module that does not parse; nothing to scan
    out = []
    # Docstrings are the instructions the learner kept: they may name solutions/ freely.
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}

    def add(node, what):
        out.append({"line": getattr(node, "lineno", 0), "what": what})

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in MODULES:
                    add(node, f"imports {a.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module.split(".")[0] in MODULES:
                add(node, f"imports {node.module}")
        elif isinstance(node, ast.Attribute):
            if node.attr in ATTRS:
                add(node, f"uses .{node.attr}")
            elif node.attr == "modules" and isinstance(node.value, ast.Name) and node.value.id == "sys":
                add(node, "uses sys.modules")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            hit = next((t for t in TEXTS if t in node.value), None)
            if hit:
                add(node, f"names {hit!r}")
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in ("kill", "killpg") and node.args:
                a = node.args[0]
                if isinstance(a, ast.UnaryOp) and isinstance(a.op, ast.USub) or \
                        isinstance(a, ast.Constant) and a.value in (0, 1) or \
                        isinstance(a, ast.Call) and getattr(a.func, "attr", "") in ("getppid", "getpgid", "getpgrp"):
                    add(node, f"{name}() of processes it did not start")
    return out


SKIP_DIRS = {".git", "__MACOSX", "__pycache__", ".nox", ".venv", "venv", "node_modules", ".backup"}
MAX_FILES = 2000


def python_files(submission: Path) -> List[Path]:
    """Every regular ``.py`` file of the submission (no symlink followed; tool folders skipped)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(submission, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                             and not os.path.islink(os.path.join(dirpath, d)))
        for f in sorted(filenames):
            p = Path(dirpath) / f
            if f.endswith(".py") and p.is_file() and not p.is_symlink():
                out.append(p)
                if len(out) >= MAX_FILES:
                    return out
    return out


def scan(submission: Path, names) -> Dict[str, List[dict]]:
    """Findings per exercise of ``submission`` (only those with any): an exercise module's own,
    plus those of every file that is not an exercise module."""
    own, shared = {}, []
    root = Path(submission)
    for path in python_files(root):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        found = [dict(f, file=str(path)) for f in scan_source(text)]
        if not found:
            continue
        if path.parent == root and path.stem in names:
            own[path.stem] = found
        else:
            shared += found
    return {name: own.get(name, []) + shared for name in names if own.get(name) or shared}
