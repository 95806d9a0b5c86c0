# alternative: concurrent.futures.ProcessPoolExecutor(max_workers=processes), futures in item order
import concurrent.futures


def parallel_map(func, items, processes=None):
    items = list(items)
    if not items:
        return []
    with concurrent.futures.ProcessPoolExecutor(max_workers=processes) as pool:
        futures = [pool.submit(func, item) for item in items]
        return [f.result() for f in futures]
