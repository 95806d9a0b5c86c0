# mutant: the pool is never closed nor joined (its workers outlive the call)
# expect-fail: correct.first_error safe.cleanup
import multiprocessing


def parallel_map(func, items, processes=None):
    pool = multiprocessing.Pool(processes)
    results = [pool.apply_async(func, (item,)) for item in items]
    return [r.get() for r in results]
