# alternative: a thread per call in batches of 32 for IO; multiprocessing.Pool(available_cpus()) with apply_async for CPU
import multiprocessing
import threading


def run_io_bound(func, args_list):
    args_list = [tuple(args) for args in args_list]
    results = [None] * len(args_list)
    errors = [None] * len(args_list)
    slots = threading.BoundedSemaphore(32)

    def one(i, args):
        try:
            results[i] = func(*args)
        except Exception as exc:
            errors[i] = exc
        finally:
            slots.release()

    threads = []
    for i, args in enumerate(args_list):
        slots.acquire()
        t = threading.Thread(target=one, args=(i, args))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    for e in errors:
        if e is not None:
            raise e
    return results


def run_cpu_bound(func, args_list):
    args_list = [tuple(args) for args in args_list]
    if not args_list:
        return []
    pool = multiprocessing.Pool(available_cpus())
    try:
        results = [pool.apply_async(func, args) for args in args_list]
    finally:
        pool.close()
        pool.join()
    return [r.get() for r in results]
