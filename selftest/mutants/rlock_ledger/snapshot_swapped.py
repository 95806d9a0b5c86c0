# mutant: snapshot returns (len(entries), total) instead of (total, len(entries))
# expect-fail: correct.record_snapshot


def _snapshot(self):
    with self.lock:
        return (len(self.entries), self.total)


Ledger.snapshot = _snapshot
