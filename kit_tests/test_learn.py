"""Issue 11's promises for the learner tools (check, hint, list, reset) and the grade's screen:
friendly failures, work in progress is not an error, a hang says so, reset keeps the
learner's file, nothing crashes at import on Windows or macOS."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kit.core import meta
from kit.core.results import Reason, Report, Status, for_check
from kit.engine import report
from kit.learn import common, reset

ROOT = Path(__file__).resolve().parents[1]
NAMES = meta.names()


@pytest.fixture
def learner(run_kit, tmp_path):
    """``python -m kit ...`` with its own state files, in English."""
    state = tmp_path / "state"
    state.mkdir()

    def run(*args, **kw):
        return run_kit(*args, env={"KIT_STATE_DIR": str(state), "KIT_LANG": "en", **kw.pop("env", {})}, **kw)
    run.state = state
    return run


def stub_copy(tmp_path, name="exercises") -> Path:
    dest = tmp_path / name
    shutil.copytree(ROOT / "exercises", dest, ignore=shutil.ignore_patterns(".backup", "__pycache__"))
    return dest


# -- unknown names -----------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ("check", "lock_balanse"),
    ("hint", "lock_balanse"),
    ("hint", "lock_balanse", "--reset"),
    ("watch", "--start", "lock_balanse"),
    ("reset", "lock_balanse", "--yes"),
    ("grade", "--only", "lock_balanse"),
], ids=lambda a: a[0] + ("-" + a[-1] if a[-1].startswith("--") else ""))
def test_a_typo_gets_did_you_mean_status_2_and_no_traceback(learner, tmp_path, args):
    extra = ("--out", tmp_path / "out") if args[0] == "grade" else ()
    p = learner(*args, *extra, timeout=120)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "Did you mean lock_balance?" in p.stderr, p.stderr
    assert "Traceback" not in p.stdout + p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_a_name_nothing_resembles_lists_the_exercises():
    with pytest.raises(meta.UnknownExercise) as err:
        meta.get("zzz")
    assert isinstance(err.value, KeyError) and isinstance(err.value, meta.KitError)
    assert "Did you mean" not in str(err.value) and NAMES[0] in str(err.value)
    assert common.resolve("3").name == NAMES[2]
    assert common.resolve(f"exercises/{NAMES[0]}.py").name == NAMES[0]


# -- check: work in progress is not an error ------------------------------------------------------
def test_check_exits_0_on_stubs_and_1_with_strict(learner):
    p = learner("check", NAMES[0], NAMES[1], "--impl", "exercises", timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = [ln for ln in p.stdout.splitlines() if ln and ln[0] in "✓✗·"]
    assert [ln.split()[1] for ln in lines] == NAMES[:2] and all(ln.startswith("·") for ln in lines), p.stdout
    assert f"Next: {NAMES[0]}" in p.stdout and f"nox -s hint -- {NAMES[0]}" in p.stdout
    p = learner("check", NAMES[0], "--impl", "exercises", "--strict", timeout=300)
    assert p.returncode == 1, p.stdout + p.stderr
    p = learner("check", NAMES[0], "--impl", "solutions", "--strict", timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 of 1 done" in p.stdout
    progress = json.loads((learner.state / common.PROGRESS_FILE).read_text())
    assert progress["folders"]["solutions"]["done"] == [NAMES[0]]


def hanging_copy(tmp_path) -> Path:
    """The solutions, with exercise 1's function blocked forever."""
    impl = tmp_path / "hangs"
    shutil.copytree(ROOT / "solutions", impl, ignore=shutil.ignore_patterns("__pycache__"))
    path = impl / f"{NAMES[0]}.py"
    text = path.read_text()
    head = "def run_in_threads(func, args_list):"
    assert head in text
    path.write_text(text.replace(head, head + "\n    import threading; threading.Event().wait()", 1))
    return impl


def test_a_hung_test_reads_stopped_after(learner, tmp_path):
    impl = hanging_copy(tmp_path)
    # The kit's own limit stops the whole run.
    p = learner("check", NAMES[0], "--impl", impl, "--limit", "3", timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "stopped after 3 s: a test hung" in p.stdout, p.stdout
    assert "no test ran" not in p.stdout


@pytest.mark.once  # waits out the default limits (about 40 s): the mechanism is the same on every Python
def test_a_hung_test_reads_stopped_after_without_a_limit(learner, tmp_path):
    impl = hanging_copy(tmp_path)
    # Without --limit, the learner test's own deadline (tests/helpers.py `within`) or
    # pytest-timeout's per-test limit names the hang: never "no test ran".
    p = learner("check", NAMES[0], "--impl", impl, timeout=300)
    assert ("had not returned after" in p.stdout or "stopped after 10 s: a test hung (deadlock?) in test_"
            in p.stdout), p.stdout
    assert "no test ran" not in p.stdout


def test_a_barrier_timeout_reads_as_calls_not_at_the_same_time():
    from kit.learn.run import Result
    ex = meta.get(NAMES[0])
    res = Result(ex.name, tests=3, failed=[("test_overlap", "threading.BrokenBarrierError")])
    assert "the calls did not all run at the same time" in common.verdict(ex, res)


# -- hint -----------------------------------------------------------------------------------
def test_hint_goes_on_starts_over_and_shows_all(learner):
    name = NAMES[2]
    total = len(meta.get(name).hints)
    first = learner("hint", name)
    assert first.returncode == 0 and f"hint 1/{total}" in first.stdout and f"hint 2/{total}" not in first.stdout
    second = learner("hint", name)
    assert f"hint 2/{total}" in second.stdout
    again = learner("hint", name, "--reset")
    assert again.returncode == 0 and "start over" in again.stdout
    assert f"hint 2/{total}" not in learner("hint", name).stdout
    every = learner("hint", name, "--all").stdout
    assert all(f"hint {i}/{total}" in every for i in range(1, total + 1)), every
    assert "--reset" in every
    # Without a name: the exercise you are on (nothing done yet: the first).
    assert learner("hint").stdout.startswith(NAMES[0] + ":")


def test_list_shows_progress(learner):
    p = learner("list")
    assert p.returncode == 0, p.stderr
    assert f"[{'-' * len(NAMES)}] 0/{len(NAMES)}" in p.stdout
    assert all(name in p.stdout for name in NAMES)
    assert common.bar(5, 11) == "[#####------] 5/11" and common.bar(0, 0) == "[] 0/0"


# -- reset ----------------------------------------------------------------------------------
def test_reset_restores_the_stub_and_keeps_a_backup(learner, tmp_path):
    name = NAMES[2]
    stub, source = reset.pristine(name)
    if stub is None:
        pytest.skip("no pristine stub here: not a git checkout, no kit/learn/stubs/")
    impl = stub_copy(tmp_path)
    mine = b"# my work in progress\n"
    (impl / f"{name}.py").write_bytes(mine)
    # No terminal and no --yes: nothing changes.
    p = learner("reset", name, "--impl", impl)
    assert p.returncode == 2 and "--yes" in p.stderr, p.stdout + p.stderr
    assert (impl / f"{name}.py").read_bytes() == mine
    p = learner("reset", name, "--impl", impl, "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    assert (impl / f"{name}.py").read_bytes() == stub
    backups = list((impl / ".backup").glob(f"{name}.py.*"))
    assert [b.read_bytes() for b in backups] == [mine], backups
    assert (impl / ".backup" / ".gitignore").read_text().strip() == "*"
    assert "is the stub again" in p.stdout and ".backup" in p.stdout
    p = learner("reset", name, "--impl", impl, "--yes")
    assert p.returncode == 0 and "already the stub" in p.stdout
    if source.startswith("git"):
        head = subprocess.run(["git", "show", f"HEAD:exercises/{name}.py"], cwd=ROOT, capture_output=True)
        assert head.stdout == stub


# -- other systems ---------------------------------------------------------------------------
WINDOWS_LIKE = textwrap.dedent("""
    import os, signal, sys
    del signal.SIGKILL
    for attr in ("killpg", "getpgid", "setsid"):
        if hasattr(os, attr):
            delattr(os, attr)
    for mod in ("termios", "tty", "fcntl", "resource"{extra}):
        sys.modules[mod] = None   # absent on Windows
    import kit.core.proc, kit.core.meta, kit.core.i18n, kit.learn
    from kit.learn import check, common, hint, listing, reset, run, watch
    import subprocess, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    kit.core.proc.kill_group(child.pid)   # no process groups: the tree is killed instead
    assert child.wait(timeout=10) != 0
    from kit.__main__ import main
    sys.exit(main(["list"]))
""")


@pytest.mark.parametrize("extra", ["", ', "psutil"'], ids=["with-psutil", "without-psutil"])
def test_no_import_time_crash_without_sigkill_or_killpg(tmp_path, extra):
    p = subprocess.run([sys.executable, "-c", WINDOWS_LIKE.format(extra=extra)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=str(ROOT), KIT_STATE_DIR=str(tmp_path), KIT_LANG="en"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert NAMES[0] in p.stdout


def test_without_tomli_one_line_says_what_to_install(tmp_path):
    code = ("import sys; sys.modules['tomllib'] = None; sys.modules['tomli'] = None\n"
            "from kit.__main__ import main; sys.exit(main(['list']))")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PYTHONPATH=str(ROOT), KIT_STATE_DIR=str(tmp_path), KIT_LANG="en"))
    assert p.returncode == 1, p.stdout + p.stderr
    assert "pip install tomli" in p.stderr and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_learner_tools_import_nothing_of_the_judge_or_the_sandbox():
    code = ("import sys; import kit.learn.check, kit.learn.hint, kit.learn.listing, kit.learn.watch, "
            "kit.learn.reset; bad = [m for m in sys.modules if m.startswith(('kit.engine', 'kit.teach', 'kit.dev', 'kit.sandbox'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 0, p.stdout + p.stderr


# -- the grade's screen ----------------------------------------------------------------------
def _result(check, status, message="", reason=Reason.NONE):
    return for_check(check, Status(status), reason, message)


def test_grade_screen_untouched_is_one_line_started_shows_failures_then_next(monkeypatch):
    monkeypatch.setenv("KIT_LANG", "en")
    exercises = meta.load()
    started, untouched = exercises[0], exercises[1:]
    results = []
    for i, c in enumerate(started.checks):
        results.append(_result(c, "passed") if i else
                       _result(c, "failed", "Called f(1). Returned 2, expected 3.\nline 2\nline 3\nline 4\nline 5"))
    for ex in untouched:
        results += [_result(c, "failed", f"Called x(). Not done yet: it raised NotImplementedError at {ex.name}.py:9.",
                            Reason.NOT_DONE) for c in ex.checks]
    info = {"submission": "exercises", "seed": 1, "python": "3.11", "start_method": "fork",
            "cpus_available": 2, "cpus": 2, "seconds": 1.0}
    text = report.terminal(Report.build(results, exercises, info))
    lines = text.splitlines()
    for ex in untouched:
        mine = [ln for ln in lines if ex.name in ln]
        assert len(mine) == 1 and "not started" in mine[0], mine
    first = started.checks[0]
    assert any(first.id in ln and first.summary in ln for ln in lines), text
    assert "Returned 2, expected 3." in text and "line 3" in text and "line 4" not in text
    assert "Not done yet" not in text
    assert lines[-2].startswith("Score: ")
    assert lines[-1] == f"Next: {started.name}: {started.title}. Stuck? nox -s hint -- {started.name}"
    assert report.terminal(Report.build(results, exercises, info), quiet=True) == lines[-2]


def test_reset_asks_for_the_name_at_a_terminal(monkeypatch, tmp_path):
    ex = meta.get(NAMES[2])
    target = tmp_path / f"{ex.name}.py"

    class Terminal:
        def isatty(self):
            return True
    monkeypatch.setattr(sys, "stdin", Terminal())
    for typed, expected in ((ex.name, True), ("yes", False), ("", False)):
        monkeypatch.setattr("builtins.input", lambda prompt, typed=typed: typed)
        assert reset.confirmed(ex, target) is expected


def test_grading_elsewhere_than_linux_says_so_in_one_line(monkeypatch, capsys):
    from kit.__main__ import main
    monkeypatch.setattr(sys, "platform", "darwin")
    assert main(["grade"]) == 2
    err = capsys.readouterr().err
    assert "grading needs Linux" in err and len(err.strip().splitlines()) == 1
