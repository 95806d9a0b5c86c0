# mutant: each thread is joined right after it is started (the calls run one after another)
# expect-fail: parallel.overlap
import threading


def run_in_threads(func, args_list):
    results = [None] * len(args_list)
    errors = [None] * len(args_list)

    def call(index, args):
        try:
            results[index] = func(*args)
        except Exception as exc:
            errors[index] = exc

    for i, args in enumerate(args_list):
        t = threading.Thread(target=call, args=(i, tuple(args)))
        t.start()
        t.join()
    for error in errors:
        if error is not None:
            raise error
    return results
