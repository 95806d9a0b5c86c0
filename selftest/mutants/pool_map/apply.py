# mutant: pool.apply (which waits for each task) instead of apply_async
# expect-fail: parallel.processes parallel.speedup
import multiprocessing


def parallel_map(func, items, processes=None):
    pool = multiprocessing.Pool(processes)
    try:
        return [pool.apply(func, (item,)) for item in items]
    finally:
        pool.close()
        pool.join()
