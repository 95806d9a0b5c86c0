# mutant: close() writes `closed` before taking the lock (only the notify is under it)
# expect-fail: safe.lock_held


def _close(self):
    self.closed = True
    with self.cond:
        self.cond.notify_all()


BoundedBuffer.close = _close
