# mutant: the exception is not captured: it escapes run() and threading.excepthook prints it
# expect-fail: correct.error
def _run(self):
    self.result = self.func(*self.args, **self.kwargs)


TaskThread.run = _run
