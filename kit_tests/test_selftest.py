"""Issue 4's promise, run on every change: the hidden suite gives every entry of the
selftest library its declared verdict (solutions 100, stubs 0, each mutant loses exactly
what it declares, each alternative full marks)."""
import json
import os


from kit.dev import selftest


def test_library_is_complete():
    entries = selftest.entries()
    by_ex = {}
    for e in entries:
        if e.kind in ("mutant", "alternative"):
            by_ex.setdefault(e.exercises[0], []).append(e.kind)
    for name in {e for entry in entries for e in entry.exercises}:
        kinds = by_ex.get(name, [])
        assert kinds.count("mutant") >= 4, f"{name}: {kinds.count('mutant')} mutants, expected at least 4"
        assert kinds.count("alternative") >= 1, f"{name}: no alternative"


def test_every_verdict_is_right(run_kit, tmp_path):
    # The speedup checks measure the machine, not the interpreter: noxfile runs them on
    # the Python nox itself runs on, and the rest of the selftest on every Python.
    # So does the agreement of check with grade (the learner tests on every mutant).
    one = os.environ.get("KIT_SELFTEST_TIMING") == "1"
    extra = ["--agreement"] if one else ["--no-timing"]
    shard = os.environ.get("KIT_SELFTEST_SHARD")
    if shard:  # noxfile: one shard per other Python (see selftest.shard)
        extra += ["--shard", shard]
    p = run_kit("selftest", "--out", tmp_path, *extra, timeout=3000)
    data = json.loads((tmp_path / "selftest.json").read_text())
    summary = data["summary"]
    # What went wrong first (the full table is long and a log keeps only its tail): each
    # wrong entry with the messages of the checks it got wrong.
    wrong = [f"{e['name']}: {json.dumps(r, ensure_ascii=False)[:3000]}"
             for e in data["entries"] for r in e["runs"] if not r["ok"]]
    assert p.returncode == 0 and summary["wrong_verdicts"] == 0, (
        "\n".join(wrong) + "\n" + p.stdout[-4000:] + p.stderr[-2000:])
    assert summary["mutants_caught"] == summary["mutants"]
    assert summary["alternatives_full_marks"] == summary["alternatives"]
    assert summary["attacks_unrewarded"] == summary["attacks"]
    assert not summary["left_running"]
    if one:
        assert not summary["agreement"]["unexplained"], summary["agreement"]


def test_an_undecided_timing_check_is_retried_and_never_a_wrong_verdict(monkeypatch):
    # A busy machine leaves a speedup check inconclusive: the selftest regrades that entry's
    # timing checks; a decided result replaces it; what stays undecided is reported as such.
    from kit.core import meta
    from kit.core.results import Reason, Report, Status, for_check
    ex = meta.get("pool_map")
    entry = selftest.Entry("mutant pool_map/x", "mutant", ["pool_map"],
                           {c.id for c in ex.checks if c.timing})

    def report(timing_status):
        return Report.build([for_check(c, timing_status if c.timing else Status.PASSED,
                                       Reason.MACHINE if timing_status is Status.INCONCLUSIVE else Reason.NONE)
                             for c in ex.checks], [ex], {"seconds": 1, "seed": 1})

    v = selftest.judge(entry, report(Status.INCONCLUSIVE))
    assert v["ok"] and v["undecided"], v              # not wrong; undecided
    calls = []
    answers = [report(Status.INCONCLUSIVE), report(Status.FAILED)]

    def fake_grade_many(subs, **kw):
        calls.append(kw)
        return {name: answers[len(calls) - 1] for name in subs}
    monkeypatch.setattr(selftest, "grade_many", fake_grade_many)
    graded = {entry.name: report(Status.INCONCLUSIVE)}
    selftest.retry_undecided([entry], {entry.name: (None, ["pool_map"])}, graded, lambda *a: None, None, retries=2)
    assert len(calls) == 2 and all(kw["timing_only"] for kw in calls)
    v = selftest.judge(entry, graded[entry.name])
    assert v["ok"] and not v["undecided"] and set(v["failed"]) == entry.expect_fail, v
    # Still undecided after every retry: reported, not wrong.
    calls.clear()
    answers[:] = [report(Status.INCONCLUSIVE)] * 2
    graded = {entry.name: report(Status.INCONCLUSIVE)}
    selftest.retry_undecided([entry], {entry.name: (None, ["pool_map"])}, graded, lambda *a: None, None, retries=2)
    assert len(calls) == 2
    v = selftest.judge(entry, graded[entry.name])
    assert v["ok"] and v["undecided"]


def test_shards_cover_every_mutant_and_each_covers_every_check():
    todo = selftest.entries()
    mutants = [e for e in todo if e.kind == "mutant"]
    checks = {(m.exercises[0], c) for m in mutants for c in m.expect_fail}
    parts = [selftest.shard(todo, k, 4) for k in range(1, 5)]
    assert {e.name for p in parts for e in p if e.kind == "mutant"} == {m.name for m in mutants}
    for p in parts:
        assert {(m.exercises[0], c) for m in p if m.kind == "mutant" for c in m.expect_fail} == checks
        assert [e.name for e in p if e.kind != "mutant"] == [e.name for e in todo if e.kind != "mutant"]
        assert len(p) < len(todo)
