"""The metadata table (``exercises.toml``): exercises in order, hints, and the rubric."""
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import List, Optional

from kit import ROOT

from . import toml
from .i18n import _

TABLE = ROOT / "exercises.toml"
GROUPS = ("correct", "safe", "parallel")


@dataclass(frozen=True)
class Check:
    exercise: str
    id: str                 # "safe.lock_held"
    points: float
    summary: str
    timeout: float
    timing: bool = False

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def key(self) -> str:   # "lock_balance/safe.lock_held"
        return f"{self.exercise}/{self.id}"

    @property
    def test_name(self) -> str:
        return "test_" + self.id.replace(".", "_")

    @property
    def nodeid(self) -> str:
        return f"{self.exercise}/checks.py::{self.test_name}"


@dataclass(frozen=True)
class Exercise:
    name: str
    title: str
    seed: str
    hints: tuple
    checks: tuple = field(default=())

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks)


class KitError(Exception):
    """An error the learner caused or can fix: ``python -m kit`` prints it, without a
    traceback, and exits with ``status``."""
    status = 2


class UnknownExercise(KitError, KeyError):
    """No exercise by that name (a ``KeyError`` too, for callers that catch that)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class MissingTomli(KitError):
    status = 1


def no_toml_reader() -> MissingTomli:
    """The error for Python 3.9/3.10 without tomli: what to install, in one line."""
    return MissingTomli(_("Python {version} needs the tomli package to read exercises.toml: "
                          "python -m pip install tomli (nox sessions install it for you).",
                          version="{}.{}".format(*sys.version_info[:2])))


def toml_reader():
    """tomllib or tomli; else ``MissingTomli`` (for the tools that need TOML to work at all)."""
    if toml.reader() is None:
        raise no_toml_reader()
    return toml.reader()


@lru_cache(maxsize=None)
def load(path: Path = TABLE) -> List[Exercise]:
    data = toml.loads(Path(path).read_text(encoding="utf-8"))
    if data is None:
        raise no_toml_reader()
    default_timeout = float(data.get("grading", {}).get("default_timeout", 6.0))
    exercises = []
    for ex in data["exercise"]:
        checks = []
        for c in ex.get("check", []):
            group = c["id"].split(".", 1)[0]
            if group not in GROUPS or "." not in c["id"]:
                raise ValueError(f"{TABLE.name}: {ex['name']}: check id {c['id']!r} "
                                 f"must be GROUP.NAME with GROUP in {GROUPS}")
            checks.append(Check(ex["name"], c["id"], float(c["points"]), c["summary"],
                                float(c.get("timeout", default_timeout)),
                                bool(c.get("timing", False))))
        exercises.append(Exercise(ex["name"], ex["title"], ex["seed"], tuple(ex["hints"]),
                                  tuple(checks)))
    return exercises


def names() -> List[str]:
    return [e.name for e in load()]


def unknown(name: str) -> UnknownExercise:
    """The error for a name that is not in the table: "did you mean ...", and where the list is."""
    import difflib
    close = difflib.get_close_matches(name, names(), n=3, cutoff=0.6)
    text = _("There is no exercise named {name!r}.", name=name)
    if close:
        text += " " + _("Did you mean {names}?", names=" or ".join(close))
    else:
        text += " " + _("The exercises: {names} (python -m kit list).", names=", ".join(names()))
    return UnknownExercise(text)


def get(name: str) -> Exercise:
    for e in load():
        if e.name == name:
            return e
    raise unknown(name)


def select(only: Optional[List[str]]) -> List[Exercise]:
    """Exercises by name, in teaching order; every one when ``only`` is empty.

    A name that is not in the table raises ``UnknownExercise`` (a ``KitError``)."""
    if not only:
        return load()
    for n in only:
        get(n)
    return [e for e in load() if e.name in only]


def kit_version() -> str:
    """The kit's version (pyproject.toml), "unknown" if it cannot be read: informative, never fatal."""
    try:
        data = toml_reader().loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        return str(data["project"]["version"])
    except Exception:  # noqa: BLE001 - a version string is informative, never fatal
        return "unknown"
