# alternative: acquire/release paired by try/finally, total recomputed from the list


def _record(self, amount):
    self.lock.acquire()
    try:
        self.entries.append(amount)
        self.total = self.total + amount
    finally:
        self.lock.release()


def _record_many(self, amounts):
    self.lock.acquire()
    try:
        for amount in list(amounts):
            self.record(amount)
    finally:
        self.lock.release()


def _snapshot(self):
    self.lock.acquire()
    try:
        entries = self.entries
        return self.total, len(entries)
    finally:
        self.lock.release()


Ledger.record = _record
Ledger.record_many = _record_many
Ledger.snapshot = _snapshot
