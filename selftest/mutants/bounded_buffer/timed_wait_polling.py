# mutant: polling with a short timed wait: wait(0.01) in the loop wakes up 100 times a second
# expect-fail: safe.no_busy_wait


def _put(self, item):
    with self.cond:
        while len(self.items) >= self.capacity and not self.closed:
            self.cond.wait(0.01)
        if self.closed:
            raise Closed("put() on a closed buffer")
        self.items.append(item)
        self.cond.notify_all()


def _get(self):
    with self.cond:
        while not self.items and not self.closed:
            self.cond.wait(0.01)
        if not self.items:
            raise Closed("get() on a closed, empty buffer")
        item = self.items.popleft()
        self.cond.notify_all()
        return item


BoundedBuffer.put = _put
BoundedBuffer.get = _get
