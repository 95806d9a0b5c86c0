"""pytest plugin for the hidden suite: one verdict per check, streamed to the driver.

Loaded with ``-p kit.engine.plugin`` by ``kit.engine.grade``. In each process that runs checks it
makes the judge a child subreaper; for each check it turns the outcome into a verdict
(a ``Status`` and a ``Reason``, ``kit.core.results``) with the message and figures, attaches it to
the report (xdist carries ``user_properties`` to the controller), and the controller
writes one JSON line per verdict to the descriptor in ``KIT_RESULT_FD``. Reports are
built by the driver from these lines alone, never from files a submission could reach.

One session can grade many submissions: ``KIT_PLAN`` names a JSON file
``{submission id: {"path": folder, "checks": [check keys]}}``, and every hidden check is
parametrized with the ids of the submissions that must take it
(``lock_balance/checks.py::test_safe_lock_held[s0]``).
"""
import functools
import importlib
import json
import os
import time
import traceback
from pathlib import Path

import pytest

from kit.core import meta, proc
from kit.core.results import Reason, Status

from .verdict import Check, CheckFailed, Inconclusive

_out_fd = None


def pytest_configure(config):
    global _out_fd
    proc.become_subreaper()
    fd = os.environ.get("KIT_RESULT_FD")
    if fd and not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        _out_fd = int(fd)


class _ChecksModule(pytest.Module):
    """``hidden/EXERCISE/checks.py`` imported as ``hidden.EXERCISE.checks``, whatever pytest's import mode.

    An exercise folder needs no ``__init__.py`` (a namespace package inside ``hidden``), and
    its ``probes`` module has the same name on both sides: the sandbox's staged view holds
    ``hidden/EXERCISE/probes.py`` too.
    """

    def _getobj(self):
        return importlib.import_module(f"hidden.{self.path.parent.name}.checks")


def pytest_pycollect_makemodule(module_path, parent):
    if module_path.name == "checks.py" and module_path.parent.parent.name == "hidden":
        return _ChecksModule.from_parent(parent, path=module_path)
    return None


@functools.lru_cache(maxsize=None)
def _plan() -> dict:
    with open(os.environ["KIT_PLAN"]) as f:
        return json.load(f)


def pytest_generate_tests(metafunc):
    if "check" not in metafunc.fixturenames:
        return
    key = _spec_of(metafunc.module.__file__, metafunc.function.__name__).key
    sids = [sid for sid, p in _plan().items() if key in p["checks"]]
    metafunc.parametrize("kit_sid", sids, ids=sids, indirect=True)


@pytest.fixture
def kit_sid(request):
    return request.param


def _spec(item):
    name = item.originalname if hasattr(item, "originalname") else item.name
    return _spec_of(str(item.fspath), name)


def _spec_of(path, name):
    exercise = Path(path).parent.name
    check_id = name[len("test_"):].replace("_", ".", 1)
    for c in meta.get(exercise).checks:
        if c.id == check_id:
            return c
    raise LookupError(f"{exercise}/{Path(path).name}::{name}: no check {exercise}/{check_id} in exercises.toml")


@pytest.fixture
def check(request, kit_sid):
    """The running check: ``check.run(probe, call=...)``, ``check.expect(...)``, ``check.rng``."""
    c = Check(_spec(request.node), Path(_plan()[kit_sid]["path"]), int(os.environ.get("KIT_SEED", "0")))
    c.started = time.monotonic()
    request.node._kit_check = c
    return c


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when == "teardown" and report.passed:
        return
    c = getattr(item, "_kit_check", None)
    if report.when == "call" or (report.when == "setup" and not report.passed):
        sid = getattr(item, "callspec", None) and item.callspec.params.get("kit_sid")
        verdict = {"nodeid": item.nodeid, "submission": sid, "status": Status.PASSED, "reason": Reason.NONE,
                   "message": "", "figures": {}}
        try:
            verdict["check"] = _spec(item).key
        except LookupError as exc:
            verdict.update(check=item.nodeid, status=Status.ERROR, reason=Reason.GRADER, message=str(exc))
        if c is not None:
            c.figures.setdefault("seconds", round(time.monotonic() - c.started, 3))
            verdict["figures"] = c.figures
            verdict["stray_processes"] = [s for r in c.runs for s in r.strays]
            verdict["tamper"] = c.tamper
        if call.excinfo is not None:
            exc = call.excinfo.value
            if isinstance(exc, CheckFailed):
                verdict.update(status=Status.FAILED, reason=exc.reason, message=str(exc))
            elif isinstance(exc, Inconclusive):
                verdict.update(status=Status.INCONCLUSIVE, reason=exc.reason, message=str(exc))
            elif call.excinfo.errisinstance(pytest.skip.Exception):
                verdict.update(status=Status.ERROR, reason=Reason.GRADER, message=f"the grader skipped this check: {exc}")
            else:
                # A bug in the grader, not a verdict on the learner: say so plainly.
                verdict.update(status=Status.ERROR, reason=Reason.GRADER, message="the grader failed on this check: "
                               + "".join(traceback.format_exception_only(type(exc), exc)).strip()
                               + "\n" + "".join(traceback.format_tb(call.excinfo.tb)[-3:]))
        report.user_properties.append(("kit_verdict", json.dumps(verdict, default=repr)))


def pytest_runtest_logreport(report):
    if _out_fd is None:
        return
    for key, value in report.user_properties:
        if key == "kit_verdict":
            data = (value + "\n").encode()
            view = memoryview(data)
            while view:
                view = view[os.write(_out_fd, view):]
