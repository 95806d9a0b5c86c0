"""A class in one pass (issue 9): the verdicts a batch gives equal each student's own grade
with the same seed; bad uploads cost only their owner; resume, regrade, shards and merge.

Kept fast with exercise subsets (``--only``) and two workers.
"""
import csv
import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from kit import ROOT
from kit.core import meta
from kit.teach import batch, discover, gradebook, intake
from kit.dev import selftest

pytestmark = pytest.mark.once  # the machine's isolation and tools, not the interpreter: one Python

TWO = ["lock_balance", "lock_ordering"]   # lock_ordering imports lock_balance: sharing must see that


def _entry(kind, exercise=None, index=0):
    pool = [e for e in selftest.entries(only=TWO) if e.kind == kind and (exercise is None or e.exercises == [exercise])]
    return pool[index]


def _build(kind, into: Path, exercise=None, index=0) -> Path:
    into.mkdir(parents=True)
    return selftest.build(_entry(kind, exercise, index), into)


def _rows(out: Path) -> dict:
    with open(out / "gradebook.csv", newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def _statuses(report_json: Path) -> dict:
    return {r["key"]: r["status"] for r in json.loads(report_json.read_text())["results"]}


def test_batch_verdicts_equal_grading_each_alone(tmp_path, run_kit):
    subs = tmp_path / "class"
    folders = {
        "ana": _build("solutions", subs / "ana"),
        "ben": _build("stubs", subs / "ben" / "exercises"),          # a Classroom-style repository
        "cy": _build("mutant", subs / "cy", "lock_balance"),
        "dee": _build("mutant", subs / "dee", "lock_ordering"),
        "eve": _build("stubs", subs / "eve"),                          # untouched stubs again: shared
    }
    out = tmp_path / "out"
    p = run_kit("batch", subs, "--out", out, "--only", *TWO, "--seed", 11, "--workers", 2)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "5 of 5 students graded" in p.stderr                       # the progress line
    rows = _rows(out)
    assert list(rows) == ["ana", "ben", "cy", "dee", "eve"]
    for name, folder in folders.items():
        alone = tmp_path / "alone" / name
        q = run_kit("grade", folder, "--out", alone, "--only", *TWO, "--seed", 11, "--workers", 2)
        assert q.returncode == 0, q.stdout + q.stderr
        assert _statuses(out / name / "report.json") == _statuses(alone / "report.json"), name
        assert float(rows[name]["score"]) == json.loads((alone / "report.json").read_text())["score"], name
        assert rows[name]["seed"] == "11"
    assert float(rows["ana"]["score"]) == 20 and float(rows["ben"]["score"]) == 0
    # Identical stubs (every file the same) were graded once, and each student's log says so.
    assert "shared with eve" in (out / "ben" / "grader.log").read_text()
    assert "shared:" in (out / "grader.log").read_text()
    # Submissions that differ in any file share nothing, even a module that is the same in both
    # (cy's lock_ordering.py and dee's lock_balance.py are the reference ones).
    for name in ("ana", "cy", "dee"):
        assert "shared with" not in (out / name / "grader.log").read_text(), name
    header = next(csv.reader(open(out / "gradebook.csv")))
    checks = [c.key for e in meta.select(TWO) for c in e.checks]
    assert header == ["student", "score", "max_score", "percent", *TWO, *checks,
                      "status", "tamper", "seed", "kit_version", "rubric_hash"]
    for f in ("class.md", "class.html"):
        text = (out / f).read_text()
        assert "lock_balance/safe.lock_held" in text
    assert "http" not in (out / "class.html").read_text().replace('xmlns="http://www.w3.org/2000/svg"', "")
    for f in ("results.json", "junit.xml", "summary.md", "report.json", "grader.log"):
        assert (out / "dee" / f).is_file(), f


def _zip(path: Path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


def test_bad_uploads_get_a_status_and_cost_nobody_else(tmp_path, run_kit):
    good = (ROOT / "solutions" / "lock_balance.py").read_bytes()
    reg = stat.S_IFREG | 0o644
    subs = tmp_path / "class"
    subs.mkdir()
    (subs / "good").mkdir()
    (subs / "good" / "lock_balance.py").write_bytes(good)
    (subs / "empty").mkdir()
    (subs / "syntax").mkdir()
    (subs / "syntax" / "lock_balance.py").write_text("def deposit(self, amount:\n    pass\n")
    (subs / "latin1").mkdir()
    (subs / "latin1" / "lock_balance.py").write_bytes(b"# r\xe9sum\xe9\nx = 1\n")
    (subs / "missing" / "exercises").mkdir(parents=True)
    (subs / "missing" / "exercises" / "rlock_ledger.py").write_text("x = 1\n")
    (subs / "linked").mkdir()
    os.symlink(ROOT / "solutions" / "lock_balance.py", subs / "linked" / "lock_balance.py")
    os.symlink(subs / "good", subs / "alias")
    _zip(subs / "up.zip", [("lock_balance.py", good, reg), ("../x.py", b"x = 1\n", reg)])
    _zip(subs / "absolute.zip", [("/tmp/kit-absolute-entry.py", b"x = 1\n", reg)])
    _zip(subs / "link.zip", [("lock_balance.py", "/etc/passwd", stat.S_IFLNK | 0o777)])
    _zip(subs / "big.zip", [("lock_balance.py", good, reg), ("blob.bin", b"\0" * (2 * 2 ** 20), reg)])
    (subs / "garbage.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    _zip(subs / "zipped.zip", [("hw/exercises/lock_balance.py", good, reg)])
    # A hostile one: it patches the grader's lockset (found through sys.modules) to hide a missing lock.
    (subs / "mallory").mkdir()
    (subs / "mallory" / "lock_balance.py").write_bytes(
        good + b"\n\n" + (ROOT / "selftest" / "attacks" / "lock_balance" / "patch_lockset.py").read_bytes())
    out = tmp_path / "out"
    p = run_kit("batch", subs, "--out", out, "--only", "lock_balance", "--max-zip-mb", "1", "--seed", 3,
                "--workers", 2)
    assert p.returncode == 0, p.stdout + p.stderr
    rows = _rows(out)
    want = {
        "empty": "empty submission",
        "syntax": "syntax error in lock_balance.py line ",
        "latin1": "lock_balance.py is not UTF-8 text (byte 0xe9",
        "missing": "missing lock_balance.py",
        "linked": "lock_balance.py is a symlink (not followed)",
        "alias": "alias is a symlink: not followed",
        "up": "zip rejected: entry outside the archive: ../x.py",
        "absolute": "zip rejected: absolute path: /tmp/kit-absolute-entry.py",
        "link": "zip rejected: symlink entry: lock_balance.py",
        "big": "zip rejected: larger than 1 MB uncompressed",
        "garbage": "zip rejected: not a readable zip file",
    }
    for name, status in want.items():
        assert rows[name]["status"].startswith(status), (name, rows[name]["status"])
        assert float(rows[name]["score"]) == 0 and float(rows[name]["max_score"]) == 10, name
        data = json.loads((out / name / "report.json").read_text())
        assert all(r["status"] == "failed" and r["message"].startswith("not graded: ") for r in data["results"])
    for name in ("good", "zipped"):
        assert rows[name]["status"] == "ok" and float(rows[name]["score"]) == 10, rows[name]
    assert float(rows["mallory"]["score"]) == 0, rows["mallory"]
    assert not Path("/tmp/kit-absolute-entry.py").exists()
    assert "Submissions with a problem" in (out / "class.md").read_text()


def test_safe_extract_writes_nothing_from_a_bad_zip(tmp_path):
    reg = stat.S_IFREG | 0o644
    z = _zip(tmp_path / "a.zip", [("ok.py", b"x = 1\n", reg), ("sub/../../escape.py", b"x = 1\n", reg)])
    with pytest.raises(intake.Rejected, match="entry outside the archive"):
        intake.safe_extract(z, tmp_path / "dst", 2 ** 20)
    assert not (tmp_path / "dst").exists() and not (tmp_path / "escape.py").exists()
    # A header that lies about the size is caught while writing.
    big = _zip(tmp_path / "b.zip", [("a.bin", b"\0" * 5000, reg)])
    with pytest.raises(intake.Rejected, match="larger than"):
        intake.safe_extract(big, tmp_path / "dst2", 4000)


METADATA = """---
submission_1001:
  :submitters:
  - :name: Alice Ng
    :sid: '17'
    :email: alice@example.edu
  :created_at: 2026-03-01 10:00:00.000000000 -08:00
  :score: 0.0
  :status: processed
submission_1002:
  :submitters:
  - :name: Bob Li
    :sid: '18'
    :email: bob@example.edu
  - :name: "Carol O'Neil"
    :sid: '19'
    :email: carol@example.edu
  :created_at: 2026-03-01 11:00:00.000000000 -08:00
  :results:
    :tests:
    - :name: something
"""


def test_gradescope_export_and_classroom_clones_are_found(tmp_path):
    good = (ROOT / "solutions" / "lock_balance.py").read_bytes()
    exp = tmp_path / "assignment_77_export"
    (exp / "submission_1001").mkdir(parents=True)
    (exp / "submission_1001" / "lock_balance.py").write_bytes(good)
    (exp / "submission_1002" / "exercises").mkdir(parents=True)
    (exp / "submission_1002" / "exercises" / "lock_balance.py").write_bytes(good)
    (exp / "submission_metadata.yml").write_text(METADATA)
    assert discover.gradescope_names(METADATA) == {"submission_1001": ["Alice Ng"],
                                                "submission_1002": ["Bob Li", "Carol O'Neil"]}
    ex = meta.select(["lock_balance"])
    for source in (tmp_path, tmp_path / "export.zip"):
        if source.suffix == ".zip":
            with zipfile.ZipFile(source, "w") as zf:
                for p in exp.rglob("*"):
                    if p.is_file():
                        zf.write(p, p.relative_to(tmp_path).as_posix())
        work = tmp_path / f"work-{source.name}"
        entries = discover.discover(source, work, 2 ** 20)
        assert [e.name for e in entries] == ["Alice Ng", "Bob Li + Carol O'Neil"]
        assert [e.slug for e in entries] == ["Alice_Ng", "Bob_Li_+_Carol_O_Neil"]
        for i, e in enumerate(entries):
            prep = intake.prepare(e, work / f"p{i}", ex, 2 ** 20)
            assert prep.status == "ok" and (prep.folder / "lock_balance.py").read_bytes() == good
    cls = tmp_path / "classroom"
    for user in ("alice", "bob-smith"):
        (cls / f"hw3-{user}" / ".git").mkdir(parents=True)
        (cls / f"hw3-{user}" / "exercises").mkdir()
        (cls / f"hw3-{user}" / "exercises" / "lock_balance.py").write_bytes(good)
    assert [e.name for e in discover.discover(cls, tmp_path / "w2", 2 ** 20)] == ["alice", "bob-smith"]
    assert [e.name for e in discover.discover(cls, tmp_path / "w3", 2 ** 20, keep_names=True)] == ["hw3-alice", "hw3-bob-smith"]
    prep = intake.prepare(discover.discover(cls, tmp_path / "w4", 2 ** 20)[0], tmp_path / "p", ex, 2 ** 20)
    assert prep.where == "exercises" and prep.status == "ok"


def _mtime(p: Path) -> int:
    return p.stat().st_mtime_ns


def test_resume_keeps_finished_students_and_regrade_redoes_one(tmp_path, run_kit):
    subs = tmp_path / "class"
    (subs / "ana").mkdir(parents=True)
    (subs / "ana" / "lock_balance.py").write_bytes((ROOT / "exercises" / "lock_balance.py").read_bytes())
    (subs / "ben").mkdir()
    (subs / "ben" / "lock_balance.py").write_bytes((ROOT / "solutions" / "lock_balance.py").read_bytes())
    out = tmp_path / "out"
    args = ["--out", out, "--only", "lock_balance", "--workers", 2]
    p = run_kit("batch", subs, *args)
    assert p.returncode == 0, p.stdout + p.stderr
    seed = json.loads((out / batch.STATE).read_text())["seed"]
    # Interrupted before ben's checks were all in: his results and his "done" are missing.
    state = json.loads((out / batch.STATE).read_text())
    state["students"]["ben"]["done"] = False
    (out / batch.STATE).write_text(json.dumps(state))
    for f in (out / "ben").iterdir():
        f.unlink()
    (out / "ben").rmdir()
    ana = _mtime(out / "ana" / "report.json")
    again = run_kit("batch", subs, *args)
    assert again.returncode != 0 and "--resume" in again.stderr
    p = run_kit("batch", subs, *args, "--resume")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 of 2 students already graded" in p.stdout
    assert _mtime(out / "ana" / "report.json") == ana
    rows = _rows(out)
    assert float(rows["ben"]["score"]) == 10 and float(rows["ana"]["score"]) == 0
    assert rows["ben"]["seed"] == rows["ana"]["seed"] == str(seed)
    ben = _mtime(out / "ben" / "report.json")
    p = run_kit("batch", subs, *args, "--regrade", "ana")
    assert p.returncode == 0, p.stdout + p.stderr
    assert _mtime(out / "ana" / "report.json") != ana and _mtime(out / "ben" / "report.json") == ben
    assert json.loads((out / "ana" / "report.json").read_text())["info"]["seed"] == seed
    p = run_kit("batch", subs, *args, "--resume", "--seed", seed + 1)
    assert p.returncode != 0 and "seed" in p.stderr


def test_shards_merge_into_one_gradebook_and_refuse_other_seeds(tmp_path, run_kit):
    subs = tmp_path / "class"
    for name in ("s1", "s2", "s3", "s4"):
        (subs / name).mkdir(parents=True)
    (subs / "s1" / "lock_balance.py").write_bytes((ROOT / "exercises" / "lock_balance.py").read_bytes())
    (subs / "s4" / "notes.py").write_text("x = 1\n")
    common = ["--only", "lock_balance", "--workers", 2, "--seed", 5]
    for k in (1, 2):
        p = run_kit("batch", subs, "--out", tmp_path / f"shard{k}", "--shard", f"{k}/2", *common)
        assert p.returncode == 0, p.stdout + p.stderr
    assert list(_rows(tmp_path / "shard1")) == ["s1", "s3"] and list(_rows(tmp_path / "shard2")) == ["s2", "s4"]
    p = run_kit("gradebook", tmp_path / "shard1", tmp_path / "shard2", "--out", tmp_path / "all")
    assert p.returncode == 0, p.stdout + p.stderr
    rows = _rows(tmp_path / "all")
    assert list(rows) == ["s1", "s2", "s3", "s4"]
    assert rows["s2"]["status"] == "empty submission" and rows["s4"]["status"].startswith("no exercise module found")
    assert (tmp_path / "all" / "class.html").is_file()
    p = run_kit("batch", subs, "--out", tmp_path / "other", "--shard", "2/2", "--only", "lock_balance", "--seed", 6)
    assert p.returncode == 0, p.stdout + p.stderr
    p = run_kit("gradebook", tmp_path / "shard1", tmp_path / "other", "--out", tmp_path / "bad")
    assert p.returncode != 0 and "seed" in p.stderr and "refusing" in p.stderr
    p = run_kit("gradebook", tmp_path / "shard1", tmp_path / "shard1", "--out", tmp_path / "bad")
    assert p.returncode != 0 and "same shard" in p.stderr
    assert gradebook.rubric_hash(meta.select(["lock_balance"])) == rows["s1"]["rubric_hash"]


def test_a_batch_stopped_midway_resumes_with_what_was_graded(tmp_path, run_kit):
    import signal
    import subprocess
    import sys
    import time
    subs = tmp_path / "class"
    for name, src in (("ana", "solutions"), ("ben", "exercises"), ("cy", "solutions")):
        (subs / name).mkdir(parents=True)
        for ex in ("lock_balance", "rlock_ledger", "thread_subclass"):
            (subs / name / f"{ex}.py").write_bytes((ROOT / src / f"{ex}.py").read_bytes() + b"\n# " + name.encode() + b"\n")
    out = tmp_path / "out"
    args = ["batch", str(subs), "--out", str(out), "--only", "lock_balance", "rlock_ledger", "thread_subclass",
            "--workers", "2"]
    p = subprocess.Popen([sys.executable, "-m", "kit", *args], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and p.poll() is None and not list((out / ".units").glob("*.json")):
        time.sleep(0.05)
    assert p.poll() is None, "the batch ended before any grading was kept"
    p.send_signal(signal.SIGTERM)          # what a reboot or a Slurm time limit sends
    said = "".join(p.communicate(timeout=60))
    assert p.returncode == 130 and "--resume continues" in said, said
    kept = len(list((out / ".units").glob("*.json")))
    q = run_kit(*args, "--resume")
    assert q.returncode == 0, q.stdout + q.stderr
    assert f"{kept} of 9 gradings kept" in q.stdout, q.stdout
    rows = _rows(out)
    assert [float(rows[n]["score"]) for n in ("ana", "ben", "cy")] == [30, 0, 30]
    assert not (out / ".units").exists()


def test_class_page_figures_come_from_status_and_reason_in_any_language(monkeypatch):
    # A hang and a deadlock written in Chinese are still "hung"; a message that merely says
    # "hung" or "not graded" in English decides nothing.
    from kit.core.results import Reason, Report, Status, for_check
    from kit.teach import classpage
    monkeypatch.setenv("KIT_LANG", "zh")
    ex = meta.get("lock_balance")
    state = {"rubric": [{"exercise": ex.name, "checks": [(c.id, c.points) for c in ex.checks]}]}
    first, second = ex.checks[0], ex.checks[1]

    def record(name, results):
        rest = [for_check(c, Status.PASSED) for c in ex.checks if c.id not in {r.check for r in results}]
        return gradebook.Record(name, name, "ok", Report.build(results + rest, [ex], {"seconds": 1}))

    records = [record("a", [for_check(first, Status.FAILED, Reason.HANG, "超时：调用没有返回")]),
               record("b", [for_check(first, Status.FAILED, Reason.DEADLOCK, "死锁")]),
               record("c", [for_check(second, Status.FAILED, Reason.CRASH, "the call hung? not graded: no")])]
    s = classpage.stats(records, state)
    assert s["hung"] == [(first.key, 2)], s["hung"]
    rates = {r["key"]: r for r in s["rates"]}
    assert rates[second.key]["not_graded"] == 0 and rates[second.key]["passed"] == 2


def test_progress_counts_the_timing_phase(monkeypatch):
    # 10 ordinary checks at 1 s each, then 4 timing checks: the estimate includes them from
    # the start (at the prior), then at the rate they show.
    import io
    clock = [100.0]
    monkeypatch.setattr(batch.time, "monotonic", lambda: clock[0])
    bar = batch.Progress(2, 14, io.StringIO(), timing_checks=4)
    assert bar.left() is None and "left" not in bar.line()
    for _ in range(5):
        clock[0] += 1
        bar.verdict(False)
    assert bar.left() == 5 * 1 + 4 * bar.TIMING_PRIOR
    for _ in range(5):
        clock[0] += 1
        bar.verdict(False)
    assert bar.left() == 4 * bar.TIMING_PRIOR          # the ordinary phase is over, not the grade
    bar.verdict(True)                                   # first timing verdict: the phase starts
    clock[0] += 6
    bar.verdict(True)
    assert bar.left() == 2 * (6 + bar.TIMING_PRIOR) / 2
    assert "about 8 s left" in bar.line()
