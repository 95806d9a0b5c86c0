# mutant: get() raises Closed as soon as the buffer is closed, dropping the items still in it
# expect-fail: correct.close


def _get(self):
    with self.cond:
        while not self.items and not self.closed:
            self.cond.wait()
        if self.closed:
            raise Closed("get() on a closed buffer")
        item = self.items.popleft()
        self.cond.notify_all()
        return item


BoundedBuffer.get = _get
