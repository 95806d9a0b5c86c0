# mutant: close() marks the buffer closed but wakes nobody: waiting consumers sleep forever
# expect-fail: correct.close correct.run_producers_consumers


def _close(self):
    with self.cond:
        self.closed = True


BoundedBuffer.close = _close
