# alternative: enough notify: count the threads asleep and notify(n) them all, instead of notify_all()


def _sleep(self):
    # Caller holds self.cond. Counted, so a notify can wake every thread asleep now.
    self.asleep = getattr(self, "asleep", 0) + 1
    try:
        self.cond.wait()
    finally:
        self.asleep -= 1


def _wake(self):
    n = getattr(self, "asleep", 0)
    if n:
        self.cond.notify(n)


def _put(self, item):
    with self.cond:
        while len(self.items) >= self.capacity and not self.closed:
            self._sleep()
        if self.closed:
            raise Closed("put() on a closed buffer")
        self.items.append(item)
        self._wake()


def _get(self):
    with self.cond:
        while not self.items and not self.closed:
            self._sleep()
        if not self.items:
            raise Closed("get() on a closed, empty buffer")
        item = self.items.popleft()
        self._wake()
        return item


def _close(self):
    with self.cond:
        self.closed = True
        self._wake()


BoundedBuffer._sleep = _sleep
BoundedBuffer._wake = _wake
BoundedBuffer.put = _put
BoundedBuffer.get = _get
BoundedBuffer.close = _close
