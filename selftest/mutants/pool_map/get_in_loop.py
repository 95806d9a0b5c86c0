# mutant: waits on each result in the loop (.get() right after apply_async): one task at a time
# expect-fail: parallel.processes parallel.speedup
import multiprocessing


def parallel_map(func, items, processes=None):
    pool = multiprocessing.Pool(processes)
    try:
        results = []
        for item in items:
            results.append(pool.apply_async(func, (item,)).get())
        return results
    finally:
        pool.close()
        pool.join()
