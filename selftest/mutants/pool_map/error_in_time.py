# mutant: re-raises the first error in time (error_callback), not the first failing item
# expect-fail: correct.first_error
import multiprocessing


def parallel_map(func, items, processes=None):
    pool = multiprocessing.Pool(processes)
    errors = []
    results = [pool.apply_async(func, (item,), error_callback=errors.append) for item in items]
    pool.close()
    pool.join()
    if errors:
        raise errors[0]
    return [r.get() for r in results]
