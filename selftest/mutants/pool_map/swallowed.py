# mutant: a failing task's exception is swallowed (None in its place)
# expect-fail: correct.first_error
import multiprocessing


def parallel_map(func, items, processes=None):
    pool = multiprocessing.Pool(processes)
    results = [pool.apply_async(func, (item,)) for item in items]
    pool.close()
    pool.join()
    out = []
    for r in results:
        try:
            out.append(r.get())
        except Exception:
            out.append(None)
    return out
