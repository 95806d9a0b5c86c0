# mutant: func is stashed in a module global read by a module-level task: forked workers inherit it, spawned ones re-import the module and find None
# expect-fail: correct.spawn
import multiprocessing

_func = None


def _run(item):
    return _func(item)


def parallel_map(func, items, processes=None):
    global _func
    items = list(items)
    if not items:
        return []
    _func = func  # "so that the task need not pickle func"
    pool = multiprocessing.Pool(processes)
    try:
        results = [pool.apply_async(_run, (item,)) for item in items]
    finally:
        pool.close()
        pool.join()
    return [result.get() for result in results]
