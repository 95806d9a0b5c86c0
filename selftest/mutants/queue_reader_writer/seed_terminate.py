# mutant: the seed's reader loops forever and run_pipeline stops the readers with terminate()
# expect-fail: correct.reader safe.no_terminate


def reader(q, out):
    while True:
        value = q.get(True)
        if value is not SENTINEL:
            out.put(value)   # the loop never ends: only terminate() stops it


def run_pipeline(items, n_readers=1):
    items = list(items)
    q = multiprocessing.Queue()
    out = multiprocessing.Queue()
    pw = multiprocessing.Process(target=writer, args=(q, items, n_readers))
    readers = [multiprocessing.Process(target=reader, args=(q, out)) for _ in range(n_readers)]
    pw.start()
    for pr in readers:
        pr.start()
    results = [out.get() for _ in items]   # we know how many items will come
    pw.join()
    for pr in readers:
        pr.terminate()   # 进程里是死循环，无法等待其结束，只能强行终止
        pr.join()
    return results
