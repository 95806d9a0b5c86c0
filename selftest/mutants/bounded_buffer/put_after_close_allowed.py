# mutant: put() ignores closed: it appends to a closed buffer, and a blocked put waits on after close()
# expect-fail: correct.close


def _put(self, item):
    with self.cond:
        while len(self.items) >= self.capacity:
            self.cond.wait()
        self.items.append(item)
        self.cond.notify_all()


BoundedBuffer.put = _put
