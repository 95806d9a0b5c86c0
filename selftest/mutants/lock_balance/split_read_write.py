# mutant: deposit reads the balance in one critical section and writes it in another
# expect-fail: safe.no_lost_update


def _deposit(self, amount):
    with self.lock:
        current = self.balance
    with self.lock:
        self.balance = current + amount


Account.deposit = _deposit
