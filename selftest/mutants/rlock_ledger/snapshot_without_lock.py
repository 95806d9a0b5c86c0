# mutant: snapshot reads total and entries without the lock
# expect-fail: safe.concurrent


def _snapshot(self):
    return (self.total, len(self.entries))


Ledger.snapshot = _snapshot
