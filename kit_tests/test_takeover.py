"""Issue 17: a submission cannot take over the grader.

Nothing of the student's runs before the jail (files named like standard modules are left
out, the submission is last on the path), a folder only its owner can read grades as well
as any other, a class's uploads in odd shapes and names grade, and in a batch one student
can neither change a classmate's files nor their grade. The attacks that test the
sandbox's run-time defences one route at a time are in ``selftest/attacks/`` (the
selftest grades them); the ones here need a whole grade or a whole batch.
"""
import json
import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from kit import ROOT
from kit.core import meta
from kit.engine import isolation, runner

pytestmark = pytest.mark.once  # the machine's isolation and tools, not the interpreter: one Python

STRICT = isolation.detect().level == "strict"
needs_strict = pytest.mark.skipif(not STRICT, reason="the strict level needs root (CI runs as root: these run there)")
FAST = ["threads_start_join", "lock_balance"]  # no timing checks: the same seed gives the same verdicts


@pytest.fixture(autouse=True)
def _nothing_left(nothing_left):
    """Every test here: nothing it started outlives it (kit_tests/conftest.py)."""


def _solutions(into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    for f in (ROOT / "solutions").glob("*.py"):
        shutil.copy(f, into / f.name)
    return into


def _report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


def _scores(data) -> dict:
    return {e["name"]: (e["score"], e["max"]) for e in data["exercises"]}


def test_files_named_like_standard_modules_are_left_out_and_never_run(tmp_path, run_kit):
    sub = _solutions(tmp_path / "sub")
    # Each would replace a module the sandbox imports; each says so if it ever runs.
    for name in ("json", "threading", "traceback", "typing", "psutil", "sitecustomize"):
        (sub / f"{name}.py").write_text("SHADOW = True\nraise SystemExit('a submission file ran as ' + __name__)\n")
    (sub / "email").mkdir()
    (sub / "email" / "__init__.py").write_text("SHADOW = True\n")
    # The exercise module itself checks that what it imports is the standard library's.
    with open(sub / "lock_balance.py", "a") as f:
        f.write("\nimport json as _j, threading as _t, traceback as _tb\n"
                "assert not any(hasattr(m, 'SHADOW') for m in (_j, _t, _tb)), 'shadowed'\n")
    out = tmp_path / "out"
    p = run_kit("grade", sub, "--out", out, "--only", *FAST)
    data = _report(out)
    assert data["score"] == data["max"] and not data["tamper"], p.stdout[-3000:]
    left_out = {f["file"] for f in data["info"]["refused_files"]}
    assert left_out == {"json.py", "threading.py", "traceback.py", "typing.py", "psutil.py", "sitecustomize.py",
                        "email"}, left_out
    assert "left out: json.py is named like a standard or installed module `json`" in p.stdout


def test_a_folder_only_its_owner_can_read_grades_like_any_other(tmp_path, run_kit):
    sub = _solutions(tmp_path / "private")
    os.chmod(sub, 0o700)        # what mktemp -d and tempfile.mkdtemp make
    for f in sub.iterdir():
        os.chmod(f, 0o600)
    out = tmp_path / "out"
    p = run_kit("grade", sub, "--out", out, "--only", *FAST)
    data = _report(out)
    assert data["score"] == data["max"], [(r["key"], r["message"][:200]) for r in data["results"]
                                          if r["status"] != "passed"] or p.stderr[-2000:]


def test_the_environment_of_the_judge_does_not_reach_a_sandbox(tmp_path):
    os.environ["KIT_TEST_SECRET_TOKEN"] = "s3cret"
    os.environ["GITHUB_TOKEN"] = "ghp_s3cret"
    try:
        r = runner.run("kit_probes.engine:environment", submission=ROOT / "solutions", timeout=20)
    finally:
        del os.environ["KIT_TEST_SECRET_TOKEN"], os.environ["GITHUB_TOKEN"]
    assert r.status == "ok", (r.status, r.error, r.stderr)
    assert "s3cret" not in json.dumps(r.value) and not any("TOKEN" in k for k in r.value), sorted(r.value)


@needs_strict
def test_a_batch_grades_zips_with_an_exercises_folder_and_odd_names(tmp_path, run_kit):
    subs = tmp_path / "class"
    subs.mkdir()
    # A zip with every module inside exercises/, as a learner's repository holds them.
    with zipfile.ZipFile(subs / "zoe.zip", "w") as z:
        for f in (ROOT / "solutions").glob("*.py"):
            z.write(f, f"exercises/{f.name}")
    # A folder whose name is not UTF-8 (some LMS exports name folders in Latin-1).
    odd = os.fsdecode(b"fran\xe7ois")
    _solutions(subs / odd)
    out = tmp_path / "out"
    p = run_kit("batch", subs, "--out", out, "--seed", 5, "--only", *FAST, "bounded_buffer", timeout=900)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    book = (out / "gradebook.csv").read_text(encoding="utf-8")
    assert "zoe" in book and "fran\ufffdois" in book, book
    for slug in os.listdir(out):
        if (out / slug / "report.json").exists():
            data = _report(out / slug)
            assert data["score"] == data["max"], (slug, [(r["key"], r["message"][:200]) for r in data["results"]
                                                        if r["status"] != "passed"])


def test_every_exercise_of_a_zip_with_an_exercises_folder_grades(tmp_path, run_kit):
    subs = tmp_path / "class"
    subs.mkdir()
    with zipfile.ZipFile(subs / "zoe.zip", "w") as z:
        for f in (ROOT / "solutions").glob("*.py"):
            z.write(f, f"exercises/{f.name}")
    out = tmp_path / "out"
    p = run_kit("batch", subs, "--out", out, timeout=900)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    data = _report(out / "zoe")
    wrong = [(r["key"], r["message"][:200]) for r in data["results"] if r["status"] in ("failed", "error")]
    assert not wrong, wrong
    assert {e["name"] for e in data["exercises"]} == set(meta.names())


ATTACKER = '''
import os as _os
_MARK = "raise RuntimeError('planted by a classmate')\\n"
_done = []
for _root in {roots!r} + ["/tmp"]:
    for _dirpath, _dirs, _files in _os.walk(_root):
        for _f in _files:
            if _f in ("threads_start_join.py", "lock_balance.py") and "mallory" not in _dirpath:
                _path = _os.path.join(_dirpath, _f)
                try:
                    with open(_path, "a") as _out:
                        _out.write(_MARK)
                    _done.append(_path)
                except OSError:
                    pass
        for _f in ("gradebook.csv", "batch-state.json"):
            try:
                with open(_os.path.join(_dirpath, _f), "a") as _out:
                    _out.write("mallory,100\\n")
            except OSError:
                pass
'''


def test_in_a_batch_no_student_can_change_a_classmate_s_files_or_grade(tmp_path, run_kit):
    subs = tmp_path / "class"
    from kit.dev import selftest
    honest = {
        "ana": selftest.build(next(e for e in selftest.entries(only=FAST) if e.kind == "solutions"),
                              _solutions(subs / "ana")),
        "ben": selftest.build(next(e for e in selftest.entries(only=FAST) if e.name == "mutant lock_balance/no_lock"),
                              _solutions(subs / "ben")),
    }
    before = {name: {f.name: f.read_bytes() for f in folder.glob("*.py")} for name, folder in honest.items()}
    mallory = _solutions(subs / "mallory")
    out = tmp_path / "out"
    with open(mallory / "threads_start_join.py", "a") as f:
        f.write(ATTACKER.format(roots=[str(subs), str(out), str(tmp_path)]))
    p = run_kit("batch", subs, "--out", out, "--seed", 7, "--only", *FAST, "--no-share", timeout=900)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    for name, folder in honest.items():
        assert {f.name: f.read_bytes() for f in folder.glob("*.py")} == before[name], f"{name}'s files changed"
        alone = tmp_path / "alone" / name
        q = run_kit("grade", folder, "--out", alone, "--only", *FAST, "--seed", 7)
        assert q.returncode == 0, q.stdout[-2000:] + q.stderr[-2000:]
        in_batch, by_itself = _report(out / name), _report(alone)
        assert _scores(in_batch) == _scores(by_itself), name
        assert {r["key"]: r["status"] for r in in_batch["results"]} == \
            {r["key"]: r["status"] for r in by_itself["results"]}, name
    assert "mallory,100" not in (out / "gradebook.csv").read_text()
    assert _report(out / "mallory")["score"] >= 0   # its own grade is its own business


def test_a_line_forged_on_the_result_pipe_is_tampering_not_a_verdict(tmp_path):
    r = runner.run("kit_probes.engine:forge_result", submission=ROOT / "solutions", timeout=20)
    assert r.tamper and any(t["what"] == runner.FORGED for t in r.tamper), r.tamper
    assert r.value != {"forged": True}


@needs_strict
def test_a_sandbox_cannot_read_the_kit_or_write_outside_its_jail(tmp_path):
    target = tmp_path / "outside"
    target.mkdir()
    os.chmod(target, 0o777)
    r = runner.run("kit_probes.engine:reach", submission=ROOT / "solutions", timeout=20,
                   read=str(ROOT / "solutions" / "lock_balance.py"), write=str(target / "planted"))
    assert r.status == "ok", (r.status, r.error, r.stderr)
    assert r.value["read"].startswith("refused") and r.value["write"].startswith("refused"), r.value
    assert not (target / "planted").exists()
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o777
