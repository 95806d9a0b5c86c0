# alternative: Pool.imap (results and the first failing item's exception in item order), close and join in finally
import multiprocessing


def parallel_map(func, items, processes=None):
    pool = multiprocessing.Pool(processes)
    try:
        return list(pool.imap(func, items))
    finally:
        pool.close()
        pool.join()
