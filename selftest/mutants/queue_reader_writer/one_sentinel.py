# mutant: the writer puts one sentinel whatever the number of readers
# expect-fail: correct.writer correct.pipeline


def writer(q, items, n_readers=1):
    for item in items:
        q.put(item)
    q.put(SENTINEL)
