# mutant: work done in the calling thread (the last call runs in the caller while the others run in threads)
# expect-fail: parallel.own_threads
import threading


def run_in_threads(func, args_list):
    results = [None] * len(args_list)
    errors = [None] * len(args_list)

    def call(index, args):
        try:
            results[index] = func(*args)
        except Exception as exc:
            errors[index] = exc

    if not args_list:
        return []
    threads = [threading.Thread(target=call, args=(i, tuple(args)))
               for i, args in enumerate(args_list[:-1])]
    for t in threads:
        t.start()
    call(len(args_list) - 1, tuple(args_list[-1]))   # "the caller may as well do one"
    for t in threads:
        t.join()
    for error in errors:
        if error is not None:
            raise error
    return results
