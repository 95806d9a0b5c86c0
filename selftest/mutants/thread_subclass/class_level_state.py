# mutant: result and error are class attributes, written through the class: every instance shares them
# expect-fail: safe.per_instance
import threading


class TaskThread(threading.Thread):
    result = None
    error = None

    def __init__(self, func, args=(), kwargs=None, *, name=None):
        super().__init__(name=name)
        self.func = func
        self.args = tuple(args)
        self.kwargs = dict(kwargs) if kwargs is not None else {}

    def run(self):
        try:
            TaskThread.result = self.func(*self.args, **self.kwargs)
        except Exception as exc:
            TaskThread.error = exc
