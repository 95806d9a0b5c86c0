# mutant: record_many does not hold the lock across the batch (only each record takes it)
# expect-fail: safe.batch_atomic


def _record_many(self, amounts):
    for amount in amounts:
        self.record(amount)


Ledger.record_many = _record_many
