# mutant: run_pipeline starts the writer without its count of readers (so it puts one sentinel)
# expect-fail: correct.pipeline


def run_pipeline(items, n_readers=1):
    q = multiprocessing.Queue()
    out = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=writer, args=(q, list(items)))]
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
    for p in processes:
        p.join()
    return results
