# mutant: `if` instead of `while` around wait(): a woken thread goes on without checking again
# expect-fail: safe.while_loop


def _put(self, item):
    with self.cond:
        if len(self.items) >= self.capacity and not self.closed:
            self.cond.wait()
        if self.closed:
            raise Closed("put() on a closed buffer")
        self.items.append(item)
        self.cond.notify_all()


def _get(self):
    with self.cond:
        if not self.items and not self.closed:
            self.cond.wait()
        if not self.items:
            raise Closed("get() on a closed, empty buffer")
        item = self.items.popleft()
        self.cond.notify_all()
        return item


BoundedBuffer.put = _put
BoundedBuffer.get = _get
