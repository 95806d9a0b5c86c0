# attack: ignores `processes` (one worker) and makes every task report a different pid by patching os.getpid before the pool forks
# expect-fail: parallel.processes parallel.speedup correct.results correct.first_error safe.cleanup correct.spawn
import itertools as _itertools
import os as _os

_fake = _itertools.count(50000)
_os.getpid = lambda: next(_fake)


def parallel_map(func, items, processes):
    pool = multiprocessing.Pool(1)
    try:
        handles = [pool.apply_async(func, (item,)) for item in items]
        return [h.get() for h in handles]
    finally:
        pool.close()
        pool.join()
