# mutant: ignores `processes` (Pool() starts os.process_cpu_count() workers from 3.13, os.cpu_count() before)
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
