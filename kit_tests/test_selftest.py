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
    p = run_kit("selftest", "--out", tmp_path, *extra, timeout=3000)
    summary = json.loads((tmp_path / "selftest.json").read_text())["summary"]
    assert p.returncode == 0 and summary["wrong_verdicts"] == 0, p.stdout[-6000:] + p.stderr[-3000:]
    assert summary["mutants_caught"] == summary["mutants"]
    assert summary["alternatives_full_marks"] == summary["alternatives"]
    assert summary["attacks_unrewarded"] == summary["attacks"]
    assert not summary["left_running"]
    if one:
        assert not summary["agreement"]["unexplained"], summary["agreement"]
