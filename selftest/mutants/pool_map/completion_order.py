# mutant: results collected by callback, in completion order
# expect-fail: correct.results
import multiprocessing


def parallel_map(func, items, processes=None):
    pool = multiprocessing.Pool(processes)
    done = []
    try:
        results = [pool.apply_async(func, (item,), callback=done.append) for item in items]
    finally:
        pool.close()
        pool.join()
    for r in results:
        r.get()  # re-raise errors, in item order
    return done
