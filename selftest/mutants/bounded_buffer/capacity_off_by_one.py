# mutant: put waits only while the buffer holds MORE than capacity items: it takes capacity + 1
# expect-fail: correct.fifo_capacity


def _put(self, item):
    with self.cond:
        while len(self.items) > self.capacity and not self.closed:
            self.cond.wait()
        if self.closed:
            raise Closed("put() on a closed buffer")
        self.items.append(item)
        self.cond.notify_all()


BoundedBuffer.put = _put
