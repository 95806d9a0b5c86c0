"""Sessions of the concurrency kit. ``nox -l`` lists them; ``nox -s NAME -- ARGS`` passes ARGS on."""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]

# nox.project.dependency_groups (install() below) first shipped in nox 2025.02.09.
nox.needs_version = ">=2025.2.9"
nox.options.sessions = ["check"]
nox.options.reuse_venv = "yes"
# A learner's machine may lack some Pythons: skip those sessions, don't fail. CI (.ci/run
# sets KIT_CI) must run on every Python it names: there a missing one is an error.
nox.options.error_on_missing_interpreters = bool(os.environ.get("KIT_CI"))


def install(session: nox.Session) -> None:
    """Install the test stack once per venv; skip pip when nothing changed (warm runs stay fast).

    Silently: pip's output is shown only if it fails. The group installs tomli on Python
    3.9 and 3.10, where the kit needs it to read exercises.toml.
    """
    pyproject = nox.project.load_toml(ROOT / "pyproject.toml")
    deps = nox.project.dependency_groups(pyproject, "test")
    stamp = Path(session.virtualenv.location) / ".kit-deps"
    want = hashlib.sha256("\n".join(deps).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return
    session.install("-q", "--disable-pip-version-check", *deps, silent=True)
    stamp.write_text(want)


def kit(session: nox.Session, *args: str, **kwargs) -> None:
    session.run("python", "-m", "kit", *args, env={"PYTHONPATH": str(ROOT)}, **kwargs)


@nox.session
def check(session: nox.Session) -> None:
    """Run the learner tests on exercises/, one line per exercise (-- NAME for one, -- --strict for CI)."""
    install(session)
    kit(session, "check", *session.posargs)


@nox.session(default=False)
def watch(session: nox.Session) -> None:
    """Work through the exercises: the current one's tests re-run at every save (keys h n l r q)."""
    install(session)
    kit(session, "watch", *session.posargs)


@nox.session(default=False)
def hint(session: nox.Session) -> None:
    """The next hint: nox -s hint -- NAME (--all: every hint, --reset: start over; no NAME: the current one)."""
    install(session)
    kit(session, "hint", *session.posargs)


@nox.session(name="list", default=False)
def list_(session: nox.Session) -> None:
    """The exercises in order, with what is done."""
    install(session)
    kit(session, "list", *session.posargs)


@nox.session(default=False)
def reset(session: nox.Session) -> None:
    """Put an exercise's stub back: nox -s reset -- NAME [--yes] (your file is kept in exercises/.backup/)."""
    install(session)
    kit(session, "reset", *(session.posargs or ["--help"]))


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
    # What measures the machine, not the interpreter (the selftest's speedup checks, the
    # agreement of check with grade, and the tests marked `once`: isolation, batches,
    # platforms, the watch loop) runs on one Python, the one nox runs on; the rest on all.
    # The selftest runs whole there; each other Python runs its shard: solutions, stubs,
    # every alternative and attack, a covering set of mutants (every check's detection path)
    # and a quarter of the other mutants, so that every mutant also runs on a second Python.
    main = "{}.{}".format(*sys.version_info[:2])
    same = session.python == main
    select = [] if same else ["-m", "not once"]
    others = [p for p in PYTHONS if p != main]
    shard = "" if same or session.python not in others else f"{others.index(session.python) + 1}/{len(others)}"
    session.run("python", "-m", "pytest", *(session.posargs or ["kit_tests", *select, "--durations=12"]),
                env={"PYTHONPATH": str(ROOT), "KIT_SELFTEST_TIMING": "1" if same else "0",
                     "KIT_SELFTEST_SHARD": shard})


@nox.session(default=False)
def selftest(session: nox.Session) -> None:
    """Grade solutions, stubs, every mutant and alternative; fail on any wrong verdict (-- --repeat N)."""
    install(session)
    kit(session, "selftest", *session.posargs)


@nox.session(default=False)
def release(session: nox.Session) -> None:
    """Build the student repository (stubs, tests, learner tools): -- OUT [--git]."""
    install(session)
    session.chdir(session.invoked_from)
    kit(session, "release", *session.posargs)


@nox.session(default=False)
def batch(session: nox.Session) -> None:
    """Grade a whole class in one pass: -- SUBMISSIONS --out DIR [--resume] [--shard K/N]."""
    install(session)
    session.chdir(session.invoked_from)
    kit(session, "batch", *session.posargs)


@nox.session(default=False)
def gradebook(session: nox.Session) -> None:
    """Merge the gradebooks of batch outputs (shards): -- DIR... [--out OUT] [--format canvas moodle --roster FILE]."""
    install(session)
    session.chdir(session.invoked_from)
    kit(session, "gradebook", *session.posargs)


@nox.session(default=False)
def gradescope(session: nox.Session) -> None:
    """Build the Gradescope autograder zip: -- OUT.zip [--visibility V] [--stdout-visibility V]."""
    install(session)
    session.chdir(session.invoked_from)
    kit(session, "gradescope", *session.posargs)


@nox.session(default=False)
def classroom50(session: nox.Session) -> None:
    """Build the Classroom 50 autograder bundle: -- OUT [--only EXERCISE...] [--force]."""
    install(session)
    session.chdir(session.invoked_from)
    kit(session, "classroom50", *session.posargs)
