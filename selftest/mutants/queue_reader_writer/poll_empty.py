# mutant: the reader polls q.empty() and stops when the queue is (momentarily) empty
# expect-fail: correct.reader correct.pipeline safe.large_payload correct.spawn


def reader(q, out):
    while not q.empty():
        item = q.get()
        if item is SENTINEL:
            break
        out.put(item)
    out.put(SENTINEL)
