# alternative: a small Thread subclass per call keeps its own result; plain loops
import threading


class _Call(threading.Thread):
    def __init__(self, func, args):
        threading.Thread.__init__(self)
        self.func, self.call_args = func, args
        self.value = self.error = None

    def run(self):
        try:
            self.value = self.func(*self.call_args)
        except Exception as exc:
            self.error = exc


def run_in_threads(func, args_list):
    threads = []
    for args in args_list:
        t = _Call(func, args)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    for t in threads:
        if t.error is not None:
            raise t.error
    return [t.value for t in threads]
