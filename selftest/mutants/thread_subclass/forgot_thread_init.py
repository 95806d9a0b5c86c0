# mutant: forgot to call Thread.__init__ (start() then fails: "thread.__init__() not called")
# expect-fail: correct.result correct.error correct.lazy_start correct.name safe.per_instance parallel.overlap
import threading


class TaskThread(threading.Thread):
    def __init__(self, func, args=(), kwargs=None, *, name=None):
        self.func = func
        self.args = tuple(args)
        self.kwargs = dict(kwargs) if kwargs is not None else {}
        self.result = None
        self.error = None

    def run(self):
        try:
            self.result = self.func(*self.args, **self.kwargs)
        except Exception as exc:
            self.error = exc
