# mutant: ignores `processes` (Pool() starts os.cpu_count() workers)
# expect-fail: parallel.processes
import multiprocessing


def parallel_map(func, items, processes=None):
    pool = multiprocessing.Pool()
    try:
        results = [pool.apply_async(func, (item,)) for item in items]
    finally:
        pool.close()
        pool.join()
    return [r.get() for r in results]
