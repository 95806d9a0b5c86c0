# alternative: `with Pool() as pool:` collecting every result inside the block (exit terminates and joins)
import multiprocessing


def parallel_map(func, items, processes=None):
    with multiprocessing.Pool(processes) as pool:
        results = [pool.apply_async(func, (item,)) for item in items]
        return [r.get() for r in results]
