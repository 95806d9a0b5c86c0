# mutant: record_many appends directly instead of calling self.record (subclasses are ignored)
# expect-fail: safe.reentrant safe.error_midway


def _record_many(self, amounts):
    with self.lock:
        for amount in amounts:
            self.entries.append(amount)
            self.total += amount


Ledger.record_many = _record_many
