# mutant: results fetched before close/join: an exception skips the cleanup
# expect-fail: correct.first_error safe.cleanup
import multiprocessing


def parallel_map(func, items, processes=None):
    pool = multiprocessing.Pool(processes)
    results = [pool.apply_async(func, (item,)) for item in items]
    values = [r.get() for r in results]
    pool.close()
    pool.join()
    return values
