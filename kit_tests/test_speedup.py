"""The speedup rule, with numbers: calibrated against the reference, never a bare threshold."""
from kit import speedup


def times(serial, reference, learner, rounds=4, noise=0.0):
    # noise only ever adds time; the minimum per kind is what counts
    return {"serial": [serial + noise * i for i in range(rounds)],
            "reference": [reference + noise * i for i in range(rounds)],
            "learner": [learner + noise * (rounds - i) for i in range(rounds)]}


def test_marks_become_spans_on_the_judges_clock():
    marks = [("serial:0:start", 1.0), ("serial:0:end", 1.4), ("reference:0:start", 1.4),
             ("reference:0:end", 1.6), ("learner:0:start", 1.6), ("learner:0:end", 1.9),
             ("unrelated", 5.0)]
    got = speedup.spans(marks)
    assert [round(x, 3) for x in got["serial"]] == [0.4]
    assert [round(x, 3) for x in got["learner"]] == [0.3]


def test_one_cpu_is_inconclusive_not_a_failure():
    v = speedup.decide(times(0.4, 0.4, 0.4), cpus=1, what="parallel_map(...)")
    assert v.status == "inconclusive"


def test_reference_without_parallelism_is_inconclusive_with_figures():
    v = speedup.decide(times(0.40, 0.38, 0.41), cpus=2, what="parallel_map(...)")
    assert v.status == "inconclusive"
    assert v.figures["speedup_reference"] == 1.05 and "1.05x" in v.message


def test_pool_near_the_reference_passes_and_threads_fail():
    ok = speedup.decide(times(0.40, 0.215, 0.23), cpus=2, what="parallel_map(...)")
    assert ok.status == "passed", ok.message
    threads = speedup.decide(times(0.40, 0.215, 0.39), cpus=2, what="run_cpu_bound(...)")
    assert threads.status == "failed" and "needed" in threads.message


def test_loaded_machine_lowers_the_bar_with_the_reference():
    # 2 busy hogs: the reference shows 1.35x; a real pool at 1.3x passes, GIL threads at 1.0x fail
    assert speedup.decide(times(0.40, 0.296, 0.308), cpus=2, what="x").status == "passed"
    assert speedup.decide(times(0.40, 0.296, 0.40), cpus=2, what="x").status == "failed"


def test_threshold_is_three_quarters_and_clearly_above_one():
    assert speedup.threshold(1.9) == 0.75 * 1.9
    assert speedup.threshold(1.3) > 1.1


def test_close_calls_are_measured_again_before_the_verdict():
    need = speedup.threshold(0.40 / 0.215)
    learner = 0.40 / (need * 1.01)
    v = speedup.decide(times(0.40, 0.215, learner), cpus=2, what="x", final=False)
    assert v.status == "grey"
