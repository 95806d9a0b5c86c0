"""Judge side of the speedup checks: rounds the judge drives and times, decided with a stated confidence.

Everything the verdict rests on is measured here, outside the learner's process:

- two sandboxes run side by side: a clean one (``kit.sandbox.cpuwork.reference_rounds``),
  into which no learner code is ever imported, runs the tasks serially and through the
  grader's own ``Pool``; the learner's one runs them through the learner's code. An
  at-fork hook or a patched ``multiprocessing`` in the submission never touches the
  reference;
- the judge starts each timed run by sending its tasks and stops the clock when the
  answer arrives (its own clock, never a mark sent from a sandbox);
- every round has fresh tasks (``x`` squared ``t`` times modulo ``n = p q``); the judge,
  who alone knows ``p`` and ``q``, checks every result the learner returns through the
  trapdoor ``x ** (2 ** t mod phi(n)) mod n``: results cached from another round, made
  up, or sent before the work was done are wrong results, never a speedup;
- the learner's sandbox is frozen (SIGSTOP, every process of it) except while its own
  round runs, so nothing of it can load the machine while the reference is timed;
- its CPU time in a round is read from /proc for its whole process tree, each process's
  own time plus what it reaped (a child reaped in this round was already counted while
  it lived), and the processes that worked are counted by sampling /proc meanwhile.

The rule (contract, "Speedup checks"). Each round is judged against its own reference:
the learner needs ``need = max(SHARE * ref, 1 + MARGIN * (ref - 1))`` times serial, where
``ref`` is the reference's speedup in that round. Rounds where the reference itself is
below ``MIN_REF`` say "this machine can't show parallelism now" and don't count. Rounds
are added until a one-sided sign test is clear:

- **passed** when the learner met ``need`` in so many rounds that chance would give that
  with probability at most ``ALPHA_PASS`` (1 in 16), and its median achieved concurrency is
  at least ``MIN_CONCURRENCY`` (serial and GIL-bound code stays near 1.0 however the
  rounds fall, so a pass cannot come from noise alone);
- **failed** when it missed ``need`` in so many rounds that chance would give that with
  probability at most ``ALPHA_FAIL`` (99 % confidence): code that cannot be told apart from
  the reference is never failed;
- **inconclusive** when the time budget (``BUDGET`` seconds of measuring) runs out first,
  or the machine shows no parallelism (fewer than 2 CPUs, or the reference below
  ``MIN_REF`` in most rounds): shown with the figures, left out of the total.

Every figure is reported as the median of the rounds with a distribution-free interval
(order statistics, about 90 %). ``decide`` is pure: the rule is unit-tested with numbers
(``kit_tests/test_speedup.py``).
"""
import math
import random
import statistics
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from kit.core.i18n import _
from kit.sandbox import cpuwork
from .verdict import Shown, called

KINDS = ("serial", "reference", "learner")
MIN_REF = 1.2          # a round whose reference is below this shows no parallelism worth judging
SHARE = 0.75           # the learner needs this share of the reference's speedup
MARGIN = 0.4           # ...and at least this share of the reference's gain over 1x
ALPHA_PASS = 1 / 16    # a pass: chance alone would do as well at most 1 time in 16 (4 of 4 rounds, 6 of 7)
ALPHA_FAIL = 0.01      # a fail: at most 1 time in 100 (7 of 7 rounds missed, 10 of 11)
MIN_CONCURRENCY = 1.2  # median CPU time / wall time of the learner's rounds needed to pass
FIRST_ROUNDS = 5       # rounds measured before the first look at the verdict; then MORE_ROUNDS at a time
MORE_ROUNDS = 3
BUDGET = 8.0           # seconds of measuring per check before the verdict is "inconclusive"
TASKS_PER_CPU = 2      # tasks per round: enough that a pool of one process per CPU has work for each
MODULUS_BITS = 1024    # n = p q: pure-Python squaring at this size is arithmetic-bound (pow gains ~3 %)
ROUND_LIMIT = 30.0     # seconds one timed run may take before it counts as a hang
SAMPLE = 0.05          # seconds between looks at the learner's processes during its round
SETTLE = 0.02          # after SIGCONT, the learner's sandbox is given this long before its round is timed:
                       # measured on 2 shared cores (30 rounds each way), timing at once cost the learner
                       # about 20 % of its speedup against the reference; 20 ms gave it back (0.95-1.0)


@dataclass
class Verdict:
    status: str                 # "passed" | "failed" | "inconclusive" | "undecided"
    message: str
    figures: Dict[str, object] = field(default_factory=dict)


@dataclass
class Round:
    serial: float
    reference: float
    learner: float
    cpu: Optional[float] = None     # CPU seconds of the learner's run (process tree), if known

    @property
    def ref_speed(self) -> float:
        return self.serial / self.reference

    @property
    def speed(self) -> float:
        return self.serial / self.learner

    @property
    def need(self) -> float:
        return threshold(self.ref_speed)

    @property
    def concurrency(self) -> Optional[float]:
        return None if self.cpu is None else self.cpu / self.learner


def threshold(ref: float) -> float:
    """The learner's speedup needed to pass, given the reference's."""
    return max(SHARE * ref, 1 + MARGIN * (ref - 1))


def tail(k: int, n: int) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2): how often chance alone gives k of n rounds one way."""
    return sum(math.comb(n, i) for i in range(k, n + 1)) / 2 ** n if n else 1.0


def interval(values: List[float]) -> Tuple[float, float, float]:
    """Median and a distribution-free interval of it (order statistics, at least 90 %)."""
    v = sorted(values)
    n = len(v)
    j = 0
    while j + 1 < n and sum(math.comb(n, i) for i in range(j + 1)) / 2 ** n <= 0.05:
        j += 1
    return statistics.median(v), v[max(0, j - 1)] if j else v[0], v[n - j] if j else v[-1]


def _fig(values) -> str:
    m, lo, hi = interval(values)
    return f"{m:.2f} ({lo:.2f}–{hi:.2f})"


def figures(rounds: List[Round], cpus: int) -> Dict[str, object]:
    f = {"cpus_available": cpus, "rounds": len(rounds)}
    if rounds:
        f.update(speedup_learner=_fig([r.speed for r in rounds]),
                 speedup_reference=_fig([r.ref_speed for r in rounds]),
                 needed=_fig([r.need for r in rounds]),
                 serial_s=round(statistics.median(r.serial for r in rounds), 3))
        conc = [r.concurrency for r in rounds if r.concurrency is not None]
        if conc:
            f["concurrency_learner"] = _fig(conc)
    return f


def decide(rounds: List[Round], cpus: int, *, what: str, final: bool = True, hint: str = "") -> Verdict:
    """The verdict for the rounds so far; ``final=False`` may answer "undecided" (measure more)."""
    fig = figures(rounds, cpus)
    if cpus < 2:
        return Verdict("inconclusive", _("Only {cpus} CPU is available to the grader (os.sched_getaffinity): this "
                                         "machine cannot show a parallel speedup, so this check is left out of the "
                                         "total.", cpus=cpus), fig)
    if not rounds:
        return Verdict("inconclusive", _("No complete timed round: nothing to compare."), fig)
    valid = [r for r in rounds if r.ref_speed >= MIN_REF]
    fig["rounds_counted"] = len(valid)
    said = _("{what}: {speedup}x faster than serial (median of {rounds} rounds, with its interval; serial "
             "{serial} s); the grader's own Pool({cpus}) reached {reference}x on this machine in the same rounds",
             what=what, speedup=fig["speedup_learner"], rounds=len(rounds), serial=fig["serial_s"], cpus=cpus,
             reference=fig["speedup_reference"])
    if "concurrency_learner" in fig:
        said += _("; your run kept {concurrency} CPUs busy on average", concurrency=fig["concurrency_learner"])
    n = len(valid)
    met = sum(r.speed >= r.need for r in valid)
    conc = [r.concurrency for r in valid if r.concurrency is not None]
    busy = statistics.median(conc) if conc else None
    if n and tail(met, n) <= ALPHA_PASS and (busy is None or busy >= MIN_CONCURRENCY):
        fig["confidence"] = f"met the bar in {met} of {n} rounds (p={tail(met, n):.3f})"
        return Verdict("passed", _("{said}.", said=said), fig)
    if n and tail(n - met, n) <= ALPHA_FAIL:
        fig["confidence"] = f"missed the bar in {n - met} of {n} rounds (p={tail(n - met, n):.4f})"
        return Verdict("failed", _("{said}; needed {needed}x (three quarters of the reference, and clearly above "
                                   "1x), missed in {missed} of {n} rounds (99 % confidence).", said=said,
                                   needed=fig["needed"], missed=n - met, n=n) + (f" {_(hint)}" if hint else ""), fig)
    if not final:
        return Verdict("undecided", said, fig)
    if n < len(rounds) / 2:
        return Verdict("inconclusive", _("{said}. In {low} of {rounds} rounds the reference showed less than "
                                         "{min_ref}x: the machine is too busy to show parallelism, so this check is "
                                         "left out of the total.", said=said, low=len(rounds) - n, rounds=len(rounds),
                                         min_ref=MIN_REF), fig)
    return Verdict("inconclusive", _("{said}; needed {needed}x. Met in {met} of {n} rounds: not clear at the stated "
                                     "confidence within the time budget, so this check is left out of the total "
                                     "(never failed on a doubt).", said=said, needed=fig["needed"], met=met, n=n),
                   fig)


def likely_mistake(speedup: float, pids: int, in_caller: bool, cpus: int, code: str) -> str:
    """The likely mistake behind a slow run, from what the probe saw of the learner's run.

    ``pids``: distinct processes the tasks ran in; ``in_caller``: some task ran in the
    calling process; ``code``: "pool" (parallel_map) or "executor" (run_cpu_bound).
    """
    if in_caller:
        return _("The tasks ran in the calling process: threads (or a plain loop) can't run "
                 "pure-Python CPU-bound work in parallel, the GIL lets one thread run at a time. Use processes.")
    if pids <= 1:
        return _("All tasks ran in one worker process: Pool(1)? Give the pool one process per CPU "
                 "({cpus} here).", cpus=cpus)
    if speedup < 1.15:
        if code == "pool":
            return _("The tasks ran in {pids} processes but one at a time: apply() (which waits) instead of "
                     "apply_async(), or .get() right after each apply_async? Queue every task first, "
                     "then collect the results.", pids=pids)
        return _("The tasks ran in {pids} processes but one at a time: waiting for each result before "
                 "submitting the next? Submit every call first, then collect.", pids=pids)
    return _("Slower than the machine allows: too few workers, or work done outside the pool "
             "(a pool started per task?).")


# -- the trapdoor: tasks only the judge can check at once ----------------------------------
def _is_probable_prime(n: int, rng: random.Random, rounds: int = 40) -> bool:
    if n < 4:
        return n in (2, 3)
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _round in range(rounds):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _step in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


@lru_cache(maxsize=None)
def trapdoor(bits: int = MODULUS_BITS) -> Tuple[int, int, int]:
    """``(n, p, q)``: a fresh modulus for this judging process; ``p`` and ``q`` never leave it."""
    rng = random.SystemRandom()
    primes = []
    while len(primes) < 2:
        c = rng.getrandbits(bits // 2) | (1 << (bits // 2 - 1)) | 1
        if _is_probable_prime(c, rng):
            primes.append(c)
    p, q = primes
    return p * q, p, q


def answer(task) -> int:
    """``work(task)``, computed with the trapdoor (about a millisecond, whatever ``t`` is)."""
    x, t, n = task
    _, p, q = trapdoor()
    if n != p * q:
        raise ValueError("not a task of this judging process")
    # Chinese remainders: x^(2^t) modulo p and modulo q, then combined.
    xp = pow(x % p, pow(2, t, p - 1), p)
    xq = pow(x % q, pow(2, t, q - 1), q)
    return (xq + q * ((xp - xq) * pow(q, -1, p) % p)) % n


def tasks(rng: random.Random, count: int, size: int) -> list:
    n = trapdoor()[0]
    return [[rng.randrange(2, n - 1), size, n] for _ in range(count)]


def _values(got, with_pid: bool):
    """The task results in what a run returned (``[value, pid]`` items when ``with_pid``), or None."""
    if not isinstance(got, list):
        return None
    out = []
    for g in got:
        if with_pid:
            if not (isinstance(g, list) and len(g) == 2):
                return None
            g = g[0]
        if not isinstance(g, int) or isinstance(g, bool):
            return None
        out.append(g)
    return out


# -- the driver of a speedup check (judge side; used by hidden/*/checks.py) -------------
def run_check(check, probe, *, what: str, first_call: str, code: str) -> None:
    """Drive a speedup check until its verdict is clear or the budget is spent; report figures.

    ``probe`` is the learner side (``kit.sandbox.cpuwork.learner_rounds``); the reference side is
    ``kit.sandbox.cpuwork.reference_rounds`` in a clean sandbox. Fails through ``check`` (stub,
    wrong results, too slow), or raises Inconclusive.
    """
    rng = random.Random(check.rng.random())
    n = trapdoor()[0]
    first = tasks(rng, 2, 300)
    ref = check.session(cpuwork.reference_rounds, clean=True, n=n)
    mine = check.session(probe, first=first)
    try:
        ready = check.ask(ref, None, call=_("the grader's own reference runs"), timeout=20)
        got = check.ask(mine, None, call=first_call, timeout=15)
        out = got.get("first") or {}
        values = _values(check.returned(first_call, out), with_pid=True)
        expected = [answer(t) for t in first]
        if values is None or sorted(values) != sorted(expected):
            check.fail(called(first_call, returned=out.get("returned"),
                              expected=Shown(_("[[{first}, pid], [{second}, pid]] (each task returns [result, "
                                               "pid])", first=expected[0], second=expected[1]))))
        cpus = ready["cpus"]
        if cpus < 2:
            check.figure("cpus_available", cpus)
            check.inconclusive(decide([], cpus, what=what).message)
        _measure(check, ref, mine, rng, cpus, ready["size"], what, code)
    finally:
        mine.thaw()  # a frozen sandbox cannot be asked for its stacks
        for s in (ref, mine):
            s.command({"op": "end"})  # the probe returns, the sandbox leaves: no exit grace to wait out
        check.end(ref)
        check.end(mine)
        check.settle()  # raised here, a tamper finding is the verdict, whatever else went wrong


def _measure(check, ref, mine, rng, cpus, size, what, code) -> None:
    rounds: List[Round] = []
    workers, in_caller = 0, False
    started = time.monotonic()
    mine.freeze()
    call = _("{what} (timed round)", what=what)
    order = ["serial", "reference", "learner"]
    while True:
        for _round in range(FIRST_ROUNDS if not rounds else MORE_ROUNDS):
            r = len(rounds)
            times, cpu = {}, None
            for kind in order[r % 3:] + order[:r % 3]:
                todo = tasks(rng, TASKS_PER_CPU * cpus, size)
                if kind != "learner":
                    times[kind], event = ref.request({"op": kind, "tasks": todo}, ROUND_LIMIT)
                    check.answer_of(ref, event, call=_("the grader's own reference runs"))
                    continue
                mine.thaw()
                time.sleep(SETTLE)
                before, seen = mine.own_ticks(), {}
                cpu0 = mine.cpu_seconds()
                times[kind], event = mine.request({"op": "round", "tasks": todo}, ROUND_LIMIT,
                                                  sample=lambda seen=seen: _sample(mine, seen), every=SAMPLE)
                cpu = mine.cpu_seconds() - cpu0
                _sample(mine, seen)
                mine.freeze()
                out = (check.answer_of(mine, event, call=call).get("out") or {})
                got = _values(check.returned(call, out), with_pid=True)
                if got is None or sorted(got) != sorted(answer(t) for t in todo):
                    check.fail(called(call, _("Returned {got}, expected the {n} tasks' [result, pid] (the grader "
                                              "checks every result; each round has new tasks).",
                                              got=repr(out.get("returned"))[:300], n=len(todo))))
                # Who did the work, from /proc: the processes that ran half a task's CPU time or
                # more; the caller itself when it did more than all of them together.
                root = mine.root()
                used = {pid: t - before.get(pid, 0) for pid, t in seen.items()}
                enough = 0.5 * cpuwork.TASK_SECONDS * mine.ticks
                busy = {pid for pid, t in used.items() if t >= enough and pid != root}
                workers = max(workers, len(busy))
                in_caller = in_caller or used.get(root, 0) > sum(t for pid, t in used.items() if pid != root)
            rounds.append(Round(times["serial"], times["reference"], times["learner"], cpu))
        final = time.monotonic() - started >= BUDGET
        v = decide(rounds, cpus, what=what, final=final)
        if v.status != "undecided":
            break
    for k, val in v.figures.items():
        check.figure(k, val)
    check.figure("measuring_s", round(time.monotonic() - started, 2))
    check.figure("worker_processes", workers)
    if v.status == "passed":
        return
    if v.status == "inconclusive":
        check.inconclusive(v.message)
    speed = statistics.median(x.speed for x in rounds)
    check.fail(v.message + " " + likely_mistake(speed, workers, in_caller, cpus, code))


def _sample(session, seen: Dict[int, int]) -> None:
    """Each process's own CPU ticks as last seen (a worker reaped later is still counted)."""
    for pid, ticks in session.own_ticks().items():
        seen[pid] = max(seen.get(pid, 0), ticks)
