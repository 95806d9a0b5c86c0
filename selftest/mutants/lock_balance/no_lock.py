# mutant: no lock at all (the seed's unprotected balance = balance + n)
# expect-fail: safe.lock_held safe.no_lost_update safe.atomic_change


def _deposit(self, amount):
    self.balance = self.balance + amount


def _withdraw(self, amount):
    if amount > self.balance:
        raise InsufficientFunds(f"cannot withdraw {amount}: balance is {self.balance}")
    self.balance = self.balance - amount


def _change_it(self, n):
    self.balance = self.balance + n
    self.balance = self.balance - n


Account.deposit = _deposit
Account.withdraw = _withdraw
Account.change_it = _change_it
