# mutant: record_many pairs acquire/release by hand without try/finally: an exception leaves the lock held
# expect-fail: safe.error_midway


def _record_many(self, amounts):
    self.lock.acquire()
    for amount in amounts:
        self.record(amount)
    self.lock.release()


Ledger.record_many = _record_many
