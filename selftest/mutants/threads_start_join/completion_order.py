# mutant: results are appended as the threads finish (completion order, not args_list order)
# expect-fail: correct.results
import threading


def run_in_threads(func, args_list):
    results = []
    errors = [None] * len(args_list)
    lock = threading.Lock()

    def call(index, args):
        try:
            value = func(*args)
            with lock:
                results.append(value)
        except Exception as exc:
            errors[index] = exc

    threads = [threading.Thread(target=call, args=(i, tuple(args))) for i, args in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for error in errors:
        if error is not None:
            raise error
    return results
