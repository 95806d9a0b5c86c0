# mutant: sleep polling: drop the lock, sleep 5 ms, look again, instead of wait()
# expect-fail: safe.no_busy_wait
import time


def _put(self, item):
    self.cond.acquire()
    try:
        while len(self.items) >= self.capacity and not self.closed:
            self.cond.release()
            time.sleep(0.005)
            self.cond.acquire()
        if self.closed:
            raise Closed("put() on a closed buffer")
        self.items.append(item)
        self.cond.notify_all()
    finally:
        self.cond.release()


def _get(self):
    self.cond.acquire()
    try:
        while not self.items and not self.closed:
            self.cond.release()
            time.sleep(0.005)
            self.cond.acquire()
        if not self.items:
            raise Closed("get() on a closed, empty buffer")
        item = self.items.popleft()
        self.cond.notify_all()
        return item
    finally:
        self.cond.release()


BoundedBuffer.put = _put
BoundedBuffer.get = _get
