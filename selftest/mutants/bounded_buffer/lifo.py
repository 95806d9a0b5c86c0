# mutant: get() takes the newest item (pop) instead of the oldest (popleft): a stack, not a queue
# expect-fail: correct.fifo_capacity


def _get(self):
    with self.cond:
        while not self.items and not self.closed:
            self.cond.wait()
        if not self.items:
            raise Closed("get() on a closed, empty buffer")
        item = self.items.pop()
        self.cond.notify_all()
        return item


BoundedBuffer.get = _get
