# mutant: one thread per call with no cap at 32
# expect-fail: parallel.io_overlap
import threading


def run_io_bound(func, args_list):
    args_list = [tuple(args) for args in args_list]
    results = [None] * len(args_list)
    errors = [None] * len(args_list)

    def one(i, args):
        try:
            results[i] = func(*args)
        except Exception as exc:
            errors[i] = exc

    threads = [threading.Thread(target=one, args=(i, a)) for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors:
        if e is not None:
            raise e
    return results
