# mutant: the seed's loop `for i in range(n): t.join()` joins only the last thread
# expect-fail: correct.results correct.first_error safe.all_joined
import threading


def run_in_threads(func, args_list):
    results = [None] * len(args_list)
    errors = [None] * len(args_list)

    def call(index, args):
        try:
            results[index] = func(*args)
        except Exception as exc:
            errors[index] = exc

    t = None
    for i, args in enumerate(args_list):
        t = threading.Thread(target=call, args=(i, tuple(args)))
        t.start()
    for i in range(len(args_list)):
        t.join()
    for error in errors:
        if error is not None:
            raise error
    return results
