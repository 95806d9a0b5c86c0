# mutant: the reader gives up when a get times out (2 s), as if no item could come late
# expect-fail: correct.reader
import queue


def reader(q, out):
    while True:
        try:
            item = q.get(timeout=2)
        except queue.Empty:
            break
        if item is SENTINEL:
            break
        out.put(item)
    out.put(SENTINEL)
