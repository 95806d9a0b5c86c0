# mutant: notify() instead of notify_all() on the condition producers and consumers share
# expect-fail: safe.notify


def _put(self, item):
    with self.cond:
        while len(self.items) >= self.capacity and not self.closed:
            self.cond.wait()
        if self.closed:
            raise Closed("put() on a closed buffer")
        self.items.append(item)
        self.cond.notify()  # wakes one waiter: maybe another producer


def _get(self):
    with self.cond:
        while not self.items and not self.closed:
            self.cond.wait()
        if not self.items:
            raise Closed("get() on a closed, empty buffer")
        item = self.items.popleft()
        self.cond.notify()  # wakes one waiter: maybe another consumer
        return item


BoundedBuffer.put = _put
BoundedBuffer.get = _get
