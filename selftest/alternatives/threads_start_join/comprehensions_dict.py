# alternative: list comprehensions, results in a dict keyed by index, errors checked in order
import threading


def run_in_threads(func, args_list):
    outcome = {}

    def worker(i, args):
        try:
            outcome[i] = (True, func(*args))
        except Exception as exc:
            outcome[i] = (False, exc)

    threads = [threading.Thread(target=worker, args=(i, args)) for i, args in enumerate(args_list)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for i in range(len(args_list)):
        ok, value = outcome[i]
        if not ok:
            raise value
    return [outcome[i][1] for i in range(len(args_list))]
