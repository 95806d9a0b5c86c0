"""A static scan of a submission's source for code that reaches into the grader.

Judge side, before any sandbox runs: it reads each module's source (never imports it)
and lists, per module, the lines that import the harness, the answer key, pytest or
ctypes/gc, walk frames or sys.modules, hook tracing or auditing, name the kit's files or
report files, or signal every process. A finding flags every check of that exercise:
it scores 0 with "your code reached into the grader at FILE:LINE (what it did)", and the
report's tamper flag tells the teacher. The curriculum needs none of these.
"""
import ast
from pathlib import Path
from typing import Dict, List

MODULES = {"kit", "hidden", "solutions", "pytest", "_pytest", "xdist", "pluggy", "ctypes", "gc"}
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


def scan(submission: Path, names) -> Dict[str, List[dict]]:
    """Findings per exercise module of ``submission`` (only those with any)."""
    out = {}
    for name in names:
        path = Path(submission) / f"{name}.py"
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        found = scan_source(text)
        if found:
            out[name] = [dict(f, file=str(path)) for f in found]
    return out
