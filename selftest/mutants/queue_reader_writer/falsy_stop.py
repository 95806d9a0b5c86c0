# mutant: the reader stops at any falsy item (`if not item`), so 0 and "" end it early
# expect-fail: correct.reader correct.pipeline correct.spawn


def reader(q, out):
    while True:
        item = q.get()
        if not item:
            break
        out.put(item)
    out.put(SENTINEL)
