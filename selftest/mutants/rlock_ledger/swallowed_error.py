# mutant: record_many swallows a failing record and goes on
# expect-fail: safe.error_midway


def _record_many(self, amounts):
    with self.lock:
        for amount in amounts:
            try:
                self.record(amount)
            except Exception:
                pass


Ledger.record_many = _record_many
