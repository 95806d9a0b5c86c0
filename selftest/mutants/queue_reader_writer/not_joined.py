# mutant: run_pipeline returns without joining its processes
# expect-fail: safe.no_terminate


def run_pipeline(items, n_readers=1):
    q = multiprocessing.Queue()
    out = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=writer, args=(q, list(items), n_readers))]
    processes += [multiprocessing.Process(target=reader, args=(q, out)) for _ in range(n_readers)]
    for p in processes:
        p.start()
    results, finished = [], 0
    while finished < n_readers:
        item = out.get()
        if item is SENTINEL:
            finished += 1
        else:
            results.append(item)
    return results
