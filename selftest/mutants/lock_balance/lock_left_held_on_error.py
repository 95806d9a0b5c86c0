# mutant: acquire/release without try/finally: raising InsufficientFunds leaves the lock held
# expect-fail: safe.released_on_error


def _withdraw(self, amount):
    self.lock.acquire()
    if amount > self.balance:
        raise InsufficientFunds(f"cannot withdraw {amount}: balance is {self.balance}")
    self.balance = self.balance - amount
    self.lock.release()


Account.withdraw = _withdraw
