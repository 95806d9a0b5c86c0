# alternative: cond.wait_for(predicate), which is the while loop around wait(), written for you


def _put(self, item):
    with self.cond:
        self.cond.wait_for(lambda: len(self.items) < self.capacity or self.closed)
        if self.closed:
            raise Closed("closed")
        self.items.append(item)
        self.cond.notify_all()


def _get(self):
    with self.cond:
        self.cond.wait_for(lambda: self.items or self.closed)
        if not self.items:
            raise Closed("closed and empty")
        item = self.items.popleft()
        self.cond.notify_all()
        return item


BoundedBuffer.put = _put
BoundedBuffer.get = _get
