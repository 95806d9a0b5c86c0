"""Issue 10, kept: every rubric check is lost by at least one mutant, and every mutant names
only real checks. Static and fast: it reads the headers (as ``kit.dev.selftest`` does) and
grades nothing; whether a mutant really loses what it declares is ``test_selftest``'s job."""
from pathlib import Path

from kit.core import meta
from kit.dev.selftest import _header

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "selftest" / "mutants"


def declared():
    """{mutant path relative to ROOT: (exercise, the check ids of its `# expect-fail:` line)}."""
    out = {}
    for path in sorted(MUTANTS.glob("*/*.py")):
        line = _header(path.read_text(encoding="utf-8"), "expect-fail") or ""
        out[path.relative_to(ROOT).as_posix()] = (path.parent.name, set(line.split()))
    return out


def test_every_rubric_check_is_lost_by_some_mutant():
    named = {}
    for exercise, ids in declared().values():
        named.setdefault(exercise, set()).update(ids)
    uncovered = [c.key for ex in meta.load() for c in ex.checks if c.id not in named.get(ex.name, set())]
    assert not uncovered, (
        f"{len(uncovered)} rubric check(s) named by no mutant's '# expect-fail:' line, so only the stubs "
        f"prove the suite can fail them: {', '.join(uncovered)}. Add a mutant in "
        "selftest/mutants/EXERCISE/ that loses each (CONTRIBUTING.md, 'Writing a check', step 5).")


def test_every_mutant_names_known_checks():
    known = {ex.name: {c.id for c in ex.checks} for ex in meta.load()}
    bad = []
    for path, (exercise, ids) in declared().items():
        if exercise not in known:
            bad.append(f"{path}: {exercise} is not an exercise of exercises.toml")
        elif not ids:
            bad.append(f"{path}: no '# expect-fail: CHECK ...' line")
        elif ids - known[exercise]:
            bad.append(f"{path}: unknown check(s) {' '.join(sorted(ids - known[exercise]))} "
                       f"(the checks of {exercise}: {' '.join(sorted(known[exercise]))})")
    assert not bad, "mutants whose '# expect-fail:' line is wrong:\n  " + "\n  ".join(bad)
