# mutant: Pool.map, which re-raises the first exception in time, not the first failing item's
# expect-fail: correct.first_error
import multiprocessing


def parallel_map(func, items, processes=None):
    pool = multiprocessing.Pool(processes)
    try:
        return pool.map(func, items)
    finally:
        pool.close()
        pool.join()
