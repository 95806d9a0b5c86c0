# mutant: start() overridden to call run() directly (and join() made a no-op so it does not complain)
# expect-fail: correct.result correct.thread_api parallel.overlap
def _start(self):
    self.run()


def _join(self, timeout=None):
    pass


TaskThread.start = _start
TaskThread.join = _join
