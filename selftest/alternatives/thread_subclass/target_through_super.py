# alternative: hand func/args/kwargs to Thread.__init__ as target and wrap Thread.run()
import threading


class TaskThread(threading.Thread):
    def __init__(self, func, args=(), kwargs=None, *, name=None):
        super().__init__(target=func, args=args, kwargs=kwargs, name=name)
        self.result = None
        self.error = None

    def run(self):
        try:
            if self._target is not None:
                self.result = self._target(*self._args, **self._kwargs)
        except Exception as exc:
            self.error = exc
        finally:
            del self._target, self._args, self._kwargs
