"""Hidden checks for thread_subclass (docs/contract.md, section 2)."""
from kit.engine.verdict import called

from . import probes

STEP = {"construct": "t = TaskThread(...)", "start": "t.start()", "join": "t.join()", "done": "t.join()"}


def _ran(check, what, run):
    """Fail unless constructing, starting and joining the TaskThread all worked."""
    step = STEP.get(run["step"], run["step"])
    check.returned(f"{what}: {step}", run["outcome"])


def _attr_text(a):
    return a.get("repr") if "repr" in a else f"<{a.get('missing')}>"


def test_correct_result(check):
    args = [check.rng.randint(-50, 50) for _ in range(check.rng.randint(1, 4))]
    kwargs = {k: check.rng.randint(0, 9) for k in check.rng.sample("abcdefgh", check.rng.randint(1, 3))}
    what = f"TaskThread(f, args={tuple(args)}, kwargs={kwargs}), then start() and join()"
    obs = check.run(probes.result, args=args, kwargs=kwargs, call=what)
    _ran(check, what, obs["run"])
    expected = {"sum": sum(args), "kw": [list(kv) for kv in sorted(kwargs.items())]}
    calls = obs["calls"]
    check.expect(len(calls) == 1, called(what, f"func was called {len(calls)} times, expected once."))
    c = calls[0]
    check.expect(c["args"] == args and c["kwargs"] == kwargs,
                 called(what, f"func was called with args {tuple(c['args'])} and kwargs {c['kwargs']}, "
                        f"expected func(*{tuple(args)}, **{kwargs})."))
    check.expect(not obs["hook"],
                 called(what, f"run() raised {obs['hook'][0]['type'] if obs['hook'] else ''}: "
                        f"{obs['hook'][0]['message'] if obs['hook'] else ''} (printed by threading.excepthook)."))
    got = obs.get("value")
    check.expect(got == expected,
                 called(f"{what}, where f returns {{'sum': sum(args), 'kw': ...}}",
                        f"After join(), t.result is {_attr_text(obs['result'])}, expected the value f returned.",
                        hint="Store func's return value in self.result in run()."))
    check.expect(obs["error"].get("none") is True,
                 called(what, f"f returned normally, but t.error is {_attr_text(obs['error'])}, expected None."))
    if c["ident"] == obs["run"]["caller"]:
        check.fail(called(what, "func ran in the thread that created and started t, not in the new "
                          "thread: do not call func (or run()) in __init__ or start(); Thread.start() calls run() "
                          "in the new thread."))
    check.expect(c["ident"] == obs["ident"],
                 called(what, "func ran in a thread other than t itself: call it from run()."))


def test_correct_error(check):
    message = f"task {check.rng.randint(100, 999)} failed"
    what = f"TaskThread(f), then start() and join(), where f raises ValueError({message!r})"
    obs = check.run(probes.error, message=message, call=what)
    _ran(check, what, obs["run"])
    check.expect(obs["called"] == 1, called(what, f"f was called {obs['called']} times, expected once."))
    if obs["hook"]:
        check.fail(called(what, f"The exception escaped run() and threading.excepthook printed it, "
                          f"so t.error is {_attr_text(obs['error'])}.",
                          hint="Catch Exception in run() and keep it in self.error."))
    check.expect(obs["same_error"],
                 called(what, f"After join(), t.error is {_attr_text(obs['error'])}, expected the "
                        "exception object f raised."))
    check.expect(obs["result"].get("none") is True,
                 called(what, f"f raised, but t.result is {_attr_text(obs['result'])}, expected None."))
    check.expect(message not in obs["stderr"],
                 called(what, f"The exception was stored but also printed:\n  {obs['stderr'].strip()[-300:]}\n"
                        "Capture it quietly: the caller decides what to do with t.error."))


def test_correct_lazy_start(check):
    value = check.rng.randint(1, 10 ** 6)
    what = f"t = TaskThread(f, ({value},))"
    obs = check.run(probes.lazy_start, value=value, call=what)
    check.returned(what, obs["construct"])
    check.expect(obs["calls_after_construct"] == 0,
                 called(what, f"func was called {obs['calls_after_construct']} time(s) before t.start(): "
                        "__init__ runs in the caller and must only store func, args and kwargs; run() does the work."))
    check.returned(f"{what}; t.start(); t.join()", obs["run"])
    check.expect(obs["calls_after_join"] == 1,
                 called(f"{what}; t.start(); t.join()",
                        f"func was called {obs['calls_after_join']} times in all, expected once."))


def test_correct_name(check):
    given = f"worker-{check.rng.randint(100, 999)}"
    args = [check.rng.randint(0, 9) for _ in range(check.rng.randint(1, 3))]
    what = f"TaskThread(f, {tuple(args)}, name={given!r})"
    obs = check.run(probes.name, given=given, args=args, call=what)
    _ran(check, what, obs["named"]["run"])
    what2 = f"TaskThread(f, {tuple(args)}, kwargs=None)"
    _ran(check, what2, obs["unnamed"]["run"])
    for seen in obs["seen"]:
        check.expect(seen["kwargs"] == {} and seen["args"] == args,
                     called(f"{what} (no kwargs) and {what2}",
                            f"func was called with args {tuple(seen['args'])} and kwargs {seen['kwargs']}, "
                            f"expected f(*{tuple(args)}) and no keyword arguments: kwargs=None means none."))
    named = obs["named"]
    check.expect(named.get("name") == given,
                 called(what, f"t.name is {named.get('name', named.get('name_error'))!r}, expected {given!r}: "
                        "pass name on to Thread.__init__(name=name)."))
    unnamed = obs["unnamed"]
    check.expect(isinstance(unnamed.get("name"), str) and unnamed["name"],
                 called(what2, f"t.name is {unnamed.get('name', unnamed.get('name_error'))!r}, expected "
                        "Thread's default name (\"Thread-N\") when no name is given."))


def test_correct_thread_api(check):
    obs = check.run(probes.thread_api, call="TaskThread(int, ('7',))")
    check.expect(obs["is_class"], "thread_subclass.TaskThread is not a class.")
    check.expect(obs["is_thread"], "TaskThread is not a subclass of threading.Thread.")
    check.returned("TaskThread(int, ('7',))", obs["construct"])
    for o in obs["overrides"]:
        where = check.where([o["where"]]) if o["where"]["file"] else ""
        check.fail(f"{o['cls']} overrides {o['method']}()" + (f" at {where}" if where else "")
                   + f". Use Thread's own {o['method']}(): start() creates the new thread and calls run() "
                   "in it; join() waits for it. Only __init__ and run belong in the subclass.")


def test_safe_per_instance(check):
    n = check.rng.randint(3, 4)
    values = check.rng.sample(range(1000, 10000), n)
    what = f"{n} TaskThreads started together, thread i returning {values}"
    obs = check.run(probes.per_instance, values=values, call=what)
    check.returned(what, obs["run"])
    wrong = [i for i, ok in enumerate(obs["ok"]) if not ok]
    check.expect(not wrong,
                 called(f"{what}, then joined them",
                        f"Their .result values are [{', '.join(obs['results'])}], expected {values}: the threads "
                        "share one result.",
                        hint="Set self.result and self.error on the instance (in __init__ and run()), not on the "
                             "class or in a global."))
    check.expect(all(obs["errors_none"]),
                 called(what, "None of them raised, but some have .error set: keep .error per instance."))


def test_parallel_overlap(check):
    what = "two TaskThreads started one after the other, where each call waits until both are running"
    obs = check.run(probes.overlap, call=what)
    check.returned(what, obs["run"])  # what they returned is correct.*'s business; here, only overlap
    check.expect(obs["peak"] == 2,
                 called(what, f"At most {obs['peak']} of the 2 calls ran at once (each waited {probes.WAIT:g} s for "
                        "the other in vain), so they never ran at the same time.",
                        hint="start() must return at once and leave the work to the new thread (do not call "
                             "func in __init__ or run() in start())."))
