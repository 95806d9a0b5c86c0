# alternative: a reader using iter(q.get, SENTINEL), a collector counting sentinels with a for loop, a spawn context
import multiprocessing


def reader(q, out):
    for item in iter(q.get, SENTINEL):
        out.put(item)
    out.put(SENTINEL)


def run_pipeline(items, n_readers=1):
    ctx = multiprocessing.get_context()
    q, out = ctx.Queue(), ctx.Queue()
    readers = [ctx.Process(target=reader, args=(q, out)) for _ in range(n_readers)]
    for r in readers:
        r.start()
    w = ctx.Process(target=writer, args=(q, list(items), n_readers))
    w.start()
    results = []
    for _ in range(n_readers):
        results.extend(iter(out.get, SENTINEL))
    w.join()
    for r in readers:
        r.join()
    return results
