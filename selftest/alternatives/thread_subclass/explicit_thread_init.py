# alternative: threading.Thread.__init__(self, name=name), try/except/else in run, kwargs or {}
import threading


class TaskThread(threading.Thread):
    def __init__(self, func, args=(), kwargs=None, *, name=None):
        threading.Thread.__init__(self, name=name)
        self.func, self.args, self.kwargs = func, args, kwargs or {}
        self.result = self.error = None

    def run(self):
        try:
            value = self.func(*self.args, **self.kwargs)
        except Exception as exc:
            self.error = exc
        else:
            self.result = value
