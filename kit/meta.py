"""The metadata table (``exercises.toml``): exercises in order, hints, and the rubric."""
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import List, Optional

from . import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9 and 3.10
    import tomli as tomllib

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
        return f"test_{self.exercise}.py::{self.test_name}"


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


@lru_cache(maxsize=None)
def load(path: Path = TABLE) -> List[Exercise]:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
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


def get(name: str) -> Exercise:
    for e in load():
        if e.name == name:
            return e
    raise KeyError(f"no exercise named {name!r}; known: {', '.join(names())}")


def select(only: Optional[List[str]]) -> List[Exercise]:
    """Exercises by name, in teaching order; every one when ``only`` is empty."""
    if not only:
        return load()
    for n in only:
        get(n)
    return [e for e in load() if e.name in only]
