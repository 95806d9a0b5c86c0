"""Sessions of the concurrency kit. ``nox -l`` lists them; ``nox -s NAME -- ARGS`` passes ARGS on."""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]

nox.needs_version = ">=2024.10"
nox.options.sessions = ["check"]
nox.options.reuse_venv = "yes"
# A learner's machine may lack some Pythons: skip those sessions, don't fail.
nox.options.error_on_missing_interpreters = False


def install(session: nox.Session) -> None:
    """Install the test stack once per venv; skip pip when nothing changed (warm runs stay fast)."""
    pyproject = nox.project.load_toml(ROOT / "pyproject.toml")
    deps = nox.project.dependency_groups(pyproject, "test")
    stamp = Path(session.virtualenv.location) / ".kit-deps"
    want = hashlib.sha256("\n".join(deps).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    session.install(*deps)
    stamp.write_text(want)


def kit(session: nox.Session, *args: str, **kwargs) -> None:
    session.run("python", "-m", "kit", *args, env={"PYTHONPATH": str(ROOT)}, **kwargs)


@nox.session
def check(session: nox.Session) -> None:
    """Run the learner tests on exercises/, one line per exercise (-- NAME for one)."""
    install(session)
    kit(session, "check", *session.posargs)


@nox.session(default=False)
def hint(session: nox.Session) -> None:
    """Show the next hint for an exercise: nox -s hint -- NAME."""
    install(session)
    kit(session, "hint", *(session.posargs or ["--help"]))


@nox.session(default=False)
def grade(session: nox.Session) -> None:
    """Grade a submission with the hidden suite (exercises/ by default; -- PATH [options])."""
    install(session)
    # Run where the caller stands: their relative PATH and the default grade-report/ are theirs.
    session.chdir(session.invoked_from)
    kit(session, "grade", *session.posargs)


@nox.session(python=PYTHONS, default=False)
def tests(session: nox.Session) -> None:
    """The kit's own test suite: curriculum, engine, reports and the selftest."""
    install(session)
    # The selftest's speedup checks measure the machine, not the interpreter: run them on
    # one Python (the one nox runs on), everything else on every Python.
    same = session.python == "{}.{}".format(*sys.version_info[:2])
    session.run("python", "-m", "pytest", *(session.posargs or ["kit_tests"]),
                env={"PYTHONPATH": str(ROOT), "KIT_SELFTEST_TIMING": "1" if same else "0"})


@nox.session(default=False)
def selftest(session: nox.Session) -> None:
    """Grade solutions, stubs, every mutant and alternative; fail on any wrong verdict (-- --repeat N)."""
    install(session)
    kit(session, "selftest", *session.posargs)
