# mutant: withdraw checks the funds before taking the lock
# expect-fail: safe.lock_held


def _withdraw(self, amount):
    if amount > self.balance:
        raise InsufficientFunds(f"cannot withdraw {amount}: balance is {self.balance}")
    with self.lock:
        self.balance = self.balance - amount


Account.withdraw = _withdraw
