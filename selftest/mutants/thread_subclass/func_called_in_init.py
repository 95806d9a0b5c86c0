# mutant: func is called in __init__ (in the caller's thread); run() has nothing left to do
# expect-fail: correct.result correct.lazy_start parallel.overlap
import threading


class TaskThread(threading.Thread):
    def __init__(self, func, args=(), kwargs=None, *, name=None):
        super().__init__(name=name)
        self.result = None
        self.error = None
        try:
            self.result = func(*args, **(kwargs or {}))
        except Exception as exc:
            self.error = exc

    def run(self):
        pass
