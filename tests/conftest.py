"""Learner tests: point them at any directory that holds the exercise modules.

    pytest tests                          # the learner's exercises/
    pytest tests --impl solutions         # the reference solutions
    KIT_IMPL=/path/to/submission pytest tests

The directory goes first on ``sys.path`` (and on ``PYTHONPATH``, which spawn and
forkserver children read), so modules are imported by their real names. Tests import
the learner's module inside the test through the ``load`` fixture, never at module
level: a module that hangs or fails on import then costs one test, not the session.
"""
import importlib
import multiprocessing
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser):
    group = parser.getgroup("kit")
    group.addoption("--impl", default=os.environ.get("KIT_IMPL", "exercises"),
                    help="directory holding the exercise modules (default: exercises; env KIT_IMPL)")
    group.addoption("--start-method", default=os.environ.get("KIT_START_METHOD") or None,
                    choices=["fork", "spawn", "forkserver"],
                    help="multiprocessing start method for the whole run (env KIT_START_METHOD)")


def pytest_configure(config):
    impl = Path(config.getoption("--impl"))
    if not impl.is_absolute():
        impl = (Path.cwd() / impl) if (Path.cwd() / impl).is_dir() else ROOT / impl
    impl = impl.resolve()
    if not impl.is_dir():
        raise pytest.UsageError(f"--impl {impl}: no such directory")
    config.kit_impl = impl
    sys.path.insert(0, str(impl))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(impl)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    method = config.getoption("--start-method")
    if method:
        multiprocessing.set_start_method(method, force=True)


def pytest_report_header(config):
    return (f"exercises from: {config.kit_impl}; "
            f"start method: {multiprocessing.get_start_method()}")


@pytest.fixture
def load(request):
    """``load("lock_balance")`` imports the learner's module by its real name."""
    def _load(name):
        module = importlib.import_module(name)
        where = Path(module.__file__).resolve().parent
        assert where == request.config.kit_impl, (
            f"imported {name} from {where}, expected it from {request.config.kit_impl}")
        return module
    return _load


# Picklable helpers for process tests live in tests/workers_*.py; spawn children import them by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(Path(__file__).resolve().parent)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])


@pytest.fixture(autouse=True)
def _no_leftovers():
    """Record the processes each test starts (helpers.started(), helpers.not_joined()); when the
    test ends, kill what it left running, so one learner bug never hangs the session at exit, and
    let the test's `within` threads end."""
    import helpers
    with helpers.track_processes():
        try:
            yield
        finally:
            helpers.kill_leftovers()
            helpers.release_threads()
