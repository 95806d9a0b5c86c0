"""The speedup rule, with numbers: each round against its own reference, decided by a sign
test at a stated confidence, inconclusive rather than wrong."""
import json

import pytest

from kit.engine import speedup
from kit.engine.speedup import Round


def rounds(serial, reference, learner, n=5, cpu=None, wobble=0.0):
    """n rounds; ``wobble`` alternates the learner's time up and down (noise both ways)."""
    out = []
    for i in range(n):
        lt = learner * (1 + wobble * (1 if i % 2 else -1))
        out.append(Round(serial, reference, lt, None if cpu is None else cpu * lt))
    return out


def test_the_judge_checks_any_result_through_the_trapdoor():
    import random
    from kit.sandbox.cpuwork import work
    todo = speedup.tasks(random.Random(3), 3, 200)
    assert [speedup.answer(t) for t in todo] == [work(t) for t in todo]
    # Fresh tasks every round: nothing of another round's results is of any use.
    again = speedup.tasks(random.Random(4), 3, 200)
    assert not {speedup.answer(t) for t in todo} & {speedup.answer(t) for t in again}


def test_a_result_that_is_not_a_task_result_is_refused():
    assert speedup._values([[5, 101], [7, 102]], with_pid=True) == [5, 7]
    for bad in ([[5, 101], [7]], [[True, 1]], "7", [[5.0, 1]], None):
        assert speedup._values(bad, with_pid=True) is None, bad


def test_a_round_s_concurrency_is_cpu_over_wall_time():
    r = Round(0.4, 0.2, 0.3, 0.54)
    assert round(r.ref_speed, 2) == 2.0 and round(r.speed, 2) == 1.33 and round(r.concurrency, 2) == 1.8


def test_one_cpu_is_inconclusive_not_a_failure():
    v = speedup.decide(rounds(0.4, 0.4, 0.4), cpus=1, what="parallel_map(...)")
    assert v.status == "inconclusive"


def test_reference_without_parallelism_is_inconclusive_with_figures():
    v = speedup.decide(rounds(0.40, 0.38, 0.41, n=9), cpus=2, what="parallel_map(...)")
    assert v.status == "inconclusive" and "too busy" in v.message
    assert v.figures["speedup_reference"].startswith("1.05")


def test_a_real_pool_passes_at_95_percent_after_five_rounds():
    v = speedup.decide(rounds(0.40, 0.215, 0.23, cpu=1.8), cpus=2, what="parallel_map(...)", final=False)
    assert v.status == "passed", v.message
    assert "(" in v.figures["speedup_learner"] and "p=" in v.figures["confidence"]


def test_serial_code_needs_99_percent_to_fail_and_gets_it():
    five = speedup.decide(rounds(0.40, 0.215, 0.40, cpu=1.0), cpus=2, what="run_cpu_bound(...)", final=False)
    assert five.status == "undecided", "5 rounds are not enough for 99 %: measure more"
    nine = speedup.decide(rounds(0.40, 0.215, 0.40, n=9, cpu=1.0), cpus=2, what="run_cpu_bound(...)", final=False)
    assert nine.status == "failed" and "needed" in nine.message


def test_a_lucky_timing_without_concurrency_never_passes():
    # GIL-bound threads that happened to look fast: the kernel's CPU count says 1 CPU busy.
    v = speedup.decide(rounds(0.40, 0.215, 0.23, n=9, cpu=1.0), cpus=2, what="x", final=True)
    assert v.status == "inconclusive"


def test_loaded_machine_lowers_the_bar_with_the_reference():
    # two busy hogs: the reference shows 1.35x; a real pool at 1.3x passes, serial code fails
    assert speedup.decide(rounds(0.40, 0.296, 0.308, cpu=1.3), cpus=2, what="x").status == "passed"
    assert speedup.decide(rounds(0.40, 0.296, 0.40, n=9, cpu=1.0), cpus=2, what="x").status == "failed"


def test_code_that_cannot_be_told_apart_is_never_failed():
    need = speedup.threshold(0.40 / 0.215)
    v = speedup.decide(rounds(0.40, 0.215, 0.40 / need, n=12, cpu=1.7, wobble=0.03), cpus=2, what="x", final=True)
    assert v.status == "inconclusive" and "never failed on a doubt" in v.message


def test_threshold_is_three_quarters_and_clearly_above_one():
    assert speedup.threshold(1.9) == 0.75 * 1.9
    assert speedup.threshold(1.3) > 1.1


def test_sign_test_tails():
    assert speedup.tail(5, 5) == 1 / 32
    assert speedup.tail(0, 7) == 1.0
    assert speedup.tail(7, 7) < speedup.ALPHA_FAIL < speedup.tail(6, 6)
    # A pass at 4 of 4 rounds (or 6 of 7), never at 5 of 6: one noisy round means more rounds.
    assert speedup.tail(4, 4) <= speedup.ALPHA_PASS < speedup.tail(5, 6)
    assert speedup.tail(6, 7) <= speedup.ALPHA_PASS


# -- the flip benchmark, short (the README records the long runs) --------------------------
@pytest.mark.once  # it measures the machine, not the interpreter
def test_flip_benchmark_short(run_kit, tmp_path):
    rounds_n = 2
    out = tmp_path / "flips.json"
    p = run_kit("bench", "--flips", rounds_n, "--json", out, timeout=900)
    assert out.is_file(), p.stdout[-3000:] + p.stderr[-3000:]
    s = json.loads(out.read_text())
    assert p.returncode == 0 and not s["wrong"], p.stdout[-6000:]
    graded = {}
    for key, n in s["verdicts"].items():
        check, status = key.rsplit(" ", 1)
        graded[check] = graded.get(check, 0) + n
    # Each entry's speedup check got a verdict every round: the reference and the three mutants.
    assert len(graded) == 5 and set(graded.values()) == {rounds_n}, graded
    # Serial and threads-for-CPU code never passes; correct code never fails.
    for key, n in s["verdicts"].items():
        if "apply" in key or "threads_for_cpu" in key:
            assert not key.endswith(" passed"), key
        else:
            assert not key.endswith(" failed"), key
