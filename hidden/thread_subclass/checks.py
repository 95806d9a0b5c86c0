"""Hidden checks for thread_subclass (docs/contract.md, section 2)."""
from kit.core.i18n import _
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
    what = _("TaskThread(f, args={args}, kwargs={kwargs}), then start() and join()", args=tuple(args), kwargs=kwargs)
    obs = check.run(probes.result, args=args, kwargs=kwargs, call=what)
    _ran(check, what, obs["run"])
    expected = {"sum": sum(args), "kw": [list(kv) for kv in sorted(kwargs.items())]}
    calls = obs["calls"]
    check.expect(len(calls) == 1, called(what, _("func was called {n} times, expected once.", n=len(calls))))
    c = calls[0]
    check.expect(c["args"] == args and c["kwargs"] == kwargs,
                 called(what, _("func was called with args {got_args} and kwargs {got_kwargs}, expected "
                                "func(*{args}, **{kwargs}).", got_args=tuple(c["args"]), got_kwargs=c["kwargs"],
                                args=tuple(args), kwargs=kwargs)))
    hook = obs["hook"][0] if obs["hook"] else {"type": "", "message": ""}
    check.expect(not obs["hook"],
                 called(what, _("run() raised {type}: {message} (printed by threading.excepthook).",
                                type=hook["type"], message=hook["message"])))
    got = obs.get("value")
    check.expect(got == expected,
                 called(_("{what}, where f returns {value}", what=what, value="{'sum': sum(args), 'kw': ...}"),
                        _("After join(), t.result is {got}, expected the value f returned.",
                          got=_attr_text(obs["result"])),
                        hint="Store func's return value in self.result in run()."))
    check.expect(obs["error"].get("none") is True,
                 called(what, _("f returned normally, but t.error is {got}, expected None.",
                                got=_attr_text(obs["error"]))))
    if c["ident"] == obs["run"]["caller"]:
        check.fail(called(what, _("func ran in the thread that created and started t, not in the new "
                                  "thread: do not call func (or run()) in __init__ or start(); Thread.start() calls "
                                  "run() in the new thread.")))
    check.expect(c["ident"] == obs["ident"],
                 called(what, _("func ran in a thread other than t itself: call it from run().")))


def test_correct_error(check):
    message = f"task {check.rng.randint(100, 999)} failed"
    what = _("TaskThread(f), then start() and join(), where f raises ValueError({message})", message=repr(message))
    obs = check.run(probes.error, message=message, call=what)
    _ran(check, what, obs["run"])
    check.expect(obs["called"] == 1, called(what, _("f was called {n} times, expected once.", n=obs["called"])))
    if obs["hook"]:
        check.fail(called(what, _("The exception escaped run() and threading.excepthook printed it, so t.error is "
                                  "{got}.", got=_attr_text(obs["error"])),
                          hint="Catch Exception in run() and keep it in self.error."))
    check.expect(obs["same_error"],
                 called(what, _("After join(), t.error is {got}, expected the exception object f raised.",
                                got=_attr_text(obs["error"]))))
    check.expect(obs["result"].get("none") is True,
                 called(what, _("f raised, but t.result is {got}, expected None.", got=_attr_text(obs["result"]))))
    check.expect(message not in obs["stderr"],
                 called(what, _("The exception was stored but also printed:\n  {output}\nCapture it quietly: the "
                                "caller decides what to do with t.error.", output=obs["stderr"].strip()[-300:])))


def test_correct_lazy_start(check):
    value = check.rng.randint(1, 10 ** 6)
    what = f"t = TaskThread(f, ({value},))"
    obs = check.run(probes.lazy_start, value=value, call=what)
    check.returned(what, obs["construct"])
    check.expect(obs["calls_after_construct"] == 0,
                 called(what, _("func was called {n} time(s) before t.start(): __init__ runs in the caller and "
                                "must only store func, args and kwargs; run() does the work.",
                                n=obs["calls_after_construct"])))
    check.returned(f"{what}; t.start(); t.join()", obs["run"])
    check.expect(obs["calls_after_join"] == 1,
                 called(f"{what}; t.start(); t.join()",
                        _("func was called {n} times in all, expected once.", n=obs["calls_after_join"])))


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
                     called(_("{what} (no kwargs) and {what2}", what=what, what2=what2),
                            _("func was called with args {got_args} and kwargs {got_kwargs}, expected f(*{args}) "
                              "and no keyword arguments: kwargs=None means none.", got_args=tuple(seen["args"]),
                              got_kwargs=seen["kwargs"], args=tuple(args))))
    named = obs["named"]
    check.expect(named.get("name") == given,
                 called(what, _("t.name is {got}, expected {expected}: pass name on to Thread.__init__(name=name).",
                                got=repr(named.get("name", named.get("name_error"))), expected=repr(given))))
    unnamed = obs["unnamed"]
    check.expect(isinstance(unnamed.get("name"), str) and unnamed["name"],
                 called(what2, _("t.name is {got}, expected Thread's default name (\"Thread-N\") when no name is "
                                 "given.", got=repr(unnamed.get("name", unnamed.get("name_error"))))))


def test_correct_thread_api(check):
    obs = check.run(probes.thread_api, call="TaskThread(int, ('7',))")
    check.expect(obs["is_class"], _("thread_subclass.TaskThread is not a class."))
    check.expect(obs["is_thread"], _("TaskThread is not a subclass of threading.Thread."))
    check.returned("TaskThread(int, ('7',))", obs["construct"])
    for o in obs["overrides"]:
        where = check.where([o["where"]]) if o["where"]["file"] else ""
        if where:
            check.fail(_("{cls} overrides {method}() at {where}. Use Thread's own {method}(): start() creates the "
                         "new thread and calls run() in it; join() waits for it. Only __init__ and run belong in "
                         "the subclass.", cls=o["cls"], method=o["method"], where=where))
        check.fail(_("{cls} overrides {method}(). Use Thread's own {method}(): start() creates the new thread "
                     "and calls run() in it; join() waits for it. Only __init__ and run belong in the subclass.",
                     cls=o["cls"], method=o["method"]))


def test_safe_per_instance(check):
    n = check.rng.randint(3, 4)
    values = check.rng.sample(range(1000, 10000), n)
    what = _("{n} TaskThreads started together, thread i returning {values}", n=n, values=values)
    obs = check.run(probes.per_instance, values=values, call=what)
    check.returned(what, obs["run"])
    wrong = [i for i, ok in enumerate(obs["ok"]) if not ok]
    check.expect(not wrong,
                 called(_("{what}, then joined them", what=what),
                        _("Their .result values are [{results}], expected {values}: the threads share one result.",
                          results=", ".join(obs["results"]), values=values),
                        hint="Set self.result and self.error on the instance (in __init__ and run()), not on the "
                             "class or in a global."))
    check.expect(all(obs["errors_none"]),
                 called(what, _("None of them raised, but some have .error set: keep .error per instance.")))


def test_parallel_overlap(check):
    what = _("two TaskThreads started one after the other, where each call waits until both are running")
    obs = check.run(probes.overlap, call=what)
    check.returned(what, obs["run"])  # what they returned is correct.*'s business; here, only overlap
    check.expect(obs["peak"] == 2,
                 called(what, _("At most {peak} of the 2 calls ran at once (each waited {seconds} s for the other "
                                "in vain), so they never ran at the same time.", peak=obs["peak"],
                                seconds=f"{probes.WAIT:g}"),
                        hint="start() must return at once and leave the work to the new thread (do not call "
                             "func in __init__ or run() in start())."))
