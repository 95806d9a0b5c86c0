# mutant: close() but no join(): the workers are left to exit on their own, never reaped
# expect-fail: correct.first_error safe.cleanup
import multiprocessing


def parallel_map(func, items, processes=None):
    pool = multiprocessing.Pool(processes)
    results = [pool.apply_async(func, (item,)) for item in items]
    pool.close()
    return [r.get() for r in results]
