# mutant: re-raises the first error in time (the first thread to fail), not in argument order
# expect-fail: correct.first_error
import threading


def run_in_threads(func, args_list):
    results = [None] * len(args_list)
    errors = []
    lock = threading.Lock()

    def call(index, args):
        try:
            results[index] = func(*args)
        except Exception as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=call, args=(i, tuple(args))) for i, args in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
