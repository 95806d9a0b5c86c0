# mutant: exceptions raised in the threads are swallowed (the failing call's slot stays None)
# expect-fail: correct.first_error
import threading


def run_in_threads(func, args_list):
    results = [None] * len(args_list)

    def call(index, args):
        try:
            results[index] = func(*args)
        except Exception:
            pass

    threads = [threading.Thread(target=call, args=(i, tuple(args))) for i, args in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
