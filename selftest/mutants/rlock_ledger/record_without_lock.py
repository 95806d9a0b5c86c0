# mutant: record updates entries and total without the lock
# expect-fail: safe.concurrent


def _record(self, amount):
    self.entries.append(amount)
    self.total += amount


Ledger.record = _record
